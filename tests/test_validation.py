"""Tests of the argument checks that every helper shares (autograd_guide._validation)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.axes import Axes

from autograd_guide import (
    accumulated_gradient,
    backward_graph,
    check_gradient,
    control_flow_function,
    derivative,
    finite_difference_gradient,
    first_nonfinite_module,
    gradient,
    jacobian_by_jvp,
    jacobian_by_vjp,
    nth_derivative,
    plot_backward_graph,
    plot_function_and_derivative,
    stable_softplus,
)
from autograd_guide._validation import describe_number, require_int, require_real

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


# -- numbers ------------------------------------------------------------------------------------

NUMBERS_OF_ANY_KIND = st.one_of(
    st.integers(),
    st.integers(min_value=10**300, max_value=10**400),
    st.integers(max_value=-(10**300), min_value=-(10**400)),
    st.floats(),
    st.floats(width=32),
    st.fractions(),
    st.decimals(),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
    st.floats(allow_nan=True).map(np.float64),
    st.floats(width=32).map(np.float32),
    st.integers(-(2**63), 2**63 - 1).map(np.int64),
    st.complex_numbers(),
)


@given(
    value=NUMBERS_OF_ANY_KIND,
    bound=st.sampled_from([None, "non-negative", "positive"]),
    largest=st.none() | st.sampled_from([1.0, 3.4e38]),
)
def test_require_real_returns_a_number_in_range_or_refuses_it(value, bound, largest):
    try:
        number = require_real(value, "weight", example="3.0", bound=bound, largest=largest)
    except (TypeError, ValueError) as error:
        message = str(error)
        assert message.startswith("weight must be a")
        assert message.endswith("float such as 3.0")
        assert len(message) < 200
        return
    assert isinstance(number, float)
    assert math.isfinite(number)
    assert number == float(value)
    assert bound != "positive" or number > 0
    assert bound != "non-negative" or number >= 0
    assert largest is None or abs(number) <= largest


@given(
    value=NUMBERS_OF_ANY_KIND,
    minimum=st.none() | st.integers(-(2**63), 1),
    maximum=st.none() | st.integers(2, 2**64),
)
def test_require_int_returns_a_whole_number_in_range_or_refuses_it(value, minimum, maximum):
    try:
        number = require_int(value, "seed", minimum=minimum, maximum=maximum, advice="pass 0")
    except (TypeError, ValueError) as error:
        message = str(error)
        assert message.startswith("seed must be")
        assert message.endswith("; pass 0")
        assert len(message) < 200
        return
    assert type(number) is int
    assert number == value
    assert minimum is None or number >= minimum
    assert maximum is None or number <= maximum


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (10**400, "an integer of about 401 digits"),
        (-(10**5000), "an integer of about 5001 digits"),
        (2**64, "18446744073709551616"),
        (1e39, "1e+39"),
    ],
    ids=["10**400", "-10**5000", "2**64", "1e39"],
)
def test_describe_number_shortens_only_huge_integers(value, shown):
    assert describe_number(value) == shown


# -- tensors on a device without values ---------------------------------------------------------

ON_META = torch.ones(3, device="meta")


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda x: gradient(lambda t: (t * t).sum(), x), id="gradient"),
        pytest.param(lambda x: derivative(torch.sin, x), id="derivative"),
        pytest.param(lambda x: finite_difference_gradient(torch.sum, x), id="finite_difference"),
        pytest.param(lambda x: check_gradient(torch.sum, x), id="check_gradient"),
        pytest.param(lambda x: jacobian_by_vjp(torch.sin, x), id="jacobian_by_vjp"),
        pytest.param(lambda x: jacobian_by_jvp(torch.sin, x), id="jacobian_by_jvp"),
        pytest.param(lambda x: nth_derivative(torch.sin, x, 2), id="nth_derivative"),
        pytest.param(control_flow_function, id="control_flow_function"),
        pytest.param(lambda x: plot_function_and_derivative(torch.sin, x), id="plot"),
        pytest.param(stable_softplus, id="stable_softplus"),
        pytest.param(
            lambda x: accumulated_gradient(
                torch.nn.Linear(1, 1), torch.nn.MSELoss(), x.reshape(3, 1), torch.ones(3, 1), 1
            ),
            id="accumulated_gradient",
        ),
        pytest.param(
            lambda x: first_nonfinite_module(torch.nn.Identity(), x), id="first_nonfinite_module"
        ),
    ],
)
def test_helpers_refuse_tensors_on_the_meta_device(call):
    with pytest.raises(ValueError, match=r"on the meta device.*device='cpu'"):
        call(ON_META)
    assert plt.get_fignums() == []


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(
            lambda model: accumulated_gradient(
                model, torch.nn.MSELoss(), torch.ones(2, 1), torch.ones(2, 1), 1
            ),
            id="accumulated_gradient",
        ),
        pytest.param(
            lambda model: first_nonfinite_module(model, torch.ones(2, 1)),
            id="first_nonfinite_module",
        ),
    ],
)
def test_helpers_refuse_models_on_the_meta_device(call):
    with pytest.raises(ValueError, match=r"parameter 'weight' is on the meta device"):
        call(torch.nn.Linear(1, 1, device="meta"))


def test_the_graph_of_meta_tensors_needs_no_values_and_is_drawn():
    x = torch.ones(3, device="meta", requires_grad=True)
    y = (2 * x).sum()
    assert backward_graph(y, names={"x": x}) == [
        ("SumBackward0", ["MulBackward0"]),
        ("MulBackward0", ["x"]),
        ("x", []),
    ]
    assert plot_backward_graph(y, names={"x": x}).texts


# -- what f returns -----------------------------------------------------------------------------

HELPERS_OF_F = [
    pytest.param(lambda f: gradient(lambda t: f(t.sum()), torch.ones(2)), id="gradient"),
    pytest.param(lambda f: derivative(f, torch.ones(2)), id="derivative"),
    pytest.param(
        lambda f: finite_difference_gradient(lambda t: f(t.sum()), torch.ones(2)),
        id="finite_difference",
    ),
    pytest.param(lambda f: check_gradient(lambda t: f(t.sum()), torch.ones(2)), id="check"),
    pytest.param(lambda f: jacobian_by_vjp(f, torch.ones(2)), id="jacobian_by_vjp"),
    pytest.param(lambda f: jacobian_by_jvp(f, torch.ones(2)), id="jacobian_by_jvp"),
    pytest.param(lambda f: nth_derivative(f, torch.ones(2), 1), id="nth_derivative"),
    pytest.param(lambda f: plot_function_and_derivative(f, torch.ones(2)), id="plot"),
    pytest.param(
        lambda f: accumulated_gradient(
            torch.nn.Linear(1, 1),
            lambda predictions, targets: f((predictions - targets).pow(2).mean()),
            torch.ones(2, 1),
            torch.zeros(2, 1),
            1,
        ),
        id="accumulated_gradient",
    ),
]


@pytest.mark.parametrize("helper", HELPERS_OF_F)
@pytest.mark.parametrize(
    "f",
    [lambda t: t * 1j, lambda t: torch.polar(t, t), lambda t: t.to(torch.complex128)],
    ids=["times 1j", "polar", "complex128"],
)
def test_helpers_refuse_complex_output_with_advice(helper, f):
    with pytest.raises(TypeError, match=r"must return a real tensor, got dtype torch\.complex"):
        helper(f)
    assert plt.get_fignums() == []


@pytest.mark.parametrize("helper", HELPERS_OF_F)
@pytest.mark.parametrize(
    ("f", "dtype"),
    [
        (lambda t: t.long(), "int64"),
        (lambda t: t.round().to(torch.int32), "int32"),
        (lambda t: t > 0, "bool"),
    ],
    ids=["long", "int32", "comparison"],
)
def test_helpers_refuse_integer_and_boolean_output(helper, f, dtype):
    with pytest.raises(TypeError, match=rf"floating-point tensor, got dtype torch\.{dtype}"):
        helper(f)
    assert plt.get_fignums() == []


# -- any tensor a careful user might pass -------------------------------------------------------

DTYPES = [
    torch.float16,
    torch.bfloat16,
    torch.float32,
    torch.float64,
    torch.int64,
    torch.uint8,
    torch.bool,
    torch.complex64,
]
SPECIAL_VALUES = [0.0, -0.0, 1.0, -2.5, 1e-45, 5e-324, 1e20, -1e38, 1e300, math.inf, math.nan]


@st.composite
def unusual_tensors(draw):
    """Tensors of any dtype and shape, with unusual values, that may require grad or be views."""
    dtype = draw(st.sampled_from(DTYPES))
    shape = draw(st.lists(st.integers(0, 3), max_size=3))
    count = math.prod(shape)
    values = draw(
        st.lists(
            st.sampled_from(SPECIAL_VALUES) | st.floats(-10, 10), min_size=count, max_size=count
        )
    )
    x = torch.tensor(values, dtype=torch.float64).reshape(shape)
    if dtype.is_floating_point or dtype.is_complex:
        x = x.to(dtype)
    else:
        x = torch.nan_to_num(x, posinf=1, neginf=-1).clamp(-100, 100).to(dtype)
    if dtype.is_floating_point and draw(st.booleans()):
        x.requires_grad_(True)
        if draw(st.booleans()):
            x = x * 1
    if draw(st.booleans()) and x.dim() and x.shape[-1] > 1:
        x = x[..., ::2]
    return x


def same_values(a, b):
    """Whether a and b hold the same values, NaN where the other has NaN."""
    a_nan, b_nan = a.isnan(), b.isnan()
    return torch.equal(a_nan, b_nan) and torch.equal(
        a.masked_fill(a_nan, 0), b.masked_fill(b_nan, 0)
    )


HELPERS_OF_ANY_X = {
    "gradient": lambda x: gradient(lambda t: (t * t).sum(), x),
    "derivative": lambda x: derivative(torch.sin, x),
    "finite_difference": lambda x: finite_difference_gradient(lambda t: (t * t).sum(), x),
    "check_gradient": lambda x: check_gradient(lambda t: torch.sin(t).sum(), x),
    "jacobian_by_vjp": lambda x: jacobian_by_vjp(torch.sin, x),
    "jacobian_by_jvp": lambda x: jacobian_by_jvp(torch.sin, x),
    "nth_derivative": lambda x: nth_derivative(torch.tanh, x, 2),
    "control_flow_function": control_flow_function,
    "plot": lambda x: plot_function_and_derivative(torch.sin, x),
    "first_nonfinite_module": lambda x: first_nonfinite_module(torch.nn.Tanh(), x),
}


@settings(max_examples=300)
@given(x=unusual_tensors(), name=st.sampled_from(sorted(HELPERS_OF_ANY_X)))
def test_helpers_answer_or_refuse_and_leave_x_alone(x, name):
    before = x.detach().clone()
    requires_grad, version = x.requires_grad, x._version
    refused = False
    try:
        HELPERS_OF_ANY_X[name](x)
    except (TypeError, ValueError):
        refused = True
    figures = plt.get_fignums()
    plt.close("all")
    assert same_values(x.detach(), before)
    assert x.requires_grad == requires_grad
    assert x._version == version
    assert not x.is_leaf or x.grad is None
    assert figures == ([] if refused or name != "plot" else [figures[0]])


# -- figures ------------------------------------------------------------------------------------

LEAF = torch.ones(2, requires_grad=True)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(
            lambda ax: plot_function_and_derivative(torch.sin, torch.linspace(0, 1, 5), ax),
            id="plot_function_and_derivative",
        ),
        pytest.param(
            lambda ax: plot_backward_graph(LEAF.sum(), names={"x": LEAF}, ax=ax),
            id="plot_backward_graph",
        ),
    ],
)
@pytest.mark.parametrize(
    "ax",
    [
        "ax",
        plt.figure,
        lambda: plt.subplots(1, 2)[1],
        lambda: plt.subplots(1, 2)[1].tolist(),
    ],
    ids=["string", "figure", "array of axes", "list of axes"],
)
def test_plotting_helpers_refuse_what_is_not_an_axes(call, ax):
    given_ax = ax() if callable(ax) else ax
    figures = plt.get_fignums()
    with pytest.raises(TypeError, match=r"ax must be a matplotlib Axes or None, got \w+; pass"):
        call(given_ax)
    assert plt.get_fignums() == figures


def test_a_figure_made_for_a_plot_that_fails_is_closed():
    calls = []

    def changes_shape(t):
        calls.append(1)
        return torch.sin(t) if len(calls) == 1 else torch.sin(t[:2])

    with pytest.raises(ValueError, match="same first dimension"):
        plot_function_and_derivative(changes_shape, torch.linspace(0, 1, 5))
    assert plt.get_fignums() == []


def test_a_graph_whose_drawing_fails_closes_its_figure_but_not_the_caller_s(monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(Axes, "annotate", fail)
    with pytest.raises(RuntimeError, match="drawing failed"):
        plot_backward_graph(LEAF.sum(), names={"x": LEAF})
    assert plt.get_fignums() == []
    figure, ax = plt.subplots()
    with pytest.raises(RuntimeError, match="drawing failed"):
        plot_backward_graph(LEAF.sum(), names={"x": LEAF}, ax=ax)
    assert plt.get_fignums() == [figure.number]
