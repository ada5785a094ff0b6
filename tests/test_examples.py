"""Tests of autograd_guide.examples: the functions the pages differentiate."""

from __future__ import annotations

import math

import pytest
import torch

from autograd_guide.examples import control_flow_function
from autograd_guide.gradients import gradient


def expected_factor(a: float) -> float:
    """The factor k with control_flow_function(a) == k * a, worked out without torch.

    b = 2a is doubled until |b| >= 1000; the result is b, or 100 b when b is not positive.
    """
    k = 2.0
    while abs(a) * k < 1000:
        k *= 2
    return k if a * k > 0 else 100 * k


def test_expected_factor_matches_the_factors_the_pages_show():
    assert [expected_factor(a) for a in (1.0, -1.0, 0.3)] == [1024.0, 102400.0, 4096.0]


def test_control_flow_function_gradient_is_output_over_input():
    generator = torch.Generator().manual_seed(0)
    points = torch.cat([torch.randn(8, generator=generator), torch.tensor([1e-3, -1e-3, 2e3])])
    assert (points > 0).any()
    assert (points < 0).any()
    for a in points:
        k = expected_factor(a.item())
        assert torch.equal(control_flow_function(a), k * a)
        assert torch.equal(gradient(control_flow_function, a), torch.tensor(k))


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
