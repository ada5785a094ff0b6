"""Tests of autograd_guide.debugging."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from autograd_guide.debugging import first_nonfinite_module


class Pair(torch.nn.Module):
    """Returns a tuple, the second entry computed by a submodule."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = torch.nn.Identity()

    def forward(self, x):
        return x, self.inner(torch.log(x))


class OwnCode(torch.nn.Module):
    """Makes a NaN in its own forward code, outside any submodule."""

    def __init__(self) -> None:
        super().__init__()
        self.first = torch.nn.Identity()

    def forward(self, x):
        return torch.sqrt(self.first(x) - 10)


class Failing(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner = torch.nn.Identity()

    def forward(self, x):
        self.inner(x)
        raise RuntimeError("forward failed")


def exploding_model() -> torch.nn.Sequential:
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(2, 2), torch.nn.Linear(2, 2), torch.nn.Softmax(dim=1)
    )
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(1e20)
    return model


def test_names_the_module_that_first_overflows_not_the_one_that_makes_nan():
    model = exploding_model()
    x = torch.tensor([[1.0, -1.0]])
    assert torch.isnan(model(x)).all()
    assert first_nonfinite_module(model, x) == "1"


def test_returns_none_when_everything_is_finite():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Softmax(dim=1))
    assert first_nonfinite_module(model, torch.tensor([[1.0, -1.0]])) is None


def test_names_nested_module_by_dotted_name():
    model = torch.nn.Sequential(torch.nn.Identity(), Pair())
    assert first_nonfinite_module(model, torch.tensor([1.0, -1.0])) == "1.inner"


def test_checks_tensors_inside_dict_outputs():
    class DictOutput(torch.nn.Module):
        def forward(self, x):
            return {"value": x, "log": torch.log(x)}

    model = torch.nn.Sequential(DictOutput())
    assert first_nonfinite_module(model, torch.tensor([-1.0])) == "0"
    assert first_nonfinite_module(model, torch.tensor([1.0])) is None


def test_returns_empty_name_for_the_model_s_own_code():
    assert first_nonfinite_module(OwnCode(), torch.tensor([1.0])) == ""


def test_ignores_integer_outputs():
    model = torch.nn.Sequential(torch.nn.Identity())
    assert first_nonfinite_module(model, torch.tensor([1, 2])) is None


def test_passes_several_inputs():
    model = torch.nn.Bilinear(1, 1, 1)
    with torch.no_grad():
        model.weight.fill_(1e30)
    big = torch.tensor([[1e10]])
    assert first_nonfinite_module(model, big, big) == ""
    assert first_nonfinite_module(model, torch.ones(1, 1), torch.ones(1, 1)) is None


class GradModeRecorder(torch.nn.Module):
    """Passes its input on and records whether autograd was recording when it ran."""

    def __init__(self) -> None:
        super().__init__()
        self.grad_enabled: list[bool] = []

    def forward(self, x):
        self.grad_enabled.append(torch.is_grad_enabled())
        return x


def test_removes_hooks_and_records_no_graph():
    recorder = GradModeRecorder()
    model = torch.nn.Sequential(exploding_model(), recorder)
    x = torch.tensor([[1.0, -1.0]], requires_grad=True)
    assert torch.is_grad_enabled()
    assert first_nonfinite_module(model, x) == "0.1"
    assert recorder.grad_enabled == [False]
    assert all(not m._forward_hooks for m in model.modules())
    assert torch.is_grad_enabled()


def test_removes_hooks_when_forward_raises():
    model = Failing()
    with pytest.raises(RuntimeError, match="forward failed"):
        first_nonfinite_module(model, torch.ones(1))
    assert all(not m._forward_hooks for m in model.modules())


def test_refuses_non_module():
    with pytest.raises(TypeError, match=r"model must be a torch\.nn\.Module, got function"):
        first_nonfinite_module(lambda t: t, torch.ones(1))


def test_refuses_missing_input():
    with pytest.raises(TypeError, match="no input was given"):
        first_nonfinite_module(torch.nn.Identity())


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_refuses_input_that_is_already_not_finite(bad):
    with pytest.raises(ValueError, match="input 1 already holds a NaN or an infinity"):
        first_nonfinite_module(torch.nn.Bilinear(1, 1, 1), torch.ones(1, 1), torch.tensor([[bad]]))


class FromNumber(torch.nn.Module):
    """Makes a tensor of a Python number in its own code, outside any submodule."""

    def forward(self, value):
        return torch.nn.functional.relu(torch.tensor([value]))


@pytest.mark.parametrize(
    "bad",
    [
        math.nan,
        -math.inf,
        complex(0, math.nan),
        np.float32("nan"),
        np.array([1.0, np.inf]),
        [1.0, [2.0, math.nan]],
        {"a": (torch.tensor([math.nan]),)},
        {math.inf},
    ],
    ids=[
        "float",
        "float inf",
        "complex",
        "numpy scalar",
        "numpy array",
        "nested list",
        "dict",
        "set",
    ],
)
def test_refuses_inputs_of_any_kind_that_are_not_finite(bad):
    with pytest.raises(ValueError, match="input 0 already holds a NaN or an infinity"):
        first_nonfinite_module(FromNumber(), bad)


def test_a_nan_given_as_a_python_number_is_not_blamed_on_the_model():
    assert first_nonfinite_module(FromNumber(), 2.0) is None
    with pytest.raises(ValueError, match="no module is to blame"):
        first_nonfinite_module(FromNumber(), math.nan)


def test_accepts_finite_inputs_of_any_kind():
    model = torch.nn.Identity()
    for value in (1.5, 3, np.float64(2.0), np.arange(3), [1.0, {"b": 2}], "text", None):
        assert first_nonfinite_module(model, value) is None
