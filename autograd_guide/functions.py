"""Custom autograd functions: operations whose backward step is written by hand."""

from __future__ import annotations

from typing import cast

import torch
from torch.autograd.function import BackwardCFunction, FunctionCtx

from autograd_guide._validation import require_differentiable_tensor

__all__ = ["StableSoftplus", "stable_softplus"]


class StableSoftplus(torch.autograd.Function):
    r"""Softplus, :math:`\log(1 + e^x)`, with a forward and a backward that do not overflow.

    The textbook formula overflows for large ``x``: in float32, ``exp(100)`` is
    ``inf``, so the value is ``inf`` and its autograd gradient is ``nan``. This
    function computes the same value as ``max(x, 0) + log1p(exp(-|x|))``, where
    the exponent is never positive, and writes the derivative directly as
    :math:`\sigma(x) = 1 / (1 + e^{-x})`, which stays between 0 and 1.

    The backward step is made of differentiable torch operations on the saved
    input, so autograd can differentiate it again: second derivatives work, and
    :func:`torch.autograd.gradgradcheck` passes.

    Call it with ``StableSoftplus.apply(x)``, or through :func:`stable_softplus`,
    which has a typed signature.

    Raises
    ------
    TypeError
        If the argument is not a floating-point tensor.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([0.0, 100.0], requires_grad=True)
    >>> y = StableSoftplus.apply(x)
    >>> y
    tensor([  0.6931, 100.0000], grad_fn=<StableSoftplusBackward>)
    >>> y.sum().backward()
    >>> x.grad
    tensor([0.5000, 1.0000])
    """

    @staticmethod
    def forward(ctx: FunctionCtx, x: torch.Tensor) -> torch.Tensor:
        """Return softplus of ``x`` entry by entry, and save ``x`` for the backward step."""
        x = require_differentiable_tensor(x)
        ctx.save_for_backward(x)
        return x.clamp(min=0) + torch.log1p(torch.exp(-x.abs()))

    @staticmethod
    def backward(ctx: BackwardCFunction, grad_output: torch.Tensor) -> torch.Tensor:
        """Return ``grad_output`` times the derivative of softplus, the sigmoid of ``x``."""
        (x,) = ctx.saved_tensors
        return grad_output * torch.sigmoid(x)


def stable_softplus(x: torch.Tensor) -> torch.Tensor:
    r"""Return :math:`\log(1 + e^x)` entry by entry, computed by :class:`StableSoftplus`.

    Parameters
    ----------
    x
        A floating-point tensor of any shape.

    Returns
    -------
    torch.Tensor
        Softplus of each entry, shaped like ``x``; its gradient is the sigmoid of ``x``.

    Raises
    ------
    TypeError
        If ``x`` is not a floating-point tensor.

    Examples
    --------
    >>> import torch
    >>> stable_softplus(torch.tensor([0.0, 100.0]))
    tensor([  0.6931, 100.0000])
    """
    x = require_differentiable_tensor(x)
    # torch declares Function.apply without types; this wrapper is what gives it some.
    return cast(torch.Tensor, StableSoftplus.apply(x))  # type: ignore[no-untyped-call]
