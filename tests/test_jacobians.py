"""Tests of autograd_guide.jacobians."""

from __future__ import annotations

import re

import pytest
import torch

from autograd_guide.jacobians import CountedJacobian, jacobian_by_jvp, jacobian_by_vjp

BUILDERS = [
    pytest.param(jacobian_by_vjp, id="vjp"),
    pytest.param(jacobian_by_jvp, id="jvp"),
]


def explicit(t):
    return torch.stack([t[0] ** 2 * t[1], 3 * t[1] + t[2] ** 3])


def explicit_jacobian(t):
    return torch.tensor(
        [
            [2 * t[0] * t[1], t[0] ** 2, 0.0],
            [0.0, 3.0, 3 * t[2] ** 2],
        ]
    )


@pytest.mark.parametrize("build", BUILDERS)
def test_matches_jacobian_written_by_hand(build):
    x = torch.tensor([1.0, 2.0, 3.0])
    result = build(explicit, x)
    assert isinstance(result, CountedJacobian)
    assert torch.equal(result.matrix, explicit_jacobian(x))


@pytest.mark.parametrize(("n", "m"), [(1, 1), (1, 7), (7, 1), (3, 5), (5, 3)])
def test_pass_counts_are_outputs_for_vjp_and_inputs_for_jvp(n, m):
    torch.manual_seed(0)
    weights = torch.randn(m, n, dtype=torch.float64)

    def f(t):
        return torch.tanh(weights @ t)

    x = torch.randn(n, dtype=torch.float64)
    by_rows = jacobian_by_vjp(f, x)
    by_columns = jacobian_by_jvp(f, x)
    assert by_rows.passes == m
    assert by_columns.passes == n
    assert by_rows.matrix.shape == by_columns.matrix.shape == (m, n)
    expected = torch.func.jacrev(f)(x)
    torch.testing.assert_close(by_rows.matrix, expected)
    torch.testing.assert_close(by_columns.matrix, expected)


@pytest.mark.parametrize("build", BUILDERS)
def test_counts_only_passes_it_makes(build):
    calls = []

    def f(t):
        calls.append(1)
        return torch.stack([t.sum(), (t * t).sum()])

    x = torch.ones(4)
    result = build(f, x)
    expected_calls = 1 if build is jacobian_by_vjp else 4
    assert len(calls) == expected_calls
    assert result.passes == (2 if build is jacobian_by_vjp else 4)


@pytest.mark.parametrize("build", BUILDERS)
def test_linear_function_gives_its_matrix_exactly(build):
    matrix = torch.tensor([[1.0, -2.0, 0.5], [4.0, 0.0, 3.0]])
    result = build(lambda t: matrix @ t, torch.tensor([0.3, -1.0, 2.0]))
    assert torch.equal(result.matrix, matrix)


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_result_has_dtype_of_x_and_no_graph(build, dtype):
    leaf = torch.tensor([1.0, 2.0], dtype=dtype, requires_grad=True)
    x = leaf * 3
    result = build(lambda t: t * t, x)
    assert result.matrix.dtype == dtype
    assert not result.matrix.requires_grad
    assert leaf.grad is None
    assert torch.equal(result.matrix, torch.diag(2 * x.detach()))


@pytest.mark.parametrize("build", BUILDERS)
def test_constant_function_has_zero_jacobian(build):
    result = build(lambda t: torch.ones(3), torch.ones(2))
    assert torch.equal(result.matrix, torch.zeros(3, 2))


@pytest.mark.parametrize("build", BUILDERS)
def test_works_inside_no_grad(build):
    with torch.no_grad():
        result = build(lambda t: t * t, torch.tensor([1.0, 2.0]))
    assert torch.equal(result.matrix, torch.diag(torch.tensor([2.0, 4.0])))


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize("x", [[1.0, 2.0], 1.5])
def test_refuses_non_tensor(build, x):
    with pytest.raises(TypeError, match=r"wrap the value with torch\.tensor"):
        build(torch.sin, x)


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize("x", [torch.arange(3), torch.tensor([True])])
def test_refuses_non_floating_tensor(build, x):
    with pytest.raises(TypeError, match="pass a floating-point tensor"):
        build(torch.sin, x)


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize("shape", [(), (0,), (2, 2)])
def test_refuses_x_that_is_not_a_non_empty_vector(build, shape):
    with pytest.raises(ValueError, match=re.escape(f"got shape {tuple(shape)}; flatten it")):
        build(torch.sin, torch.ones(shape))


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize(
    ("f", "shape"),
    [
        (torch.sum, ()),
        (lambda t: t[:0], (0,)),
        (lambda t: torch.outer(t, t), (2, 2)),
    ],
    ids=["scalar", "empty", "matrix"],
)
def test_refuses_output_that_is_not_a_non_empty_vector(build, f, shape):
    with pytest.raises(
        ValueError, match=re.escape(f"got shape {tuple(shape)}; reshape the output")
    ):
        build(f, torch.ones(2))


@pytest.mark.parametrize("build", BUILDERS)
def test_refuses_non_tensor_output(build):
    with pytest.raises(TypeError, match="got float; build the result from torch operations"):
        build(lambda t: 1.0, torch.ones(2))


@pytest.mark.parametrize("build", BUILDERS)
def test_refuses_non_callable_f(build):
    with pytest.raises(TypeError, match="pass a function of one tensor"):
        build("sin", torch.ones(2))


@pytest.mark.parametrize("build", BUILDERS)
def test_result_is_detached_when_f_uses_a_tensor_that_requires_grad(build):
    weight = torch.tensor([2.0, -3.0], requires_grad=True)
    result = build(lambda t: weight * t.sin(), torch.tensor([0.0, 1.0]))
    assert not result.matrix.requires_grad
    assert result.matrix.grad_fn is None
    torch.testing.assert_close(
        result.matrix, torch.diag(weight.detach() * torch.tensor([0.0, 1.0]).cos())
    )
    assert weight.grad is None


def triple_then_square(t):
    t.mul_(3)
    return t * t


def test_an_in_place_f_does_not_change_x_in_forward_mode():
    x = torch.tensor([1.0, 2.0])
    result = jacobian_by_jvp(triple_then_square, x)
    assert torch.equal(x, torch.tensor([1.0, 2.0]))
    assert torch.equal(result.matrix, torch.diag(18 * x))


def test_an_in_place_f_does_not_change_x_in_reverse_mode():
    x = torch.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        jacobian_by_vjp(triple_then_square, x)
    assert torch.equal(x, torch.tensor([1.0, 2.0]))
    assert x._version == 0
