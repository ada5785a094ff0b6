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
        ({"noise": -0.1}, r"noise must be a finite number from 0 to 3\.4e\+38, got -0\.1"),
        ({"noise": math.inf}, r"noise must be a finite number from 0 to 3\.4e\+38, got inf"),
        (
            {"bias": math.nan},
            r"bias must be a finite number of magnitude at most 3\.4e\+38, got nan",
        ),
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


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"weight": 10**400},
            "weight must be a finite number of magnitude at most 3.4e.38, got an",
        ),
        ({"bias": -(10**400)}, "bias must be a finite number of magnitude at most 3.4e.38, got an"),
        ({"noise": 10**400}, "noise must be a finite number from 0 to 3.4e.38, got an integer"),
        (
            {"weight": 1e39},
            r"weight must be a finite number of magnitude at most 3.4e.38, got 1e\+39",
        ),
        ({"noise": 1e39}, r"noise must be a finite number from 0 to 3.4e.38, got 1e\+39"),
        ({"weight": 3e38}, "make some targets larger than float32 can hold"),
        ({"bias": 3.4e38, "weight": 1e38}, "make some targets larger than float32 can hold"),
        ({"noise": 3e38}, "make some targets larger than float32 can hold"),
        ({"seed": 2**64}, "seed must be at most 18446744073709551615, got 18446744073709551616"),
        ({"seed": -(2**63) - 1}, "seed must be at least -9223372036854775808"),
        ({"seed": 10**400}, "seed must be at most 18446744073709551615, got an integer of about"),
        ({"n": 2**63}, "n must be at most 2305843009213693951"),
    ],
    ids=lambda value: "" if isinstance(value, str) else repr(value)[:40],
)
def test_linear_regression_data_refuses_numbers_too_large(kwargs, match):
    with pytest.raises(ValueError, match=match):
        linear_regression_data(4, **kwargs) if "n" not in kwargs else linear_regression_data(
            **kwargs
        )


@pytest.mark.parametrize("seed", [-(2**63), -1, 0, 2**63, 2**64 - 1])
def test_linear_regression_data_accepts_every_seed_torch_accepts(seed):
    inputs, targets = linear_regression_data(4, seed=seed)
    expected = torch.randn(4, 1, generator=torch.Generator().manual_seed(seed))
    assert torch.equal(inputs, expected)
    assert torch.isfinite(targets).all()


def test_linear_regression_data_accepts_the_largest_values_that_stay_finite():
    _, targets = linear_regression_data(4, weight=1e37, bias=-1e37, noise=0.0)
    assert torch.isfinite(targets).all()


# -- accumulated_gradient: the caller's tensors and the model's gradients -------------------------


def model_with_gradients():
    model = torch.nn.Linear(1, 1)
    for p in model.parameters():
        p.grad = torch.full_like(p, 7.0)
    return model


def assert_gradients_are(model, originals):
    for p, original in zip(model.parameters(), originals, strict=True):
        assert p.grad is original
        assert torch.equal(p.grad, torch.full_like(p, 7.0))


def test_accumulated_gradient_gives_no_gradient_to_inputs_targets_or_tensors_of_the_loss():
    inputs, targets = linear_regression_data(8)
    inputs.requires_grad_(True)
    targets.requires_grad_(True)
    scale = torch.tensor(2.0, requires_grad=True)

    def scaled_mse(predictions, part_targets):
        return scale * torch.nn.functional.mse_loss(predictions, part_targets)

    model = torch.nn.Linear(1, 1)
    result = accumulated_gradient(model, scaled_mse, inputs, targets, 3)
    assert inputs.grad is None
    assert targets.grad is None
    assert scale.grad is None
    expected = full_batch_gradient(model, scaled_mse, inputs.detach(), targets.detach())
    for name in expected:
        torch.testing.assert_close(result[name], expected[name])


def test_accumulated_gradient_works_on_inputs_of_a_graph():
    leaf = torch.linspace(-1, 1, 6, requires_grad=True)
    inputs = (2 * leaf).reshape(6, 1)
    targets = torch.zeros(6, 1)
    model = torch.nn.Linear(1, 1)
    result = accumulated_gradient(model, torch.nn.MSELoss(), inputs, targets, 2)
    expected = full_batch_gradient(model, torch.nn.MSELoss(), inputs.detach(), targets)
    torch.testing.assert_close(result["weight"], expected["weight"])
    assert leaf.grad is None


