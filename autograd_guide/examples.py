"""Example functions that the pages differentiate."""

from __future__ import annotations

import torch

from autograd_guide._validation import require_differentiable_tensor

__all__ = ["control_flow_function"]


def control_flow_function(a: torch.Tensor) -> torch.Tensor:
    """Double ``a`` until its norm reaches 1000, then multiply by 100 unless its sum is positive.

    The loop count and the branch depend on the value of ``a``, yet for any given
    ``a`` the result is ``k * a`` for a constant ``k`` that stays the same near
    ``a``: the function is piecewise linear. For a scalar ``a``, its derivative
    is therefore ``f(a) / a``.

    Parameters
    ----------
    a
        A floating-point tensor with at least one non-zero entry.

    Returns
    -------
    torch.Tensor
        ``k * a``, where ``k`` is a power of two, times 100 when the entries of
        the doubled ``a`` do not have a positive sum.

    Raises
    ------
    TypeError
        If ``a`` is not a floating-point tensor.
    ValueError
        If every entry of ``a`` is zero or any is NaN, since doubling such an
        input never reaches the norm 1000 (the loop would not end).

    Examples
    --------
    >>> import torch
    >>> control_flow_function(torch.tensor(1.0))
    tensor(1024.)
    >>> control_flow_function(torch.tensor(-1.0))
    tensor(-102400.)
    """
    a = require_differentiable_tensor(a, "a")
    if torch.isnan(a).any() or not bool(a.detach().ne(0).any()):
        raise ValueError(
            f"a must have a non-zero entry and no NaN, got {a.detach()}; doubling it would "
            f"never reach the norm 1000, so pass, for example, torch.randn(())"
        )
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c
