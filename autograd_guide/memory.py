"""Counting what a forward pass saves for the backward pass, with saved-tensor hooks."""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import torch

__all__ = ["SavedTensor", "SavedTensorRecorder"]


@dataclass(frozen=True)
class SavedTensor:
    """One tensor that autograd saved for the backward pass.

    Attributes
    ----------
    shape
        The shape of the saved tensor.
    dtype
        Its data type.
    nbytes
        The bytes of its own elements, ``numel() * element_size()``.
    storage
        The number the recorder gave to the storage the tensor lives in:
        0 for the first storage it saw, 1 for the next, and so on. Tensors
        that share memory (a parameter and its transpose, an output and the
        same tensor saved again as the input of the next operation) get the
        same number. ``None`` for a tensor without a storage of its own, such
        as a sparse tensor, whose memory the recorder does not count: its
        ``nbytes`` and ``storage_nbytes`` are 0.
    storage_nbytes
        The bytes of that whole storage, which is what stays in memory while
        the tensor is saved (a saved slice keeps all of its base alive).
    """

    shape: tuple[int, ...]
    dtype: torch.dtype
    nbytes: int
    storage: int | None
    storage_nbytes: int


class _Packed:
    """What the graph holds instead of a saved tensor: the tensor and its version."""

    __slots__ = ("__weakref__", "tensor", "version")

    def __init__(self, tensor: torch.Tensor, version: int) -> None:
        self.tensor = tensor
        self.version = version


class _Storage:
    """A storage the recorder has seen, and the saved tensors that live in it."""

    __slots__ = ("nbytes", "number", "reference", "saved")

    def __init__(self, storage: torch.UntypedStorage, number: int) -> None:
        # Weak references only: the recorder must not keep memory alive.
        self.reference = weakref.ref(storage)
        self.number = number
        self.nbytes = storage.nbytes()
        self.saved: list[weakref.ref[_Packed]] = []

    def is_held(self) -> bool:
        return any(packed() is not None for packed in self.saved)


def _untyped_storage(tensor: torch.Tensor) -> torch.UntypedStorage | None:
    """Return the storage of ``tensor``, or None for layouts without one (sparse, nested)."""
    try:
        return tensor.untyped_storage()
    except (RuntimeError, NotImplementedError):
        return None


