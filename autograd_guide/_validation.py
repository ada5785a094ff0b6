"""Argument checks shared by the public helpers.

Each check raises :class:`TypeError` or :class:`ValueError` with a message that
names the argument, says what was received and what to pass instead. A class
of bad input is refused in one place, here, so every helper that takes its
arguments through these checks refuses it the same way. A new helper should
use them rather than test its arguments by hand:

Numbers
    :func:`require_int` and :func:`require_real` take whole and real numbers
    with optional bounds, refuse ``bool``, NaN, infinities and integers too
    large for a float, and never print a number of thousands of digits.
    :func:`require_positive_step` and :func:`require_tolerance` are the two
    common cases of :func:`require_real`.
Tensors
    :func:`require_differentiable_tensor` takes a floating-point tensor that
    holds values (not on the ``meta`` device); :func:`require_data_device`
    is its device half, for tensors of any dtype.
Functions
    :func:`require_callable`, then :func:`require_tensor_output` on what the
    function returned (a real floating-point tensor with values), or
    :func:`scalar_output`, which calls the function and also requires one
    element.
Models
    :func:`require_module` takes a :class:`torch.nn.Module` whose parameters
    and buffers hold values.
Autograd
    :func:`require_graph_recording` refuses a call made inside
    :func:`torch.inference_mode`, for helpers that build a graph.
Figures
    :func:`require_axes` takes ``None`` or a Matplotlib ``Axes``, and
    :func:`axes_for_drawing` gives the Axes to draw on, making a figure when
    none was given and closing it again if drawing fails, so that a refused
    call leaves no figure open.

The tensor checks look only at types, dtypes, shapes and devices, never at a
tensor's values, so they also work on the tensors that :mod:`torch.func`
transforms (``vmap``, ``grad``, ``jvp``) pass to a function. A check of values,
such as the finite entries that :func:`~autograd_guide.finite_difference_gradient`
needs, belongs in the helper that needs it. :func:`describe_number` shows a
refused number in a message.

A typical helper of a function ``f`` at a point ``x`` begins::

    x = require_differentiable_tensor(x)
    require_callable(f)
    ...
    out = require_tensor_output(f(point))
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "axes_for_drawing",
    "describe_number",
    "require_axes",
    "require_callable",
    "require_data_device",
    "require_differentiable_tensor",
    "require_graph_recording",
    "require_int",
    "require_module",
    "require_positive_step",
    "require_real",
    "require_tensor_output",
    "require_tolerance",
    "scalar_output",
]

# Devices whose tensors have a shape and a dtype but no memory, so no values to compute with.
_DEVICES_WITHOUT_DATA = frozenset({"meta"})


def describe_number(value: object) -> str:
    """Return ``repr(value)``, or a short description of an integer too long to print.

    Python refuses ``str()`` of an int above about 4300 digits, and a message
    with hundreds of digits helps nobody, so integers from ``10**40`` on are
    described by their number of digits.
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        number = abs(int(value))
        if number >= 10**40:
            digits = math.floor(number.bit_length() * math.log10(2)) + 1
            return f"an integer of about {digits} digits"
    try:
        return repr(value)
    except ValueError:
        return f"a {type(value).__name__} too large to print"


def require_data_device(x: torch.Tensor, name: str = "x") -> torch.Tensor:
    """Return the tensor ``x`` if its device holds values, else raise.

    A tensor on the ``meta`` device has a shape and a dtype but no memory, so
    a helper would either fail inside PyTorch or return a result without
    values.
    """
    if x.device.type in _DEVICES_WITHOUT_DATA:
        raise ValueError(
            f"{name} is on the {x.device.type} device, which holds shapes but no values to "
            f"compute with; create it on a device with memory, for example "
            f"torch.ones(3, device='cpu')"
        )
    return x


def require_differentiable_tensor(x: object, name: str = "x") -> torch.Tensor:
    """Return ``x`` if it is a floating-point tensor that holds values, else raise.

    Integer and boolean tensors cannot require gradients, and complex tensors
    are outside what these helpers document, so both are refused with advice;
    so is a tensor on the ``meta`` device (see :func:`require_data_device`).
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor, got {type(x).__name__}; "
            f"wrap the value with torch.tensor(..., dtype=torch.float32)"
        )
    if not x.dtype.is_floating_point:
        raise TypeError(
            f"{name} has dtype {x.dtype}, which cannot carry real gradients; "
            f"pass a floating-point tensor, for example {name}.float()"
        )
    return require_data_device(x, name)


def require_int(
    value: object,
    name: str,
    *,
    advice: str,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    """Return ``value`` as an int if it is a whole number within the bounds given, else raise.

    ``advice`` ends every message and tells the caller what to pass instead.
    ``True`` and ``False`` are refused although Python counts them as ints.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}; {advice}")
    number = int(value)
    if minimum is not None and number < minimum:
        raise ValueError(
            f"{name} must be at least {minimum}, got {describe_number(number)}; {advice}"
        )
    if maximum is not None and number > maximum:
        raise ValueError(
            f"{name} must be at most {maximum}, got {describe_number(number)}; {advice}"
        )
    return number


def _range_text(bound: str | None, largest: float | None) -> str:
    """Say in words which numbers ``require_real`` accepts, after "a finite number"."""
    top = f"{largest:.3g}" if largest is not None else None
    if bound == "non-negative":
        return f" from 0 to {top}" if top else " at least 0"
    if bound == "positive":
        return f" greater than 0 and at most {top}" if top else " greater than 0"
    return f" of magnitude at most {top}" if top else ""


# What kind of float to suggest, for each lower bound of require_real.
_KINDS = {None: "", "non-negative": "non-negative ", "positive": "small positive "}


