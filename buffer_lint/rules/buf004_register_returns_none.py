"""result of register_buffer/register_parameter/register_module/add_module assigned.

## What it does
Checks for assignments of the result of `register_buffer`, `register_parameter`,
`register_module` or `add_module` in an `nn.Module` subclass.

## Why is this bad?
These methods return None. `self.x = self.register_buffer("x", t)` registers the buffer and
then assigns None to it: the buffer silently becomes None, vanishes from `state_dict()`, and
`forward` fails far from the cause. Assigning to another name stores None there.

## Known problems
Only calls on `self` with the methods `nn.Module` defines are read; a class that defines its
own `register_buffer` is left alone.

## Example
```python
import torch
from torch import nn


class Table(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.table = self.register_buffer("table", torch.arange(10))
```

## Use instead
```python
import torch
from torch import nn


class Table(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("table", torch.arange(10))
```

## Options
- `module-bases`: more base classes that make a class an `nn.Module`

## Fix safety
Unsafe: the tensor, None until now, reappears in `forward` and in `state_dict()`. The fix
(keep the call, drop the assignment) is offered only when the target is the registered name
itself; another target would vanish for the code that reads it.

## References
- [`register_buffer`](https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_buffer)
"""

from __future__ import annotations

from collections.abc import Iterator

from buffer_lint.analysis.facts import ClassFacts, RegisterResult
from buffer_lint.findings import Applicability, DropAssignment, Fix, FixAvailability, Span
from buffer_lint.rules.base import Violation
from buffer_lint.settings import Settings

MESSAGE = (
    "{method}() returns None: this assignment sets {target} to None{consequence}; "
    "call self.{method}(...) on its own without assigning its result"
)


def check(cls: ClassFacts, settings: Settings) -> Iterator[Violation]:
    for result in cls.register_results:
        statement = result.site.statement
        message = MESSAGE.format(
            method=result.method_name, target=_describe_targets(result.targets), consequence=_consequence(result)
        )
        yield Violation(statement, message, _fix(result))


def _consequence(result: RegisterResult) -> str:
    if result.replaces_registered:
        return f", replacing the '{result.registered_name}' it just registered"
    return ""


def _describe_targets(targets: tuple[str, ...]) -> str:
    return " and ".join(f"'{t}'" for t in targets)


def _fix(result: RegisterResult) -> Fix | None:
    """Dropping the assignment is only right when the target is the registered name itself:
    any other target would no longer exist for the code that reads it."""
    if not result.replaces_registered:
        return None
    return Fix("unsafe", (DropAssignment(Span.of(result.site.statement)),))


FIX_TITLE = "keep the call, drop the assignment"
FIX_APPLICABILITY: Applicability | None = "unsafe"
FIX_AVAILABILITY: FixAvailability = "sometimes"
