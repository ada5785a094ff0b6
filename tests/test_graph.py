"""Tests of autograd_guide.graph: the computational graph as data and as a figure."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.axes import Axes
from matplotlib.text import Annotation

from autograd_guide.graph import backward_graph, backward_nodes, plot_backward_graph


def linear_layer() -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    torch.manual_seed(0)
    weight = torch.randn(2, 3, requires_grad=True)
    bias = torch.randn(2, requires_grad=True)
    inputs = torch.randn(3)
    return torch.relu(weight @ inputs + bias).sum(), {"W": weight, "b": bias}


class Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 2 * x * grad_output


def arrows(ax: Axes) -> list[Annotation]:
    return [text for text in ax.texts if isinstance(text, Annotation)]


def boxes(ax: Axes) -> list[str]:
    return [text.get_text() for text in ax.texts if not isinstance(text, Annotation)]


# -- backward_graph -----------------------------------------------------------------------------


def test_dot_product_uses_its_leaf_twice():
    x = torch.arange(4.0, requires_grad=True)
    assert backward_graph(2 * torch.dot(x, x), names={"x": x}) == [
        ("MulBackward0", ["DotBackward0"]),
        ("DotBackward0", ["x", "x"]),
        ("x", []),
    ]


def test_linear_layer_leaves_out_the_input_that_needs_no_gradient():
    loss, names = linear_layer()
    assert backward_graph(loss, names=names) == [
        ("SumBackward0", ["ReluBackward0"]),
        ("ReluBackward0", ["AddBackward0"]),
        ("AddBackward0", ["MvBackward0", "b"]),
        ("MvBackward0", ["W"]),
        ("b", []),
        ("W", []),
    ]


def test_leaves_are_labelled_by_shape_without_names():
    loss, _ = linear_layer()
    graph = dict(backward_graph(loss))
    assert graph["AddBackward0"] == ["MvBackward0", "(2,)"]
    assert graph["MvBackward0"] == ["(2, 3)"]


def test_detached_factor_is_cut_from_the_graph():
    x = torch.arange(4.0, requires_grad=True)
    y = x * x
    assert backward_graph(y * x, names={"x": x}) == [
        ("MulBackward0", ["MulBackward0#2", "x"]),
        ("MulBackward0#2", ["x", "x"]),
        ("x", []),
    ]
    assert backward_graph(y.detach() * x, names={"x": x}) == [
        ("MulBackward0", ["x"]),
        ("x", []),
    ]


def test_nodes_are_ordered_by_longest_path_from_the_output():
    x = torch.arange(4.0, requires_grad=True)
    graph = backward_graph((x * x + x).sum(), names={"x": x})
    assert [label for label, _ in graph] == ["SumBackward0", "AddBackward0", "MulBackward0", "x"]


def test_a_leaf_that_requires_grad_is_a_graph_of_one_node():
    x = torch.zeros(2, 2, requires_grad=True)
    assert backward_graph(x) == [("(2, 2)", [])]
    assert backward_graph(x, names={"x": x}) == [("x", [])]


def test_custom_function_nodes_are_named_by_their_class():
    x = torch.arange(3.0, requires_grad=True)
    graph = backward_graph(Square.apply(x).sum(), names={"x": x})
    assert graph == [("SumBackward0", ["SquareBackward"]), ("SquareBackward", ["x"]), ("x", [])]


def test_a_deep_graph_does_not_recurse():
    x = torch.ones(1, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    graph = backward_graph(y, names={"x": x})
    assert len(graph) == 3001
    assert graph[-1] == ("x", [])


def test_the_walk_leaves_gradients_untouched():
    x = torch.arange(4.0, requires_grad=True)
    y = (x * x).sum()
    backward_graph(y, names={"x": x})
    y.backward()
    assert torch.equal(x.grad, 2 * x.detach())


# -- backward_nodes -----------------------------------------------------------------------------


def test_nodes_come_in_the_order_of_backward_graph():
    loss, names = linear_layer()
    nodes = backward_nodes(loss)
    graph = backward_graph(loss, names=names)
    assert len(nodes) == len(graph)
    for node, (label, children) in zip(nodes, graph, strict=True):
        if label in names:
            assert node.variable is names[label]
        else:
            assert node.name() == label
        assert len([child for child, _ in node.next_functions if child is not None]) == len(
            children
        )


def test_nodes_are_the_objects_autograd_runs():
    x = torch.arange(3.0, requires_grad=True)
    h = x * 3
    loss = (h.sin() + h**2).sum()
    nodes = backward_nodes(loss)
    assert nodes[0] is loss.grad_fn
    assert h.grad_fn in nodes
    ran = []
    for node in nodes:
        node.register_prehook(lambda grad_outputs, node=node: ran.append(node))
    loss.backward()
    assert sorted(map(id, ran)) == sorted(map(id, nodes))


def test_a_node_reached_twice_is_listed_once():
    x = torch.arange(4.0, requires_grad=True)
    nodes = backward_nodes(2 * torch.dot(x, x))
    assert [node.name() for node in nodes] == [
        "MulBackward0",
        "DotBackward0",
        "torch::autograd::AccumulateGrad",
    ]
    assert nodes[2].variable is x


def test_a_leaf_is_its_accumulate_grad_node():
    x = torch.zeros(2, requires_grad=True)
    (node,) = backward_nodes(x)
    assert node.name() == "torch::autograd::AccumulateGrad"
    assert node.variable is x
    assert (x * 2).grad_fn.next_functions[0][0] is node


def test_custom_function_nodes_are_listed():
    x = torch.arange(3.0, requires_grad=True)
    nodes = backward_nodes(Square.apply(x).sum())
    assert [node.name() for node in nodes[:2]] == ["SumBackward0", "SquareBackward"]
    assert all(isinstance(node, torch.autograd.graph.Node) for node in nodes)


# -- plot_backward_graph ------------------------------------------------------------------------


def test_plot_labels_every_node_once():
    loss, names = linear_layer()
    ax = plot_backward_graph(loss, names=names)
    assert isinstance(ax, Axes)
    assert boxes(ax) == ["SumBackward0", "ReluBackward0", "AddBackward0", "MvBackward0", "b", "W"]
    assert not ax.axison


def test_plot_duplicate_names_are_not_suffixed():
    x = torch.arange(4.0, requires_grad=True)
    ax = plot_backward_graph(x * x * x, names={"x": x})
    assert boxes(ax) == ["MulBackward0", "MulBackward0", "x"]


def heads(ax: Axes) -> list[Annotation]:
    return [arrow for arrow in arrows(ax) if "-|>" in str(arrow.arrowprops["arrowstyle"])]


def test_plot_draws_one_arrow_per_use_of_an_input():
    x = torch.arange(4.0, requires_grad=True)
    ax = plot_backward_graph(2 * torch.dot(x, x), names={"x": x})
    assert len(heads(ax)) == len(arrows(ax)) == 3


def test_plot_arrows_point_from_the_output_towards_the_leaves():
    loss, names = linear_layer()
    ax = plot_backward_graph(loss, names=names)
    drawn = arrows(ax)
    assert len(drawn) == 5
    for arrow in drawn:
        assert arrow.xy[1] < arrow.xyann[1]


def test_plot_routes_an_edge_that_skips_a_row_around_the_row():
    x = torch.arange(4.0, requires_grad=True)
    ax = plot_backward_graph((x * x) * x, names={"x": x})
    assert len(heads(ax)) == 4
    assert len(arrows(ax)) == 5
    middle_box = [text for text in ax.texts if text.get_text()][1]
    middle_x, middle_y = middle_box.get_position()
    ends_on_middle_row = {arrow.xy[0] for arrow in arrows(ax) if arrow.xy[1] == middle_y}
    assert len(ends_on_middle_row) == 2
    assert middle_x in ends_on_middle_row


def test_plot_leaves_and_operations_have_different_boxes():
    x = torch.arange(4.0, requires_grad=True)
    ax = plot_backward_graph(2 * torch.dot(x, x), names={"x": x})
    styles = {
        text.get_text(): type(text.get_bbox_patch().get_boxstyle()).__name__
        for text in ax.texts
        if text.get_text()
    }
    assert styles == {"MulBackward0": "Square", "DotBackward0": "Square", "x": "Round"}


def test_plot_draws_on_the_axes_given():
    _, (left, right) = plt.subplots(1, 2)
    x = torch.arange(4.0, requires_grad=True)
    assert plot_backward_graph(x.sum(), names={"x": x}, ax=right) is right
    assert boxes(left) == []
    assert boxes(right) == ["SumBackward0", "x"]


def test_plot_is_deterministic_as_svg():
    loss, names = linear_layer()
    images = []
    with plt.rc_context({"svg.hashsalt": "autograd-guide"}):
        for _ in range(2):
            buffer = io.StringIO()
            plot_backward_graph(loss, names=names).figure.savefig(
                buffer, format="svg", metadata={"Date": None}
            )
            images.append(buffer.getvalue())
    assert images[0] == images[1]


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("function", [backward_graph, backward_nodes, plot_backward_graph])
def test_not_a_tensor(function):
    with pytest.raises(TypeError, match=r"output must be a torch.Tensor, got list"):
        function([1.0, 2.0])


@pytest.mark.parametrize("function", [backward_graph, backward_nodes, plot_backward_graph])
def test_tensor_without_graph(function):
    with pytest.raises(
        ValueError, match=r"no grad_fn and does not require gradients.*requires_grad=True"
    ):
        function(torch.ones(3) * 2)


def test_tensor_made_under_no_grad_or_detached():
    x = torch.ones(3, requires_grad=True)
    with torch.no_grad():
        y = x * 2
    for tensor in (y, (x * 2).detach()):
        with pytest.raises(ValueError, match=r"torch.no_grad\(\)"):
            backward_graph(tensor)


def test_names_not_a_mapping():
    x = torch.ones(3, requires_grad=True)
    with pytest.raises(TypeError, match=r"names must be a mapping from label to tensor, got list"):
        backward_graph(x * 2, names=[x])


def test_names_label_not_a_string():
    x = torch.ones(3, requires_grad=True)
    with pytest.raises(TypeError, match=r"string labels"):
        backward_graph(x * 2, names={1: x})


def test_names_value_not_a_tensor():
    x = torch.ones(3, requires_grad=True)
    with pytest.raises(TypeError, match=r"names\['x'\] must be a torch.Tensor, got str"):
        backward_graph(x * 2, names={"x": "x"})


@pytest.mark.parametrize("function", [backward_graph, plot_backward_graph])
def test_names_a_tensor_that_is_not_a_leaf_of_the_graph(function):
    x = torch.ones(3, requires_grad=True)
    y = x * 2
    other = torch.ones(3, requires_grad=True)
    with pytest.raises(ValueError, match=r"not leaves of this graph: \['y', 'other'\]"):
        function(y * 3, names={"x": x, "y": y, "other": other})


def test_names_one_tensor_twice():
    x = torch.ones(3, requires_grad=True)
    with pytest.raises(ValueError, match=r"one tensor two labels, 'x' and 'y'"):
        backward_graph(x * 2, names={"x": x, "y": x})
