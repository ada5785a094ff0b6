"""Debugging helpers: find the module of a model whose output first stops being finite."""

from __future__ import annotations

import cmath
import numbers
from collections.abc import Callable, Iterator, Mapping

import numpy as np
import torch

from autograd_guide._validation import require_data_device, require_module

__all__ = ["first_nonfinite_module"]


def _values(value: object) -> Iterator[object]:
    """Yield ``value``, or the items of the tuples, lists, sets and dicts it is made of."""
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _values(item)
    elif isinstance(value, tuple | list | set | frozenset):
        for item in value:
            yield from _values(item)
    else:
        yield value


def _is_nonfinite(value: object) -> bool:
    """Whether ``value``, a tensor, an array or a number, holds a NaN or an infinity."""
    if isinstance(value, torch.Tensor):
        return bool(value.is_floating_point() or value.is_complex()) and not bool(
            torch.isfinite(value).all()
        )
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "fc" and not bool(np.isfinite(value).all())
    if isinstance(value, numbers.Complex) and not isinstance(value, numbers.Integral):
        try:
            return not cmath.isfinite(complex(value))
        except OverflowError:  # a Fraction too large for a float is still finite
            return False
    return False


def _has_nonfinite(value: object) -> bool:
    return any(_is_nonfinite(item) for item in _values(value))


def _require_model_and_finite_inputs(model: object, inputs: tuple[object, ...]) -> None:
    """Raise unless ``model`` is a module and ``inputs`` is a non-empty tuple of finite values."""
    require_module(model, example="torch.nn.Sequential(torch.nn.Linear(1, 1))")
    if not inputs:
        raise TypeError("no input was given; pass the arguments of the forward pass after model")
    for position, value in enumerate(inputs):
        for item in _values(value):
            if isinstance(item, torch.Tensor):
                require_data_device(item, f"input {position}")
        if _has_nonfinite(value):
            raise ValueError(
                f"input {position} already holds a NaN or an infinity, so no module is to blame; "
                f"clean the input first, for example with torch.isfinite(x).all() as a check"
            )


def first_nonfinite_module(model: torch.nn.Module, *inputs: object) -> str | None:
    """Run ``model(*inputs)`` and name the first module whose output holds a NaN or an infinity.

    A forward hook on every module of ``model`` looks at the module's output
    as soon as the module returns. Hooks fire in the order modules finish, so
    an inner module is seen before the container that called it, and the name
    returned is the innermost module that first produced a non-finite value.
    Tensors inside tuples, lists and dicts of outputs are checked too. The
    forward pass runs without recording a graph, and the hooks are removed
    afterwards, even when the forward pass raises.

    Parameters
    ----------
    model
        The model to run. Put it in the mode you want to inspect
        (``model.eval()`` turns dropout off).
    *inputs
        The arguments of the forward pass. The tensors, NumPy arrays and
        Python numbers among them, also inside tuples, lists, sets and dicts,
        must be finite.

    Returns
    -------
    str or None
        The module's name as in ``model.named_modules()`` (for
        :class:`torch.nn.Sequential`, its index as a string), ``""`` when the
        non-finite value is made by ``model``'s own code outside any
        submodule, or ``None`` when every output is finite.

    Raises
    ------
    TypeError
        If ``model`` is not a :class:`torch.nn.Module` or no input is given.
    ValueError
        If an input already holds a NaN or an infinity, since then no module
        is to blame, or a tensor of the model or of the inputs is on the
        ``meta`` device.

    Examples
    --------
    A linear layer whose weight has blown up overflows to infinity, and the
    softmax after it turns the infinity into NaN; the linear layer is named:

    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Softmax(dim=1))
    >>> with torch.no_grad():
    ...     _ = model[0].weight.fill_(1e30)
    >>> model(torch.tensor([[1e10]]))
    tensor([[nan]], grad_fn=<SoftmaxBackward0>)
    >>> first_nonfinite_module(model, torch.tensor([[1e10]]))
    '0'
    >>> print(first_nonfinite_module(model, torch.tensor([[0.5]])))
    None
    """
    _require_model_and_finite_inputs(model, inputs)
    found: list[str] = []

    def watch(name: str) -> Callable[[torch.nn.Module, tuple[object, ...], object], None]:
        def hook(module: torch.nn.Module, args: tuple[object, ...], output: object) -> None:
            if not found and _has_nonfinite(output):
                found.append(name)

        return hook

    handles = [module.register_forward_hook(watch(name)) for name, module in model.named_modules()]
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
    return found[0] if found else None
