"""BUF002 frozen-parameter."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from buffer_lint.analysis.classes import AttributeAssignment, ClassFacts, ValueKind
from buffer_lint.rules.base import Edit, Finding, Fix, Rule
from buffer_lint.rules.parameters import is_constant_parameter, requires_grad_argument, wrapped_tensor
from buffer_lint.rules.registration import buffer_edits, is_fixable_registration
from buffer_lint.settings import Settings

MESSAGE = (
    "parameter '{name}' is created with requires_grad=False: a constant disguised as a weight, "
    "it still reaches parameters(), the optimizer and DDP/FSDP; "
    'use self.register_buffer("{name}", ...)'
)


def check(cls: ClassFacts, settings: Settings) -> Iterator[Finding]:
    for assignment in cls.assignments:
        if is_frozen_parameter(assignment) and is_constant_parameter(cls, assignment):
            statement = assignment.site.statement
            yield Finding.at(
                statement, "BUF002", MESSAGE.format(name=assignment.name), parameter_fix(cls, assignment, settings)
            )


def is_frozen_parameter(assignment: AttributeAssignment) -> bool:
    if assignment.kind is not ValueKind.PARAMETER:
        return False
    assert isinstance(assignment.value, ast.Call)
    flag = requires_grad_argument(assignment.value)
    return isinstance(flag, ast.Constant) and flag.value is False


def parameter_fix(
    cls: ClassFacts, assignment: AttributeAssignment, settings: Settings, extra_edits: tuple[Edit, ...] = ()
) -> Fix | None:
    """``self.register_buffer(name, <wrapped tensor>)`` in place of the parameter: unsafe, the
    tensor leaves parameters(). Shared with BUF003, which also removes the freezing statement."""
    if wrapped_tensor(assignment.value) is None or not is_fixable_registration(cls, assignment):
        return None
    edits = buffer_edits(cls, assignment, settings, persistent=True, unwrap_parameter=True)
    return Fix("unsafe", edits + extra_edits)


RULE = Rule(
    code="BUF002",
    name="frozen-parameter",
    summary="nn.Parameter created with requires_grad=False",
    what_it_does=(
        "Checks for `nn.Parameter(t, requires_grad=False)` (keyword or positional) assigned "
        "to `self.<name>` in an `nn.Module` subclass, when nothing in the class unfreezes it."
    ),
    why_is_this_bad=(
        "A parameter that never trains is a constant disguised as a weight: it is returned "
        "by `parameters()`, so it reaches the optimizer's parameter groups, weight decay, "
        "gradient clipping, and DDP/FSDP's assumptions about trainable state. A buffer is "
        "saved and moved with the module just the same, and stays out of `parameters()`."
    ),
    example="""\
import torch
from torch import nn


class Normalize(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.mean = nn.Parameter(torch.tensor([0.485, 0.456, 0.406]), requires_grad=False)
""",
    use_instead="""\
import torch
from torch import nn


class Normalize(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]))
""",
    fix_safety=(
        "Unsafe: `state_dict()` keys stay the same, but the tensor leaves `parameters()`, "
        "which changes optimizer parameter groups and what DDP/FSDP shard and synchronise. "
        "Not reported when the class unfreezes the parameter anywhere, or when a base class "
        "already holds a parameter of that name."
    ),
    fix_title='`self.register_buffer("<name>", <t>)`',
    fix_applicability="unsafe",
    check=check,
)
