"""Argument checks shared by the public helpers.

Each check raises :class:`TypeError` or :class:`ValueError` with a message that
names the argument, says what was received and what to pass instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

__all__ = ["require_differentiable_tensor", "require_positive_step", "scalar_output"]


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


def require_positive_step(step: object) -> float:
    """Return ``step`` as a float if it is a finite positive number, else raise."""
    if isinstance(step, bool) or not isinstance(step, (int, float)):
        raise TypeError(
            f"step must be a real number, got {type(step).__name__}; pass a float such as 1e-3"
        )
    if not math.isfinite(step) or step <= 0:
        raise ValueError(
            f"step must be a finite number greater than 0, got {step!r}; pass a small "
            f"positive float such as 1e-3"
        )
    return float(step)


def scalar_output(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Call ``f(x)`` and return the result if it is a one-element tensor, else raise."""
    if not callable(f):
        raise TypeError(
            f"f must be callable, got {type(f).__name__}; pass a function of one tensor"
        )
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
