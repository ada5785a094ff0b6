"""Data-parallel gradients, computed for real by CPU processes that talk over gloo on 127.0.0.1.

:func:`data_parallel_gradients` starts the processes from any Python program,
notebooks included; each of them runs :func:`data_parallel_worker`. The
processes are started with ``spawn``, so the function they run must live in
an importable module, not in a notebook.
"""

from __future__ import annotations

import copy
import gc
import os
import pickle
import socket
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args, get_type_hints

import torch
import torch.distributed as dist

# torch.distributed re-exports these without declaring it, so mypy finds them
# only where they are defined; they are the same classes.
from torch._C._distributed_c10d import GradBucket, TCPStore
from torch.multiprocessing.spawn import start_processes
from torch.nn.parallel import DistributedDataParallel

from autograd_guide._validation import require_int, require_real

__all__ = [
    "AccumulationPlan",
    "DataParallelRun",
    "data_parallel_gradients",
    "data_parallel_worker",
]

LossFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
NoSyncScope = Literal["none", "forward_and_backward", "backward_only"]
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class AccumulationPlan:
    """How each process accumulates its gradient over micro-batches in one step.

    Attributes
    ----------
    micro_batches
        The number of parts each process cuts its share of the batch into,
        calling ``backward`` once for each.
    no_sync
        Where :meth:`~torch.nn.parallel.DistributedDataParallel.no_sync` is
        used for every micro-batch but the last: ``"none"`` (not at all),
        ``"forward_and_backward"`` (around the forward and the backward pass,
        as the documentation asks) or ``"backward_only"`` (around the
        backward pass alone).
    """

    micro_batches: int = 1
    no_sync: NoSyncScope = "none"

    def __post_init__(self) -> None:
        require_int(
            self.micro_batches, "micro_batches", minimum=1, advice="pass a whole number such as 4"
        )
        if self.no_sync not in get_args(NoSyncScope):
            choices = ", ".join(repr(choice) for choice in get_args(NoSyncScope))
            raise ValueError(f"no_sync must be one of {choices}, got {self.no_sync!r}")


@dataclass(frozen=True)
class DataParallelRun:
    """What every process of a data-parallel step ended with.

    Attributes
    ----------
    plan
        The plan the step followed.
    gradients
        One dictionary per process, in rank order: the ``.grad`` of each
        parameter, keyed by its name in ``model.named_parameters()``.
    allreduces
        One count per process: how many times DistributedDataParallel
        all-reduced a bucket of gradients during the step.
    """

    plan: AccumulationPlan
    gradients: tuple[dict[str, torch.Tensor], ...]
    allreduces: tuple[int, ...]


class _AllReduceCounter:
    """The state of :func:`_counting_allreduce_hook`: the number of its calls."""

    def __init__(self) -> None:
        self.count = 0


def _counting_allreduce_hook(
    state: _AllReduceCounter, bucket: GradBucket
) -> torch.futures.Future[torch.Tensor]:
    """Count one all-reduce, then average the bucket as DDP does by default.

    DDP's default hook divides the bucket by the number of processes and sums
    it across them. This one does the same, but waits for the all-reduce and
    returns a future that is already complete. The default hook instead chains
    a Python callback to gloo's future; releasing that callback needs the GIL
    on gloo's own thread, while the process, dropping its last DDP object,
    joins that thread with the GIL held. With torch 2.13 this hung the
    processes at exit in about half of the launches on a 2-core machine.
    """
    state.count += 1
    tensor = bucket.buffer()
    tensor.div_(dist.get_world_size())
    dist.all_reduce(tensor)
    done: torch.futures.Future[torch.Tensor] = torch.futures.Future()
    done.set_result(tensor)
    return done


# DistributedDataParallel checks a hook's annotations against the classes
# themselves, and this module's annotations are strings (PEP 563).
_counting_allreduce_hook.__annotations__ = get_type_hints(_counting_allreduce_hook)


