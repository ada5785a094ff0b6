"""Tests of autograd_guide.distributed.

One test starts real processes (about ten seconds on two cores); the others
check the arguments before any process starts.
"""

from __future__ import annotations

import math

import pytest
import torch

from autograd_guide.distributed import (
    AccumulationPlan,
    DataParallelRun,
    data_parallel_gradients,
)


def small_model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))


def batch(examples: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(examples, 3, generator=generator)
    return inputs, torch.randn(examples, 1, generator=generator)


def test_every_plan_gives_the_full_batch_gradient_with_its_number_of_allreduces():
    model = small_model()
    inputs, targets = batch()
    before = [p.detach().clone() for p in model.parameters()]
    plans = [
        AccumulationPlan(),
        AccumulationPlan(micro_batches=2),
        AccumulationPlan(micro_batches=2, no_sync="forward_and_backward"),
        AccumulationPlan(micro_batches=2, no_sync="backward_only"),
    ]
    runs = data_parallel_gradients(model, torch.nn.MSELoss(), inputs, targets, plans)
    assert [run.plan for run in runs] == plans
    assert [run.allreduces for run in runs] == [(1, 1), (2, 2), (1, 1), (2, 2)]
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert all(p.grad is None for p in model.parameters())
    torch.nn.MSELoss()(model(inputs), targets).backward()
    full = dict(model.named_parameters())
    for run in runs:
        assert isinstance(run, DataParallelRun)
        assert len(run.gradients) == 2
        first, second = run.gradients
        assert sorted(first) == sorted(full)
        for name, parameter in full.items():
            assert torch.equal(first[name], second[name])
            torch.testing.assert_close(first[name], parameter.grad, rtol=1e-5, atol=1e-7)


def test_a_run_that_does_not_finish_in_time_is_stopped():
    model = small_model()
    inputs, targets = batch()
    with pytest.raises(TimeoutError, match=r"did not finish within 0\.01 s"):
        data_parallel_gradients(
            model, torch.nn.MSELoss(), inputs, targets, [AccumulationPlan()], timeout=0.01
        )


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"model": "linear"}, TypeError, "model must be a torch.nn.Module, got str"),
        ({"loss_fn": 1.0}, TypeError, "loss_fn must be callable, got float"),
        ({"loss_fn": lambda p, t: (p - t).mean()}, TypeError, "loss_fn must be picklable"),
        ({"inputs": [1.0, 2.0]}, TypeError, "inputs must be a tensor with one example"),
        ({"targets": torch.tensor(1.0)}, TypeError, r"targets must be a tensor .* got \(\)"),
        ({"targets": torch.zeros(7, 1)}, ValueError, "inputs hold 8 examples but targets hold 7"),
        ({"plans": AccumulationPlan()}, TypeError, "plans must be a list of AccumulationPlan"),
        ({"plans": []}, ValueError, "plans is empty"),
        ({"plans": [(2, "none")]}, TypeError, "plans must hold only AccumulationPlan, got a tuple"),
        (
            {"plans": [AccumulationPlan(micro_batches=5)]},
            ValueError,
            "micro_batches=5 is more than the 4 examples of the smallest share",
        ),
        ({"world_size": 0}, ValueError, "world_size must be at least 1, got 0"),
        ({"world_size": 2.0}, TypeError, "world_size must be an int, got float"),
        ({"world_size": 9}, ValueError, "cannot give each of 9 processes an example"),
        ({"timeout": -1.0}, ValueError, "timeout must be a finite number greater than 0"),
        ({"timeout": math.inf}, ValueError, "timeout must be a finite number greater than 0"),
    ],
)
def test_bad_arguments_are_refused_before_any_process_starts(change, error, match):
    inputs, targets = batch()
    arguments = {
        "model": small_model(),
        "loss_fn": torch.nn.MSELoss(),
        "inputs": inputs,
        "targets": targets,
        "plans": [AccumulationPlan()],
    } | change
    keywords = {key: arguments.pop(key) for key in ("world_size", "timeout") if key in arguments}
    with pytest.raises(error, match=match):
        data_parallel_gradients(*arguments.values(), **keywords)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"micro_batches": 0}, ValueError, "micro_batches must be at least 1, got 0"),
        ({"micro_batches": 1.5}, TypeError, "micro_batches must be an int, got float"),
        ({"no_sync": "always"}, ValueError, "no_sync must be one of 'none', "),
    ],
)
def test_bad_plans_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        AccumulationPlan(**kwargs)
