"""Helpers for *autograd-guide*, the bilingual book on PyTorch automatic differentiation.

The book's pages import these functions rather than redefine them, so every
example and its checks share one implementation.
"""

from __future__ import annotations

from autograd_guide.compiling import GraphRecorder, RecordedGraph
from autograd_guide.debugging import first_nonfinite_module
from autograd_guide.distributed import (
    AccumulationPlan,
    DataParallelRun,
    data_parallel_gradients,
    data_parallel_worker,
)
from autograd_guide.examples import control_flow_function
from autograd_guide.functions import SavedTensorsContext, StableSoftplus, stable_softplus
from autograd_guide.gradients import (
    GradientCheck,
    check_gradient,
    derivative,
    finite_difference_gradient,
    gradient,
)
from autograd_guide.graph import backward_graph, backward_nodes, plot_backward_graph
from autograd_guide.higher_order import nth_derivative
from autograd_guide.jacobians import CountedJacobian, jacobian_by_jvp, jacobian_by_vjp
from autograd_guide.kinks import KINK_CASES, KinkCase, KinkRow, KinkTable, kink_row, kink_table
from autograd_guide.memory import SavedTensor, SavedTensorRecorder
from autograd_guide.plotting import plot_function_and_derivative, use_svg_figures
from autograd_guide.training import accumulated_gradient, linear_regression_data

__version__ = "0.1.0"

__all__ = [
    "KINK_CASES",
    "AccumulationPlan",
    "CountedJacobian",
    "DataParallelRun",
    "GradientCheck",
    "GraphRecorder",
    "KinkCase",
    "KinkRow",
    "KinkTable",
    "RecordedGraph",
    "SavedTensor",
    "SavedTensorRecorder",
    "SavedTensorsContext",
    "StableSoftplus",
    "accumulated_gradient",
    "backward_graph",
    "backward_nodes",
    "check_gradient",
    "control_flow_function",
    "data_parallel_gradients",
    "data_parallel_worker",
    "derivative",
    "finite_difference_gradient",
    "first_nonfinite_module",
    "gradient",
    "jacobian_by_jvp",
    "jacobian_by_vjp",
    "kink_row",
    "kink_table",
    "linear_regression_data",
    "nth_derivative",
    "plot_backward_graph",
    "plot_function_and_derivative",
    "stable_softplus",
    "use_svg_figures",
]
