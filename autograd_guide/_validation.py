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
    "require_positive_step",
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


def _require_real(value: object, name: str, *, allow_zero: bool, example: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {type(value).__name__}; "
            f"pass a float such as {example}"
        )
    number = float(value)
    if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        bound = "at least 0" if allow_zero else "greater than 0"
        kind = "non-negative" if allow_zero else "small positive"
        raise ValueError(
            f"{name} must be a finite number {bound}, got {value!r}; "
            f"pass a {kind} float such as {example}"
        )
    return number


def require_positive_step(step: object) -> float:
    """Return ``step`` as a float if it is a finite positive number, else raise."""
    return _require_real(step, "step", allow_zero=False, example="1e-3")


def require_tolerance(tolerance: object, name: str) -> float:
    """Return ``tolerance`` as a float if it is a finite number of at least 0, else raise."""
    return _require_real(tolerance, name, allow_zero=True, example="1e-4")


def require_callable(f: object) -> None:
    """Raise unless ``f`` can be called."""
    if not callable(f):
        raise TypeError(
            f"f must be callable, got {type(f).__name__}; pass a function of one tensor"
        )


def scalar_output(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Call ``f(x)`` and return the result if it is a one-element tensor, else raise."""
    require_callable(f)
    out = f(x)
    if not isinstance(out, torch.Tensor):
        raise TypeError(
            f"f must return a torch.Tensor, got {type(out).__name__}; "
            f"build the result from torch operations on its argument"
        )
    if out.numel() != 1:
        raise TypeError(
            f"f must return a scalar tensor, got shape {tuple(out.shape)}; "
            f"sum or index the output first"
        )
    return out.reshape(())
