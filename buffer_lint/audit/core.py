"""``audit(model)``: what a built model holds that would not follow ``model.to(...)``.

* BUF001: a plain tensor in a module's ``__dict__`` (``.to()`` moves parameters, buffers and
  submodules only);
* BUF006: a list, tuple or dict holding tensors, parameters or modules, unless every one of
  them is also registered somewhere in the model;
* complex tensors are not reported (as by ``check``): registered, ``.to(dtype)`` would drop
  their imaginary part, so complex tables stay plain on purpose and are moved by hand;
* BUF002 (``frozen=True``): a parameter with ``requires_grad=False``, but for those a torch layer creates.

A module whose class (outside torch) defines its own ``_apply`` moves its tensors itself, and
may move those of its submodules: it and its subtree are not audited. Nor is a module that
``nn.Module.__init__`` never ran on: it has nothing ``.to()`` could move (and ``.to()`` fails on it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import nn
from torch.nn.utils.spectral_norm import SpectralNorm
from torch.nn.utils.weight_norm import WeightNorm

from buffer_lint.audit.locate import Located, honour_noqa, locate
from buffer_lint.analysis.facts import ValueKind
from buffer_lint.analysis.torch_api import MODULE_CLASS_PARAMETERS
from buffer_lint.findings import FileResult, Finding
from buffer_lint.rules import buf001_unregistered_tensor as buf001
from buffer_lint.rules import buf002_frozen_parameter as buf002
from buffer_lint.rules import buf006_unregistered_container as buf006

# The attributes every nn.Module keeps in its __dict__ (_parameters, _buffers, hooks...).
MODULE_INTERNALS = frozenset(vars(nn.Module()))
# Attributes frameworks require to stay plain: (a base class's name, attribute).
FRAMEWORK_PLAIN = {("LightningModule", "_example_input_array"), ("LightningModule", "example_input_array")}
CONTAINERS = (list, tuple, dict)
NESTING = 3  # how deep containers inside containers are searched


@dataclass(frozen=True)
class AuditFinding:
    path: str  # the file that assigned the attribute (or that defines its owner's class)
    finding: Finding
    owner_class: str  # "package.module.Class" of the module holding the attribute
    attribute: str
    module_name: str  # where the first instance sits in the model: "" for the root, "blocks.0.attn"
    traced: bool  # located at the assigning statement (else at the owner's class)
    instances: int = 1  # how many modules of the model hold it at this place


@dataclass(frozen=True)
class _Problem:
    module: nn.Module
    module_name: str
    attribute: str
    code: str
    message: str


def audit(model: nn.Module, *, frozen: bool = False) -> list[AuditFinding]:
    """Findings for ``model`` and every module under it, one per place in the source, sorted."""
    registered = _registered_ids(model)
    problems = [p for name, module in _audited_modules(model) for p in _problems(module, name, registered, frozen)]
    located = [locate(p.module, p.attribute, p.code, p.message) for p in problems]
    kept = {id(item) for item in honour_noqa(located)}
    findings = [_finding(p, item) for p, item in zip(problems, located) if id(item) in kept]
    return merged(findings)


def to_file_results(findings: Iterable[AuditFinding], root: str | None = None) -> list[FileResult]:
    """The findings grouped per file, as the reporters take them."""
    return group_by_file(((item.path, item.finding) for item in findings), root)


def group_by_file(findings: Iterable[tuple[str, Finding]], root: str | None = None) -> list[FileResult]:
    """``(path, finding)`` pairs grouped per file, paths relative to ``root`` (default: cwd) where under it."""
    base = os.path.abspath(root or os.getcwd())
    by_path: dict[str, list[Finding]] = {}
    for path, finding in findings:
        by_path.setdefault(_shown_path(path, base), []).append(finding)
    return [FileResult(path, sorted(found, key=lambda f: f.sort_key)) for path, found in sorted(by_path.items())]


def _shown_path(path: str, base: str) -> str:
    absolute = os.path.abspath(path) if os.path.isabs(path) or os.path.exists(path) else path
    if os.path.isabs(absolute) and absolute.startswith(base + os.sep):
        return os.path.relpath(absolute, base)
    return absolute


def _registered_ids(model: nn.Module) -> set[int]:
    """What ``.to()`` moves, by id: the modules, parameters and buffers ``nn.Module._apply`` walks."""
    registered: set[int] = set()
    for _, module in _walk(model, lambda _: False):
        state = vars(module)
        registered.add(id(module))
        registered.update(id(t) for t in (*state["_parameters"].values(), *state["_buffers"].values()) if t is not None)
    return registered


def _audited_modules(model: nn.Module) -> Iterator[tuple[str, nn.Module]]:
    """``(name, module)`` for each module once, leaving out the subtrees of modules that move themselves."""
    return _walk(model, lambda module: _moves_itself(type(module)))


def _walk(model: nn.Module, prune: Callable[[nn.Module], bool]) -> Iterator[tuple[str, nn.Module]]:
    """``(name, module)`` for each module once, in ``named_modules()`` order, but for the pruned subtrees and
    the modules ``nn.Module.__init__`` never ran on (no state to move: ``.to()`` itself fails on them)."""
    seen: set[int] = set()
    stack: list[tuple[str, nn.Module]] = [("", model)]
    while stack:
        name, module = stack.pop()
        if id(module) in seen or "_modules" not in vars(module) or prune(module):
            continue
        seen.add(id(module))
        yield name, module
        children = [(f"{name}.{key}" if name else key, child) for key, child in module._modules.items() if child]
        stack.extend(reversed(children))


def _moves_itself(cls: type) -> bool:
    owner = next((c for c in cls.__mro__ if "_apply" in vars(c)), nn.Module)
    return not owner.__module__.startswith("torch.")


def _problems(module: nn.Module, name: str, registered: set[int], frozen: bool) -> Iterator[_Problem]:
    recomputed = _recomputed_by_hooks(module)
    for attribute, value in vars(module).items():
        if attribute in MODULE_INTERNALS or attribute in recomputed or _framework_plain(type(module), attribute):
            continue
        message = _message(attribute, value, registered)
        if message is not None:
            code = "BUF001" if isinstance(value, torch.Tensor) else "BUF006"
            yield _Problem(module, name, attribute, code, message)
    if frozen:
        made_by_torch = _torch_layer_parameters(type(module))
        for attribute, parameter in module._parameters.items():
            if parameter is not None and not parameter.requires_grad and attribute not in made_by_torch:
                message = buf002.BUILT_MESSAGE.format(name=attribute)
                yield _Problem(module, name, attribute, "BUF002", message)


def _torch_layer_parameters(cls: type) -> set[str]:
    """The parameters a torch layer the class is (or derives from) creates (``weight``/``bias`` of a Linear):
    frozen, they are a frozen layer, not a constant to register, and the name is taken (BUF002 skips them)."""
    return {
        name
        for base in cls.__mro__
        if base.__module__.startswith("torch.nn.")
        for name in MODULE_CLASS_PARAMETERS.get(base.__name__, ())
    }


def _recomputed_by_hooks(module: nn.Module) -> set[str]:
    """Attributes that torch's old ``weight_norm`` / ``spectral_norm`` keep plain and recompute, from
    registered parameters, in a forward pre-hook before every call: they follow ``.to()`` in effect."""
    return {hook.name for hook in module._forward_pre_hooks.values() if isinstance(hook, (WeightNorm, SpectralNorm))}


def _framework_plain(cls: type, attribute: str) -> bool:
    return any((base.__name__, attribute) in FRAMEWORK_PLAIN for base in cls.__mro__)


def _message(attribute: str, value: Any, registered: set[int]) -> str | None:
    """What is wrong with ``module.<attribute> = value``, or None when it follows the module."""
    if isinstance(value, nn.Parameter) and id(value) in registered:
        return None  # a registered parameter stored in place: .to() changes it in place
    if isinstance(value, torch.Tensor):
        return None if value.is_complex() else buf001.MESSAGE.format(name=attribute)
    if not isinstance(value, CONTAINERS):
        return None
    held = [e for e in _elements(value, NESTING) if _moved_by_to(e)]
    if all(id(e) in registered for e in held):
        return None  # also empty: nothing that .to() would move
    return _container_message(attribute, value, held)


def _moved_by_to(value: Any) -> bool:
    """A module with state, or a real tensor: a complex one is kept plain on purpose, as ``check`` knows
    (``.to(dtype)`` would cast a registered complex buffer to a real dtype and drop its imaginary part); a
    module with no tensor that ignores train()/eval() (a loss, an activation) has nothing to follow."""
    if isinstance(value, nn.Module):
        return not _stateless(value)
    return isinstance(value, torch.Tensor) and not value.is_complex()


def _stateless(module: nn.Module) -> bool:
    """No parameter, no buffer holding a tensor, no dropout (which follows train()/eval()), at any depth."""
    return (
        not any(True for _ in module.parameters())
        and not any(b is not None for b in module.buffers())
        and not any(isinstance(m, (nn.modules.dropout._DropoutNd, nn.RReLU)) for m in module.modules())
    )


def _container_message(attribute: str, value: Any, held: list[Any]) -> str:
    """BUF006's own message, for the kind of what the container holds."""
    if any(isinstance(e, nn.Module) for e in held):
        kind = ValueKind.MODULE
    elif all(isinstance(e, nn.Parameter) for e in held):
        kind = ValueKind.PARAMETER
    else:
        kind = ValueKind.TENSOR
    is_dict = isinstance(value, dict)
    registered = buf006.REGISTERED.get((kind, is_dict), "")
    container = "dict" if is_dict else "tuple" if isinstance(value, tuple) else "list"
    return buf006.MESSAGES[kind].format(container=container, name=attribute, registered=registered)


def _elements(value: Any, depth: int) -> Iterator[Any]:
    items = value.values() if isinstance(value, dict) else value
    for item in items:
        if isinstance(item, CONTAINERS) and depth > 1:
            yield from _elements(item, depth - 1)
        else:
            yield item


def _finding(problem: _Problem, located: Located) -> AuditFinding:
    cls = type(problem.module)
    owner = f"{cls.__module__}.{cls.__qualname__}"
    return AuditFinding(located.path, located.finding, owner, problem.attribute, problem.module_name, located.traced)


def merged(findings: list[AuditFinding]) -> list[AuditFinding]:
    """One finding per file, place, code and attribute, counting the modules that share it."""
    merged: dict[tuple[Any, ...], AuditFinding] = {}
    for item in findings:
        key = (item.path, item.finding.sort_key, item.attribute)
        first = merged.get(key)
        merged[key] = item if first is None else replace(first, instances=first.instances + item.instances)
    return sorted(merged.values(), key=lambda f: (f.path, f.finding.sort_key, f.attribute))
