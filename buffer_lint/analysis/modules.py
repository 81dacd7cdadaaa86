"""Which base classes make a class an ``nn.Module``, and what those bases already hold."""

from __future__ import annotations

from buffer_lint.analysis.torch_api import (
    DYNAMIC_NAME_CLASSES,
    MODULE_CLASS_BUFFERS,
    MODULE_CLASS_PARAMETERS,
    MODULE_CLASSES,
)

# (top-level package, class name) of framework base classes that subclass nn.Module.
FRAMEWORK_BASES = frozenset(
    {
        ("lightning", "LightningModule"),
        ("pytorch_lightning", "LightningModule"),
        ("transformers", "PreTrainedModel"),
        ("diffusers", "ModelMixin"),
    }
)

# Attributes a framework reads as plain attributes: never buffers.
FRAMEWORK_PLAIN_ATTRIBUTES = frozenset({"example_input_array"})


def torch_module_class(qualified: str) -> str | None:
    """``torch.nn.modules.conv.Conv2d`` -> ``Conv2d``; None unless a torch.nn module class."""
    parts = qualified.split(".")
    if len(parts) >= 3 and parts[0] == "torch" and parts[1] == "nn" and parts[-1] in MODULE_CLASSES:
        return parts[-1]
    return None


def is_module_base(qualified: str, extra_bases: frozenset[str]) -> bool:
    if qualified in extra_bases or torch_module_class(qualified):
        return True
    parts = qualified.split(".")
    return (parts[0], parts[-1]) in FRAMEWORK_BASES


def base_parameters(qualified: str) -> frozenset[str] | None:
    """Parameter names a torch.nn base creates; None when they cannot be known statically."""
    cls = torch_module_class(qualified)
    if cls is None:
        return frozenset()
    if cls in DYNAMIC_NAME_CLASSES:
        return None
    return frozenset(MODULE_CLASS_PARAMETERS.get(cls, ()))


def base_buffers(qualified: str) -> frozenset[str]:
    cls = torch_module_class(qualified)
    return frozenset(MODULE_CLASS_BUFFERS.get(cls, ())) if cls else frozenset()
