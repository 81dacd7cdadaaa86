"""Where each tensor attribute was assigned: ``tracing()`` records the line of the assignment of a
tensor or a container to a module attribute.

The first such assignment is kept while the attribute goes on holding the same kind of value (a tensor,
or a container): ``self.state = torch.zeros(4)`` then ``self.state += 1`` is located at the first
line, where ``check`` reports it, where a ``# noqa`` for both goes, and where ``register_buffer``
belongs. Assigning another kind of value (``None``, a module, a list instead of a tensor) starts over.

Inside the context, ``nn.Module.__setattr__`` is wrapped; the original is put back when the
last context (of any thread) exits, so code outside it runs the untouched method. Records are
keyed by ``id(module)`` (tensors cannot always be weakly referenced, modules can) and hold a
weak reference to the module, which both validates the key and drops the records when the
module dies. Records outlive the context: build under it, audit afterwards.
"""

from __future__ import annotations

import sys
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from types import CodeType, FrameType
from typing import Any, Callable

import torch
from torch import nn

# The values whose assignment is recorded: what the audit may report.
RECORDED = (torch.Tensor, list, tuple, dict)

_lock = threading.Lock()
_depth = 0
_original_setattr: Callable[[nn.Module, str, Any], None] = nn.Module.__setattr__
# id(module) -> (weak reference to the module, attribute name -> (code, lasti, line, holds a tensor) of the
# assignment that set it)
_sites: dict[int, tuple[weakref.ref[nn.Module], dict[str, tuple[CodeType, int, int, bool]]]] = {}


@dataclass(frozen=True)
class Site:
    """The instruction that made an assignment; turned into a position only when reported."""

    code: CodeType
    lasti: int
    line: int

    @property
    def filename(self) -> str:
        return self.code.co_filename

    def position(self) -> tuple[int, int | None]:
        """The 1-based line and the 0-based UTF-8 byte column (None where Python does not say) of the store."""
        positions = getattr(self.code, "co_positions", None)  # Python >= 3.11
        if positions is None:
            return self.line, None
        line, _, col, _ = next((p for i, p in enumerate(positions()) if i == self.lasti // 2), (None,) * 4)
        return line or self.line, col


@contextmanager
def tracing() -> Iterator[None]:
    """Record, for the modules built or changed inside, which line assigned each tensor or container."""
    _start()
    try:
        yield
    finally:
        _stop()


def is_tracing() -> bool:
    return _depth > 0


def site_of(module: nn.Module, name: str) -> Site | None:
    """The assignment that set ``module.<name>`` to a tensor (or a container) under ``tracing()``: the first
    of those since it last held something else."""
    entry = _sites.get(id(module))
    if entry is None or entry[0]() is not module or name not in entry[1]:
        return None
    return Site(*entry[1][name][:3])


def _start() -> None:
    global _depth, _original_setattr
    with _lock:
        if _depth == 0:
            _original_setattr = nn.Module.__setattr__
            nn.Module.__setattr__ = _recording_setattr  # type: ignore[method-assign]
        _depth += 1


def _stop() -> None:
    global _depth
    with _lock:
        _depth -= 1
        if _depth == 0:
            nn.Module.__setattr__ = _original_setattr  # type: ignore[method-assign]


def _recording_setattr(module: nn.Module, name: str, value: Any) -> None:
    _original_setattr(module, name, value)
    if isinstance(value, RECORDED):
        _record(module, name, isinstance(value, torch.Tensor), sys._getframe(1))
    else:
        entry = _sites.get(id(module))
        if entry is not None and entry[0]() is module:
            entry[1].pop(name, None)  # another kind of value: the next tensor or container starts over


def _record(module: nn.Module, name: str, tensor: bool, frame: FrameType) -> None:
    key = id(module)
    entry = _sites.get(key)
    if entry is None or entry[0]() is not module:
        entry = (weakref.ref(module, partial(_forget, key)), {})
        _sites[key] = entry
    previous = entry[1].get(name)
    if previous is not None and previous[3] == tensor:
        return  # the same kind again (self.state += 1): the first assignment stays the place
    while frame.f_code.co_name == "__setattr__" and frame.f_back is not None:
        frame = frame.f_back  # a subclass's __setattr__ calling super(): report its caller
    entry[1][name] = (frame.f_code, frame.f_lasti, frame.f_lineno, tensor)  # a Site only when asked for: cheaper


def _forget(key: int, reference: weakref.ref[nn.Module]) -> None:
    entry = _sites.get(key)
    if entry is not None and entry[0] is reference:
        del _sites[key]
