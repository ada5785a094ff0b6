"""Higher-order derivatives of elementwise functions, by differentiating derivatives."""

from __future__ import annotations

from collections.abc import Callable

import torch

from autograd_guide._validation import (
    require_callable,
    require_differentiable_tensor,
    require_graph_recording,
    require_int,
    require_tensor_output,
)

__all__ = ["nth_derivative"]

_INDEPENDENT_OUTPUT = (
    "the output of f does not depend on its argument through autograd, so autograd has no "
    "derivative to give; build the output from torch operations on the argument, without "
    ".item(), .numpy() or .detach()"
)


def _elementwise_output(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    out = require_tensor_output(f(x))
    if out.shape != x.shape:
        raise ValueError(
            f"f must act elementwise and return the shape of x, {tuple(x.shape)}, "
            f"got {tuple(out.shape)}; for a scalar function use torch.func.hessian instead"
        )
    return out


def nth_derivative(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, n: int
) -> torch.Tensor:
    r"""Return the ``n``-th derivative of an elementwise function ``f`` at every entry of ``x``.

    The first derivative is the gradient of ``f(x).sum()``, as in
    :func:`~autograd_guide.derivative`. It is computed with ``create_graph=True``,
    so it is itself a function of ``x`` that autograd can differentiate; each
    further derivative repeats the step. Once a derivative no longer depends on
    ``x`` (it is constant), every later one is zero: ``materialize_grads=True``
    makes autograd return those zeros when the derivative's graph does not
    reach ``x``, and a derivative with no graph at all is answered with zeros
    directly. ``f`` is called on a detached copy of ``x``, so the caller's
    tensor is left as it was.

    Parameters
    ----------
    f
        A function that acts entry by entry and returns a tensor shaped like its
        argument, such as :func:`torch.sin`.
    x
        The points, a floating-point tensor of any shape.
    n
        The order of the derivative, a whole number of at least 0; 0 gives the
        values of ``f``.

    Returns
    -------
    torch.Tensor
        The ``n``-th derivative of ``f`` at each entry of ``x``, shaped like
        ``x``, with no graph attached.

    Raises
    ------
    TypeError
        If ``f`` is not callable or does not return a tensor, ``x`` is not a
        floating-point tensor, or ``n`` is not a whole number.
    ValueError
        If ``n`` is negative, ``f(x)`` is not shaped like ``x``, the output of
        ``f`` does not depend on its argument through autograd (while ``n`` is
        at least 1), or the call is made inside :func:`torch.inference_mode`.

    Examples
    --------
    The second derivative of :math:`x^3` is :math:`6x`, and its fourth is 0:

    >>> import torch
    >>> x = torch.tensor([1.0, 2.0])
    >>> nth_derivative(lambda t: t**3, x, 2)
    tensor([ 6., 12.])
    >>> nth_derivative(lambda t: t**3, x, 4)
    tensor([0., 0.])
    """
    x = require_differentiable_tensor(x)
    require_callable(f)
    order = require_int(
        n,
        "n",
        minimum=0,
        advice=(
            "pass 0 for the values of f, 1 for its first derivative, 2 for the second, and so on"
        ),
    )
    require_graph_recording("nth_derivative")
    point = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        result = _elementwise_output(f, point)
        for k in range(order):
            if not result.requires_grad:
                if k == 0:
                    raise ValueError(_INDEPENDENT_OUTPUT)
                return torch.zeros_like(x)
            # A first derivative that misses x means f ignored its argument, which is reported;
            # from the second on, a derivative whose graph misses x is constant, and
            # materialize_grads turns the None that autograd would return into zeros.
            (grad,) = torch.autograd.grad(
                result.sum(), point, create_graph=True, allow_unused=True, materialize_grads=k > 0
            )
            if grad is None:
                raise ValueError(_INDEPENDENT_OUTPUT)
            result = grad
    return result.detach()
