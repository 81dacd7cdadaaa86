"""list, tuple or dict of modules, parameters or tensors assigned to a module attribute.

## What it does
Checks for a list, tuple or dict (a display or a comprehension, also one repeated: `[t] * n`)
whose elements are all modules, parameters or tensors, assigned to `self.<name>` in `__init__`
(or a method it calls) of an `nn.Module` subclass, directly or through a local bound to it once
that nothing else in the method reads or changes (`layers = [...]` then `self.layers = layers`).

## Why is this bad?
`nn.Module` registers only what is assigned directly: modules inside a plain list are
invisible to `.to()`, `parameters()` (so the optimizer never trains them),
`train()`/`eval()` and `state_dict()`. `nn.ModuleList`/`nn.ModuleDict` (and
`nn.ParameterList`/`nn.ParameterDict`) register their elements.

## Known problems
Not reported when the class registers the elements one by one (`add_module`,
`register_buffer` or `setattr` with computed names), when it stores a registered container
under the same name elsewhere (but in a branch that excludes this assignment:
`if learn: self.v = nn.ParameterList(...)` / `else: self.v = values`), for complex tensor
tables, or when the local holding the container is also used otherwise (passed to
`nn.Sequential(*layers)`, appended to).

## Example
```python
from torch import nn


class MLP(nn.Module):
    def __init__(self, depth: int = 3) -> None:
        super().__init__()
        self.layers = [nn.Linear(8, 8) for _ in range(depth)]
```

## Use instead
```python
from torch import nn


class MLP(nn.Module):
    def __init__(self, depth: int = 3) -> None:
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(8, 8) for _ in range(depth)])
```

## Options
- `module-bases`: more base classes that make a class an `nn.Module`

## Fix safety
Unsafe: it adds `state_dict()` keys (old checkpoints fail strict loading) and
`parameters()` entries, and the attribute is no longer a list or tuple. No fix for lists of
tensors (register each, or stack them into one buffer), nor for dicts whose keys are not
string literals.

## References
- [`nn.ModuleList`](https://pytorch.org/docs/stable/generated/torch.nn.ModuleList.html)
- [`nn.ModuleDict`](https://pytorch.org/docs/stable/generated/torch.nn.ModuleDict.html)
- [`nn.ParameterList`](https://pytorch.org/docs/stable/generated/torch.nn.ParameterList.html)
- [`nn.ParameterDict`](https://pytorch.org/docs/stable/generated/torch.nn.ParameterDict.html)
"""

from __future__ import annotations

from collections.abc import Iterator

from buffer_lint.analysis.facts import (
    AttributeAssignment,
    ClassFacts,
    Container,
    ContainerShape,
    TargetShape,
    ValueKind,
)
from buffer_lint.findings import Applicability, Fix, FixAvailability, Span, WrapValue
from buffer_lint.rules.base import Violation
from buffer_lint.rules.registration import torch_nn_name
from buffer_lint.settings import Settings

MESSAGES = {
    ValueKind.MODULE: (
        "{container} of modules '{name}' is not registered: its modules are invisible to .to(), "
        "parameters() (the optimizer never trains them) and state_dict(); use nn.{registered}(...)"
    ),
    ValueKind.PARAMETER: (
        "{container} of parameters '{name}' is not registered: they are missing from parameters() "
        "(the optimizer never trains them), .to() and state_dict(); use nn.{registered}(...)"
    ),
    ValueKind.TENSOR: (
        "{container} of tensors '{name}' is not registered: the tensors stay on the CPU after .to() "
        "and are not in state_dict(); register each with self.register_buffer(...), or stack them into one buffer"
    ),
}
# (kind of the elements, is a dict) -> the registering container of torch.nn
REGISTERED = {
    (ValueKind.MODULE, False): "ModuleList",
    (ValueKind.MODULE, True): "ModuleDict",
    (ValueKind.PARAMETER, False): "ParameterList",
    (ValueKind.PARAMETER, True): "ParameterDict",
}


def check(cls: ClassFacts, settings: Settings) -> Iterator[Violation]:
    if cls.has_class_attribute("_apply") or cls.registers_computed_names or not cls.initializes_module:
        return  # the class moves its own tensors, or registers the elements one by one
    for assignment in cls.assignments:
        container = assignment.container
        kind = cls.element_kind(assignment)
        if container is None or not assignment.site.on_init_path or kind not in MESSAGES or _rewrapped(cls, assignment):
            continue
        if assignment.name in cls.applied_elsewhere or container.stateless:
            continue  # another module's _apply maps it; or losses and activations: nothing to move
        if kind is ValueKind.TENSOR and cls.may_be_complex(assignment):
            continue  # complex tables: registered, .to(dtype) would drop their imaginary part
        registered = REGISTERED.get((kind, container.shape is ContainerShape.DICT), "")
        message = MESSAGES[kind].format(container=container.shape.value, name=assignment.name, registered=registered)
        yield Violation(assignment.site.statement, message, _fix(cls, assignment, container, registered))


def _rewrapped(cls: ClassFacts, assignment: AttributeAssignment) -> bool:
    """The class stores something else under the name too (``nn.ModuleList(self.layers)``, say), but for a
    branch that excludes this one (``if learn: self.v = nn.ParameterList(...)`` / ``else: self.v = values``)."""
    return any(
        other.kind not in (ValueKind.CONTAINER, ValueKind.NONE) and not other.site.excludes(assignment.site)
        for other in cls.assignments_to(assignment.name)
    )


def _fix(cls: ClassFacts, assignment: AttributeAssignment, container: Container, registered: str) -> Fix | None:
    if not registered or assignment.shape not in (TargetShape.PLAIN, TargetShape.ANNOTATED):
        return None
    if container.shape is ContainerShape.DICT and not container.string_keys:
        return None  # nn.ModuleDict takes string keys only
    callee, imports = torch_nn_name(cls, registered)
    return Fix("unsafe", (WrapValue(Span.of(assignment.site.statement), callee), *imports))


FIX_TITLE = "`nn.ModuleList`/`nn.ModuleDict`, `nn.ParameterList`/`nn.ParameterDict`"
FIX_APPLICABILITY: Applicability | None = "unsafe"
FIX_AVAILABILITY: FixAvailability = "sometimes"
