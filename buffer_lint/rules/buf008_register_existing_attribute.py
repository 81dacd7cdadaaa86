"""register_buffer/register_parameter of a name already assigned a plain value.

## What it does
Checks for `register_buffer("<name>", ...)` or `register_parameter("<name>", ...)` in
`__init__` (or a method it calls) after `self.<name>` was assigned a plain value (a tensor,
None, a number, a list...) on the way there.

## Why is this bad?
`register_buffer` refuses a name that already exists as a plain attribute: building the
module raises `KeyError: "attribute '<name>' already exists"`.

## Known problems
Only literal names are compared; `register_buffer(f"x{i}", ...)` is not read.

## Example
```python
import torch
from torch import nn


class Window(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.window = torch.hann_window(16)
        self.register_buffer("window", torch.hann_window(16))
```

## Use instead
```python
import torch
from torch import nn


class Window(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("window", torch.hann_window(16))
```

## Options
- `module-bases`: more base classes that make a class an `nn.Module`

## Fix safety
No fix: which of the two statements to keep is the author's decision.

## References
- [`register_buffer`](https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_buffer)
"""

from __future__ import annotations

from collections.abc import Iterator

from buffer_lint.analysis.facts import ClassFacts
from buffer_lint.findings import Applicability, FixAvailability
from buffer_lint.rules.base import Violation
from buffer_lint.settings import Settings

MESSAGE = (
    '{method}("{name}") after self.{name} was assigned a plain value: raises KeyError '
    "\"attribute '{name}' already exists\" when the module is built; register first "
    '(self.{method}("{name}", None)) and assign after, or drop the earlier assignment'
)


def check(cls: ClassFacts, settings: Settings) -> Iterator[Violation]:
    for registration in cls.registrations:
        if registration.after_plain_value and registration.kind in ("buffer", "parameter"):
            message = MESSAGE.format(method=registration.method_name, name=registration.name)
            yield Violation(registration.site.statement, message)


FIX_TITLE = ""
FIX_APPLICABILITY: Applicability | None = None
FIX_AVAILABILITY: FixAvailability = "never"
