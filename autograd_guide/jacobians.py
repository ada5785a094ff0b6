"""Jacobian matrices built one reverse pass (row) or one forward pass (column) at a time."""

from __future__ import annotations

from typing import NamedTuple

import torch

from autograd_guide._validation import (
    require_callable,
    require_differentiable_tensor,
    require_tensor_output,
)
from autograd_guide.gradients import TensorFunction

__all__ = ["CountedJacobian", "jacobian_by_jvp", "jacobian_by_vjp"]


class CountedJacobian(NamedTuple):
    """A Jacobian matrix and the number of differentiation passes that built it.

    Attributes
    ----------
    matrix
        The Jacobian, of shape ``(m, n)`` for a function from ``n`` to ``m`` numbers.
    passes
        How many vector-Jacobian or Jacobian-vector products were computed.
    """

    matrix: torch.Tensor
    passes: int


def require_vector(x: object, name: str = "x") -> torch.Tensor:
    """Return ``x`` if it is a non-empty 1-D floating-point tensor, else raise."""
    x = require_differentiable_tensor(x, name)
    if x.dim() != 1 or x.numel() == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D tensor (a vector), got shape {tuple(x.shape)}; "
            f"flatten it with {name}.reshape(-1), or add a dimension to a scalar"
        )
    return x


def _vector_valued(f: TensorFunction) -> TensorFunction:
    """Wrap ``f`` so that a call that returns anything but a non-empty vector raises."""
    require_callable(f)

    def checked(t: torch.Tensor) -> torch.Tensor:
        out = require_tensor_output(f(t))
        if out.dim() != 1 or out.numel() == 0:
            raise ValueError(
                f"f must return a non-empty 1-D tensor (a vector), got shape "
                f"{tuple(out.shape)}; reshape the output with .reshape(-1)"
            )
        return out

    return checked


def jacobian_by_vjp(f: TensorFunction, x: torch.Tensor) -> CountedJacobian:
    """Build the Jacobian of ``f`` at ``x`` row by row, with one reverse pass per output.

    One forward evaluation records the graph; then row ``i`` is the
    vector-Jacobian product with the ``i``-th unit vector, one reverse pass
    each. A function with ``m`` outputs takes ``m`` passes, however many inputs
    it has.

    Parameters
    ----------
    f
        A function from a vector to a vector, written with torch operations and
        no in-place changes to its argument.
    x
        The point, a non-empty 1-D floating-point tensor.

    Returns
    -------
    CountedJacobian
        The ``(m, n)`` Jacobian, detached from any graph (also when ``f`` uses
        tensors that require gradients), and the number of reverse passes,
        ``m``. ``f`` is called on a copy of ``x``, so ``x`` itself is never
        changed.

    Raises
    ------
    TypeError
        If ``f`` is not callable or does not return a real floating-point
        tensor, or ``x`` is not a floating-point tensor.
    ValueError
        If ``x`` or ``f(x)`` is not a non-empty 1-D tensor, or ``x`` is on the
        ``meta`` device.

    Examples
    --------
    :math:`f(x) = (x_0 x_1, x_0 + x_1 + x_2)` has two outputs, so two passes:

    >>> import torch
    >>> f = lambda t: torch.stack([t[0] * t[1], t.sum()])
    >>> jacobian_by_vjp(f, torch.tensor([2.0, 3.0, 4.0]))
    CountedJacobian(matrix=tensor([[3., 2., 0.],
            [1., 1., 1.]]), passes=2)
    """
    point = require_vector(x).detach().clone()
    forward = torch.func.vjp(_vector_valued(f), point)
    output, pull_back = forward[0], forward[1]
    unit_vectors = torch.eye(output.numel(), dtype=output.dtype, device=output.device)
    rows = []
    passes = 0
    for e_i in unit_vectors:
        (row,) = pull_back(e_i)
        passes += 1
        rows.append(row)
    return CountedJacobian(torch.stack(rows).detach(), passes)


def jacobian_by_jvp(f: TensorFunction, x: torch.Tensor) -> CountedJacobian:
    """Build the Jacobian of ``f`` at ``x`` column by column, with one forward pass per input.

    Column ``j`` is the Jacobian-vector product with the ``j``-th unit vector,
    computed by forward mode as ``f`` runs. A function with ``n`` inputs takes
    ``n`` passes, however many outputs it has.

    Parameters
    ----------
    f
        A function from a vector to a vector, written with torch operations and
        no in-place changes to its argument.
    x
        The point, a non-empty 1-D floating-point tensor.

    Returns
    -------
    CountedJacobian
        The ``(m, n)`` Jacobian, detached from any graph (also when ``f`` uses
        tensors that require gradients), and the number of forward passes,
        ``n``. Each pass calls ``f`` on a fresh copy of ``x``, so ``x`` itself
        is never changed.

    Raises
    ------
    TypeError
        If ``f`` is not callable or does not return a real floating-point
        tensor, or ``x`` is not a floating-point tensor.
    ValueError
        If ``x`` or ``f(x)`` is not a non-empty 1-D tensor, or ``x`` is on the
        ``meta`` device.

    Examples
    --------
    The same function as for :func:`jacobian_by_vjp` has three inputs, so
    three passes:

    >>> import torch
    >>> f = lambda t: torch.stack([t[0] * t[1], t.sum()])
    >>> jacobian_by_jvp(f, torch.tensor([2.0, 3.0, 4.0]))
    CountedJacobian(matrix=tensor([[3., 2., 0.],
            [1., 1., 1.]]), passes=3)
    """
    point = require_vector(x).detach()
    checked_f = _vector_valued(f)
    unit_vectors = torch.eye(point.numel(), dtype=point.dtype, device=point.device)
    columns = []
    passes = 0
    for e_j in unit_vectors:
        column = torch.func.jvp(checked_f, (point.clone(),), (e_j,))[1]
        passes += 1
        columns.append(column)
    return CountedJacobian(torch.stack(columns, dim=1).detach(), passes)
