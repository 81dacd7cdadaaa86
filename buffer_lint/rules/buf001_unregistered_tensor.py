"""BUF001 unregistered-tensor."""

from __future__ import annotations

from collections.abc import Iterator

from buffer_lint.analysis.classes import AttributeAssignment, ClassFacts, TargetShape, ValueKind
from buffer_lint.analysis.modules import FRAMEWORK_PLAIN_ATTRIBUTES
from buffer_lint.rules.base import Finding, Fix, Rule
from buffer_lint.rules.registration import buffer_edits, is_fixable_registration
from buffer_lint.settings import Settings

MESSAGE = (
    "tensor attribute '{name}' is not registered: it stays on the CPU after .to()/.cuda() "
    'and is not in state_dict(); use self.register_buffer("{name}", ..., persistent=False)'
)


def check(cls: ClassFacts, settings: Settings) -> Iterator[Finding]:
    if "_apply" in cls.class_attributes or not cls.initializes_module:
        return  # the class (or a same-file base) moves its own tensors; or it is no working module
    reported: set[str] = set()
    for assignment in cls.assignments:
        name = assignment.name
        if not _is_unregistered_tensor(cls, assignment) or cls.may_be_complex(assignment):
            continue  # complex tables: .to(dtype) would drop a complex buffer's imaginary part
        if assignment.assigned_before and name in reported:
            continue  # an update of a tensor already reported
        reported.add(name)
        yield Finding.at(
            assignment.site.statement, "BUF001", MESSAGE.format(name=name), _fix(cls, assignment, settings)
        )


def _is_unregistered_tensor(cls: ClassFacts, assignment: AttributeAssignment) -> bool:
    return (
        assignment.site.on_init_path
        and assignment.kind is ValueKind.TENSOR
        and assignment.shape is not TargetShape.AUGMENTED
        and assignment.name not in cls.registered_names
        and assignment.name not in FRAMEWORK_PLAIN_ATTRIBUTES
    )


def _fix(cls: ClassFacts, assignment: AttributeAssignment, settings: Settings) -> Fix | None:
    if not is_fixable_registration(cls, assignment):
        return None
    edits = buffer_edits(cls, assignment, settings, persistent=settings.persistent, unwrap_parameter=False)
    # transformers re-creates non-persistent buffers after from_pretrained and refills them only
    # through the model's _init_weights: the fix changes what a loaded model holds.
    unsafe = settings.persistent or cls.is_transformers_model
    return Fix("unsafe" if unsafe else "safe", edits)


RULE = Rule(
    code="BUF001",
    name="unregistered-tensor",
    summary="tensor assigned to a module attribute without registering it as a buffer",
    what_it_does=(
        "Checks for tensors assigned to `self.<name>` in the `__init__` of an `nn.Module` "
        "subclass (or in a method `__init__` calls), where `<name>` is not a registered "
        "buffer or parameter."
    ),
    why_is_this_bad=(
        "A plain tensor attribute is invisible to the module: it stays on the CPU after "
        '`model.cuda()` or `model.to(device)` ("Expected all tensors to be on the same '
        'device"), ignores `.half()`/`.double()`, and is not saved in `state_dict()`. '
        "A buffer follows the module everywhere."
    ),
    example="""\
import torch
from torch import nn


class CausalMask(nn.Module):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.mask = torch.tril(torch.ones(size, size))
""",
    use_instead="""\
import torch
from torch import nn


class CausalMask(nn.Module):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.register_buffer("mask", torch.tril(torch.ones(size, size)), persistent=False)
""",
    fix_safety=(
        "Safe: `persistent=False` keeps `state_dict()` exactly as it was, and the tensor now "
        "follows `.to()`. With `persistent = true` configured the fix is unsafe: it adds a "
        "`state_dict()` key, so old checkpoints fail strict loading. No fix is offered when "
        "the name is assigned elsewhere in the class a value that is not a tensor or None, "
        "for chained or tuple targets, before `super().__init__()`, or when the name "
        "already exists on the class. In a transformers `PreTrainedModel` the fix is unsafe: "
        "transformers re-creates non-persistent buffers after `from_pretrained` and refills them "
        "only through the model's `_init_weights`. Complex tensors (`torch.polar`, complex dtypes) "
        "are not reported: `.to(dtype)` would drop a complex buffer's imaginary part."
    ),
    fix_title='`self.register_buffer("<name>", <expr>, persistent=False)`',
    fix_applicability="safe",
    check=check,
)
