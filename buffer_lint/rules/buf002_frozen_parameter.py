"""nn.Parameter created with requires_grad=False.

## What it does
Checks for `nn.Parameter(t, requires_grad=False)` (keyword or positional) assigned to
`self.<name>` in an `nn.Module` subclass, when nothing in the class unfreezes it.

## Why is this bad?
A parameter that never trains is a constant disguised as a weight: it is returned by
`parameters()`, so it reaches the optimizer's parameter groups, weight decay, gradient
clipping, and DDP/FSDP's assumptions about trainable state. A buffer is saved and moved with
the module just the same, and stays out of `parameters()`.

## Known problems
Not reported when the class unfreezes the parameter anywhere (a freeze/unfreeze schedule),
when a base class already holds a parameter of that name (`register_buffer` would raise),
in classes holding integer or float8 parameters (quantized storage that loaders read as
parameters), or in classes defined inside a function (adapters handed to a library).

## Example
```python
import torch
from torch import nn


class Normalize(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.mean = nn.Parameter(torch.tensor([0.485, 0.456, 0.406]), requires_grad=False)
```

## Use instead
```python
import torch
from torch import nn


class Normalize(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]))
```

## Options
- `buffer-style`: write `register_buffer(...)` (default) or `nn.Buffer(...)`
- `module-bases`: more base classes that make a class an `nn.Module`

## Fix safety
Unsafe: `state_dict()` keys stay the same, but the tensor leaves `parameters()`, which
changes optimizer parameter groups and what DDP/FSDP shard and synchronise. No fix when the
name is used elsewhere in the class in a way a buffer could not follow (see BUF001).

## References
- [`nn.Parameter`](https://pytorch.org/docs/stable/generated/torch.nn.parameter.Parameter.html)
- [`register_buffer`](https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_buffer)
"""

from __future__ import annotations

from collections.abc import Iterator

from buffer_lint.analysis.facts import AttributeAssignment, ClassFacts
from buffer_lint.findings import Applicability, Edit, Fix, FixAvailability
from buffer_lint.rules.base import Violation
from buffer_lint.rules.parameters import is_constant_parameter
from buffer_lint.rules.registration import buffer_edits, is_fixable_registration
from buffer_lint.settings import Settings

_CONSEQUENCE = (
    "a constant disguised as a weight, it still reaches parameters(), the optimizer and DDP/FSDP; "
    'use self.register_buffer("{name}", ...)'
)
MESSAGE = "parameter '{name}' is created with requires_grad=False: " + _CONSEQUENCE
# The runtime audit's (``--frozen``): a built model shows that a parameter is frozen, not when it was frozen.
BUILT_MESSAGE = "parameter '{name}' does not require grad in the built model: " + _CONSEQUENCE


def check(cls: ClassFacts, settings: Settings) -> Iterator[Violation]:
    for assignment in cls.assignments:
        if is_frozen_parameter(assignment) and is_constant_parameter(cls, assignment):
            statement = assignment.site.statement
            yield Violation(statement, MESSAGE.format(name=assignment.name), parameter_fix(cls, assignment, settings))


def is_frozen_parameter(assignment: AttributeAssignment) -> bool:
    return assignment.parameter is not None and assignment.parameter.requires_grad is False


def parameter_fix(
    cls: ClassFacts, assignment: AttributeAssignment, settings: Settings, extra_edits: tuple[Edit, ...] = ()
) -> Fix | None:
    """``self.register_buffer(name, <wrapped tensor>)`` in place of the parameter: unsafe, the
    tensor leaves parameters(). Shared with BUF003, which also removes the freezing statement."""
    parameter = assignment.parameter
    if parameter is None or parameter.tensor is None or not is_fixable_registration(cls, assignment):
        return None
    edits = buffer_edits(cls, assignment, settings, persistent=True, unwrap_parameter=True)
    return Fix("unsafe", edits + extra_edits)


FIX_TITLE = '`self.register_buffer("<name>", <t>)`'
FIX_APPLICABILITY: Applicability | None = "unsafe"
FIX_AVAILABILITY: FixAvailability = "sometimes"
