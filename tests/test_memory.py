"""Tests of autograd_guide.memory."""

from __future__ import annotations

import weakref

import pytest
import torch
from torch.utils.checkpoint import checkpoint

from autograd_guide.memory import SavedTensor, SavedTensorRecorder


def mlp(depth: int, width: int = 8) -> torch.nn.Sequential:
    torch.manual_seed(0)
    layers: list[torch.nn.Module] = []
    for _ in range(depth):
        layers += [torch.nn.Linear(width, width), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers)


# -- what is recorded ---------------------------------------------------------------------------


def test_records_shape_dtype_and_storage_of_each_saved_tensor():
    x = torch.ones(3, requires_grad=True)
    with SavedTensorRecorder() as saved:
        x.sin() * x.exp()
    assert saved.records == (
        SavedTensor((3,), torch.float32, 12, 0, 12),
        SavedTensor((3,), torch.float32, 12, 1, 12),
        SavedTensor((3,), torch.float32, 12, 1, 12),
        SavedTensor((3,), torch.float32, 12, 2, 12),
    )
    assert (saved.count, saved.storage_count, saved.saved_bytes()) == (4, 3, 36)


def test_a_storage_saved_through_a_view_is_counted_once_at_its_full_size():
    base = torch.ones(10, 10, requires_grad=True)
    x = base * 1
    with SavedTensorRecorder() as saved:
        (x[:2].sin() + x.t().sin()[:2]).sum()
    assert saved.count == 2
    assert saved.storage_count == 1
    assert saved.records[0].nbytes == 2 * 10 * 4
    assert saved.saved_bytes() == 10 * 10 * 4


def test_parameters_can_be_excluded_one_or_many():
    model = mlp(3)
    inputs = torch.ones(4, 8)
    with SavedTensorRecorder() as saved:
        model(inputs).sum()
    activations = 4 * (3 + 1) * 4 * 8
    weights = 2 * 8 * 8 * 4
    assert saved.saved_bytes() == activations + weights
    assert saved.saved_bytes(exclude=model.parameters()) == activations
    assert saved.saved_bytes(exclude=model[2].weight) == activations + weights // 2
    assert saved.saved_bytes(exclude=[inputs]) == activations - 4 * 8 * 4 + weights


def test_keeps_tells_which_tensors_share_memory_with_a_held_saved_tensor():
    model = mlp(2)
    inputs = torch.ones(4, 8)
    with SavedTensorRecorder() as saved:
        loss = model(inputs).sum()
    assert saved.keeps(inputs)
    assert saved.keeps(model[2].weight)
    assert not saved.keeps(model[0].weight)
    assert not saved.keeps(model[0].bias)
    loss.backward()
    assert not saved.keeps(inputs)


def test_held_bytes_follow_the_graph():
    x = torch.ones(5, requires_grad=True)
    with SavedTensorRecorder() as saved:
        y = (x * 2).sin()
    assert saved.held_bytes() == saved.saved_bytes() == 20
    y.sum().backward(retain_graph=True)
    assert saved.held_bytes() == 20
    y.sum().backward()
    assert saved.held_bytes() == 0
    assert saved.saved_bytes() == 20


def test_a_freed_graph_frees_what_it_saved():
    x = torch.ones(5, requires_grad=True)
    with SavedTensorRecorder() as saved:
        h = x * 2
        y = h.sin()
    memory = weakref.ref(h.untyped_storage())
    del h, y
    assert memory() is None
    assert saved.held_bytes() == 0


def test_tensors_without_storage_are_recorded_but_not_counted():
    sparse = torch.sparse_coo_tensor(
        torch.tensor([[0, 1], [1, 0]]), torch.tensor([1.0, 2.0]), (2, 2), check_invariants=True
    )
    dense = torch.ones(2, 2, requires_grad=True)
    with SavedTensorRecorder() as saved:
        torch.sparse.mm(sparse, dense)
    assert saved.records == (SavedTensor((2, 2), torch.float32, 0, None, 0),)
    assert saved.storage_count == 0
    assert saved.saved_bytes() == 0


def test_saved_bytes_grow_linearly_with_depth_and_batch():
    def activations(depth: int, batch: int) -> int:
        model = mlp(depth)
        with SavedTensorRecorder() as saved:
            model(torch.ones(batch, 8)).sum()
        return saved.saved_bytes(exclude=model.parameters())

    assert [activations(depth, 4) for depth in (1, 2, 3)] == [256, 384, 512]
    assert [activations(2, batch) for batch in (1, 2, 4)] == [96, 192, 384]


# -- what is not recorded -----------------------------------------------------------------------


@pytest.mark.parametrize("mode", [torch.no_grad, torch.inference_mode])
def test_nothing_is_saved_without_a_graph(mode):
    model = mlp(3)
    with mode(), SavedTensorRecorder() as saved:
        model(torch.ones(4, 8))
    assert saved.count == 0
    assert saved.saved_bytes() == 0
    assert saved.records == ()


def test_nothing_is_saved_when_nothing_requires_grad():
    model = mlp(3).requires_grad_(False)
    with SavedTensorRecorder() as saved:
        model(torch.ones(4, 8))
    assert saved.count == 0


def test_checkpoint_inputs_are_seen_and_its_inside_is_not():
    model = mlp(4)
    inputs = torch.ones(4, 8)
    with SavedTensorRecorder() as saved:
        loss = checkpoint(model, inputs, use_reentrant=False).sum()
    assert saved.count == 1
    assert saved.keeps(inputs)
    loss.backward()
    assert not saved.keeps(inputs)


