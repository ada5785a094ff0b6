"""Tests of autograd_guide.gradients: gradients by autograd and by finite differences."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from autograd_guide.gradients import (
    GradientCheck,
    check_gradient,
    derivative,
    finite_difference_gradient,
    gradient,
)


class WrongSquareGradient(torch.autograd.Function):
    """x**2 whose backward returns 3x instead of 2x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x


def wrong_sum_of_squares(t):
    return WrongSquareGradient.apply(t).sum()


# -- gradient -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (lambda t: 2 * torch.dot(t, t), lambda x: 4 * x),
        (torch.sum, torch.ones_like),
        (lambda t: (t * t).sum(), lambda x: 2 * x),
        (lambda t: torch.sin(t).sum(), torch.cos),
    ],
    ids=["2x^T x", "sum", "x*x summed", "sin summed"],
)
def test_gradient_matches_known_gradient(f, expected):
    x = torch.tensor([-1.5, 0.0, 0.25, 3.0], dtype=torch.float64)
    torch.testing.assert_close(gradient(f, x), expected(x))


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(), (1,), (4,), (2, 3)])
def test_gradient_has_shape_and_dtype_of_x(shape, dtype):
    x = torch.ones(shape, dtype=dtype)
    result = gradient(lambda t: (t * t).sum(), x)
    assert result.shape == x.shape
    assert result.dtype == x.dtype


def test_gradient_accepts_one_element_output_of_any_shape():
    x = torch.tensor([1.0, 2.0])
    result = gradient(lambda t: (t * t).sum().reshape(1, 1), x)
    torch.testing.assert_close(result, 2 * x)


def test_gradient_leaves_plain_tensor_untouched():
    x = torch.tensor([1.0, 2.0, 3.0])
    gradient(lambda t: (t * t).sum(), x)
    assert x.grad is None
    assert not x.requires_grad


def test_gradient_keeps_existing_grad_and_requires_grad():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    old_grad = torch.tensor([5.0, 6.0, 7.0])
    x.grad = old_grad
    result = gradient(lambda t: (t * t).sum(), x)
    torch.testing.assert_close(result, torch.tensor([2.0, 4.0, 6.0]))
    assert x.requires_grad
    assert x.grad is old_grad
    assert torch.equal(x.grad, torch.tensor([5.0, 6.0, 7.0]))


def test_gradient_does_not_backpropagate_into_the_graph_of_x():
    leaf = torch.tensor([1.0, 2.0], requires_grad=True)
    x = leaf * 3
    result = gradient(lambda t: (t * t).sum(), x)
    torch.testing.assert_close(result, torch.tensor([6.0, 12.0]))
    assert leaf.grad is None
    assert x.grad_fn is not None


def test_gradient_gives_closure_parameter_no_grad():
    weight = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    x = torch.tensor([1.0, 2.0, 3.0])
    result = gradient(lambda t: (weight * t * t).sum(), x)
    torch.testing.assert_close(result, 2 * weight.detach() * x)
    assert weight.grad is None


def test_gradient_works_inside_no_grad():
    x = torch.tensor([1.0, -2.0])
    with torch.no_grad():
        result = gradient(lambda t: (t * t).sum(), x)
    torch.testing.assert_close(result, 2 * x)


# -- derivative ---------------------------------------------------------------------------------


def test_derivative_of_sin_is_cos():
    x = torch.linspace(-6, 6, 101, dtype=torch.float64)
    torch.testing.assert_close(derivative(torch.sin, x), torch.cos(x))


def test_derivative_of_0d_and_2d_input():
    scalar = torch.tensor(2.0)
    torch.testing.assert_close(derivative(lambda t: t**3, scalar), 3 * scalar**2)
    grid = torch.arange(6.0).reshape(2, 3)
    torch.testing.assert_close(derivative(torch.exp, grid), torch.exp(grid))


def test_derivative_refuses_shape_changing_function():
    with pytest.raises(ValueError, match=r"for a scalar function use gradient\(\) instead"):
        derivative(lambda t: t.sum(), torch.ones(3))


def test_derivative_refuses_non_tensor_return():
    with pytest.raises(TypeError, match="build the result from torch operations"):
        derivative(lambda t: t.tolist(), torch.ones(3))