def require_real(
    value: object,
    name: str,
    *,
    example: str,
    bound: str | None = None,
    largest: float | None = None,
) -> float:
    """Return ``value`` as a float if it is a finite real number within bounds, else raise.

    ``bound`` is ``None`` (any finite number), ``"non-negative"`` or
    ``"positive"``; ``largest``, when given, bounds the magnitude. An integer
    too large for a float (``10**400``) is refused like an infinity, with the
    valid range, instead of raising :class:`OverflowError`.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {type(value).__name__}; "
            f"pass a float such as {example}"
        )
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    below = (bound == "non-negative" and number < 0) or (bound == "positive" and number <= 0)
    above = largest is not None and abs(number) > largest
    if not math.isfinite(number) or below or above:
        raise ValueError(
            f"{name} must be a finite number{_range_text(bound, largest)}, got "
            f"{describe_number(value)}; pass a {_KINDS[bound]}float such as {example}"
        )
    return number


def require_positive_step(step: object) -> float:
    """Return ``step`` as a float if it is a finite positive number in float64's normal range.

    A subnormal step (below about ``2.2e-308``) has lost most of its
    significant digits, and adding it to almost any point leaves the point
    unchanged, so it is refused.
    """
    h = require_real(step, "step", example="1e-3", bound="positive")
    smallest = torch.finfo(torch.float64).smallest_normal
    if h < smallest:
        raise ValueError(
            f"step must be at least {smallest:.3g}, the smallest normal float64, got "
            f"{describe_number(step)}; a smaller step has lost its precision, so pass a "
            f"small positive float such as 1e-3"
        )
    return h


def require_tolerance(tolerance: object, name: str) -> float:
    """Return ``tolerance`` as a float if it is a finite number of at least 0, else raise."""
    return require_real(tolerance, name, example="1e-4", bound="non-negative")


def require_callable(f: object) -> None:
    """Raise unless ``f`` can be called."""
    if not callable(f):
        raise TypeError(
            f"f must be callable, got {type(f).__name__}; pass a function of one tensor"
        )


def require_tensor_output(out: object, function: str = "f") -> torch.Tensor:
    """Return ``out``, what ``function`` returned, if it is a real floating-point tensor.

    A complex output has no gradient in the sense these helpers compute (and
    would be silently cut to its real part), and an integer or boolean output
    has no derivative at all, so both are refused with advice; so is an output
    on the ``meta`` device.
    """
    if not isinstance(out, torch.Tensor):
        raise TypeError(
            f"{function} must return a torch.Tensor, got {type(out).__name__}; "
            f"build the result from torch operations on its argument"
        )
    if out.dtype.is_complex:
        raise TypeError(
            f"{function} must return a real tensor, got dtype {out.dtype}; return a real "
            f"number made from the complex result, such as out.abs(), out.abs() ** 2 or out.real"
        )
    if not out.dtype.is_floating_point:
        raise TypeError(
            f"{function} must return a floating-point tensor, got dtype {out.dtype}, which has "
            f"no derivative; keep the computation in floating point (no rounding to integers, "
            f"comparisons or .long())"
        )
    return require_data_device(out, f"the output of {function}")


def require_graph_recording(caller: str) -> None:
    """Raise if autograd cannot record a graph here, because inference mode is on."""
    if torch.is_inference_mode_enabled():
        raise ValueError(
            f"{caller}() cannot record a graph inside torch.inference_mode(); "
            f"call it outside that block"
        )


def scalar_output(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Call ``f(x)`` and return the result if it is a real one-element tensor, else raise."""
    require_callable(f)
    out = require_tensor_output(f(x))
    if out.numel() != 1:
        raise TypeError(
            f"f must return a scalar tensor, got shape {tuple(out.shape)}; "
            f"sum or index the output first"
        )
    return out.reshape(())


def require_module(model: object, *, example: str) -> torch.nn.Module:
    """Return ``model`` if it is a module whose parameters and buffers hold values, else raise.

    ``example`` names a model to pass instead, such as ``torch.nn.Linear(1, 1)``.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(
            f"model must be a torch.nn.Module, got {type(model).__name__}; "
            f"pass a model such as {example}"
        )
    for kind, named in (("parameter", model.named_parameters), ("buffer", model.named_buffers)):
        for name, tensor in named():
            if tensor.device.type in _DEVICES_WITHOUT_DATA:
                raise ValueError(
                    f"model's {kind} {name!r} is on the {tensor.device.type} device, which "
                    f"holds shapes but no values; build the model on a device with memory, "
                    f"for example {example}, or give it values with "
                    f"model.to_empty(device='cpu') and an initialisation"
                )
    return model


def require_axes(ax: object) -> Axes | None:
    """Return ``ax`` if it is ``None`` or a Matplotlib ``Axes``, else raise."""
    from matplotlib.axes import Axes

    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(
            f"ax must be a matplotlib Axes or None, got {type(ax).__name__}; pass the Axes "
            f"of a figure, such as plt.subplots()[1], or leave ax out for a new figure"
        )
    return ax


@contextmanager
def axes_for_drawing(ax: Axes | None, figsize: tuple[float, float] | None = None) -> Iterator[Axes]:
    """Yield ``ax``, or the Axes of a new figure when ``ax`` is ``None``.

    A figure made here is closed again if the block raises, so that a call
    that fails while drawing does not leave a half-drawn figure open (in a
    notebook, it would be shown at the end of the cell). ``figsize`` is the
    size of a new figure in inches, Matplotlib's default when ``None``.
    """
    import matplotlib.pyplot as plt

    if ax is not None:
        yield ax
        return
    figure, new_ax = plt.subplots(figsize=figsize)
    try:
        yield new_ax
    except BaseException:
        plt.close(figure)
        raise