def _use_loopback_for_gloo() -> None:
    """Make gloo talk over the loopback interface, so that nothing leaves the machine."""
    names = {name for _, name in socket.if_nameindex()}
    for loopback in ("lo", "lo0"):
        if loopback in names:
            # Read by gloo when the process group is created (torch.distributed docs,
            # "Choosing the network interface to use").
            os.environ["GLOO_SOCKET_IFNAME"] = loopback
            return


def data_parallel_worker(
    rank: int,
    world_size: int,
    port: int,
    model: torch.nn.Module,
    loss_fn: LossFunction,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    plans: Sequence[AccumulationPlan],
) -> list[tuple[dict[str, torch.Tensor], int]]:
    """Run the data-parallel steps of one process, and return what it ends with.

    :func:`data_parallel_gradients` starts ``world_size`` processes that each
    call this function with their ``rank``. The process joins the gloo
    process group whose store listens on ``port`` of 127.0.0.1, takes its
    share of the batch (the ``rank``-th of ``world_size`` parts along the
    first dimension), and for each plan wraps a fresh copy of ``model`` in
    :class:`~torch.nn.parallel.DistributedDataParallel` and accumulates the
    gradient of its share's mean loss over the plan's micro-batches. A
    communication hook counts the all-reduces. The process leaves the group
    before returning.

    Returns
    -------
    list of tuple
        One ``(gradients, allreduces)`` pair per plan: the ``.grad`` of each
        parameter by name, and the number of all-reduces.

    Examples
    --------
    With ``world_size=1``, this process is the whole group. Two micro-batches,
    the first under ``no_sync()``, give the gradient of the whole batch after
    one all-reduce (of the process with itself):

    >>> import torch
    >>> store = torch.distributed.TCPStore("127.0.0.1", 0, None, True, wait_for_workers=False)
    >>> model = torch.nn.Linear(1, 1)
    >>> inputs, targets = torch.arange(4.0).reshape(4, 1), torch.zeros(4, 1)
    >>> plan = AccumulationPlan(micro_batches=2, no_sync="forward_and_backward")
    >>> [(gradients, allreduces)] = data_parallel_worker(
    ...     0, 1, store.port, model, torch.nn.MSELoss(), inputs, targets, [plan]
    ... )
    >>> torch.nn.MSELoss()(model(inputs), targets).backward()
    >>> torch.allclose(gradients["weight"], model.weight.grad), allreduces
    (True, 1)
    """
    store = TCPStore(LOOPBACK, port, world_size, is_master=False)
    dist.init_process_group("gloo", store=store, rank=rank, world_size=world_size)
    try:
        share_inputs = inputs.tensor_split(world_size)[rank]
        share_targets = targets.tensor_split(world_size)[rank]
        outcome = []
        for plan in plans:
            ddp = DistributedDataParallel(copy.deepcopy(model))
            counter = _AllReduceCounter()
            ddp.register_comm_hook(counter, _counting_allreduce_hook)
            parts = list(
                zip(
                    share_inputs.tensor_split(plan.micro_batches),
                    share_targets.tensor_split(plan.micro_batches),
                    strict=True,
                )
            )
            for index, (x, y) in enumerate(parts):
                weight = x.shape[0] / share_inputs.shape[0]
                last = index == len(parts) - 1
                if plan.no_sync == "forward_and_backward" and not last:
                    with ddp.no_sync():
                        loss = loss_fn(ddp(x), y) * weight
                        torch.autograd.backward(loss)
                elif plan.no_sync == "backward_only" and not last:
                    loss = loss_fn(ddp(x), y) * weight
                    with ddp.no_sync():
                        torch.autograd.backward(loss)
                else:
                    loss = loss_fn(ddp(x), y) * weight
                    torch.autograd.backward(loss)
            gradients = {
                name: parameter.grad.detach().clone()
                for name, parameter in ddp.module.named_parameters()
                if parameter.grad is not None
            }
            outcome.append((gradients, counter.count))
            del ddp, loss
        return outcome
    finally:
        _leave_process_group()