@pytest.mark.parametrize("failing_part", [0, 1, 2])
def test_a_raising_loss_leaves_the_model_s_gradients_as_they_were(failing_part):
    inputs, targets = linear_regression_data(9)
    calls = []

    def loss_fn(predictions, part_targets):
        calls.append(1)
        if len(calls) == failing_part + 1:
            raise RuntimeError("loss failed")
        return torch.nn.functional.mse_loss(predictions, part_targets)

    model = model_with_gradients()
    originals = [p.grad for p in model.parameters()]
    with pytest.raises(RuntimeError, match="loss failed"):
        accumulated_gradient(model, loss_fn, inputs, targets, 3)
    assert_gradients_are(model, originals)


@pytest.mark.parametrize(
    ("loss_fn", "error"),
    [
        (lambda p, t: ((p - t) ** 2).sum(dim=1), TypeError),
        (lambda p, t: torch.nn.functional.mse_loss(p.detach(), t), ValueError),
        (lambda p, t: torch.nn.functional.mse_loss(p, t) * 1j, TypeError),
        (lambda p, t: torch.nn.functional.mse_loss(p, t).item(), TypeError),
    ],
    ids=["not one element", "detached", "complex", "float"],
)
def test_a_refused_loss_leaves_the_model_s_gradients_as_they_were(loss_fn, error):
    inputs, targets = linear_regression_data(6)
    model = model_with_gradients()
    originals = [p.grad for p in model.parameters()]
    with pytest.raises(error):
        accumulated_gradient(model, loss_fn, inputs, targets, 2)
    assert_gradients_are(model, originals)


def test_a_loss_that_depends_on_no_parameter_is_refused_and_leaves_gradients():
    inputs, targets = linear_regression_data(6)
    other = torch.tensor(1.0, requires_grad=True)
    model = model_with_gradients()
    originals = [p.grad for p in model.parameters()]
    with pytest.raises(ValueError, match="does not depend on any parameter"):
        accumulated_gradient(model, lambda p, t: other * t.mean(), inputs, targets, 2)
    assert_gradients_are(model, originals)
    assert other.grad is None


@pytest.mark.parametrize(
    ("args", "match"),
    [
        pytest.param((torch.ones(4), torch.ones(3, 1), 2), "hold 4 examples", id="mismatch"),
        pytest.param((torch.ones(4, 1), torch.ones(4, 1), 5), "at most", id="too many parts"),
        pytest.param((torch.ones(0, 1), torch.ones(0, 1), 1), "no examples", id="empty batch"),
    ],
)
def test_refused_arguments_leave_the_model_s_gradients_as_they_were(args, match):
    model = model_with_gradients()
    originals = [p.grad for p in model.parameters()]
    with pytest.raises(ValueError, match=match):
        accumulated_gradient(model, torch.nn.MSELoss(), *args)
    assert_gradients_are(model, originals)


def test_accumulated_gradient_explains_an_empty_batch():
    with pytest.raises(ValueError, match=r"hold no examples.*pass a batch of at least one example"):
        accumulated_gradient(
            torch.nn.Linear(1, 1), torch.nn.MSELoss(), torch.ones(0, 1), torch.ones(0, 1), 1
        )


def test_accumulated_gradient_names_inference_mode_as_the_cause():
    model = model_with_gradients()
    originals = [p.grad for p in model.parameters()]
    inputs, targets = linear_regression_data(4)
    with torch.inference_mode(), pytest.raises(ValueError, match="call it outside that block"):
        accumulated_gradient(model, torch.nn.MSELoss(), inputs, targets, 2)
    assert_gradients_are(model, originals)


def test_accumulated_gradient_refuses_a_model_built_in_inference_mode():
    with torch.inference_mode():
        model = torch.nn.Linear(1, 1)
    inputs, targets = linear_regression_data(4)
    with pytest.raises(
        ValueError, match=r"parameter 'weight' was created inside torch\.inference_mode"
    ):
        accumulated_gradient(model, torch.nn.MSELoss(), inputs, targets, 2)


def test_accumulated_gradient_accepts_data_made_in_inference_mode():
    with torch.inference_mode():
        inputs, targets = linear_regression_data(6)
    model = torch.nn.Linear(1, 1)
    result = accumulated_gradient(model, torch.nn.MSELoss(), inputs, targets, 2)
    expected = full_batch_gradient(model, torch.nn.MSELoss(), inputs.clone(), targets.clone())
    for name in expected:
        torch.testing.assert_close(result[name], expected[name])


def test_accumulated_gradient_refuses_a_model_without_trainable_parameters():
    model = torch.nn.Linear(1, 1).requires_grad_(False)
    inputs, targets = linear_regression_data(4)
    with pytest.raises(ValueError, match=r"no parameter that requires gradients.*requires_grad_"):
        accumulated_gradient(model, torch.nn.MSELoss(), inputs, targets, 2)
