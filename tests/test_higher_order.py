"""Tests of autograd_guide.higher_order."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from autograd_guide.higher_order import nth_derivative

SIN_DERIVATIVES = [
    torch.sin,
    torch.cos,
    lambda x: -torch.sin(x),
    lambda x: -torch.cos(x),
    torch.sin,
    torch.cos,
]


@pytest.mark.parametrize("n", range(len(SIN_DERIVATIVES)))
def test_derivatives_of_sin_cycle(n):
    x = torch.linspace(-4, 4, 33, dtype=torch.float64)
    torch.testing.assert_close(nth_derivative(torch.sin, x, n), SIN_DERIVATIVES[n](x))


@pytest.mark.parametrize("n", range(5))
def test_derivatives_of_exp_are_exp(n):
    x = torch.tensor([-1.0, 0.0, 0.5, 2.0], dtype=torch.float64)
    torch.testing.assert_close(nth_derivative(torch.exp, x, n), torch.exp(x))


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, [1.0, 8.0]), (1, [3.0, 12.0]), (2, [6.0, 12.0]), (3, [6.0, 6.0]), (4, [0.0, 0.0])],
)
def test_derivatives_of_cube_are_exact(n, expected):
    x = torch.tensor([1.0, 2.0])
    assert torch.equal(nth_derivative(lambda t: t**3, x, n), torch.tensor(expected))


@pytest.mark.parametrize("n", [2, 3, 7])
def test_derivatives_past_a_constant_are_zero(n):
    x = torch.tensor([1.0, -2.0, 3.0])
    assert torch.equal(nth_derivative(lambda t: 5 * t, x, n), torch.zeros(3))


def test_derivative_that_depends_only_on_a_parameter_has_zero_derivatives():
    weight = torch.tensor([3.0, -1.0], requires_grad=True)
    x = torch.tensor([1.0, 2.0])
    assert torch.equal(nth_derivative(lambda t: weight * t, x, 1), weight.detach())
    for n in (2, 3):
        assert torch.equal(nth_derivative(lambda t: weight * t, x, n), torch.zeros(2))
    assert weight.grad is None


def test_derivative_of_linear_function_is_its_slope():
    x = torch.tensor([1.0, -2.0, 3.0])
    assert torch.equal(nth_derivative(lambda t: 5 * t, x, 1), torch.full((3,), 5.0))


@pytest.mark.parametrize("shape", [(), (1,), (2, 3)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_result_has_shape_and_dtype_of_x_and_no_graph(shape, dtype):
    x = torch.ones(shape, dtype=dtype)
    result = nth_derivative(torch.sin, x, 2)
    assert result.shape == x.shape
    assert result.dtype == x.dtype
    assert not result.requires_grad
    assert result.grad_fn is None


def test_caller_tensor_is_left_alone():
    x = torch.tensor([0.5, 1.5], requires_grad=True)
    nth_derivative(torch.sin, x, 3)
    assert x.grad is None
    assert x.requires_grad


def test_works_inside_no_grad():
    x = torch.tensor([0.5, 1.5])
    with torch.no_grad():
        result = nth_derivative(torch.sin, x, 2)
    torch.testing.assert_close(result, -torch.sin(x))


def test_order_zero_gives_values_without_graph():
    x = torch.tensor([0.5, 1.5], requires_grad=True)
    result = nth_derivative(torch.sin, x, 0)
    torch.testing.assert_close(result, torch.sin(x.detach()))
    assert not result.requires_grad


@pytest.mark.parametrize("numpy_type", ["int64", "int32", "uint8"])
@pytest.mark.parametrize("n", range(len(SIN_DERIVATIVES)))
def test_numpy_integer_order_is_accepted(numpy_type, n):
    x = torch.linspace(-4, 4, 9, dtype=torch.float64)
    order = getattr(np, numpy_type)(n)
    torch.testing.assert_close(nth_derivative(torch.sin, x, order), SIN_DERIVATIVES[n](x))


@pytest.mark.parametrize("n", [2.0, 1.5, "2", None, True, torch.tensor(2)])
def test_refuses_order_that_is_not_a_whole_number(n):
    with pytest.raises(TypeError, match=r"n must be an int, got \w+; pass 0 for the values"):
        nth_derivative(torch.sin, torch.ones(2), n)


@pytest.mark.parametrize("n", [-1, -5])
def test_refuses_negative_order(n):
    with pytest.raises(ValueError, match=rf"n must be at least 0, got {n}; pass 0 for the values"):
        nth_derivative(torch.sin, torch.ones(2), n)


@pytest.mark.parametrize("x", [[1.0, 2.0], 1.5])
def test_refuses_non_tensor(x):
    with pytest.raises(TypeError, match=r"wrap the value with torch\.tensor"):
        nth_derivative(torch.sin, x, 1)


@pytest.mark.parametrize("x", [torch.arange(3), torch.tensor([True])])
def test_refuses_non_floating_tensor(x):
    with pytest.raises(TypeError, match="pass a floating-point tensor"):
        nth_derivative(torch.sin, x, 1)


def test_refuses_non_callable_f():
    with pytest.raises(TypeError, match="pass a function of one tensor"):
        nth_derivative("sin", torch.ones(2), 1)


def test_refuses_function_that_is_not_elementwise():
    with pytest.raises(ValueError, match=r"got \(\); for a scalar function use torch.func.hessian"):
        nth_derivative(lambda t: t.sum(), torch.ones(3), 2)


def test_refuses_non_tensor_output():
    with pytest.raises(TypeError, match="got list; build the result from torch operations"):
        nth_derivative(lambda t: t.tolist(), torch.ones(3), 1)


WEIGHT = torch.tensor([1.0, 2.0], requires_grad=True)


@pytest.mark.parametrize(
    "f",
    [
        torch.zeros_like,
        lambda t: t.detach() * 2,
        lambda t: WEIGHT * t.detach(),
    ],
    ids=["constant", "detach", "closure parameter only"],
)
def test_refuses_output_independent_of_x(f):
    with pytest.raises(ValueError, match=r"without \.item\(\), \.numpy\(\) or \.detach\(\)"):
        nth_derivative(f, torch.ones(2), 1)
    assert WEIGHT.grad is None


def test_explains_inference_mode():
    with torch.inference_mode(), pytest.raises(ValueError, match="call it outside that block"):
        nth_derivative(torch.sin, torch.ones(2), 1)


def test_second_derivative_agrees_with_finite_differences_of_first():
    x = torch.tensor([0.3, 1.1, -0.7], dtype=torch.float64)
    h = 1e-5
    first = lambda t: nth_derivative(torch.tanh, t, 1)  # noqa: E731
    estimate = (first(x + h) - first(x - h)) / (2 * h)
    torch.testing.assert_close(nth_derivative(torch.tanh, x, 2), estimate, rtol=1e-7, atol=1e-8)
