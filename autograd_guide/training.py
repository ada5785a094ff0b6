"""Training helpers: seeded synthetic data, and a gradient accumulated over micro-batches."""

from __future__ import annotations

from collections.abc import Callable

import torch

from autograd_guide._validation import (
    describe_number,
    require_data_device,
    require_graph_recording,
    require_int,
    require_module,
    require_real,
    require_tensor_output,
)

__all__ = ["accumulated_gradient", "linear_regression_data"]

LossFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

# Data are float32: weights, biases and targets must stay below its largest value.
_FLOAT32_MAX = torch.finfo(torch.float32).max
# The most float32 values a tensor can hold while its size in bytes fits torch's int64.
_MOST_FLOAT32_VALUES = (2**63 - 1) // 4


_LOSS_WITHOUT_PARAMETERS = (
    "the loss does not depend on any parameter of the model through autograd; check that "
    "parameters require gradients and that loss_fn does not use .item(), .numpy() or .detach()"
)


def _require_examples(value: object, name: str) -> int:
    """Return the number of examples in a batch tensor, or raise if it is not one."""
    if not isinstance(value, torch.Tensor) or value.dim() == 0:
        shown = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
        raise TypeError(
            f"{name} must be a tensor with one example per entry of its first dimension, "
            f"got {shown}; pass a tensor of shape (examples, ...)"
        )
    require_data_device(value, name)
    return value.shape[0]


def _require_batch(
    model: object, loss_fn: object, inputs: object, targets: object, micro_batches: object
) -> int:
    """Check the arguments of accumulated_gradient and return the number of micro-batches."""
    model = require_module(model, example="torch.nn.Linear(1, 1)")
    for name, parameter in model.named_parameters():
        if parameter.is_inference():
            raise ValueError(
                f"model's parameter {name!r} was created inside torch.inference_mode(), so "
                f"autograd cannot record operations on it; build the model outside that block"
            )
    if not any(parameter.requires_grad for parameter in model.parameters()):
        raise ValueError(
            "model has no parameter that requires gradients, so there is no gradient to "
            "accumulate; unfreeze the parameters to train with parameter.requires_grad_(True)"
        )
    if not callable(loss_fn):
        raise TypeError(
            f"loss_fn must be callable, got {type(loss_fn).__name__}; "
            f"pass a loss such as torch.nn.MSELoss()"
        )
    total = _require_examples(inputs, "inputs")
    target_count = _require_examples(targets, "targets")
    if target_count != total:
        raise ValueError(
            f"inputs hold {total} examples but targets hold {target_count}; "
            f"pass one target per input"
        )
    if total == 0:
        raise ValueError(
            "inputs and targets hold no examples, and the mean loss over no examples is "
            "undefined; pass a batch of at least one example"
        )
    parts = require_int(
        micro_batches, "micro_batches", minimum=1, advice="pass a whole number such as 4"
    )
    if parts > total:
        raise ValueError(
            f"micro_batches must be at most the number of examples, {total}, got "
            f"{describe_number(parts)}; "
            f"pass a number from 1 to {total}"
        )
    return parts


def _require_mean_loss(loss: object) -> torch.Tensor:
    """Return a micro-batch loss as a 0-d tensor if it is a real one-element tensor in the graph."""
    loss = require_tensor_output(loss, "loss_fn")
    if loss.numel() != 1:
        raise TypeError(
            f"loss_fn must return a one-element tensor, got {tuple(loss.shape)}; "
            f"use a loss with reduction='mean'"
        )
    if not loss.requires_grad:
        raise ValueError(_LOSS_WITHOUT_PARAMETERS)
    return loss.reshape(())


