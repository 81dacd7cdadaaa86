"""The runtime audit: build real models and report the state that would not follow ``model.to(...)``.

This is the one part of buffer-lint that imports torch, and it does so lazily: importing
``buffer_lint.audit`` (as the ``audit`` subcommand and the pytest plugin do at start-up)
costs nothing until ``audit``, ``tracing`` or ``AuditFinding`` is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from buffer_lint.audit.core import AuditFinding, audit, to_file_results
    from buffer_lint.audit.sites import tracing

__all__ = ["AuditFinding", "audit", "to_file_results", "tracing"]

_HOMES = {"AuditFinding": "core", "audit": "core", "to_file_results": "core", "tracing": "sites"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
