"""Argument checks shared by the public helpers.

Each check raises :class:`TypeError` or :class:`ValueError` with a message that
names the argument, says what was received and what to pass instead.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import torch

__all__ = [
    "require_callable",
    "require_differentiable_tensor",
    "require_graph_recording",
    "require_int",
    "require_positive_step",
    "require_real",
    "require_tensor_output",
    "require_tolerance",
    "scalar_output",
]


def require_differentiable_tensor(x: object, name: str = "x") -> torch.Tensor:
    """Return ``x`` if it is a floating-point tensor, else raise.

    Integer and boolean tensors cannot require gradients, and complex tensors
    are outside what these helpers document, so both are refused with advice.
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
    return x


def require_int(value: object, name: str, *, advice: str, minimum: int | None = None) -> int:
    """Return ``value`` as an int if it is a whole number of at least ``minimum``, else raise.

    ``advice`` ends both messages and tells the caller what to pass instead.
    ``True`` and ``False`` are refused although Python counts them as ints.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}; {advice}")
    number = int(value)
    if minimum is not None and number < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {number}; {advice}")
    return number


_BOUNDS = {
    # lower bound: (how the message states it, what kind of float to pass)
    None: ("", ""),
    "non-negative": (" at least 0", "non-negative "),
    "positive": (" greater than 0", "small positive "),
}


def require_real(value: object, name: str, *, example: str, bound: str | None = None) -> float:
    """Return ``value`` as a float if it is a finite real number within ``bound``, else raise.

    ``bound`` is ``None`` (any finite number), ``"non-negative"`` or ``"positive"``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {type(value).__name__}; "
            f"pass a float such as {example}"
        )
    number = float(value)
    below = (bound == "non-negative" and number < 0) or (bound == "positive" and number <= 0)
    if not math.isfinite(number) or below:
        stated, kind = _BOUNDS[bound]
        raise ValueError(
            f"{name} must be a finite number{stated}, got {value!r}; "
            f"pass a {kind}float such as {example}"
        )
    return number


def require_positive_step(step: object) -> float:
    """Return ``step`` as a float if it is a finite positive number, else raise."""
    return require_real(step, "step", example="1e-3", bound="positive")


def require_tolerance(tolerance: object, name: str) -> float:
    """Return ``tolerance`` as a float if it is a finite number of at least 0, else raise."""
    return require_real(tolerance, name, example="1e-4", bound="non-negative")


def require_callable(f: object) -> None:
    """Raise unless ``f`` can be called."""
    if not callable(f):
        raise TypeError(
            f"f must be callable, got {type(f).__name__}; pass a function of one tensor"
        )


def require_tensor_output(out: object) -> torch.Tensor:
    """Return ``out``, what ``f`` returned, if it is a tensor, else raise."""
    if not isinstance(out, torch.Tensor):
        raise TypeError(
            f"f must return a torch.Tensor, got {type(out).__name__}; "
            f"build the result from torch operations on its argument"
        )
    return out


def require_graph_recording(caller: str) -> None:
    """Raise if autograd cannot record a graph here, because inference mode is on."""
    if torch.is_inference_mode_enabled():
        raise ValueError(
            f"{caller}() cannot record a graph inside torch.inference_mode(); "
            f"call it outside that block"
        )


def scalar_output(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Call ``f(x)`` and return the result if it is a one-element tensor, else raise."""
    require_callable(f)
    out = require_tensor_output(f(x))
    if out.numel() != 1:
        raise TypeError(
            f"f must return a scalar tensor, got shape {tuple(out.shape)}; "
            f"sum or index the output first"
        )
    return out.reshape(())
