"""BUF007 buffer-update-keeps-graph."""

from __future__ import annotations

from collections.abc import Iterator

from buffer_lint.analysis.autograd import GraphTracer
from buffer_lint.analysis.classes import AttributeAssignment, ClassFacts, TargetShape
from buffer_lint.rules.base import AppendDetach, Finding, Fix, Rule, Span
from buffer_lint.settings import Settings

MESSAGE = (
    "buffer '{name}' is updated from a value that carries autograd history: every step's graph stays "
    'alive (memory grows, "Trying to backward through the graph a second time"); '
    "{remedy}"
)
DETACH = "append .detach() to the new value, or update it under torch.no_grad()"
NO_GRAD = "update it under torch.no_grad(), or detach what it is updated with"


def check(cls: ClassFacts, settings: Settings) -> Iterator[Finding]:
    buffers = {name for name, kind in cls.registered_names.items() if kind == "buffer"}
    if not buffers:
        return
    tracer = GraphTracer(cls)
    for assignment in cls.assignments:
        site = assignment.site
        if assignment.name in buffers and not site.on_init_path and not site.under_no_grad:
            value = assignment.value if assignment.shape is not TargetShape.TUPLE else _whole_value(assignment)
            if tracer.carries_history(value, site.method):
                remedy = DETACH if _fixable(assignment) else NO_GRAD
                yield Finding.at(
                    site.statement, "BUF007", MESSAGE.format(name=assignment.name, remedy=remedy), _fix(assignment)
                )
    for update in cls.inplace_updates:
        site = update.site
        if update.name in buffers and not site.on_init_path and not site.under_no_grad:
            if any(tracer.carries_history(argument, site.method) for argument in update.arguments):
                yield Finding.at(site.statement, "BUF007", MESSAGE.format(name=update.name, remedy=NO_GRAD))


def _whole_value(assignment: AttributeAssignment):  # noqa: ANN202 - ast.expr | None
    return getattr(assignment.site.statement, "value", None)


def _fixable(assignment: AttributeAssignment) -> bool:
    return assignment.shape in (TargetShape.PLAIN, TargetShape.ANNOTATED, TargetShape.AUGMENTED)


def _fix(assignment: AttributeAssignment) -> Fix | None:
    if not _fixable(assignment):
        return None
    return Fix("unsafe", (AppendDetach(Span.of(assignment.site.statement)),))


RULE = Rule(
    code="BUF007",
    name="buffer-update-keeps-graph",
    summary="registered buffer updated, outside __init__, from a value that carries autograd history",
    what_it_does=(
        "Checks for a registered buffer assigned or updated outside `__init__` (`=`, `+=`, tuple "
        "unpacking, in-place methods such as `.add_()`) from a value computed from the method's "
        "inputs, the module's parameters or its submodules' calls, with no `.detach()` and not "
        "under `torch.no_grad()`/`torch.inference_mode()` (context manager or decorator)."
    ),
    why_is_this_bad=(
        "The buffer keeps a reference to the autograd graph that produced it. The next step "
        "builds on it: memory grows with every step, and the second `backward()` fails with "
        '"Trying to backward through the graph a second time". In-place updates such as '
        "`self.running.mul_(m).add_(x)` with an `x` that requires grad do the same."
    ),
    example="""\
import torch
from torch import nn


class Accumulator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("total", torch.tensor(0.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.total += x.sum()
        return x
""",
    use_instead="""\
import torch
from torch import nn


class Accumulator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("total", torch.tensor(0.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.total += x.sum().detach()
        return x
""",
    fix_safety=(
        "Unsafe: gradients no longer flow through the buffer's new value (which is the point, "
        "but code that relied on it changes). The fix appends `.detach()` to a single right-hand "
        "side; tuple targets (`out, self.hidden = self.rnn(x, self.hidden)`) and in-place updates "
        "get no fix."
    ),
    fix_title="append `.detach()` to the new value",
    fix_applicability="unsafe",
    check=check,
)
