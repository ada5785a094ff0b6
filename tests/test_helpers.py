"""Tests of the autograd_guide helpers."""

from __future__ import annotations

import math
import re
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import matplotlib.pyplot as plt
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.axes import Axes

from autograd_guide import (
    GradientCheck,
    check_gradient,
    control_flow_function,
    derivative,
    finite_difference_gradient,
    gradient,
    plot_function_and_derivative,
)

PROPERTY_SETTINGS = settings(max_examples=50, deadline=None, database=None)


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


@pytest.fixture(autouse=True)
def close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture
def fail_after_two_seconds() -> Iterator[None]:
    def interrupt(signum, frame):
        raise TimeoutError("the call did not return within 2 s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.alarm(2)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


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


# -- control_flow_function ----------------------------------------------------------------------


def test_control_flow_function_gradient_is_output_over_input():
    generator = torch.Generator().manual_seed(0)
    points = torch.cat([torch.randn(8, generator=generator), torch.tensor([1e-3, -1e-3, 2e3])])
    assert (points > 0).any()
    assert (points < 0).any()
    for a in points:
        expected = control_flow_function(a) / a
        torch.testing.assert_close(gradient(control_flow_function, a), expected)


@pytest.mark.parametrize(("a", "factor"), [(1.0, 1024.0), (-1.0, 102400.0)])
def test_control_flow_function_scales_negative_sums_by_100(a, factor):
    result = control_flow_function(torch.tensor(a))
    torch.testing.assert_close(result, torch.tensor(a * factor))
    slope = gradient(control_flow_function, torch.tensor(a))
    torch.testing.assert_close(slope, torch.tensor(factor))


@pytest.mark.usefixtures("fail_after_two_seconds")
@pytest.mark.parametrize(
    "a",
    [
        torch.tensor(0.0),
        torch.tensor(-0.0),
        torch.zeros(3),
        torch.tensor(math.nan),
        torch.tensor([1.0, math.nan]),
    ],
    ids=["zero", "negative zero", "zero vector", "nan", "vector with nan"],
)
def test_control_flow_function_refuses_input_that_never_reaches_norm(a):
    with pytest.raises(ValueError, match=r"pass, for example, torch\.randn\(\(\)\)"):
        control_flow_function(a)


def test_control_flow_function_refuses_integer_tensor():
    with pytest.raises(TypeError, match=r"pass a floating-point tensor, for example a\.float\(\)"):
        control_flow_function(torch.tensor(3))


# -- plot_function_and_derivative ---------------------------------------------------------------


def test_plot_draws_function_and_derivative():
    x = torch.linspace(0, 6, 50)
    ax = plot_function_and_derivative(torch.sin, x)
    assert isinstance(ax, Axes)
    function_line, derivative_line = ax.get_lines()
    for line in (function_line, derivative_line):
        torch.testing.assert_close(torch.as_tensor(line.get_xdata()), x.double())
    torch.testing.assert_close(torch.as_tensor(function_line.get_ydata()), torch.sin(x).double())
    torch.testing.assert_close(
        torch.as_tensor(derivative_line.get_ydata()), torch.cos(x).double(), rtol=1e-6, atol=1e-6
    )
    assert [line.get_label() for line in ax.get_lines()] == ["$f(x)$", "$f'(x)$"]


def test_plot_uses_custom_labels():
    ax = plot_function_and_derivative(torch.tanh, torch.linspace(-2, 2, 9), labels=("a", "b"))
    assert [line.get_label() for line in ax.get_lines()] == ["a", "b"]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["a", "b"]


def test_plot_draws_on_given_axes_without_new_figure():
    figure, ax = plt.subplots()
    figures_before = plt.get_fignums()
    result = plot_function_and_derivative(torch.sin, torch.linspace(0, 1, 5), ax)
    assert result is ax
    assert result.figure is figure
    assert plt.get_fignums() == figures_before
    assert len(ax.get_lines()) == 2


def test_plot_never_shows(monkeypatch):
    def show(*args, **kwargs):
        raise AssertionError("plt.show was called")

    monkeypatch.setattr(plt, "show", show)
    plot_function_and_derivative(torch.sin, torch.linspace(0, 1, 5))


def test_plot_refuses_2d_x_without_making_a_figure():
    with pytest.raises(ValueError, match=r"pass points such as torch\.linspace"):
        plot_function_and_derivative(torch.sin, torch.ones(2, 3))
    assert plt.get_fignums() == []


@pytest.mark.parametrize(
    "labels",
    [("a",), ("a", "b", "c"), ("a", 1), (None, "b")],
    ids=["one", "three", "not a string", "None"],
)
def test_plot_refuses_bad_labels(labels):
    with pytest.raises(TypeError, match="labels must be two strings"):
        plot_function_and_derivative(torch.sin, torch.linspace(0, 1, 5), labels=labels)
    assert plt.get_fignums() == []


# -- bad input across the public helpers --------------------------------------------------------


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

HELPERS_WITH_STEP = [
    pytest.param(lambda step: finite_difference_gradient(torch.sum, torch.ones(2), step), id="fd"),
    pytest.param(lambda step: check_gradient(torch.sum, torch.ones(2), step=step), id="check"),
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


@pytest.mark.parametrize("helper", HELPERS_OF_SCALAR_F)
def test_helpers_refuse_non_scalar_output(helper):
    with pytest.raises(TypeError, match=r"got shape \(3,\); sum or index the output first"):
        helper(lambda t: 2 * t, torch.ones(3))


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


@PROPERTY_SETTINGS
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


@PROPERTY_SETTINGS
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


@pytest.mark.parametrize("labels", ["ab", None, 5])
def test_plot_refuses_labels_that_are_not_a_pair_of_strings(labels):
    with pytest.raises(TypeError, match=r"labels must be two strings.*pass a pair"):
        plot_function_and_derivative(torch.sin, torch.linspace(0, 1, 5), labels=labels)


def test_plot_draws_low_precision_input():
    ax = plot_function_and_derivative(torch.sin, torch.linspace(0, 1, 5, dtype=torch.bfloat16))
    assert len(ax.get_lines()) == 2


@pytest.mark.parametrize("helper", [derivative, plot_function_and_derivative])
def test_elementwise_helpers_refuse_non_callable_f(helper):
    with pytest.raises(TypeError, match="pass a function of one tensor"):
        helper(5, torch.linspace(0, 1, 5))


def test_numpy_scalars_are_accepted_as_step():
    import numpy as np

    x = torch.tensor([0.5])
    expected = finite_difference_gradient(torch.sum, x, 1e-3)
    assert torch.equal(finite_difference_gradient(torch.sum, x, np.float32(1e-3)), expected)
