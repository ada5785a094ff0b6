"""Custom autograd functions: operations whose backward step is written by hand."""

from __future__ import annotations

from typing import Protocol, cast

import torch
from torch.autograd.function import FunctionCtx

from autograd_guide._validation import require_differentiable_tensor

__all__ = ["SavedTensorsContext", "StableSoftplus", "stable_softplus"]


class SavedTensorsContext(Protocol):
    """The part of an autograd context that ``backward`` and ``jvp`` read: the saved tensors.

    PyTorch documents the methods that save tensors on
    :class:`torch.autograd.function.FunctionCtx`. The attribute that gives them
    back, ``saved_tensors``, is declared in its type stubs only on internal
    classes, such as ``BackwardCFunction``, the usual class of the context that
    reaches ``backward``. This protocol names that one attribute, so that a type
    checker can follow ``backward`` and ``jvp`` without naming an internal class.

    Examples
    --------
    The context that reaches ``backward`` is the output's ``grad_fn``, and it
    holds the input that ``setup_context`` saved:

    >>> import torch
    >>> x = torch.tensor([0.0, 2.0], requires_grad=True)
    >>> StableSoftplus.apply(x).grad_fn.saved_tensors
    (tensor([0., 2.], requires_grad=True),)
    """

    @property
    def saved_tensors(self) -> tuple[torch.Tensor, ...]:
        """The tensors saved with ``save_for_backward`` or ``save_for_forward``, in order."""
        ...


class StableSoftplus(torch.autograd.Function):
    r"""Softplus, :math:`\log(1 + e^x)`, with a forward and a backward that do not overflow.

    The textbook formula overflows for large ``x``: in float32, ``exp(100)`` is
    ``inf``, so the value is ``inf`` and its autograd gradient is ``nan``. This
    function computes the same value as ``max(x, 0) + log1p(exp(-|x|))``, where
    the exponent is never positive, and writes the derivative directly as
    :math:`\sigma(x) = 1 / (1 + e^{-x})`, which stays between 0 and 1.

    It is written in the form that :mod:`torch.func` accepts: ``forward``
    takes no context, ``setup_context`` saves the input, ``jvp`` gives the
    derivative to forward mode, and ``generate_vmap_rule = True`` lets
    :func:`torch.vmap` run the methods on batched tensors. So
    :func:`torch.func.jacrev`, :func:`torch.func.jacfwd`, :func:`torch.vmap`
    and forward-mode AD all work with it.

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
    >>> torch.func.jacrev(StableSoftplus.apply)(torch.tensor([0.0, 2.0]))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.8808]])
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(x: torch.Tensor) -> torch.Tensor:
        """Return softplus of ``x`` entry by entry."""
        x = require_differentiable_tensor(x)
        return x.clamp(min=0) + torch.log1p(torch.exp(-x.abs()))

    @staticmethod
    def setup_context(ctx: FunctionCtx, inputs: tuple[torch.Tensor], output: torch.Tensor) -> None:
        """Save the input ``x``, which both derivatives need."""
        (x,) = inputs
        ctx.save_for_backward(x)
        ctx.save_for_forward(x)

    @staticmethod
    def backward(ctx: SavedTensorsContext, grad_output: torch.Tensor) -> torch.Tensor:
        """Return ``grad_output`` times the derivative of softplus, the sigmoid of ``x``."""
        (x,) = ctx.saved_tensors
        return grad_output * torch.sigmoid(x)

    @staticmethod
    def jvp(ctx: SavedTensorsContext, x_tangent: torch.Tensor) -> torch.Tensor:
        """Return the sigmoid of ``x`` times ``x_tangent``, the tangent of the output."""
        (x,) = ctx.saved_tensors
        return torch.sigmoid(x) * x_tangent


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