class SavedTensorRecorder:
    """Record the tensors that autograd saves for the backward pass while the block runs.

    Inside ``with SavedTensorRecorder() as saved:``, every tensor that an
    operation saves for its backward step passes through a pack hook
    (:class:`torch.autograd.graph.saved_tensors_hooks`). The recorder notes
    its shape, dtype and storage and saves the tensor itself, unchanged, so
    the backward pass computes exactly what it would without the recorder.
    It holds only weak references: what it records is kept or freed as it
    would be without it.

    Bytes are counted per storage, once: two saved tensors that share memory
    cost that memory once. The tensors the caller passes in are never copied
    or modified.

    Autograd does not check whether a tensor saved through saved-tensor hooks
    was changed in place after it was saved. The recorder makes that check
    itself when the backward pass unpacks the tensor, and raises
    :class:`RuntimeError` as autograd would.

    Notes
    -----
    Only the innermost saved-tensor hooks are called, so tensors saved inside
    :func:`torch.utils.checkpoint.checkpoint` or
    :class:`torch.autograd.graph.save_on_cpu` within the block go to those
    hooks and are not recorded. Inside :func:`torch.no_grad` or
    :func:`torch.inference_mode` nothing is saved, so nothing is recorded.

    Examples
    --------
    ``x.sin()`` saves its input and ``x.exp()`` its output; ``a * b`` saves
    both of its factors, one of which is that same output:

    >>> import torch
    >>> x = torch.ones(3, requires_grad=True)
    >>> with SavedTensorRecorder() as saved:
    ...     a = x.sin()
    ...     b = x.exp()
    ...     c = a * b
    >>> saved.count, saved.storage_count, saved.saved_bytes()
    (4, 3, 36)
    >>> [record.storage for record in saved.records]
    [0, 1, 1, 2]
    >>> c.sum().backward()
    >>> saved.held_bytes()
    0
    """

    def __init__(self) -> None:
        self._records: list[SavedTensor] = []
        self._storages: list[_Storage] = []
        self._hooks: torch.autograd.graph.saved_tensors_hooks | None = None
        self._used = False

    def __enter__(self) -> Self:
        if self._used:
            raise RuntimeError(
                "this SavedTensorRecorder has already recorded a block; "
                "create a new SavedTensorRecorder() for each with-block"
            )
        self._used = True
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, self._unpack)
        self._hooks.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._hooks is not None
        self._hooks.__exit__(exc_type, exc, traceback)
        self._hooks = None

    def _pack(self, tensor: torch.Tensor) -> _Packed:
        # detach() shares memory and the version counter, and holds no
        # reference back to the graph (returning the tensor itself would).
        packed = _Packed(tensor.detach(), tensor._version)
        storage = _untyped_storage(tensor)
        entry = None if storage is None else self._find_or_add(storage)
        if entry is not None:
            entry.saved.append(weakref.ref(packed))
        self._records.append(
            SavedTensor(
                shape=tuple(tensor.shape),
                dtype=tensor.dtype,
                nbytes=0 if entry is None else tensor.numel() * tensor.element_size(),
                storage=None if entry is None else entry.number,
                storage_nbytes=0 if entry is None else entry.nbytes,
            )
        )
        return packed

    @staticmethod
    def _unpack(packed: _Packed) -> torch.Tensor:
        if packed.tensor._version != packed.version:
            raise RuntimeError(
                f"a tensor of shape {tuple(packed.tensor.shape)} saved for the backward pass "
                f"was modified by an in-place operation after it was saved: it is at version "
                f"{packed.tensor._version}, saved at version {packed.version}. Autograd does "
                f"not check tensors saved through saved-tensor hooks, so SavedTensorRecorder "
                f"does; apply the in-place operation to a copy (.clone()) or use its "
                f"out-of-place form"
            )
        return packed.tensor

    def _find_or_add(self, storage: torch.UntypedStorage) -> _Storage:
        # PyTorch keeps one Python object per live storage, so identity of
        # that object is identity of the memory, and an address reused after
        # a free can never be mistaken for the old storage.
        for entry in self._storages:
            if entry.reference() is storage:
                return entry
        entry = _Storage(storage, len(self._storages))
        self._storages.append(entry)
        return entry

    @property
    def records(self) -> tuple[SavedTensor, ...]:
        """One entry per tensor saved, in the order they were saved."""
        return tuple(self._records)

    @property
    def count(self) -> int:
        """The number of tensors saved, counting a tensor saved twice twice."""
        return len(self._records)

    @property
    def storage_count(self) -> int:
        """The number of distinct storages the saved tensors live in."""
        return len(self._storages)

    def saved_bytes(self, exclude: torch.Tensor | Iterable[torch.Tensor] = ()) -> int:
        """Return the bytes of the distinct storages saved in the block, each counted once.

        Parameters
        ----------
        exclude
            Tensors whose storages are not counted, typically
            ``model.parameters()``: they stay in memory whether or not a
            graph saves them. A single tensor or any iterable of tensors.

        Returns
        -------
        int
            The sum of the storages' sizes in bytes.

        Raises
        ------
        TypeError
            If ``exclude`` is not a tensor or an iterable of tensors.
        """
        left_out = self._storages_of(exclude)
        return sum(entry.nbytes for entry in self._storages if entry.number not in left_out)

    def held_bytes(self, exclude: torch.Tensor | Iterable[torch.Tensor] = ()) -> int:
        """Return the bytes of the saved storages that a graph still holds now.

        A graph lets go of its saved tensors when the backward pass through it
        is done (unless ``retain_graph=True``) or when the graph itself is
        freed. ``exclude`` is as for :meth:`saved_bytes`.
        """
        left_out = self._storages_of(exclude)
        return sum(
            entry.nbytes
            for entry in self._storages
            if entry.number not in left_out and entry.is_held()
        )

    def keeps(self, tensor: torch.Tensor) -> bool:
        """Return whether a graph still holds a saved tensor that shares memory with ``tensor``."""
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(
                f"tensor must be a torch.Tensor, got {type(tensor).__name__}; "
                f"pass the tensor whose memory you are asking about"
            )
        storage = _untyped_storage(tensor)
        return any(entry.reference() is storage and entry.is_held() for entry in self._storages)

    def _storages_of(self, tensors: torch.Tensor | Iterable[torch.Tensor]) -> set[int]:
        """Return the numbers of the recorded storages that ``tensors`` live in."""
        if isinstance(tensors, torch.Tensor):
            tensors = (tensors,)
        if not isinstance(tensors, Iterable):
            raise TypeError(
                f"exclude must be a tensor or an iterable of tensors, got "
                f"{type(tensors).__name__}; pass for example model.parameters()"
            )
        numbers: set[int] = set()
        for tensor in tensors:
            if not isinstance(tensor, torch.Tensor):
                raise TypeError(
                    f"exclude must hold only tensors, got a {type(tensor).__name__}; "
                    f"pass for example model.parameters()"
                )
            storage = _untyped_storage(tensor)
            numbers.update(entry.number for entry in self._storages if entry.reference() is storage)
        return numbers
