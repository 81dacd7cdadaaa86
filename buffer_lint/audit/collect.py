"""The modules built while a test runs: ``nn.Module.__init__`` wrapped to keep each new module.

A test's modules are kept (strongly) only until the test has been audited: a model built as a
local variable is gone once the test function returns, before any hook could see it.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from torch import nn


class BuiltModules:
    def __init__(self) -> None:
        self._built: list[nn.Module] = []
        self._original: Callable[..., None] | None = None

    def start(self) -> None:
        original = nn.Module.__init__
        built = self._built

        @functools.wraps(original)
        def keeping_init(module: nn.Module, *args: Any, **kwargs: Any) -> None:
            original(module, *args, **kwargs)
            built.append(module)

        self._original = original
        nn.Module.__init__ = keeping_init  # type: ignore[method-assign]

    def stop(self) -> None:
        if self._original is not None:
            nn.Module.__init__ = self._original  # type: ignore[method-assign]
            self._original = None

    def take_models(self) -> list[nn.Module]:
        """The modules built since the last call that no other of them holds: the models; forgets them all."""
        built = list(self._built)
        self._built.clear()
        held = {id(child) for module in built for child in _children(module)}
        models = {id(module): module for module in built if id(module) not in held}
        return list(models.values())


def _children(module: nn.Module) -> list[nn.Module]:
    try:
        return list(module.modules())[1:]
    except Exception:  # a module whose __init__ failed half-way
        return []