def test_only_the_innermost_recorder_records():
    x = torch.ones(3, requires_grad=True)
    with SavedTensorRecorder() as outer:
        x.sin()
        with SavedTensorRecorder() as inner:
            x.exp()
    assert (outer.count, inner.count) == (1, 1)


# -- the recorder changes nothing ---------------------------------------------------------------


def test_gradients_are_the_same_with_and_without_the_recorder():
    def gradients(record: bool) -> list[torch.Tensor]:
        model = mlp(3)
        torch.manual_seed(1)
        inputs = torch.randn(4, 8, requires_grad=True)
        if record:
            with SavedTensorRecorder():
                loss = model(inputs).tanh().pow(2).sum()
        else:
            loss = model(inputs).tanh().pow(2).sum()
        loss.backward()
        return [inputs.grad, *(p.grad for p in model.parameters())]

    assert all(torch.equal(a, b) for a, b in zip(gradients(True), gradients(False), strict=True))


def test_the_callers_tensors_are_not_modified():
    model = mlp(2)
    inputs = torch.randn(4, 8, generator=torch.Generator().manual_seed(0))
    before = [t.clone() for t in (inputs, *model.parameters())]
    versions = [t._version for t in (inputs, *model.parameters())]
    with SavedTensorRecorder():
        loss = model(inputs).sum()
    loss.backward()
    after = (inputs, *model.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, after, strict=True))
    assert [t._version for t in after] == versions


# -- the version check --------------------------------------------------------------------------


def test_an_in_place_change_of_a_saved_tensor_is_refused():
    x = torch.ones(3, requires_grad=True)
    with SavedTensorRecorder():
        y = x.sigmoid()
    y.mul_(2)
    with pytest.raises(RuntimeError, match="it is at version 1, saved at version 0"):
        y.sum().backward()


def mul_of_a_saved_output(x, w):
    a = x.sigmoid()
    a.mul_(2)
    return a.sum()


def mul_of_an_unsaved_product(x, w):
    a = x * 1
    a.mul_(w)
    return a.sum()


def sigmoid_in_place_then_product(x, w):
    a = x * 1
    a.sigmoid_()
    return (a * w).sum()


def add_to_a_tensor_nobody_saved(x, w):
    a = x * w
    b = a.exp()
    a.add_(1)
    return b.sum()


def change_through_a_view_of_a_saved_output(x, w):
    a = x.exp()
    a[1:].mul_(2)
    return a.sum()


def two_in_place_relus(x, w):
    a = x * w
    a.relu_()
    a.relu_()
    return a.pow(2).sum()


def copy_into_a_fresh_tensor(x, w):
    a = x * 1
    a.copy_(w)
    return (a * a).sum()


def unsqueeze_of_a_saved_output(x, w):
    a = x.tanh()
    a.unsqueeze_(0)
    return (a * w).sum()


IN_PLACE_CASES = [
    mul_of_a_saved_output,
    mul_of_an_unsaved_product,
    sigmoid_in_place_then_product,
    add_to_a_tensor_nobody_saved,
    change_through_a_view_of_a_saved_output,
    two_in_place_relus,
    copy_into_a_fresh_tensor,
    unsqueeze_of_a_saved_output,
]


def _outcome(function, record: bool) -> str | list[torch.Tensor]:
    torch.manual_seed(0)
    x = torch.rand(3, requires_grad=True)
    w = torch.rand(3, requires_grad=True)
    try:
        if record:
            with SavedTensorRecorder():
                loss = function(x, w)
        else:
            loss = function(x, w)
        loss.backward()
    except RuntimeError:
        return "error"
    return [x.grad, w.grad]


@pytest.mark.parametrize("function", IN_PLACE_CASES, ids=lambda function: function.__name__)
def test_the_version_check_agrees_with_autograd(function):
    with_recorder, without = _outcome(function, True), _outcome(function, False)
    if without == "error":
        assert with_recorder == "error"
        assert function in (
            mul_of_a_saved_output,
            change_through_a_view_of_a_saved_output,
            two_in_place_relus,
            unsqueeze_of_a_saved_output,
        )
    else:
        assert with_recorder != "error"
        assert all(
            (a is None and b is None) or torch.equal(a, b)
            for a, b in zip(with_recorder, without, strict=True)
        )


# -- bad use ------------------------------------------------------------------------------------


def test_a_recorder_records_one_block():
    recorder = SavedTensorRecorder()
    with recorder:
        pass
    with pytest.raises(RuntimeError, match="create a new SavedTensorRecorder"), recorder:
        pass


def test_the_hooks_are_removed_even_when_the_block_raises():
    x = torch.ones(3, requires_grad=True)
    saved = SavedTensorRecorder()

    def record_then_fail() -> None:
        with saved:
            x.sin()
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        record_then_fail()
    x.exp()
    assert saved.count == 1


@pytest.mark.parametrize(
    ("exclude", "match"),
    [
        (3, "exclude must be a tensor or an iterable of tensors, got int"),
        (["weight"], "exclude must hold only tensors, got a str"),
    ],
)
def test_exclude_refuses_what_is_not_tensors(exclude, match):
    with SavedTensorRecorder() as saved:
        pass
    with pytest.raises(TypeError, match=match):
        saved.saved_bytes(exclude=exclude)
    with pytest.raises(TypeError, match=match):
        saved.held_bytes(exclude=exclude)


def test_keeps_refuses_what_is_not_a_tensor():
    with SavedTensorRecorder() as saved:
        pass
    with pytest.raises(TypeError, match=r"tensor must be a torch\.Tensor, got list"):
        saved.keeps([1.0])
