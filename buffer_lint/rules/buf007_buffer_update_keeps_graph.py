"""registered buffer updated, outside __init__, from a value that carries autograd history.

## What it does
Checks for a registered buffer assigned or updated outside `__init__` (`=`, `+=`, tuple
unpacking, in-place methods such as `.add_()`) from a value computed from the method's
inputs, the module's parameters or its submodules' calls, with no `.detach()` and not under
`torch.no_grad()`/`torch.inference_mode()` (context manager or decorator).

## Why is this bad?
The buffer keeps a reference to the autograd graph that produced it. The next step builds on
it: memory grows with every step, and the second `backward()` fails with "Trying to backward
through the graph a second time". In-place updates such as `self.running.mul_(m).add_(x)`
with an `x` that requires grad do the same.

## Known problems
History is traced through the method's own locals, the module's parameters, its
submodules' calls and parameters (`self.proj.weight`; not `self.proj.in_features`); values
that come from other objects are taken to carry none. A module passed in counts as a
submodule when its argument is annotated with a module class (`encoder: nn.Module`).

## Example
```python
import torch
from torch import nn


class Accumulator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("total", torch.tensor(0.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.total += x.sum()
        return x
```

## Use instead
```python
import torch
from torch import nn


class Accumulator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("total", torch.tensor(0.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.total += x.sum().detach()
        return x
```

## Options
- `module-bases`: more base classes that make a class an `nn.Module`

## Fix safety
Unsafe: gradients no longer flow through the buffer's new value (which is the point, but
code that relied on it changes). The fix appends `.detach()` to a single right-hand side;
tuple targets (`out, self.hidden = self.rnn(x, self.hidden)`) and in-place updates get no
fix.

## References
- Locally disabling gradient computation:
  <https://pytorch.org/docs/stable/notes/autograd.html#locally-disabling-gradient-computation>
- [`register_buffer`](https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_buffer)
"""

from __future__ import annotations

from collections.abc import Iterator

from buffer_lint.analysis.autograd import GraphTracer
from buffer_lint.analysis.facts import AttributeAssignment, ClassFacts, TargetShape
from buffer_lint.findings import AppendDetach, Applicability, Fix, FixAvailability, Span
from buffer_lint.rules.base import Violation
from buffer_lint.settings import Settings

MESSAGE = (
    "buffer '{name}' is updated from a value that carries autograd history: every step's graph stays "
    'alive (memory grows, "Trying to backward through the graph a second time"); '
    "{remedy}"
)
DETACH = "append .detach() to the new value, or update it under torch.no_grad()"
NO_GRAD = "update it under torch.no_grad(), or detach what it is updated with"


def check(cls: ClassFacts, settings: Settings) -> Iterator[Violation]:
    buffers = cls.registered_as("buffer")
    if not buffers:
        return
    tracer = GraphTracer(cls)
    for assignment in cls.assignments:
        site = assignment.site
        if assignment.name in buffers and not site.on_init_path and not site.under_no_grad:
            if tracer.carries_history(assignment.right_side, site.method):
                remedy = DETACH if _fixable(assignment) else NO_GRAD
                yield Violation(site.statement, MESSAGE.format(name=assignment.name, remedy=remedy), _fix(assignment))
    for update in cls.inplace_updates:
        site = update.site
        if update.name in buffers and not site.on_init_path and not site.under_no_grad:
            if any(tracer.carries_history(argument, site.method) for argument in update.arguments):
                yield Violation(site.statement, MESSAGE.format(name=update.name, remedy=NO_GRAD))


def _fixable(assignment: AttributeAssignment) -> bool:
    return assignment.shape in (TargetShape.PLAIN, TargetShape.ANNOTATED, TargetShape.AUGMENTED)


def _fix(assignment: AttributeAssignment) -> Fix | None:
    if not _fixable(assignment):
        return None
    return Fix("unsafe", (AppendDetach(Span.of(assignment.site.statement)),))


FIX_TITLE = "append `.detach()` to the new value"
FIX_APPLICABILITY: Applicability | None = "unsafe"
FIX_AVAILABILITY: FixAvailability = "sometimes"
