"""Tests of the custom autograd functions in autograd_guide.functions."""

from __future__ import annotations

import warnings

import pytest
import torch

from autograd_guide.functions import SavedTensorsContext, StableSoftplus, stable_softplus
from autograd_guide.gradients import check_gradient
from autograd_guide.jacobians import jacobian_by_jvp, jacobian_by_vjp

POINTS = torch.tensor([-30.0, -2.0, 0.0, 1.5, 100.0])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_value_matches_torch_softplus_without_threshold(dtype):
    x = torch.linspace(-30, 30, 61, dtype=dtype)
    expected = torch.nn.functional.softplus(x, threshold=1e9)
    torch.testing.assert_close(stable_softplus(x), expected)


def test_value_matches_textbook_formula_where_it_does_not_overflow():
    x = torch.tensor([-5.0, -0.5, 0.0, 0.5, 5.0], dtype=torch.float64)
    torch.testing.assert_close(stable_softplus(x), torch.log(1 + torch.exp(x)))


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64])
def test_large_inputs_give_finite_values_and_gradients(dtype):
    x = torch.tensor([-1000.0, -100.0, 100.0, 1000.0], dtype=dtype, requires_grad=True)
    y = StableSoftplus.apply(x)
    y.sum().backward()
    assert torch.isfinite(y).all()
    assert torch.equal(y[2:].detach(), x[2:].detach())
    assert torch.equal(x.grad[2:], torch.ones(2, dtype=dtype))
    assert (x.grad[:2] >= 0).all()
    assert (x.grad[:2].double() < 1e-40).all()


def test_gradient_is_sigmoid():
    x = torch.linspace(-8, 8, 17, dtype=torch.float64, requires_grad=True)
    stable_softplus(x).sum().backward()
    torch.testing.assert_close(x.grad, torch.sigmoid(x.detach()))


def test_gradient_scales_with_the_incoming_gradient():
    x = torch.tensor([0.0, 2.0], dtype=torch.float64, requires_grad=True)
    weights = torch.tensor([3.0, -2.0], dtype=torch.float64)
    stable_softplus(x).backward(weights)
    torch.testing.assert_close(x.grad, weights * torch.sigmoid(x.detach()))


def test_output_keeps_shape_and_dtype():
    x = torch.zeros(2, 3, dtype=torch.float64)
    y = stable_softplus(x)
    assert y.shape == (2, 3)
    assert y.dtype == torch.float64


def test_gradcheck_and_gradgradcheck_pass():
    torch.manual_seed(0)
    x = (5 * torch.randn(6, dtype=torch.float64)).requires_grad_(True)
    assert torch.autograd.gradcheck(StableSoftplus.apply, (x,))
    assert torch.autograd.gradgradcheck(StableSoftplus.apply, (x,))


def test_gradcheck_passes_with_forward_mode_and_batched_checks():
    torch.manual_seed(0)
    x = (5 * torch.randn(6, dtype=torch.float64)).requires_grad_(True)
    assert torch.autograd.gradcheck(
        StableSoftplus.apply,
        (x,),
        check_forward_ad=True,
        check_batched_grad=True,
        check_batched_forward_grad=True,
    )
    assert torch.autograd.gradgradcheck(StableSoftplus.apply, (x,), check_fwd_over_rev=True)