def linear_regression_data(
    n: int = 64,
    *,
    weight: float = 3.0,
    bias: float = -2.0,
    noise: float = 0.1,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``n`` noisy points on the line ``y = weight * x + bias``, the same for every call.

    The inputs are drawn from a standard normal distribution and the targets
    get Gaussian noise of standard deviation ``noise``. A private
    :class:`torch.Generator` seeded with ``seed`` draws both, so the data do not
    depend on, or change, PyTorch's global random state.

    Parameters
    ----------
    n
        The number of points, at least 1.
    weight, bias
        The slope and intercept of the true line, finite numbers within the
        float32 range (magnitude at most about ``3.4e38``).
    noise
        The standard deviation of the noise added to the targets, a number
        from 0 to the float32 maximum (0 puts every point on the line).
    seed
        The seed of the generator, from ``-2**63`` to ``2**64 - 1`` as
        :meth:`torch.Generator.manual_seed` accepts; the same seed gives the
        same data.

    Returns
    -------
    tuple of torch.Tensor
        ``(inputs, targets)``, two float32 tensors of shape ``(n, 1)``: one
        example per row, as :class:`torch.nn.Linear` expects.

    Raises
    ------
    TypeError
        If ``n`` or ``seed`` is not an int, or ``weight``, ``bias`` or
        ``noise`` is not a real number.
    ValueError
        If ``n`` is less than 1 or too large for a tensor, ``seed`` is out of
        range, ``weight``, ``bias`` or ``noise`` is not finite or outside the
        float32 range, ``noise`` is negative, or the targets they give are too
        large for float32.

    Examples
    --------
    Without noise, every point lies on the line:

    >>> import torch
    >>> inputs, targets = linear_regression_data(3, noise=0.0)
    >>> inputs
    tensor([[ 1.5410],
            [-0.2934],
            [-2.1788]])
    >>> torch.equal(targets, 3.0 * inputs - 2.0)
    True
    >>> torch.equal(linear_regression_data(3, noise=0.0)[0], inputs)
    True
    """
    n = require_int(
        n, "n", minimum=1, maximum=_MOST_FLOAT32_VALUES, advice="pass a whole number such as 64"
    )
    slope = require_real(weight, "weight", example="3.0", largest=_FLOAT32_MAX)
    intercept = require_real(bias, "bias", example="-2.0", largest=_FLOAT32_MAX)
    spread = require_real(noise, "noise", example="0.1", bound="non-negative", largest=_FLOAT32_MAX)
    seed = require_int(
        seed, "seed", minimum=-(2**63), maximum=2**64 - 1, advice="pass a whole number such as 0"
    )
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, 1, generator=generator)
    targets = slope * inputs + intercept + spread * torch.randn(n, 1, generator=generator)
    if not bool(torch.isfinite(targets).all()):
        raise ValueError(
            f"weight={slope:g}, bias={intercept:g} and noise={spread:g} make some targets "
            f"larger than float32 can hold (about 3.4e+38), so they would be infinite; "
            f"pass smaller values"
        )
    return inputs, targets


def accumulated_gradient(
    model: torch.nn.Module,
    loss_fn: LossFunction,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    micro_batches: int,
) -> dict[str, torch.Tensor]:
    """Return the gradient of the batch loss, accumulated over micro-batches.

    The batch is cut along its first dimension into ``micro_batches`` parts
    with :func:`torch.tensor_split`. Each part's mean loss is weighted by the
    part's share of the examples before ``backward``, so the gradients that
    accumulate in ``.grad`` add up to the gradient of the mean loss over the
    whole batch, even when the parts differ in size. With ``micro_batches=1``
    this is the ordinary full-batch gradient.

    Parameters
    ----------
    model
        The model; its existing gradients are discarded (set to ``None``) first.
        If the call raises, they are put back as they were.
    loss_fn
        ``loss_fn(predictions, targets)`` must return the *mean* loss over the
        examples it is given, as a one-element tensor (PyTorch's losses do so
        with their default ``reduction="mean"``).
    inputs, targets
        The batch, with one example per entry of the first dimension. They
        are constants of the loss: no gradient reaches them, even when they
        require gradients.
    micro_batches
        The number of parts, from 1 to the number of examples.

    Returns
    -------
    dict[str, torch.Tensor]
        A copy of the accumulated gradient of each parameter, keyed by its
        name in ``model.named_parameters()``. Parameters that received no
        gradient (frozen, or not used by the loss) are left out, just as an
        optimizer skips them. The same gradients stay in the parameters'
        ``.grad``, ready for ``optimizer.step()``.

    Raises
    ------
    TypeError
        If ``model`` is not a :class:`torch.nn.Module`, ``loss_fn`` is not
        callable or does not return a real one-element tensor, ``inputs`` or
        ``targets`` is not a tensor, or ``micro_batches`` is not an int.
    ValueError
        If the batch is empty, ``inputs`` and ``targets`` hold different
        numbers of examples, ``micro_batches`` is out of range, the model has
        no parameter that requires gradients, a tensor is on the ``meta``
        device, a parameter was made under :func:`torch.inference_mode`, the
        call is made inside it, or the loss does not depend on any parameter
        through autograd.

    Notes
    -----
    Layers that look across the batch, such as :class:`torch.nn.BatchNorm1d`,
    see each micro-batch on its own, so for models that contain them the
    result differs from the full-batch gradient.

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Linear(1, 1)
    >>> inputs, targets = linear_regression_data(8)
    >>> whole = accumulated_gradient(model, torch.nn.MSELoss(), inputs, targets, 1)
    >>> parts = accumulated_gradient(model, torch.nn.MSELoss(), inputs, targets, 3)
    >>> sorted(parts)
    ['bias', 'weight']
    >>> all(torch.allclose(parts[name], whole[name], atol=1e-6) for name in whole)
    True
    """
    require_graph_recording("accumulated_gradient")
    parts = _require_batch(model, loss_fn, inputs, targets, micro_batches)
    trainable = [parameter for parameter in model.parameters() if parameter.requires_grad]
    # The data are constants of the loss, so no gradient reaches the caller's tensors; a clone
    # turns a tensor made under inference mode into one that autograd can save.
    data = [t.clone() if t.is_inference() else t.detach() for t in (inputs, targets)]
    previous = [parameter.grad for parameter in model.parameters()]
    model.zero_grad(set_to_none=True)
    try:
        with torch.enable_grad():
            for part_inputs, part_targets in zip(
                torch.tensor_split(data[0], parts), torch.tensor_split(data[1], parts), strict=True
            ):
                loss = _require_mean_loss(loss_fn(model(part_inputs), part_targets))
                share = part_inputs.shape[0] / inputs.shape[0]
                torch.autograd.backward(loss * share, inputs=trainable)
        if all(parameter.grad is None for parameter in trainable):
            raise ValueError(_LOSS_WITHOUT_PARAMETERS)
    except BaseException:
        for parameter, grad in zip(model.parameters(), previous, strict=True):
            parameter.grad = grad
        raise
    return {
        name: parameter.grad.detach().clone()
        for name, parameter in model.named_parameters()
        if parameter.grad is not None
    }
