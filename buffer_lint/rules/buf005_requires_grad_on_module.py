"""requires_grad assigned on a module instead of calling requires_grad_().

## What it does
Checks for `<module>.requires_grad = False` (or `True`) where the target is a module: `self`
in an `nn.Module` subclass, or an attribute the class assigns a submodule.

## Why is this bad?
`nn.Module` has no `requires_grad` attribute: the assignment creates a plain Python
attribute and freezes nothing. The parameters keep training, the optimizer keeps updating
them, and nothing says so. `requires_grad_()` sets the flag on every parameter of the
module.

## Known problems
Not reported on tensors or parameters (`self.w.requires_grad = False` on a parameter is
real), nor on `self` when the class reads `self.requires_grad` as its own flag.

## Example
```python
from torch import nn


class Classifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Linear(8, 8)
        self.head = nn.Linear(8, 2)
        self.backbone.requires_grad = False
```

## Use instead
```python
from torch import nn


class Classifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Linear(8, 8)
        self.head = nn.Linear(8, 2)
        self.backbone.requires_grad_(False)
```

## Options
- `module-bases`: more base classes that make a class an `nn.Module`

## Fix safety
Unsafe: the module is now really frozen (or unfrozen), which changes what trains.

## References
- [`requires_grad_`](https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.requires_grad_)
"""

from __future__ import annotations

from collections.abc import Iterator

from buffer_lint.analysis.facts import ClassFacts, GradToggle, ValueKind
from buffer_lint.findings import Applicability, Fix, FixAvailability, Span, ToMethodCall
from buffer_lint.rules.base import Violation
from buffer_lint.settings import Settings

MESSAGE = (
    "'{target}.requires_grad = {value}' sets a plain attribute on a module and {effect}: "
    "its parameters still {verb}; call {target}.requires_grad_({value})"
)


def check(cls: ClassFacts, settings: Settings) -> Iterator[Violation]:
    for toggle in cls.grad_toggles:
        target = _module_target(cls, toggle)
        value = toggle.assigned
        if target is None or value is None:
            continue
        statement = toggle.site.statement
        effect, verb = ("freezes nothing", "train") if toggle.freezes else ("changes nothing", "keep their setting")
        message = MESSAGE.format(target=target, value=value, effect=effect, verb=verb)
        yield Violation(statement, message, Fix("unsafe", (ToMethodCall(Span.of(statement), "requires_grad_"),)))


def _module_target(cls: ClassFacts, toggle: GradToggle) -> str | None:
    """``self`` or ``self.<submodule>`` when the toggle sets ``requires_grad`` on a module by assignment."""
    self_name = toggle.site.method.self_name
    if toggle.on_self:
        return None if cls.reads_attribute("requires_grad") else self_name
    if toggle.name is not None and _is_submodule(cls, toggle.name):
        return f"{self_name}.{toggle.name}"
    return None


def _is_submodule(cls: ClassFacts, name: str) -> bool:
    if cls.registered_names.get(name) == "module":
        return True
    kinds = {ValueKind.MODULE if cls.builds_module(a) else a.kind for a in cls.assignments_to(name)}
    return kinds == {ValueKind.MODULE} or kinds == {ValueKind.MODULE, ValueKind.NONE}


FIX_TITLE = "`<module>.requires_grad_(<value>)`"
FIX_APPLICABILITY: Applicability | None = "unsafe"
FIX_AVAILABILITY: FixAvailability = "sometimes"
