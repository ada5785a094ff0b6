"""Tests of the argument checks that every helper shares (autograd_guide._validation)."""

from __future__ import annotations

import pytest
import torch

from autograd_guide import (
    check_gradient,
    control_flow_function,
    derivative,
    finite_difference_gradient,
    gradient,
    plot_function_and_derivative,
)

HELPERS_OF_X = [
    pytest.param(lambda x: gradient(torch.sum, x), id="gradient"),
    pytest.param(lambda x: derivative(torch.sin, x), id="derivative"),
    pytest.param(lambda x: finite_difference_gradient(torch.sum, x), id="finite_difference"),
    pytest.param(lambda x: check_gradient(torch.sum, x), id="check_gradient"),
    pytest.param(control_flow_function, id="control_flow_function"),
    pytest.param(lambda x: plot_function_and_derivative(torch.sin, x), id="plot"),
]

HELPERS_OF_SCALAR_F = [
    pytest.param(gradient, id="gradient"),
    pytest.param(finite_difference_gradient, id="finite_difference"),
    pytest.param(check_gradient, id="check_gradient"),
]


@pytest.mark.parametrize("helper", HELPERS_OF_X)
@pytest.mark.parametrize("x", [[1.0, 2.0], 1.5], ids=["list", "float"])
def test_helpers_refuse_non_tensor(helper, x):
    with pytest.raises(
        TypeError, match=r"torch\.Tensor, got \w+; wrap the value with torch\.tensor"
    ):
        helper(x)


@pytest.mark.parametrize("helper", HELPERS_OF_X)
@pytest.mark.parametrize(
    "x",
    [torch.arange(4), torch.tensor([True, False]), torch.ones(2, dtype=torch.complex64)],
    ids=["int64", "bool", "complex64"],
)
def test_helpers_refuse_non_floating_tensor(helper, x):
    with pytest.raises(TypeError, match="pass a floating-point tensor"):
        helper(x)


@pytest.mark.parametrize(
    "helper",
    [
        *HELPERS_OF_SCALAR_F,
        pytest.param(derivative, id="derivative"),
        pytest.param(plot_function_and_derivative, id="plot"),
    ],
)
def test_helpers_refuse_python_float_output(helper):
    with pytest.raises(TypeError, match="got float; build the result from torch operations"):
        helper(lambda t: 1.0, torch.ones(3))


@pytest.mark.parametrize("helper", [derivative, plot_function_and_derivative])
def test_elementwise_helpers_refuse_non_callable_f(helper):
    with pytest.raises(TypeError, match="pass a function of one tensor"):
        helper(5, torch.linspace(0, 1, 5))