# -- finite_difference_gradient -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (lambda t: 2 * torch.dot(t, t), lambda x: 4 * x),
        (torch.sum, torch.ones_like),
        (lambda t: (t * t).sum(), lambda x: 2 * x),
    ],
    ids=["2x^T x", "sum", "x*x summed"],
)
def test_finite_difference_gradient_matches_known_gradient(f, expected):
    x = torch.tensor([-1.5, 0.0, 0.25, 3.0], dtype=torch.float64)
    torch.testing.assert_close(finite_difference_gradient(f, x), expected(x))


def test_finite_difference_error_shrinks_like_step_squared():
    x = torch.tensor(1.0, dtype=torch.float64)
    exact = math.cos(1.0)

    def error(step):
        return abs(finite_difference_gradient(torch.sin, x, step).item() - exact)

    ratio = error(1e-2) / error(1e-3)
    assert 80 < ratio < 120


def test_finite_difference_gradient_does_not_use_autograd():
    x = torch.tensor([1.0, -2.0], dtype=torch.float64)
    torch.testing.assert_close(finite_difference_gradient(wrong_sum_of_squares, x), 2 * x)


def test_finite_difference_gradient_calls_f_with_float64_shaped_like_x():
    seen = []

    def f(t):
        seen.append((t.dtype, t.shape))
        return t.sum()

    finite_difference_gradient(f, torch.ones(2, 3, dtype=torch.float32))
    assert seen
    assert set(seen) == {(torch.float64, torch.Size([2, 3]))}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_finite_difference_gradient_has_dtype_of_x(dtype):
    x = torch.tensor([0.5, 1.0], dtype=dtype)
    assert finite_difference_gradient(lambda t: (t * t).sum(), x).dtype == dtype


def test_finite_difference_gradient_of_0d_input():
    x = torch.tensor(0.3, dtype=torch.float64)
    result = finite_difference_gradient(torch.sin, x)
    assert result.shape == ()
    torch.testing.assert_close(result, torch.cos(x), rtol=1e-6, atol=1e-6)


def test_finite_difference_gradient_of_2d_input():
    x = torch.tensor([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]], dtype=torch.float64)
    result = finite_difference_gradient(lambda t: (t**2).sum(), x)
    assert result.shape == x.shape
    torch.testing.assert_close(result, 2 * x)


def test_finite_difference_gradient_leaves_x_untouched():
    x = torch.tensor([1.0, 2.0])
    original = x.clone()
    finite_difference_gradient(lambda t: (t * t).sum(), x)
    assert torch.equal(x, original)
    assert x.grad is None
    assert not x.requires_grad


# -- check_gradient -----------------------------------------------------------------------------


def test_check_gradient_passes_for_smooth_function():
    x = torch.linspace(-2, 2, 7, dtype=torch.float64)
    check = check_gradient(lambda t: (torch.sin(t) * t).sum(), x)
    assert isinstance(check, GradientCheck)
    assert check.passed
    assert check.max_error < 1e-5
    torch.testing.assert_close(check.autograd, torch.cos(x) * x + torch.sin(x))
    assert repr(check).startswith("gradient check passed")


def test_check_gradient_of_0d_input_has_empty_worst_index():
    check = check_gradient(torch.sin, torch.tensor(0.5))
    assert check.passed
    assert check.worst_index == ()


def test_check_gradient_fails_for_wrong_backward():
    x = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    check = check_gradient(wrong_sum_of_squares, x)
    assert not check.passed
    torch.testing.assert_close(check.autograd, 3 * x)
    torch.testing.assert_close(check.finite_difference, 2 * x)
    assert check.max_error == pytest.approx(2.0)
    assert check.worst_index == (1,)


def test_check_gradient_repr_names_largest_difference_and_index():
    x = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    text = repr(check_gradient(wrong_sum_of_squares, x))
    assert text.startswith("gradient check FAILED")
    assert re.search(r"largest difference 2\.00e\+00 at index \(1,\)", text)
    assert "autograd -6" in text
    assert "finite difference -4" in text


def test_check_gradient_worst_index_for_2d_input():
    x = torch.tensor([[0.1, 0.2, -0.3], [-4.0, 0.5, 0.6]], dtype=torch.float64)
    check = check_gradient(wrong_sum_of_squares, x)
    assert not check.passed
    assert check.worst_index == (1, 0)
    assert check.max_error == pytest.approx(4.0)
    assert "at index (1, 0)" in repr(check)