def test_float32_gradcheck_warns_and_fails_although_backward_is_right():
    x = torch.tensor([-10.0, -1.0, 0.0, 1.0, 10.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        passed = torch.autograd.gradcheck(StableSoftplus.apply, (x,), raise_exception=False)
    assert not passed
    assert any("not a double precision" in str(w.message) for w in caught)


@pytest.mark.parametrize(
    "transform",
    [torch.func.jacrev, torch.func.jacfwd],
    ids=["jacrev", "jacfwd"],
)
def test_jacobian_transforms_give_diagonal_of_sigmoid(transform):
    jacobian = transform(StableSoftplus.apply)(POINTS)
    assert torch.equal(jacobian, torch.diag(torch.sigmoid(POINTS)))


@pytest.mark.parametrize("build", [jacobian_by_vjp, jacobian_by_jvp], ids=["vjp", "jvp"])
def test_package_jacobian_builders_accept_it(build):
    result = build(StableSoftplus.apply, POINTS)
    assert torch.equal(result.matrix, torch.diag(torch.sigmoid(POINTS)))
    assert result.passes == POINTS.numel()


def test_vmap_of_grad_gives_sigmoid_at_each_point():
    slopes = torch.vmap(torch.func.grad(StableSoftplus.apply))(POINTS)
    assert torch.equal(slopes, torch.sigmoid(POINTS))


def test_vmap_over_rows_matches_the_whole_batch():
    batch = torch.linspace(-5, 5, 12).reshape(3, 4)
    assert torch.equal(torch.vmap(StableSoftplus.apply)(batch), stable_softplus(batch))


def test_hessian_of_sum_is_diagonal_of_sigmoid_derivative():
    x = POINTS.double()
    hessian = torch.func.hessian(lambda t: StableSoftplus.apply(t).sum())(x)
    s = torch.sigmoid(x)
    torch.testing.assert_close(hessian, torch.diag(s * (1 - s)))


def test_forward_mode_tangent_is_sigmoid_times_tangent():
    tangent = torch.tensor([1.0, -2.0, 0.5, 3.0, 1.0])
    value, output_tangent = torch.func.jvp(StableSoftplus.apply, (POINTS,), (tangent,))
    assert torch.equal(value, stable_softplus(POINTS))
    assert torch.equal(output_tangent, torch.sigmoid(POINTS) * tangent)


def test_backward_context_holds_the_saved_input():
    x = torch.tensor([0.0, 2.0], requires_grad=True)
    context: SavedTensorsContext = StableSoftplus.apply(x).grad_fn
    (saved,) = context.saved_tensors
    assert saved is x


def test_second_derivative_is_derivative_of_sigmoid():
    x = torch.tensor([-2.0, 0.0, 3.0], dtype=torch.float64, requires_grad=True)
    (first,) = torch.autograd.grad(stable_softplus(x).sum(), x, create_graph=True)
    (second,) = torch.autograd.grad(first.sum(), x)
    s = torch.sigmoid(x.detach())
    torch.testing.assert_close(second, s * (1 - s))


def test_agrees_with_finite_differences():
    x = torch.tensor([-50.0, -1.0, 0.0, 1.0, 50.0])
    check = check_gradient(lambda t: stable_softplus(t).sum(), x)
    assert check.passed, check


def test_gradcheck_detects_a_wrong_backward():
    class WrongSoftplus(StableSoftplus):
        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * torch.sigmoid(-x)

    x = torch.tensor([0.5, 2.0], dtype=torch.float64, requires_grad=True)
    assert not torch.autograd.gradcheck(WrongSoftplus.apply, (x,), raise_exception=False)


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        (torch.tensor([1, 2]), "dtype torch.int64"),
        (torch.tensor([True]), "dtype torch.bool"),
        ([1.0, 2.0], "got list"),
        (1.0, "got float"),
    ],
    ids=["int tensor", "bool tensor", "list", "float"],
)
@pytest.mark.parametrize("call", [stable_softplus, StableSoftplus.apply], ids=["wrapper", "apply"])
def test_rejects_non_floating_input_with_advice(call, bad, fragment):
    with pytest.raises(TypeError, match=fragment) as info:
        call(bad)
    assert "pass a floating-point tensor" in str(info.value) or "wrap the value" in str(info.value)


def test_rejects_integer_tensor_under_vmap():
    with pytest.raises(TypeError, match=r"dtype torch\.int64.*pass a floating-point tensor"):
        torch.vmap(StableSoftplus.apply)(torch.tensor([[1, 2]]))
