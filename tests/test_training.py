"""Tests of autograd_guide.training."""

from __future__ import annotations

import math

import pytest
import torch

from autograd_guide.training import accumulated_gradient, linear_regression_data

# -- linear_regression_data ---------------------------------------------------------------------


def test_linear_regression_data_shapes_and_dtype():
    inputs, targets = linear_regression_data(10)
    assert inputs.shape == targets.shape == (10, 1)
    assert inputs.dtype == targets.dtype == torch.float32


def test_linear_regression_data_without_noise_lies_on_the_line():
    inputs, targets = linear_regression_data(50, weight=-1.5, bias=4.0, noise=0.0)
    torch.testing.assert_close(targets, -1.5 * inputs + 4.0)


def test_linear_regression_data_noise_has_requested_spread():
    inputs, targets = linear_regression_data(20_000, noise=0.5, seed=3)
    residual = targets - (3.0 * inputs - 2.0)
    assert residual.mean().abs() < 0.02
    assert residual.std().item() == pytest.approx(0.5, rel=0.03)


def test_linear_regression_data_is_reproducible_and_seed_dependent():
    first = linear_regression_data(16, seed=7)
    second = linear_regression_data(16, seed=7)
    other = linear_regression_data(16, seed=8)
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))
    assert not torch.equal(first[0], other[0])


def test_linear_regression_data_leaves_global_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    linear_regression_data(8)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 2.0}, "n must be an int, got float"),
        ({"n": True}, "n must be an int, got bool"),
        ({"weight": "3"}, "weight must be a real number, got str"),
        ({"noise": None}, "noise must be a real number, got NoneType"),
        ({"seed": 0.5}, "seed must be an int, got float"),
    ],
)
def test_linear_regression_data_refuses_wrong_types(kwargs, match):
    with pytest.raises(TypeError, match=match):
        linear_regression_data(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 0}, "n must be at least 1, got 0"),
        ({"noise": -0.1}, "noise must be a finite number at least 0"),
        ({"noise": math.inf}, "noise must be a finite number at least 0"),
        ({"bias": math.nan}, "bias must be a finite number, got nan"),
    ],
)
def test_linear_regression_data_refuses_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        linear_regression_data(**kwargs)


# -- accumulated_gradient -----------------------------------------------------------------------


def make_model(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))


def full_batch_gradient(model, loss_fn, inputs, targets):
    model.zero_grad(set_to_none=True)
    loss_fn(model(inputs), targets).backward()
    return {name: p.grad.clone() for name, p in model.named_parameters()}


@pytest.mark.parametrize("micro_batches", [1, 2, 3, 4, 7, 10])
def test_accumulated_gradient_equals_full_batch_gradient(micro_batches):
    model = make_model()
    generator = torch.Generator().manual_seed(1)
    inputs = torch.randn(10, 3, generator=generator, dtype=torch.float64)
    targets = torch.randn(10, 2, generator=generator, dtype=torch.float64)
    model.double()
    loss_fn = torch.nn.MSELoss()
    expected = full_batch_gradient(model, loss_fn, inputs, targets)
    result = accumulated_gradient(model, loss_fn, inputs, targets, micro_batches)
    assert result.keys() == expected.keys()
    for name in expected:
        torch.testing.assert_close(result[name], expected[name])


def test_accumulated_gradient_weights_uneven_parts_by_size():
    inputs, targets = linear_regression_data(10)
    model = torch.nn.Linear(1, 1)
    loss_fn = torch.nn.MSELoss()
    expected = full_batch_gradient(model, loss_fn, inputs, targets)
    result = accumulated_gradient(model, loss_fn, inputs, targets, 3)
    naive = {name: torch.zeros_like(g) for name, g in expected.items()}
    for part_inputs, part_targets in zip(
        inputs.tensor_split(3), targets.tensor_split(3), strict=True
    ):
        model.zero_grad()
        (loss_fn(model(part_inputs), part_targets) / 3).backward()
        for name, p in model.named_parameters():
            naive[name] += p.grad
    for name in expected:
        torch.testing.assert_close(result[name], expected[name])
    assert not all(torch.allclose(naive[n], expected[n], atol=1e-6) for n in expected)


def test_accumulated_gradient_discards_old_gradients_and_leaves_result_in_grad():
    inputs, targets = linear_regression_data(8)
    model = torch.nn.Linear(1, 1)
    for p in model.parameters():
        p.grad = torch.full_like(p, 100.0)
    result = accumulated_gradient(model, torch.nn.MSELoss(), inputs, targets, 2)
    expected = full_batch_gradient(model, torch.nn.MSELoss(), inputs, targets)
    for name in expected:
        torch.testing.assert_close(result[name], expected[name])
    accumulated_gradient(model, torch.nn.MSELoss(), inputs, targets, 2)
    for name, p in model.named_parameters():
        torch.testing.assert_close(p.grad, expected[name])