def test_check_gradient_fails_when_only_one_entry_is_wrong():
    x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    check = check_gradient(lambda t: wrong_sum_of_squares(t[:1]) + (t[1:] ** 2).sum(), x)
    assert not check.passed
    assert check.worst_index == (0,)
    torch.testing.assert_close(check.autograd, torch.tensor([3.0, 4.0, 6.0], dtype=torch.float64))


def test_check_gradient_fails_when_difference_exceeds_tolerance_only():
    x = torch.tensor([1.0], dtype=torch.float64)
    assert not check_gradient(wrong_sum_of_squares, x).passed
    assert check_gradient(wrong_sum_of_squares, x, rtol=0.0, atol=1.5).passed
    assert check_gradient(wrong_sum_of_squares, x, rtol=0.6, atol=0.0).passed


@pytest.mark.parametrize("name", ["rtol", "atol"])
@pytest.mark.parametrize("value", [-1e-3, -1, math.nan, math.inf])
def test_check_gradient_refuses_bad_tolerance_value(name, value):
    with pytest.raises(ValueError, match=f"{name} must be a finite number at least 0"):
        check_gradient(torch.sin, torch.tensor(0.5), **{name: value})


@pytest.mark.parametrize("name", ["rtol", "atol"])
@pytest.mark.parametrize("value", ["1e-3", None, True, torch.tensor(1e-3)])
def test_check_gradient_refuses_non_number_tolerance(name, value):
    with pytest.raises(TypeError, match=f"{name} must be a real number"):
        check_gradient(torch.sin, torch.tensor(0.5), **{name: value})


# -- bad input ----------------------------------------------------------------------------------


HELPERS_OF_SCALAR_F = [
    pytest.param(gradient, id="gradient"),
    pytest.param(finite_difference_gradient, id="finite_difference"),
    pytest.param(check_gradient, id="check_gradient"),
]

HELPERS_WITH_STEP = [
    pytest.param(lambda step: finite_difference_gradient(torch.sum, torch.ones(2), step), id="fd"),
    pytest.param(lambda step: check_gradient(torch.sum, torch.ones(2), step=step), id="check"),
]


@pytest.mark.parametrize("helper", HELPERS_OF_SCALAR_F)
def test_helpers_refuse_non_scalar_output(helper):
    with pytest.raises(TypeError, match=r"got shape \(3,\); sum or index the output first"):
        helper(lambda t: 2 * t, torch.ones(3))


@pytest.mark.parametrize("helper", HELPERS_OF_SCALAR_F)
def test_helpers_refuse_non_callable_f(helper):
    with pytest.raises(TypeError, match="pass a function of one tensor"):
        helper("sin", torch.ones(3))


@pytest.mark.parametrize("helper", HELPERS_WITH_STEP)
@pytest.mark.parametrize("step", [0, 0.0, -1e-3, math.nan, math.inf, -math.inf])
def test_helpers_refuse_non_positive_or_non_finite_step(helper, step):
    with pytest.raises(ValueError, match="pass a small positive float such as 1e-3"):
        helper(step)


@pytest.mark.parametrize("helper", HELPERS_WITH_STEP)
@pytest.mark.parametrize("step", ["0.1", None, True, torch.tensor(0.1)])
def test_helpers_refuse_non_number_step(helper, step):
    with pytest.raises(TypeError, match=r"step must be a real number.*pass a float such as 1e-3"):
        helper(step)


DETACHED_WEIGHT = torch.tensor([1.0, 2.0], requires_grad=True)


@pytest.mark.parametrize("helper", [gradient, check_gradient])
@pytest.mark.parametrize(
    "f",
    [
        lambda t: torch.tensor(1.0),
        lambda t: torch.tensor(t.sum().item()),
        lambda t: t.detach().sum(),
        lambda t: torch.from_numpy(t.detach().numpy()).sum(),
        lambda t: DETACHED_WEIGHT.sum(),
    ],
    ids=["constant", "item", "detach", "numpy", "closure parameter only"],
)
def test_helpers_refuse_output_independent_of_x(helper, f):
    with pytest.raises(ValueError, match=r"without \.item\(\), \.numpy\(\) or \.detach\(\)"):
        helper(f, torch.ones(2))
    assert DETACHED_WEIGHT.grad is None


def test_derivative_refuses_output_independent_of_x():
    with pytest.raises(ValueError, match="does not depend on its argument"):
        derivative(torch.zeros_like, torch.ones(3))


# -- properties ---------------------------------------------------------------------------------


