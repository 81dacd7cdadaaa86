"""Import ``package.module:callable`` and build the model it names, on a device context."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any


class BuildError(Exception):
    """The target could not be imported or built; the message is one line for the user."""


def load_target(target: str) -> Any:
    """The callable ``package.module:name`` (``name`` may be dotted) names; the working directory is importable."""
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise BuildError(f"expected TARGET as package.module:callable, got {target!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        value: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            value = getattr(value, part)
    except Exception as error:  # user code: any failure is reported in one line
        raise BuildError(f"cannot import {target}: {_one_line(error)}") from error
    if not callable(value):
        raise BuildError(f"{target} is not callable (a model class or a factory function)")
    return value


def build(factory: Any, kwargs: dict[str, Any], device: str) -> Any:
    """``factory(**kwargs)`` under ``with torch.device(device)``; it must return an ``nn.Module``."""
    import torch

    try:
        with torch.device(device):
            model = factory(**kwargs)
    except Exception as error:  # user code: any failure is reported in one line
        raise BuildError(f"building on the {device} device failed: {_one_line(error)}") from error
    if not isinstance(model, torch.nn.Module):
        raise BuildError(f"the target returned {type(model).__name__}, not a torch.nn.Module")
    return model


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
