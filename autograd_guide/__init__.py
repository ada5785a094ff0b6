"""Helpers for *autograd-guide*, the bilingual book on PyTorch automatic differentiation.

The book's pages import these functions rather than redefine them, so every
example and its checks share one implementation.
"""

from __future__ import annotations

from autograd_guide.examples import control_flow_function
from autograd_guide.gradients import (
    GradientCheck,
    check_gradient,
    derivative,
    finite_difference_gradient,
    gradient,
)
from autograd_guide.plotting import plot_function_and_derivative, use_svg_figures

__version__ = "0.1.0"

__all__ = [
    "GradientCheck",
    "check_gradient",
    "control_flow_function",
    "derivative",
    "finite_difference_gradient",
    "gradient",
    "plot_function_and_derivative",
    "use_svg_figures",
]