INNER_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "": lambda u: u,
    "sin": torch.sin,
    "cos": torch.cos,
    "tanh": torch.tanh,
    "exp": torch.exp,
}
OUTER_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "": lambda u: u,
    "sin": torch.sin,
    "cos": torch.cos,
    "tanh": torch.tanh,
    "square": torch.square,
}


@dataclass(frozen=True)
class Term:
    """coefficient * outer(inner(slope * x[i] + shift) * x[partner])."""

    coefficient: float
    outer: str
    inner: str
    i: int
    slope: float
    shift: float
    partner: int | None

    def __call__(self, x):
        u = INNER_FUNCTIONS[self.inner](self.slope * x[self.i] + self.shift)
        if self.partner is not None:
            u = u * x[self.partner]
        return self.coefficient * OUTER_FUNCTIONS[self.outer](u)

    def __str__(self):
        u = f"{self.inner}({self.slope:g}*x[{self.i}] + {self.shift:g})"
        if self.partner is not None:
            u = f"{u}*x[{self.partner}]"
        if self.outer:
            u = f"{self.outer}({u})"
        return f"{self.coefficient:g}*{u}"


@dataclass(frozen=True)
class SmoothFunction:
    terms: tuple[Term, ...]

    def __call__(self, x):
        return sum((term(x) for term in self.terms), torch.zeros((), dtype=x.dtype))

    def __repr__(self):
        return " + ".join(str(term) for term in self.terms)


def bounded(limit):
    return st.floats(-limit, limit, allow_nan=False, allow_infinity=False)


def terms(size):
    return st.builds(
        Term,
        coefficient=bounded(2),
        outer=st.sampled_from(sorted(OUTER_FUNCTIONS)),
        inner=st.sampled_from(sorted(INNER_FUNCTIONS)),
        i=st.integers(0, size - 1),
        slope=bounded(1),
        shift=bounded(0.5),
        partner=st.none() | st.integers(0, size - 1),
    )


@st.composite
def smooth_functions_and_points(draw):
    size = draw(st.integers(1, 5))
    function = SmoothFunction(tuple(draw(st.lists(terms(size), min_size=1, max_size=4))))
    point = draw(st.lists(bounded(2), min_size=size, max_size=size))
    return function, torch.tensor(point, dtype=torch.float64)


@given(smooth_functions_and_points())
def test_autograd_gradient_agrees_with_finite_differences(function_and_point):
    f, x = function_and_point
    check = check_gradient(f, x, step=1e-5, rtol=1e-6, atol=1e-6)
    assert check.passed, f"{f} at {x.tolist()}: {check!r}"


@st.composite
def weights_and_points(draw):
    dtype, width = draw(st.sampled_from([(torch.float32, 32), (torch.float64, 64)]))
    size = draw(st.integers(1, 5))
    entries = st.floats(-1e3, 1e3, width=width)
    weights = draw(st.lists(entries, min_size=size, max_size=size))
    point = draw(st.lists(entries, min_size=size, max_size=size))
    return torch.tensor(weights, dtype=dtype), torch.tensor(point, dtype=dtype)


@given(weights_and_points())
def test_gradient_of_linear_function_is_its_weights_exactly(weights_and_point):
    weights, x = weights_and_point
    assert torch.equal(gradient(lambda t: torch.dot(weights, t), x), weights)


def test_check_gradient_refuses_empty_tensor():
    with pytest.raises(ValueError, match="pass a non-empty tensor"):
        check_gradient(lambda t: t.sum(), torch.empty(0))


def test_gradient_explains_inference_mode():
    with torch.inference_mode(), pytest.raises(ValueError, match="call it outside that block"):
        gradient(lambda t: (t * t).sum(), torch.ones(2))


@pytest.mark.parametrize("step", [0.1, 0.25], ids=["0.1", "0.25"])
@pytest.mark.parametrize("numpy_type", ["float32", "float64", "float16"])
def test_numpy_scalars_are_accepted_as_step(step, numpy_type):
    import numpy as np

    numpy_step = getattr(np, numpy_type)(step)
    h = float(numpy_step)
    x = torch.tensor([0.5, -2.0], dtype=torch.float64)
    # The central difference of t**3 is 3 x**2 + h**2 exactly, so the result shows which step
    # was used: the numpy scalar's, not the default 1e-3.
    result = finite_difference_gradient(lambda t: (t**3).sum(), x, numpy_step)
    torch.testing.assert_close(result, 3 * x**2 + h**2, rtol=1e-12, atol=1e-12)
    assert not torch.allclose(result, 3 * x**2 + 1e-6, rtol=1e-12, atol=1e-12)


