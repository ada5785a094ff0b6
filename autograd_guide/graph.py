"""The computational graph behind a tensor: as plain data, and drawn as a figure.

Both functions walk the real graph that autograd recorded, starting from the
tensor's ``grad_fn`` and following ``next_functions``, so what they report is
what ``backward()`` will traverse.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise

import torch
from matplotlib.axes import Axes
from matplotlib.text import Text
from torch.autograd.graph import Node, get_gradient_edge

from autograd_guide._validation import axes_for_drawing, require_axes

__all__ = ["backward_graph", "backward_nodes", "plot_backward_graph"]

_FUNCTION_STYLE = {"boxstyle": "square,pad=0.35", "facecolor": "#f2f2f2", "edgecolor": "#555555"}
_LEAF_STYLE = {"boxstyle": "round,pad=0.35", "facecolor": "#d6e6f5", "edgecolor": "#2a6199"}


@dataclass
class _Graph:
    """A graph walked from an output: nodes in discovery order, with their layers."""

    labels: list[str]
    is_leaf: list[bool]
    children: list[list[int]]
    layers: list[int]
    leaf_ids: set[int]
    nodes: list[Node]

    def order(self) -> list[int]:
        """Node indices by layer, then by the order the walk first reached them."""
        return sorted(range(len(self.labels)), key=lambda i: (self.layers[i], i))


def _leaf_label(tensor: torch.Tensor) -> str:
    return str(tuple(tensor.shape))


def _require_names(names: object) -> dict[int, str]:
    if names is None:
        return {}
    if not isinstance(names, Mapping):
        raise TypeError(
            f"names must be a mapping from label to tensor, got {type(names).__name__}; "
            f'pass a dict such as {{"x": x}}'
        )
    labels: dict[int, str] = {}
    for label, tensor in names.items():
        if not isinstance(label, str):
            raise TypeError(
                f"names must have string labels as keys, got {label!r}; "
                f'pass a dict such as {{"x": x}}'
            )
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(
                f"names[{label!r}] must be a torch.Tensor, got {type(tensor).__name__}; "
                f"map each label to a leaf tensor of the graph"
            )
        if id(tensor) in labels:
            raise ValueError(
                f"names gives one tensor two labels, {labels[id(tensor)]!r} and {label!r}; "
                f"keep one label per tensor"
            )
        labels[id(tensor)] = label
    return labels


def _graph_of(output: object, names: object) -> _Graph:
    """Check the arguments, walk the graph of ``output`` and check that every name was used."""
    if not isinstance(output, torch.Tensor):
        raise TypeError(
            f"output must be a torch.Tensor, got {type(output).__name__}; "
            f"pass a tensor computed from tensors that require gradients"
        )
    if output.grad_fn is None and not output.requires_grad:
        raise ValueError(
            "output has no grad_fn and does not require gradients, so autograd recorded "
            "no graph for it; compute it from tensors created with requires_grad=True, "
            "outside torch.no_grad() and torch.inference_mode(), and without .detach()"
        )
    leaf_names = _require_names(names)
    graph = _walk(output, leaf_names)
    unused = [label for key, label in leaf_names.items() if key not in graph.leaf_ids]
    if unused:
        raise ValueError(
            f"names gives labels to tensors that are not leaves of this graph: {unused}; "
            f"name only leaf tensors that output was computed from (is_leaf and "
            f"requires_grad both True)"
        )
    return graph


def _walk(output: torch.Tensor, leaf_names: dict[int, str]) -> _Graph:
    """Visit each node reachable from ``output.grad_fn`` once, breadth-first."""
    if output.grad_fn is None:
        label = leaf_names.get(id(output), _leaf_label(output))
        return _Graph([label], [True], [[]], [0], {id(output)}, [])
    nodes: list[Node] = [output.grad_fn]
    graph = _Graph([], [], [], [], set(), nodes)
    index = {id(output.grad_fn): 0}
    queue = deque(nodes)
    while queue:
        node = queue.popleft()
        variable = getattr(node, "variable", None)
        if isinstance(variable, torch.Tensor):
            graph.labels.append(leaf_names.get(id(variable), _leaf_label(variable)))
            graph.is_leaf.append(True)
            graph.leaf_ids.add(id(variable))
        else:
            graph.labels.append(node.name())
            graph.is_leaf.append(False)
        edges: list[int] = []
        for child, _ in node.next_functions:
            if child is None:
                continue
            if id(child) not in index:
                index[id(child)] = len(nodes)
                nodes.append(child)
                queue.append(child)
            edges.append(index[id(child)])
        graph.children.append(edges)
    graph.layers = _longest_path_layers(graph.children)
    return graph


def _longest_path_layers(children: list[list[int]]) -> list[int]:
    parents_left = [0] * len(children)
    for edges in children:
        for child in edges:
            parents_left[child] += 1
    layers = [0] * len(children)
    ready = deque([0])
    while ready:
        node = ready.popleft()
        for child in children[node]:
            layers[child] = max(layers[child], layers[node] + 1)
            parents_left[child] -= 1
            if parents_left[child] == 0:
                ready.append(child)
    return layers


def backward_graph(
    output: torch.Tensor, names: Mapping[str, torch.Tensor] | None = None
) -> list[tuple[str, list[str]]]:
    """Return the computational graph behind ``output`` as a list of nodes and their children.

    The walk starts at ``output.grad_fn`` and follows ``next_functions``, the
    direction in which gradients flow. A node is labelled by its ``name()``,
    except the ``AccumulateGrad`` node of a leaf tensor, which is labelled by
    the leaf: its label in ``names``, else its shape. Entries of
    ``next_functions`` that are ``None`` (inputs that need no gradient) are left
    out. Nodes are listed by layer, the length of the longest path from the
    output, then in the order the walk first reached them. When two nodes
    would share a label, the later one gets ``#2``, ``#3``, ... appended.

    Parameters
    ----------
    output
        A tensor with a ``grad_fn``, or a leaf tensor that requires gradients.
    names
        Labels for leaf tensors, as a mapping from label to tensor, for example
        ``{"x": x}``.

    Returns
    -------
    list[tuple[str, list[str]]]
        One ``(label, child labels)`` pair per node, the output's node first. A
        child appears once for each time the node uses it.

    Raises
    ------
    TypeError
        If ``output`` is not a tensor, or ``names`` is not a mapping from
        strings to tensors.
    ValueError
        If ``output`` has no ``grad_fn`` and does not require gradients, or
        ``names`` labels a tensor that is not a leaf of the graph or gives one
        tensor two labels.

    Examples
    --------
    >>> import torch
    >>> x = torch.arange(4.0, requires_grad=True)
    >>> backward_graph(2 * torch.dot(x, x), names={"x": x})
    [('MulBackward0', ['DotBackward0']), ('DotBackward0', ['x', 'x']), ('x', [])]
    """
    graph = _graph_of(output, names)
    unique: list[str] = []
    seen: dict[str, int] = {}
    for label in graph.labels:
        seen[label] = seen.get(label, 0) + 1
        unique.append(label if seen[label] == 1 else f"{label}#{seen[label]}")
    return [(unique[i], [unique[child] for child in graph.children[i]]) for i in graph.order()]


def backward_nodes(output: torch.Tensor) -> list[Node]:
    """Return the nodes of the computational graph behind ``output``, as the objects autograd runs.

    The walk and the order are those of :func:`backward_graph`, so
    ``zip(backward_nodes(y), backward_graph(y))`` pairs each node with its
    label and children. The entries are the real nodes, ``output.grad_fn``
    first, so hooks registered on them run during ``output.backward()``. A
    leaf tensor is represented by its ``AccumulateGrad`` node.

    Parameters
    ----------
    output
        A tensor with a ``grad_fn``, or a leaf tensor that requires gradients.

    Returns
    -------
    list[torch.autograd.graph.Node]
        One node per entry of ``backward_graph(output)``, in the same order.

    Raises
    ------
    TypeError
        If ``output`` is not a tensor.
    ValueError
        If ``output`` has no ``grad_fn`` and does not require gradients.

    Examples
    --------
    >>> import torch
    >>> x = torch.arange(4.0, requires_grad=True)
    >>> y = 2 * torch.dot(x, x)
    >>> nodes = backward_nodes(y)
    >>> [node.name() for node in nodes]
    ['MulBackward0', 'DotBackward0', 'torch::autograd::AccumulateGrad']
    >>> nodes[0] is y.grad_fn and nodes[2].variable is x
    True
    """
    graph = _graph_of(output, None)
    if output.grad_fn is None:
        return [get_gradient_edge(output).node]
    return [graph.nodes[i] for i in graph.order()]


@dataclass
class _Layout:
    """Where each node goes, and the waypoints an edge passes on its way down."""

    positions: dict[int, tuple[float, float]]
    routes: dict[tuple[int, int], list[int]]
    widest: int


def _layout(graph: _Graph) -> _Layout:
    layer_of = list(graph.layers)
    parents: dict[int, list[int]] = {i: [] for i in range(len(layer_of))}
    routes: dict[tuple[int, int], list[int]] = {}
    for node in graph.order():
        for child in dict.fromkeys(graph.children[node]):
            route = [node]
            for layer in range(graph.layers[node] + 1, graph.layers[child]):
                waypoint = len(layer_of)
                layer_of.append(layer)
                parents[waypoint] = [route[-1]]
                route.append(waypoint)
            parents[child].append(route[-1])
            route.append(child)
            routes[node, child] = route
    rows: dict[int, list[int]] = {}
    for i in [*graph.order(), *range(len(graph.labels), len(layer_of))]:
        rows.setdefault(layer_of[i], []).append(i)
    positions: dict[int, tuple[float, float]] = {}
    for layer in sorted(rows):
        row = rows[layer]
        if layer > 0:
            row.sort(key=lambda i: sum(positions[p][0] for p in parents[i]) / len(parents[i]))
        for slot, i in enumerate(row):
            positions[i] = (slot - (len(row) - 1) / 2, -float(layer))
    return _Layout(positions, routes, max(len(row) for row in rows.values()))


def plot_backward_graph(
    output: torch.Tensor,
    names: Mapping[str, torch.Tensor] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw the computational graph behind ``output``, with arrows in the direction gradients flow.

    The graph is the one :func:`backward_graph` returns. The output's node is
    at the top and each node sits in the row given by the longest path from
    the output to it. Every arrow goes from a node to one of its
    ``next_functions``: the way ``backward()`` passes gradients, from the
    output towards the leaves, the reverse of the way data flowed in the
    forward pass. An arrow that skips rows takes a slot of its own in each
    row it passes, instead of running through the boxes there. Operations are
    square grey boxes labelled by ``name()``; leaf tensors (their
    ``AccumulateGrad`` nodes) are round blue boxes labelled by ``names`` or by
    their shape. Unlike :func:`backward_graph`, the figure does not add ``#2``
    to repeated labels. An input used twice gets two arrows.

    Parameters
    ----------
    output
        A tensor with a ``grad_fn``, or a leaf tensor that requires gradients.
    names
        Labels for leaf tensors, as a mapping from label to tensor, for example
        ``{"x": x}``.
    ax
        The Axes to draw on; a new figure sized to the graph is made when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on; ``ax.figure`` is its figure. Nothing is shown, and a
        call that raises leaves no new figure open.

    Raises
    ------
    TypeError
        If ``output`` is not a tensor, ``names`` is not a mapping from
        strings to tensors, or ``ax`` is not an Axes.
    ValueError
        If ``output`` has no ``grad_fn`` and does not require gradients, or
        ``names`` labels a tensor that is not a leaf of the graph or gives one
        tensor two labels.

    Examples
    --------
    >>> import torch
    >>> x = torch.arange(4.0, requires_grad=True)
    >>> ax = plot_backward_graph(2 * torch.dot(x, x), names={"x": x})
    >>> [text.get_text() for text in ax.texts if text.get_text()]
    ['MulBackward0', 'DotBackward0', 'x']
    """
    ax = require_axes(ax)
    graph = _graph_of(output, names)
    layout = _layout(graph)
    positions = layout.positions
    rows = max(graph.layers) + 1
    figsize = (max(2.5, 2.0 * layout.widest), 0.85 * rows + 0.2)
    with axes_for_drawing(ax, figsize=figsize) as ax:
        boxes: dict[int, Text] = {}
        for i in graph.order():
            x, y = positions[i]
            boxes[i] = ax.text(
                x,
                y,
                graph.labels[i],
                ha="center",
                va="center",
                fontsize=10,
                family="monospace",
                bbox=_LEAF_STYLE if graph.is_leaf[i] else _FUNCTION_STYLE,
                zorder=2,
            )
        for (node, child), route in layout.routes.items():
            copies = graph.children[node].count(child)
            for copy in range(copies):
                bend = 0.35 * (copy - (copies - 1) / 2)
                for start, end in pairwise(route):
                    ax.annotate(
                        "",
                        xy=positions[end],
                        xytext=positions[start],
                        arrowprops={
                            "arrowstyle": "-|>" if end == child else "-",
                            "color": "#333333",
                            "shrinkA": 1 if start == node else 0,
                            "shrinkB": 1 if end == child else 0,
                            "patchA": boxes[start].get_bbox_patch() if start == node else None,
                            "patchB": boxes[end].get_bbox_patch() if end == child else None,
                            "connectionstyle": f"arc3,rad={bend}",
                        },
                        zorder=3,
                    )
        ax.set_xlim(-layout.widest / 2, layout.widest / 2)
        ax.set_ylim(-(rows - 1) - 0.5, 0.5)
        ax.set_axis_off()
    return ax