def _leave_process_group() -> None:
    """Destroy the default process group once gloo's thread has nothing left to release.

    Dropping the last reference to a gloo process group joins its worker
    thread while this thread holds the GIL. If the worker thread is still
    releasing a finished job that refers to a Python object, it waits for the
    GIL, and neither thread moves: with torch 2.13 this hung a process now and
    then as it left :func:`data_parallel_worker`. So the DDP objects are
    dropped while the group is still registered (their reducers then do not
    hold its last reference), every process waits at a barrier for all jobs to
    finish, and the GIL is given up for a moment so that the worker thread can
    release them, before the group is destroyed.
    """
    gc.collect()
    dist.barrier()
    time.sleep(0.1)
    dist.destroy_process_group()


def _run_worker(
    rank: int,
    world_size: int,
    port: int,
    model: torch.nn.Module,
    loss_fn: LossFunction,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    plans: Sequence[AccumulationPlan],
    results: str,
) -> None:
    """Set up a new process, run the worker, and write its results to ``results/rank<rank>.pt``."""
    torch.set_num_threads(1)  # two processes on two cores: no oversubscription
    _use_loopback_for_gloo()
    outcome = data_parallel_worker(rank, world_size, port, model, loss_fn, inputs, targets, plans)
    torch.save(outcome, Path(results) / f"rank{rank}.pt")


def _require_picklable(value: object, name: str, advice: str) -> None:
    """Raise unless ``value`` can be sent to a new process."""
    try:
        pickle.dumps(value)
    except (pickle.PicklingError, TypeError, AttributeError) as error:
        raise TypeError(
            f"{name} must be picklable to reach the worker processes ({error}); {advice}"
        ) from None


def _require_examples(value: object, name: str) -> torch.Tensor:
    """Return ``value`` if it is a tensor of examples along its first dimension, else raise."""
    if not isinstance(value, torch.Tensor) or value.dim() == 0:
        shown = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
        raise TypeError(
            f"{name} must be a tensor with one example per entry of its first dimension, "
            f"got {shown}; pass a tensor of shape (examples, ...)"
        )
    return value


def _require_batch(inputs: object, targets: object, world_size: int) -> int:
    """Check the batch and return the size of the smallest share."""
    examples = _require_examples(inputs, "inputs").shape[0]
    target_count = _require_examples(targets, "targets").shape[0]
    if examples != target_count:
        raise ValueError(
            f"inputs hold {examples} examples but targets hold {target_count}; "
            f"pass one target per input"
        )
    if examples < world_size:
        raise ValueError(
            f"the batch of {examples} examples cannot give each of {world_size} "
            f"processes an example; pass at least {world_size} examples"
        )
    return examples // world_size


