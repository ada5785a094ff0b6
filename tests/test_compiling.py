"""Tests of the recording torch.compile backend in autograd_guide.compiling."""

from __future__ import annotations

import logging

import pytest
import torch
import torch._dynamo

from autograd_guide.compiling import GraphRecorder, RecordedGraph


@pytest.fixture(autouse=True)
def fresh_dynamo():
    """Start every test with no compiled code cached, and without dynamo's graph-break warnings."""
    torch._dynamo.reset()
    torch._logging.set_logs(dynamo=logging.ERROR)
    yield
    torch._dynamo.reset()
    torch._logging.set_logs()


def sin_times(x, w):
    return (torch.sin(x) * w).sum()


def test_records_one_graph_of_each_kind_and_the_backward_only_when_it_runs():
    recorder = GraphRecorder()
    x = torch.tensor([0.0, 1.0, 2.0], requires_grad=True)
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = torch.compile(sin_times, backend=recorder)(x, w)
    assert (len(recorder.dynamo_graphs), len(recorder.forward_graphs)) == (1, 1)
    assert recorder.backward_graphs == []
    out.backward()
    assert len(recorder.backward_graphs) == 1
    assert recorder.inference_graphs == []


def test_gradients_equal_eager_mode():
    recorder = GraphRecorder()
    x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    torch.compile(sin_times, backend=recorder)(x, w).backward()
    x_eager, w_eager = x.detach().requires_grad_(), w.detach().requires_grad_()
    sin_times(x_eager, w_eager).backward()
    assert torch.equal(x.grad, x_eager.grad)
    assert torch.equal(w.grad, w_eager.grad)


def test_forward_returns_what_the_backward_takes_besides_the_incoming_gradient():
    recorder = GraphRecorder()
    x = torch.tensor([0.5, 1.0], requires_grad=True)
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    torch.compile(sin_times, backend=recorder)(x, w).backward()
    (forward,), (backward,) = recorder.forward_graphs, recorder.backward_graphs
    saved = tuple(name for name in backward.inputs if not name.startswith("tangents"))
    assert forward.outputs[1:] == saved
    assert "aten.cos" in backward.operations
    assert "aten.cos" not in forward.operations


def test_a_call_without_gradients_compiles_an_inference_graph():
    recorder = GraphRecorder()
    f = torch.compile(lambda t: (t * t).sum(), backend=recorder)
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with torch.no_grad():
        f(x)
    assert len(recorder.inference_graphs) == 1
    assert recorder.forward_graphs == []
    assert recorder.inference_graphs[0].outputs == ("sum_1",)


# While tracing the code after the break, dynamo reads .grad of the intermediate
# tensor y; torch warns about that, and pytest's warnings-as-errors would turn the
# warning into an error inside dynamo. Outside pytest the warning is not shown.
@pytest.mark.filterwarnings(
    "ignore:The .grad attribute of a Tensor that is not a leaf Tensor:UserWarning"
)
def test_item_splits_the_function_into_two_graphs_with_a_backward_each():
    def f(x):
        y = torch.sin(x)
        return y * y.sum().item()

    recorder = GraphRecorder()
    x = torch.tensor([0.5, 1.0], requires_grad=True)
    torch.compile(f, backend=recorder)(x).sum().backward()
    assert len(recorder.dynamo_graphs) == 2
    assert len(recorder.backward_graphs) == 2


def test_listing_names_each_operation_and_the_returned_values():
    graph = RecordedGraph(torch.fx.symbolic_trace(lambda x: (torch.sin(x) * 2).sum()))
    assert graph.inputs == ("x",)
    assert graph.operations == ("torch.sin", "operator.mul", "Tensor.sum")
    assert graph.outputs == ("sum_1",)
    assert repr(graph).splitlines() == [
        "def forward(x):",
        "    sin = torch.sin(x)",
        "    mul = operator.mul(sin, 2)",
        "    sum_1 = Tensor.sum(mul)",
        "    return sum_1",
    ]


def test_listing_shows_several_outputs_and_keyword_arguments():
    graph = RecordedGraph(
        torch.fx.symbolic_trace(lambda x: (x.sum(dim=0, keepdim=True), torch.flatten(x)))
    )
    assert graph.outputs == ("sum_1", "flatten")
    assert "    sum_1 = Tensor.sum(x, dim=0, keepdim=True)" in repr(graph)
    assert repr(graph).endswith("    return (sum_1, flatten)")


def test_graph_module_runs_the_recorded_graph():
    recorder = GraphRecorder()
    x = torch.tensor([0.5, 1.0], requires_grad=True)
    torch.compile(lambda t: torch.exp(t).sum(), backend=recorder)(x).backward()
    total, saved = recorder.forward_graphs[0].module(x.detach())
    assert torch.equal(saved, torch.exp(x.detach()))
    assert torch.equal(total, torch.exp(x.detach()).sum())


@pytest.mark.parametrize("bad", [None, lambda x: x, torch.nn.Linear(2, 2)])
def test_recorded_graph_refuses_anything_but_a_graph_module(bad):
    with pytest.raises(TypeError, match=r"must be a torch\.fx\.GraphModule"):
        RecordedGraph(bad)


def test_backend_refuses_anything_but_a_graph_module():
    with pytest.raises(TypeError, match=r"pass the graph a torch\.compile backend receives"):
        GraphRecorder()(lambda x: x, [])