def test_accumulated_gradient_returns_copies():
    inputs, targets = linear_regression_data(8)
    model = torch.nn.Linear(1, 1)
    result = accumulated_gradient(model, torch.nn.MSELoss(), inputs, targets, 2)
    model.weight.grad.zero_()
    assert result["weight"].abs().sum() > 0
    assert not result["weight"].requires_grad


def test_accumulated_gradient_leaves_out_parameters_without_gradient():
    inputs, targets = linear_regression_data(8)
    model = torch.nn.Linear(1, 1)
    model.bias.requires_grad_(False)
    result = accumulated_gradient(model, torch.nn.MSELoss(), inputs, targets, 4)
    assert list(result) == ["weight"]
    assert model.bias.grad is None


def test_accumulated_gradient_works_inside_no_grad():
    inputs, targets = linear_regression_data(8)
    model = torch.nn.Linear(1, 1)
    expected = full_batch_gradient(model, torch.nn.MSELoss(), inputs, targets)
    with torch.no_grad():
        result = accumulated_gradient(model, torch.nn.MSELoss(), inputs, targets, 2)
    torch.testing.assert_close(result["weight"], expected["weight"])


def test_accumulated_gradient_calls_loss_once_per_part_with_part_sizes():
    inputs, targets = linear_regression_data(10)
    sizes = []

    def loss_fn(predictions, part_targets):
        sizes.append(part_targets.shape[0])
        return torch.nn.functional.mse_loss(predictions, part_targets)

    accumulated_gradient(torch.nn.Linear(1, 1), loss_fn, inputs, targets, 4)
    assert sizes == [3, 3, 2, 2]


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((lambda t: t, torch.nn.MSELoss()), "model must be a torch.nn.Module, got function"),
        ((torch.nn.Linear(1, 1), "mse"), "loss_fn must be callable, got str"),
    ],
)
def test_accumulated_gradient_refuses_wrong_model_or_loss(args, match):
    inputs, targets = linear_regression_data(4)
    with pytest.raises(TypeError, match=match):
        accumulated_gradient(*args, inputs, targets, 2)


@pytest.mark.parametrize("bad", [[1.0, 2.0], torch.tensor(1.0)])
def test_accumulated_gradient_refuses_non_batch_inputs(bad):
    _, targets = linear_regression_data(2)
    with pytest.raises(TypeError, match="inputs must be a tensor with one example per entry"):
        accumulated_gradient(torch.nn.Linear(1, 1), torch.nn.MSELoss(), bad, targets, 1)


def test_accumulated_gradient_refuses_mismatched_batch():
    inputs, _ = linear_regression_data(4)
    _, targets = linear_regression_data(5)
    with pytest.raises(ValueError, match="inputs hold 4 examples but targets hold 5"):
        accumulated_gradient(torch.nn.Linear(1, 1), torch.nn.MSELoss(), inputs, targets, 2)


@pytest.mark.parametrize(
    ("micro_batches", "error", "match"),
    [
        (0, ValueError, "micro_batches must be at least 1"),
        (5, ValueError, "micro_batches must be at most the number of examples, 4, got 5"),
        (2.0, TypeError, "micro_batches must be an int, got float"),
        (True, TypeError, "micro_batches must be an int, got bool"),
    ],
)
def test_accumulated_gradient_refuses_bad_micro_batches(micro_batches, error, match):
    inputs, targets = linear_regression_data(4)
    with pytest.raises(error, match=match):
        accumulated_gradient(
            torch.nn.Linear(1, 1), torch.nn.MSELoss(), inputs, targets, micro_batches
        )


def test_accumulated_gradient_refuses_non_scalar_loss():
    inputs, targets = linear_regression_data(4)
    loss_fn = torch.nn.MSELoss(reduction="none")
    with pytest.raises(TypeError, match=r"loss_fn must return a one-element tensor, got \(2, 1\)"):
        accumulated_gradient(torch.nn.Linear(1, 1), loss_fn, inputs, targets, 2)


def test_accumulated_gradient_refuses_loss_cut_from_the_graph():
    inputs, targets = linear_regression_data(4)

    def detached_loss(predictions, part_targets):
        return torch.nn.functional.mse_loss(predictions.detach(), part_targets)

    with pytest.raises(ValueError, match="does not depend on any parameter"):
        accumulated_gradient(torch.nn.Linear(1, 1), detached_loss, inputs, targets, 2)