# -- finite differences at the edges of float64 --------------------------------------------------


def steps_taken(x, step=1e-3):
    """The distance from x to each point where finite_difference_gradient evaluates f."""
    points = []

    def f(t):
        points.append(t.clone())
        return t.sum()

    finite_difference_gradient(f, x, step)
    base = x.double().reshape(-1)
    return [(p.reshape(-1) - base).abs().max().item() for p in points]


def test_step_is_the_given_step_near_zero_and_grows_with_large_entries():
    x = torch.tensor([0.0, 0.5, -3.0, 1e6, -1e20], dtype=torch.float64)
    taken = steps_taken(x)
    expected = [1e-3, 1e-3, 1e-3, 1e6 * 2**-26, 1e20 * 2**-26]
    assert taken[0::2] == pytest.approx(expected, rel=1e-6)
    assert taken[1::2] == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("point", [1e20, -3e30, 7e15])
def test_check_gradient_passes_at_large_points(dtype, point):
    x = torch.tensor([point, -0.5 * point], dtype=dtype)
    check = check_gradient(lambda t: (t * t).sum(), x)
    assert check.passed, check
    torch.testing.assert_close(check.finite_difference, 2 * x)


@given(
    magnitude=st.floats(-300, 300),
    sign=st.sampled_from([-1.0, 1.0]),
    slope=st.floats(-1e3, 1e3).filter(lambda s: abs(s) > 1e-3),
)
def test_finite_difference_of_a_line_is_its_slope_at_any_scale(magnitude, sign, slope):
    x = torch.tensor([sign * 10.0**magnitude], dtype=torch.float64)
    result = finite_difference_gradient(lambda t: slope * t.sum() + 1.0, x)
    assert result.item() == pytest.approx(slope, rel=1e-6)


@given(magnitude=st.floats(-150, 150), sign=st.sampled_from([-1.0, 1.0]))
def test_check_gradient_of_a_square_passes_at_any_scale(magnitude, sign):
    x = 10.0**magnitude * torch.tensor([sign, 2.0], dtype=torch.float64)
    assert check_gradient(lambda t: (t * t).sum(), x).passed


@pytest.mark.parametrize("step", [1e-310, 5e-324, 2e-308])
def test_subnormal_step_is_refused(step):
    with pytest.raises(ValueError, match=r"step must be at least 2\.23e-308, the smallest normal"):
        finite_difference_gradient(torch.sum, torch.ones(2), step)


def test_smallest_normal_step_is_accepted_and_raised_where_it_would_vanish():
    x = torch.tensor([1.0, 3.0], dtype=torch.float64)
    result = finite_difference_gradient(lambda t: (t * t).sum(), x, 2.3e-308)
    torch.testing.assert_close(result, 2 * x)


LARGEST = torch.finfo(torch.float64).max


@pytest.mark.parametrize(("point", "step"), [(1.0, 1e308), (LARGEST, 1e-3), (-LARGEST, 1.0)])
def test_step_that_overflows_is_refused(point, step):
    with pytest.raises(ValueError, match="the step overflows float64; pass a small positive"):
        finite_difference_gradient(torch.sum, torch.tensor([point], dtype=torch.float64), step)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("helper", [finite_difference_gradient, check_gradient])
def test_non_finite_point_is_refused(helper, bad):
    with pytest.raises(ValueError, match="x holds a NaN or an infinity"):
        helper(torch.sum, torch.tensor([1.0, bad]))


@pytest.mark.parametrize("helper", HELPERS_WITH_STEP)
@pytest.mark.parametrize("step", [10**400, -(10**400)], ids=["10**400", "-10**400"])
def test_helpers_refuse_step_too_large_for_a_float(helper, step):
    with pytest.raises(ValueError, match="step must be a finite number greater than 0, got an int"):
        helper(step)


@pytest.mark.parametrize("name", ["rtol", "atol"])
def test_check_gradient_refuses_tolerance_too_large_for_a_float(name):
    with pytest.raises(ValueError, match=rf"{name} must be a finite number at least 0, got an"):
        check_gradient(torch.sin, torch.tensor(0.5), **{name: 10**400})
