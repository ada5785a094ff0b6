"""Gradients of scalar functions by autograd and by finite differences, and a check of the two."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from autograd_guide._validation import (
    require_callable,
    require_differentiable_tensor,
    require_graph_recording,
    require_positive_step,
    require_tensor_output,
    require_tolerance,
    scalar_output,
)

__all__ = [
    "GradientCheck",
    "check_gradient",
    "derivative",
    "finite_difference_gradient",
    "gradient",
]

TensorFunction = Callable[[torch.Tensor], torch.Tensor]

# The smallest step relative to |x_i|: the square root of float64's machine epsilon.
_RELATIVE_STEP = 2.0**-26


def gradient(f: TensorFunction, x: torch.Tensor) -> torch.Tensor:
    r"""Return the gradient of the scalar function ``f`` at ``x``, computed by autograd.

    ``f`` is called on a detached copy of ``x``, and the gradient is taken with
    :func:`torch.autograd.grad`, so the caller's tensor keeps its ``.grad``, its
    ``requires_grad`` flag and its graph exactly as they were.

    Parameters
    ----------
    f
        A function of one tensor that returns a tensor with a single element.
    x
        The point, a floating-point tensor of any shape.

    Returns
    -------
    torch.Tensor
        A tensor of the shape and dtype of ``x``.

    Raises
    ------
    TypeError
        If ``x`` is not a floating-point tensor, or ``f`` does not return a
        real one-element tensor.
    ValueError
        If the output of ``f`` does not depend on its argument through autograd
        (for example because ``f`` went through ``.item()``, ``.numpy()`` or
        ``.detach()``), if ``x`` is on the ``meta`` device, or if it is called
        inside :func:`torch.inference_mode`.

    Examples
    --------
    The gradient of :math:`2 x^\top x` is :math:`4x`:

    >>> import torch
    >>> x = torch.arange(4.0)
    >>> gradient(lambda t: 2 * torch.dot(t, t), x)
    tensor([ 0.,  4.,  8., 12.])
    >>> x.grad is None, x.requires_grad
    (True, False)
    """
    x = require_differentiable_tensor(x)
    require_graph_recording("gradient")
    point = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        out = scalar_output(f, point)
        grad = torch.autograd.grad(out, point, allow_unused=True)[0] if out.requires_grad else None
    if grad is None:
        raise ValueError(
            "the output of f does not depend on its argument through autograd, so "
            "autograd has no gradient to give; build the output from torch operations "
            "on the argument, without .item(), .numpy() or .detach()"
        )
    return grad


def derivative(f: TensorFunction, x: torch.Tensor) -> torch.Tensor:
    """Return the derivative of an elementwise function ``f`` at every entry of ``x``.

    For an elementwise ``f``, the output entry ``f(x)[i]`` depends on ``x[i]``
    only, so the gradient of ``f(x).sum()`` holds each ``f'(x[i])``. This is the
    trick used to plot a derivative over a grid with one backward pass.

    Parameters
    ----------
    f
        A function that acts entry by entry and returns a tensor shaped like its
        argument, such as :func:`torch.sin`.
    x
        The points, a floating-point tensor.

    Returns
    -------
    torch.Tensor
        ``f'`` at each entry of ``x``, shaped like ``x``.

    Raises
    ------
    TypeError
        If ``x`` is not a floating-point tensor or ``f`` does not return a real
        floating-point tensor.
    ValueError
        If ``f(x)`` is not shaped like ``x``, which shows ``f`` is not
        elementwise, or for the same reasons as :func:`gradient`.

    Examples
    --------
    >>> import torch
    >>> derivative(torch.sin, torch.tensor([0.0, torch.pi]))
    tensor([ 1., -1.])
    """
    x = require_differentiable_tensor(x)
    require_callable(f)

    def total(t: torch.Tensor) -> torch.Tensor:
        y = require_tensor_output(f(t))
        if y.shape != t.shape:
            raise ValueError(
                f"f must act elementwise and return the shape of x, {tuple(t.shape)}, "
                f"got {tuple(y.shape)}; for a scalar function use gradient() instead"
            )
        return y.sum()

    return gradient(total, x)


def finite_difference_gradient(
    f: TensorFunction, x: torch.Tensor, step: float = 1e-3
) -> torch.Tensor:
    """Return the central finite-difference gradient of the scalar function ``f`` at ``x``.

    Entry ``i`` is ``(f(x + h_i e_i) - f(x - h_i e_i)) / (2 h_i)``, evaluated in
    float64 for accuracy. Its error shrinks like ``h_i**2`` for smooth ``f``.
    Autograd is not used, which is what makes it an independent check.

    The step is ``h_i = max(step, |x_i| * 2**-26)``: ``step`` itself unless
    ``x_i`` is large. Added to a large entry, a fixed step would be lost to
    rounding (in float64, ``1e20 + 1e-3 == 1e20``, and the difference would be
    0), so there the step grows with ``|x_i|``, as numerical libraries make it.
    The factor ``2**-26``, the square root of float64's machine epsilon, leaves
    half of the 53 significant bits of ``x_i`` to measure the change.

    Parameters
    ----------
    f
        A function of one tensor that returns a real floating-point tensor with
        a single element. It is called with float64 tensors shaped like ``x``.
    x
        The point, a floating-point tensor of any shape with finite entries.
    step
        The step ``h`` near zero, a finite number greater than 0 and at least
        the smallest normal float64, about ``2.2e-308``.

    Returns
    -------
    torch.Tensor
        A tensor of the shape and dtype of ``x``.

    Raises
    ------
    TypeError
        If ``x`` is not a floating-point tensor, ``step`` is not a number, or
        ``f`` does not return a real one-element tensor.
    ValueError
        If ``step`` is not finite and positive or is subnormal, an entry of
        ``x`` is not finite, ``x`` plus or minus the step overflows, or ``x``
        is on the ``meta`` device.

    Examples
    --------
    >>> import torch
    >>> x = torch.arange(4.0)
    >>> finite_difference_gradient(lambda t: 2 * torch.dot(t, t), x)
    tensor([ 0.,  4.,  8., 12.])

    At ``1e20`` the step grows with the point, and the slope of ``t**2`` is found:

    >>> finite_difference_gradient(lambda t: (t * t).sum(), torch.tensor([1e20]))
    tensor([2.0000e+20])
    """
    x = require_differentiable_tensor(x)
    h = require_positive_step(step)
    base = x.detach().to(torch.float64).reshape(-1)
    if not bool(torch.isfinite(base).all()):
        raise ValueError(
            "x holds a NaN or an infinity, where finite differences have no meaning; "
            "pass a point whose entries are all finite"
        )
    steps = torch.clamp(base.abs() * _RELATIVE_STEP, min=h)
    if not bool(torch.isfinite(base.abs() + 2 * steps).all()):
        raise ValueError(
            f"step={h:g} is too large for x: x plus or minus the step overflows float64; "
            f"pass a small positive float such as 1e-3"
        )
    result = torch.empty_like(base)
    with torch.no_grad():
        for i in range(base.numel()):
            h_i = float(steps[i])
            shift = torch.zeros_like(base)
            shift[i] = h_i
            ahead = scalar_output(f, (base + shift).reshape(x.shape))
            behind = scalar_output(f, (base - shift).reshape(x.shape))
            result[i] = (ahead - behind) / (2 * h_i)
    return result.reshape(x.shape).to(x.dtype)


@dataclass(frozen=True, repr=False)
class GradientCheck:
    """The outcome of :func:`check_gradient`.

    Attributes
    ----------
    autograd
        The gradient computed by autograd.
    finite_difference
        The gradient computed by central finite differences.
    max_error
        The largest absolute difference between the two.
    worst_index
        Where the largest difference occurs (an empty tuple for a scalar ``x``).
    passed
        Whether every entry is within ``atol + rtol * |finite difference|``.
    """

    autograd: torch.Tensor
    finite_difference: torch.Tensor
    max_error: float
    worst_index: tuple[int, ...]
    passed: bool

    def __repr__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        at = self.worst_index
        return (
            f"gradient check {verdict}: largest difference {self.max_error:.2e} at index {at} "
            f"(autograd {self.autograd[at].item():.6g}, "
            f"finite difference {self.finite_difference[at].item():.6g})"
        )


def check_gradient(
    f: TensorFunction,
    x: torch.Tensor,
    *,
    step: float = 1e-3,
    rtol: float = 1e-3,
    atol: float = 1e-4,
) -> GradientCheck:
    """Compare the autograd gradient of ``f`` at ``x`` with finite differences.

    Parameters
    ----------
    f
        A function of one tensor that returns a tensor with a single element.
    x
        The point, a floating-point tensor of any shape.
    step
        The finite-difference step near zero, as for
        :func:`finite_difference_gradient`, which makes it grow with ``|x_i|``
        for large entries.
    rtol, atol
        Entry ``i`` agrees when ``|autograd[i] - fd[i]| <= atol + rtol * |fd[i]|``.
        Both must be finite and non-negative.

    Returns
    -------
    GradientCheck
        Both gradients, the largest difference and where it occurs, and whether
        the check passed. Its ``repr`` states the largest difference.

    Raises
    ------
    TypeError
        For the same reasons as :func:`gradient` and :func:`finite_difference_gradient`.
    ValueError
        For the same reasons as :func:`gradient` and
        :func:`finite_difference_gradient`, if a tolerance is negative or not
        finite, or if ``x`` has no entries.

    Examples
    --------
    >>> import torch
    >>> check = check_gradient(torch.sin, torch.tensor(0.5))
    >>> check.passed
    True
    >>> check.max_error < 1e-6
    True
    """
    rtol = require_tolerance(rtol, "rtol")
    atol = require_tolerance(atol, "atol")
    if isinstance(x, torch.Tensor) and x.numel() == 0:
        raise ValueError("x has no entries, so there is nothing to check; pass a non-empty tensor")
    by_autograd = gradient(f, x)
    by_differences = finite_difference_gradient(f, x, step)
    error = (by_autograd.double() - by_differences.double()).abs()
    allowed = atol + rtol * by_differences.double().abs()
    flat_worst = int(torch.nan_to_num(error, nan=float("inf")).argmax())
    worst_index: tuple[int, ...] = ()
    if x.dim():
        coordinates = torch.unravel_index(torch.tensor(flat_worst), x.shape)
        worst_index = tuple(int(i) for i in coordinates)
    return GradientCheck(
        autograd=by_autograd,
        finite_difference=by_differences,
        max_error=float(error.reshape(-1)[flat_worst]),
        worst_index=worst_index,
        passed=bool((error <= allowed).all()),
    )
