"""A ``torch.compile`` backend that records the graphs it is given, to show what compiling does."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.fx

__all__ = ["GraphRecorder", "RecordedGraph"]

_MODULE_NAMES = {operator.__name__: "operator", "_operator": "operator"}


def _operation_name(node: torch.fx.Node) -> str:
    """Return the qualified name of what ``node`` calls, such as ``aten.sin`` or ``Tensor.sum``."""
    target = node.target
    if node.op == "call_method":
        return f"Tensor.{target}"
    if node.op == "call_module":
        return str(target)
    if isinstance(target, torch._ops.OpOverload):
        return f"{target.namespace}.{target._opname}"
    if isinstance(target, torch._ops.HigherOrderOperator):
        return f"higher_order.{target.__name__}"
    module = getattr(target, "__module__", None) or ""
    name = getattr(target, "__name__", str(target))
    module = _MODULE_NAMES.get(module, module)
    return f"{module}.{name}" if module else name


def _argument_text(argument: object) -> str:
    if isinstance(argument, torch.fx.Node):
        return argument.name
    if isinstance(argument, tuple | list):
        inner = ", ".join(_argument_text(item) for item in argument)
        return (
            f"({inner},)"
            if isinstance(argument, tuple) and len(argument) == 1
            else (f"({inner})" if isinstance(argument, tuple) else f"[{inner}]")
        )
    return repr(argument)


@dataclass(frozen=True)
class RecordedGraph:
    """One FX graph that ``torch.compile`` handed to a :class:`GraphRecorder`.

    Its ``repr`` lists the graph as a short Python function, one operation a
    line, without the file names and line numbers that FX's own listing adds.

    Parameters
    ----------
    module
        The :class:`torch.fx.GraphModule` as the compiler received it. Calling
        it runs the graph.

    Raises
    ------
    TypeError
        If ``module`` is not a :class:`torch.fx.GraphModule`.

    Examples
    --------
    >>> import torch
    >>> graph = RecordedGraph(torch.fx.symbolic_trace(lambda x: torch.sin(x) * 2))
    >>> graph.operations
    ('torch.sin', 'operator.mul')
    >>> graph
    def forward(x):
        sin = torch.sin(x)
        mul = operator.mul(sin, 2)
        return mul
    """

    module: torch.fx.GraphModule

    def __post_init__(self) -> None:
        """Refuse anything but a graph module."""
        if not isinstance(self.module, torch.fx.GraphModule):
            raise TypeError(
                f"module must be a torch.fx.GraphModule, got {type(self.module).__name__}; "
                f"pass the graph a torch.compile backend receives"
            )

    @property
    def inputs(self) -> tuple[str, ...]:
        """The names of the graph's inputs, in order."""
        return tuple(node.name for node in self.module.graph.nodes if node.op == "placeholder")

    @property
    def operations(self) -> tuple[str, ...]:
        """What each operation of the graph calls, in order, such as ``aten.mul``."""
        return tuple(
            _operation_name(node)
            for node in self.module.graph.nodes
            if node.op in ("call_function", "call_method", "call_module")
        )

    @property
    def outputs(self) -> tuple[str, ...]:
        """The names of the values the graph returns, in order (``None`` for an empty slot)."""
        (output,) = (node for node in self.module.graph.nodes if node.op == "output")
        returned = output.args[0]
        values = returned if isinstance(returned, tuple | list) else (returned,)
        return tuple(_argument_text(value) for value in values)

    def __repr__(self) -> str:
        """List the graph as a Python function of its inputs."""
        lines = [f"def forward({', '.join(self.inputs)}):"]
        for node in self.module.graph.nodes:
            if node.op in ("call_function", "call_method", "call_module"):
                arguments = [_argument_text(argument) for argument in node.args]
                arguments += [
                    f"{key}={_argument_text(value)}" for key, value in node.kwargs.items()
                ]
                lines.append(f"    {node.name} = {_operation_name(node)}({', '.join(arguments)})")
        outputs = self.outputs
        returned = outputs[0] if len(outputs) == 1 else f"({', '.join(outputs)})"
        lines.append(f"    return {returned}")
        return "\n".join(lines)


class GraphRecorder:
    """A ``torch.compile`` backend that records every graph and runs it unchanged.

    Pass an instance as ``backend=`` to :func:`torch.compile`. For each piece
    of the function that TorchDynamo captures, the recorder keeps the captured
    graph in ``dynamo_graphs`` and hands it to AOTAutograd, whose forward,
    backward and inference graphs it keeps in the three other lists. Nothing
    is optimised: every graph runs as the operations it lists, so the compiled
    function computes what the eager one does, and no C++ compiler is needed.

    AOTAutograd traces the backward graph when the function is first called,
    but hands it to its compiler only when a backward pass first needs it, so
    ``backward_graphs`` fills up after the first ``backward()``.

    Attributes
    ----------
    dynamo_graphs
        The graphs TorchDynamo captured, one per piece of the function, in the
        order they were compiled.
    forward_graphs
        AOTAutograd's forward graphs: they compute the outputs and return the
        tensors the backward graph needs after them.
    backward_graphs
        AOTAutograd's backward graphs, in the order the backward passes first
        ran them.
    inference_graphs
        The graphs compiled for calls that need no backward pass, such as
        calls under :func:`torch.no_grad`.

    Examples
    --------
    >>> import torch
    >>> recorder = GraphRecorder()
    >>> f = torch.compile(lambda x: (x * x).sum(), backend=recorder)
    >>> x = torch.tensor([1.0, 2.0], requires_grad=True)
    >>> f(x).backward()
    >>> x.grad
    tensor([2., 4.])
    >>> recorder.backward_graphs[0].operations
    ('aten.expand', 'aten.mul', 'aten.mul', 'aten.add')
    """

    def __init__(self) -> None:
        """Start with no graphs."""
        self.dynamo_graphs: list[RecordedGraph] = []
        self.forward_graphs: list[RecordedGraph] = []
        self.backward_graphs: list[RecordedGraph] = []
        self.inference_graphs: list[RecordedGraph] = []

    def __call__(
        self, module: torch.fx.GraphModule, example_inputs: Sequence[object]
    ) -> Callable[..., Any]:
        """Record the graph TorchDynamo captured and compile it with recording compilers."""
        # TorchDynamo and AOTAutograd take seconds to import; only a compiled
        # call needs them, and it has imported them by the time it gets here.
        from torch._dynamo.backends.common import aot_autograd

        self.dynamo_graphs.append(RecordedGraph(module))
        backend = aot_autograd(
            fw_compiler=self._recording(self.forward_graphs),
            bw_compiler=self._recording(self.backward_graphs),
            inference_compiler=self._recording(self.inference_graphs),
        )
        compiled: Callable[..., Any] = backend(module, example_inputs)
        return compiled

    @staticmethod
    def _recording(
        graphs: list[RecordedGraph],
    ) -> Callable[[torch.fx.GraphModule, Sequence[object]], Callable[..., Any]]:
        """Return an AOTAutograd compiler that appends its graph to ``graphs`` and runs it."""
        from torch._functorch._aot_autograd.utils import make_boxed_func

        def compiler(
            module: torch.fx.GraphModule, example_inputs: Sequence[object]
        ) -> Callable[..., Any]:
            graphs.append(RecordedGraph(module))
            return make_boxed_func(module.forward)

        return compiler
