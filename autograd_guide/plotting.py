"""Figures: a function drawn beside its autograd derivative, and notebook figure settings."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes

from autograd_guide._validation import (
    axes_for_drawing,
    require_axes,
    require_differentiable_tensor,
)
from autograd_guide.gradients import derivative

__all__ = ["plot_function_and_derivative", "use_svg_figures"]


def plot_function_and_derivative(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    ax: Axes | None = None,
    *,
    labels: tuple[str, str] = ("$f(x)$", "$f'(x)$"),
) -> Axes:
    """Draw an elementwise function and its autograd derivative on one Axes.

    The derivative comes from :func:`autograd_guide.derivative`, never from a
    formula, so the figure shows what autograd computes. Labels default to math
    notation, which reads the same in every language.

    Parameters
    ----------
    f
        An elementwise function of a tensor, such as :func:`torch.sin`.
    x
        The points to draw at, a one-dimensional floating-point tensor.
    ax
        The Axes to draw on; a new figure is made when omitted.
    labels
        Legend entries for the function and for its derivative.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on; ``ax.figure`` is its figure. Nothing is shown, and a
        call that raises leaves no new figure open.

    Raises
    ------
    TypeError
        If ``x`` is not a floating-point tensor, ``ax`` is not an Axes,
        ``labels`` is not two strings, or ``f`` does not return a real
        floating-point tensor.
    ValueError
        If ``x`` is not one-dimensional or is on the ``meta`` device, or
        ``f(x)`` is not shaped like ``x``.

    Examples
    --------
    >>> import torch
    >>> ax = plot_function_and_derivative(torch.sin, torch.linspace(0, 6, 50))
    >>> [line.get_label() for line in ax.get_lines()]
    ['$f(x)$', "$f'(x)$"]
    """
    x = require_differentiable_tensor(x)
    ax = require_axes(ax)
    if x.dim() != 1:
        raise ValueError(
            f"x must be one-dimensional to be drawn, got shape {tuple(x.shape)}; "
            f"pass points such as torch.linspace(0, 10, 100)"
        )
    if (
        not isinstance(labels, tuple | list)
        or len(labels) != 2
        or not all(isinstance(label, str) for label in labels)
    ):
        raise TypeError(
            f"labels must be two strings, got {labels!r}; pass a pair such as "
            f'("$f(x)$", "$f\'(x)$")'
        )
    slope = derivative(f, x)
    with torch.no_grad():
        values = f(x.detach().clone())
    with axes_for_drawing(ax) as ax:
        points = x.detach().double().cpu().numpy()
        ax.plot(points, values.double().cpu().numpy(), label=labels[0])
        ax.plot(points, slope.double().cpu().numpy(), label=labels[1], linestyle="--")
        ax.set_xlabel("$x$")
        ax.legend()
    return ax


def use_svg_figures() -> None:
    """Make notebook figures vector graphics whose bytes depend only on what is drawn.

    Sets IPython's inline backend to SVG, fixes the SVG id salt and drops the
    creation date from the file, so two executions of a page give identical
    figures. Outside IPython only the matplotlib settings apply.

    Examples
    --------
    >>> import matplotlib
    >>> use_svg_figures()
    >>> matplotlib.rcParams["svg.hashsalt"]
    'autograd-guide'
    """
    plt.rcParams["svg.hashsalt"] = "autograd-guide"
    plt.rcParams["svg.fonttype"] = "none"
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("svg", metadata={"Date": None})  # type: ignore[no-untyped-call]
