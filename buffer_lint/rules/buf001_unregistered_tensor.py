"""tensor assigned to a module attribute without registering it as a buffer.

## What it does
Checks for tensors assigned to `self.<name>` in the `__init__` of an `nn.Module` subclass
(or in a method `__init__` calls, also through an inherited `__init__` that calls a method the
subclass overrides), where `<name>` is not a registered buffer or parameter on every path
(`if learn: self.x = nn.Parameter(self.x)` leaves `x` a plain tensor on the other path).
Each assignment that may store the name's first tensor is reported (`if isinstance(alpha, float):`
and `if isinstance(alpha, list):` each assign one); an assignment that every path reaches after
a tensor assignment of the name updates that tensor and is not.

A value is a tensor when torch's own stubs say so; when an annotation says so, also
`Optional[Tensor]`, `Tensor | None`, `Union[Tensor, None]` and `x: Tensor = None` (a buffer may
hold None), and likewise `t if c else None`; when `isinstance` narrows it
(`x if isinstance(x, Tensor) else torch.tensor(x)`,
`if not isinstance(x, Tensor): x = torch.as_tensor(x)`); when it is a call of a function or
method of the file annotated `-> Tensor` (`-> Optional[Tensor]`, `-> tuple[Tensor, Tensor]` for
tuple targets) or whose every `return` is a tensor (a returned local counts when every binding
of it that reaches the `return` binds a tensor: `emb = math.log(n)` then `emb = torch.exp(...)`);
and for tensor methods and arithmetic on a registered buffer or parameter
(`self.padding_total // 2`).

## Why is this bad?
A plain tensor attribute is invisible to the module: it stays on the CPU after
`model.cuda()` or `model.to(device)` ("Expected all tensors to be on the same device"),
ignores `.half()`/`.double()`, and is not saved in `state_dict()`. A buffer follows the
module everywhere.

## Known problems
Only `__init__` and the methods it calls are read. Tensors that come from calls the analysis
cannot resolve (functions of other libraries) are not reported: it prefers silence to a false
alarm. These are not reported, by decision:

* complex tensors (`torch.polar`, complex dtypes): `.to(dtype)` would drop a registered complex
  buffer's imaginary part;
* 0-d tensors made from a Python number (`torch.tensor(0.07)`, `torch.tensor(temperature)` for a
  `float` argument): PyTorch lets a 0-d CPU tensor mix with tensors on any device as a scalar;
* tensors used only as an index (`x[:, self.order]`): a CPU index tensor indexes a CUDA tensor;
* input slots and scratch placeholders: another method replaces the value with one made from its
  own arguments (`self.lengths = lengths`, `self.state = self.proj(x)`) before reading it;
* classes that define `_apply` (they move their own tensors), and framework attributes that must
  stay plain (`example_input_array` on a LightningModule).

A name that the class registers later is reported once, as BUF008, at the `register_buffer` call.

## Example
```python
import torch
from torch import nn


class CausalMask(nn.Module):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.mask = torch.tril(torch.ones(size, size))
```

## Use instead
```python
import torch
from torch import nn


class CausalMask(nn.Module):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.register_buffer("mask", torch.tril(torch.ones(size, size)), persistent=False)
```

## Options
- `persistent`: the new buffer goes in `state_dict()`
- `buffer-style`: write `register_buffer(...)` (default) or `nn.Buffer(...)`
- `module-bases`: more base classes that make a class an `nn.Module`

## Fix safety
Safe by default: `persistent=False` keeps `state_dict()` exactly as it was, and the tensor now
follows `.to()`. Unsafe when the value may be an argument of the method itself (`self.w = w`):
the caller may pass an `nn.Parameter`, which `register_buffer` would take out of
`parameters()`; with `persistent = true` configured (it adds a `state_dict()` key, so old
checkpoints fail strict loading); and in a transformers `PreTrainedModel`, or a module class
that such a model of the same file builds (transformers re-creates non-persistent buffers after
`from_pretrained` and refills them only through the model's `_init_weights`).

Sometimes there is no fix: when the name is assigned elsewhere in the class a value that is
not a tensor or None, for chained or tuple targets, before `super().__init__()`, or when the
name already exists on the class. Such findings are reported without one.

## References
- [`register_buffer`](https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_buffer)
- [`nn.Buffer`](https://pytorch.org/docs/stable/generated/torch.nn.parameter.Buffer.html) (torch >= 2.5)
"""

from __future__ import annotations

from collections.abc import Iterator

from buffer_lint.analysis.facts import (
    AttributeAssignment,
    ClassFacts,
    TargetShape,
    ValueKind,
    is_python_scalar,
    stores_argument,
)
from buffer_lint.analysis.modules import FRAMEWORK_PLAIN_ATTRIBUTES
from buffer_lint.findings import Applicability, Fix, FixAvailability
from buffer_lint.rules.base import Violation
from buffer_lint.rules.registration import buffer_edits, is_fixable_registration
from buffer_lint.settings import Settings

MESSAGE = (
    "tensor attribute '{name}' is not registered: it stays on the CPU after .to()/.cuda() "
    'and is not in state_dict(); use self.register_buffer("{name}", ..., persistent=False)'
)


def check(cls: ClassFacts, settings: Settings) -> Iterator[Violation]:
    if cls.has_class_attribute("_apply") or not cls.initializes_module:
        return  # the class (or a same-file base) moves its own tensors; or it is no working module
    reported: set[str] = set()
    for assignment in cls.assignments:
        name = assignment.name
        if not _is_unregistered_tensor(cls, assignment) or cls.may_be_complex(assignment):
            continue  # complex tables: .to(dtype) would drop a complex buffer's imaginary part
        if assignment.tensor_before and name in reported:
            continue  # every path here assigned a tensor already, reported: this one updates it
        reported.add(name)
        yield Violation(assignment.site.statement, MESSAGE.format(name=name), _fix(cls, assignment, settings))


def _is_unregistered_tensor(cls: ClassFacts, assignment: AttributeAssignment) -> bool:
    name = assignment.name
    return (
        assignment.site.on_init_path
        and assignment.kind is ValueKind.TENSOR
        and assignment.shape is not TargetShape.AUGMENTED
        and not cls.is_registered(name)
        and name not in FRAMEWORK_PLAIN_ATTRIBUTES
        and name not in cls.applied_elsewhere
        and not is_python_scalar(assignment)
        and not cls.used_only_as_index(name)
        and not cls.replaced_from_inputs(name)
    )


def _fix(cls: ClassFacts, assignment: AttributeAssignment, settings: Settings) -> Fix | None:
    if not is_fixable_registration(cls, assignment):
        return None
    edits = buffer_edits(cls, assignment, settings, persistent=settings.persistent, unwrap_parameter=False)
    # transformers re-creates non-persistent buffers after from_pretrained (in the model and every module
    # it builds) and refills them only through the model's _init_weights: the fix changes what a loaded
    # model holds. A value that may be the caller's own object may be an nn.Parameter, which
    # register_buffer would take out of parameters().
    in_transformers = cls.is_transformers_model or cls.in_transformers_model
    unsafe = settings.persistent or in_transformers or stores_argument(assignment)
    return Fix("unsafe" if unsafe else "safe", edits)


FIX_TITLE = '`self.register_buffer("<name>", <expr>, persistent=False)`'
FIX_APPLICABILITY: Applicability | None = "safe"
FIX_AVAILABILITY: FixAvailability = "sometimes"