def data_parallel_gradients(
    model: torch.nn.Module,
    loss_fn: LossFunction,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    plans: Sequence[AccumulationPlan],
    *,
    world_size: int = 2,
    timeout: float = 240.0,
) -> list[DataParallelRun]:
    """Compute data-parallel gradients with real processes, one step per plan.

    Starts ``world_size`` processes (with the ``spawn`` method, so it works
    from a notebook) that form a gloo process group on 127.0.0.1. A
    :class:`torch.distributed.TCPStore` in this process, listening on a port
    the operating system picked as free, introduces them to each other. Each
    process runs :func:`data_parallel_worker`: it takes its share of the
    batch and, for each plan, computes the gradient of its share's mean loss
    with :class:`~torch.nn.parallel.DistributedDataParallel`, which averages
    the gradients across the processes.

    Parameters
    ----------
    model
        The model; each step starts from a copy of it, with the same
        parameters in every process. It is not changed.
    loss_fn
        ``loss_fn(predictions, targets)`` returns the mean loss over the
        examples it is given. It must be picklable, like
        :class:`torch.nn.MSELoss`.
    inputs, targets
        The whole batch, with one example per entry of the first dimension.
        Process ``r`` takes the ``r``-th part of
        ``torch.tensor_split(inputs, world_size)``.
    plans
        The steps to run, one :class:`AccumulationPlan` each, in one launch
        of the processes.
    world_size
        The number of processes, at least 1.
    timeout
        Seconds to wait for the processes to finish, a positive number; then
        they are stopped and :class:`TimeoutError` is raised.

    Returns
    -------
    list of DataParallelRun
        One per plan, in order.

    Raises
    ------
    TypeError
        If an argument has the wrong type, or ``model`` or ``loss_fn`` cannot
        be pickled.
    ValueError
        If the batch is empty, ``inputs`` and ``targets`` differ in length, a
        process would get fewer examples than its plan's micro-batches, or
        ``plans`` is empty.
    TimeoutError
        If the processes do not finish within ``timeout`` seconds.

    Examples
    --------
    Two processes, each with half of a batch of 4, end with the full-batch
    gradient after one all-reduce each:

    >>> import torch
    >>> model = torch.nn.Linear(1, 1)
    >>> inputs, targets = torch.arange(4.0).reshape(4, 1), torch.zeros(4, 1)
    >>> (run,) = data_parallel_gradients(
    ...     model, torch.nn.MSELoss(), inputs, targets, [AccumulationPlan()]
    ... )
    >>> torch.nn.MSELoss()(model(inputs), targets).backward()
    >>> torch.allclose(run.gradients[0]["weight"], model.weight.grad)
    True
    >>> run.allreduces
    (1, 1)
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(
            f"model must be a torch.nn.Module, got {type(model).__name__}; "
            f"pass a model such as torch.nn.Linear(1, 1)"
        )
    if not callable(loss_fn):
        raise TypeError(
            f"loss_fn must be callable, got {type(loss_fn).__name__}; "
            f"pass a loss such as torch.nn.MSELoss()"
        )
    processes = require_int(
        world_size, "world_size", minimum=1, advice="pass a whole number such as 2"
    )
    seconds = require_real(timeout, "timeout", example="120.0", bound="positive")
    smallest_share = _require_batch(inputs, targets, processes)
    if isinstance(plans, AccumulationPlan) or not isinstance(plans, Sequence):
        raise TypeError(
            f"plans must be a list of AccumulationPlan, got {type(plans).__name__}; "
            f"pass for example [AccumulationPlan(micro_batches=2)]"
        )
    if not plans:
        raise ValueError("plans is empty; pass at least one AccumulationPlan")
    for plan in plans:
        if not isinstance(plan, AccumulationPlan):
            raise TypeError(
                f"plans must hold only AccumulationPlan, got a {type(plan).__name__}; "
                f"pass for example [AccumulationPlan(micro_batches=2)]"
            )
        if plan.micro_batches > smallest_share:
            raise ValueError(
                f"micro_batches={plan.micro_batches} is more than the {smallest_share} examples "
                f"of the smallest share; pass a number from 1 to {smallest_share}"
            )
    _require_picklable(model, "model", "use layers from torch.nn or classes defined in a module")
    _require_picklable(
        loss_fn,
        "loss_fn",
        "pass a loss object such as torch.nn.MSELoss() or a function defined in a module",
    )
    # The store listens on a port the operating system chose as free; the
    # processes only connect to it, so no port is ever guessed.
    store = TCPStore(LOOPBACK, 0, None, is_master=True, wait_for_workers=False)
    with tempfile.TemporaryDirectory() as results:
        context = start_processes(  # type: ignore[no-untyped-call]
            _run_worker,
            args=(processes, store.port, model, loss_fn, inputs, targets, list(plans), results),
            nprocs=processes,
            join=False,
            start_method="spawn",
        )
        deadline = time.monotonic() + seconds
        while not context.join(timeout=max(0.0, deadline - time.monotonic())):
            if time.monotonic() >= deadline:
                for process in context.processes:
                    process.kill()
                    process.join()
                raise TimeoutError(
                    f"the {processes} data-parallel processes did not finish within "
                    f"{seconds:g} s; pass a larger timeout on a slow or busy machine"
                )
        outcomes = [
            torch.load(Path(results) / f"rank{rank}.pt", weights_only=True)
            for rank in range(processes)
        ]
    return [
        DataParallelRun(
            plan=plan,
            gradients=tuple(outcome[index][0] for outcome in outcomes),
            allreduces=tuple(outcome[index][1] for outcome in outcomes),
        )
        for index, plan in enumerate(plans)
    ]
