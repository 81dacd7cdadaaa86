"""What BUF001-BUF003 share: when an attribute can become a buffer, and the edits that make it one."""

from __future__ import annotations

from dataclasses import replace

from buffer_lint.analysis.facts import AttributeAssignment, ClassFacts, TargetShape, ValueKind
from buffer_lint.analysis.torch_api import MODULE_ATTRIBUTES
from buffer_lint.findings import AddImport, Edit, Span, ToRegisterBuffer
from buffer_lint.settings import Settings


def is_fixable_registration(cls: ClassFacts, assignment: AttributeAssignment) -> bool:
    """Whether registering a buffer in place of this assignment is right for every use of the name."""
    name = assignment.name
    if assignment.shape not in (TargetShape.PLAIN, TargetShape.ANNOTATED):
        return False
    if assignment.before_super_init or assignment.assigned_before:
        return False
    if cls.has_class_attribute(name) or name in MODULE_ATTRIBUTES:
        return False  # register_buffer raises KeyError on a name that already exists
    if name in cls.deleted or any(a.copies == name for a in cls.assignments):
        return False  # self.weight = self.W; del self.W: the value moves on, the buffer would not
    return all(
        other is assignment
        or other.kind in (ValueKind.TENSOR, ValueKind.NONE)
        or other.shape is TargetShape.AUGMENTED  # x += v keeps a tensor a tensor
        for other in cls.assignments_to(name)
    )


def buffer_edits(
    cls: ClassFacts, assignment: AttributeAssignment, settings: Settings, *, persistent: bool, unwrap_parameter: bool
) -> tuple[Edit, ...]:
    """Edits that register the assigned tensor as a buffer, in the configured style."""
    edit = ToRegisterBuffer(Span.of(assignment.site.statement), assignment.name, persistent, unwrap_parameter)
    if settings.buffer_style != "nn.Buffer":
        return (edit,)
    buffer_class, imports = torch_nn_name(cls, "Buffer")
    return (replace(edit, buffer_class=buffer_class), *imports)


def torch_nn_name(cls: ClassFacts, attribute: str) -> tuple[str, tuple[AddImport, ...]]:
    """How the file can write ``torch.nn.<attribute>``, with the import to add if it cannot yet."""
    existing = cls.imports.local_name_for(f"torch.nn.{attribute}")
    if existing:
        return existing, ()
    if cls.imports.binds("nn"):
        return f"torch.nn.{attribute}", (AddImport("import torch", cls.imports.insertion_line),)
    return f"nn.{attribute}", (AddImport("from torch import nn", cls.imports.insertion_line),)
