"""nn.Parameter frozen in the same __init__ that creates it.

## What it does
Checks for `self.p = nn.Parameter(t)` followed, in the same `__init__` (or a method it
calls), by `self.p.requires_grad = False` or `self.p.requires_grad_(False)`, when nothing in
the class unfreezes it. Reported at the freezing statement.

## Why is this bad?
A parameter frozen as soon as it is created is a constant: it still sits in `parameters()`,
reaching the optimizer, weight decay and DDP/FSDP, and readers take it for a weight. A
buffer says what it is.

## Known problems
Not reported when the class unfreezes the parameter anywhere (a freeze/unfreeze schedule),
nor in the cases BUF002 skips.

## Example
```python
import torch
from torch import nn


class Scale(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(4))
        self.scale.requires_grad = False
```

## Use instead
```python
import torch
from torch import nn


class Scale(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("scale", torch.ones(4))
```

## Options
- `buffer-style`: write `register_buffer(...)` (default) or `nn.Buffer(...)`
- `module-bases`: more base classes that make a class an `nn.Module`

## Fix safety
Unsafe, as for BUF002: `state_dict()` keys stay the same, but the tensor leaves
`parameters()`. The fix also removes the freezing statement. No fix where BUF002 would offer
none.

## References
- [`nn.Parameter`](https://pytorch.org/docs/stable/generated/torch.nn.parameter.Parameter.html)
- [`register_buffer`](https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_buffer)
"""

from __future__ import annotations

from collections.abc import Iterator

from buffer_lint.analysis.facts import AttributeAssignment, ClassFacts, GradToggle, ValueKind
from buffer_lint.findings import Applicability, FixAvailability, RemoveStatement, Span
from buffer_lint.rules.base import Violation
from buffer_lint.rules.buf002_frozen_parameter import is_frozen_parameter, parameter_fix
from buffer_lint.rules.parameters import is_constant_parameter
from buffer_lint.settings import Settings

MESSAGE = (
    "parameter '{name}' is frozen right after it is created: it never trains but still reaches "
    "parameters(), the optimizer and DDP/FSDP; "
    'use self.register_buffer("{name}", ...) instead of nn.Parameter'
)


def check(cls: ClassFacts, settings: Settings) -> Iterator[Violation]:
    reported: set[str] = set()
    for toggle in cls.grad_toggles:
        creation = _created_parameter(cls, toggle)
        if creation is None or creation.name in reported or not is_constant_parameter(cls, creation):
            continue
        reported.add(creation.name)
        removals = tuple(
            RemoveStatement(Span.of(t.site.statement), t.site.alone_in_block) for t in _freezes_of(cls, creation)
        )
        fix = parameter_fix(cls, creation, settings, removals)
        yield Violation(toggle.site.statement, MESSAGE.format(name=creation.name), fix)


def _created_parameter(cls: ClassFacts, toggle: GradToggle) -> AttributeAssignment | None:
    """The init-path ``self.p = nn.Parameter(t)`` that this init-path freeze applies to."""
    if not (toggle.freezes and toggle.site.on_init_path and toggle.name):
        return None
    creations = [
        a
        for a in cls.assignments_to(toggle.name)
        if a.site.on_init_path and a.site.order < toggle.site.order and a.kind is ValueKind.PARAMETER
    ]
    if not creations or any(is_frozen_parameter(a) for a in creations):
        return None  # created frozen: BUF002's finding
    return creations[-1]


def _freezes_of(cls: ClassFacts, creation: AttributeAssignment) -> Iterator[GradToggle]:
    return (t for t in cls.grad_toggles if t.name == creation.name and t.freezes and t.site.on_init_path)


FIX_TITLE = "as BUF002, and the freezing statement is removed"
FIX_APPLICABILITY: Applicability | None = "unsafe"
FIX_AVAILABILITY: FixAvailability = "sometimes"
