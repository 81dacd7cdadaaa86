"""Proof by running: the fixed fixtures behave as the originals, with their tensors now buffers.

That each fix gives its ``.fixed.py`` byte for byte is tests/test_fixtures.py's (no torch needed).
For every fixture with a ``.fixed.py``, each changed class is built from the original and
from the fixed module under one seed, and:
* forward gives the same output (input from the fixture's EXAMPLE_INPUTS, else torch.randn(4, 8));
* every tensor that became a buffer holds the same value, and follows .to("meta") and .double(),
  where the original plain attribute did not;
* state_dict() keys are unchanged (BUF004's fixes may only add the buffer that was None);
* a parameter that became a buffer has left parameters().
"""

from __future__ import annotations

import ast
import importlib.util
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch", reason="the runtime proof of fixes needs torch (pip install -e '.[test]')")
nn = torch.nn

from tests.helpers import FIXTURES, fixed_pairs  # noqa: E402

# Framework base classes the fixtures import, stood in by plain modules.
STUB_BASES = {
    "lightning": ["LightningModule"],
    "lightning.pytorch": ["LightningModule"],
    "pytorch_lightning": ["LightningModule"],
    "transformers": ["PreTrainedModel"],
    "transformers.modeling_utils": ["PreTrainedModel"],
    "diffusers": ["ModelMixin"],
    "mylib": [],
    "mylib.layers": ["Layer"],
}


class _StubBase(nn.Module):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__()


@pytest.fixture(autouse=True)
def stub_frameworks(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, classes in STUB_BASES.items():
        module = types.ModuleType(name)
        for cls in classes:
            setattr(module, cls, type(cls, (_StubBase,), {}))
        monkeypatch.setitem(sys.modules, name, module)


def import_fixture(path: Path, name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def changed_classes(original: Path, fixed: Path) -> list[str]:
    """Top-level classes whose source the fix changed."""

    def sources(path: Path) -> dict[str, str]:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        return {n.name: ast.get_source_segment(text, n) or "" for n in tree.body if isinstance(n, ast.ClassDef)}

    before, after = sources(original), sources(fixed)
    return [name for name in before if before[name] != after.get(name)]


def _build(cls: type, make_kwargs: Callable[[], dict[str, Any]] = dict) -> nn.Module:
    torch.manual_seed(0)
    return cls(**make_kwargs())


def _forward_output(module: types.ModuleType, name: str, model: nn.Module) -> object:
    if "forward" not in type(model).__dict__:
        return None
    make_inputs = getattr(module, "EXAMPLE_INPUTS", {}).get(name, lambda: (torch.randn(4, 8),))
    torch.manual_seed(1)
    return model(*make_inputs())


@pytest.mark.parametrize(("original", "fixed"), fixed_pairs(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixed_models_behave_the_same(original: Path, fixed: Path) -> None:
    names = changed_classes(original, fixed)
    assert names, "a .fixed.py that changes no class"
    before = import_fixture(original, f"proof_original_{original.stem}")
    after = import_fixture(fixed, f"proof_fixed_{original.stem}")
    for name in names:
        prove_class(before, after, name)


def prove_class(before: types.ModuleType, after: types.ModuleType, name: str) -> None:
    make_kwargs = getattr(before, "EXAMPLE_KWARGS", {}).get(name, dict)  # the arguments, when it needs some
    old, new = _build(getattr(before, name), make_kwargs), _build(getattr(after, name), make_kwargs)
    new_buffers = set(dict(new.named_buffers(recurse=False))) - set(dict(old.named_buffers(recurse=False)))
    old_parameters = dict(old.named_parameters(recurse=False))
    for buffer in new_buffers:
        was, now = getattr(old, buffer), getattr(new, buffer)
        if was is not None:
            assert torch.equal(was.detach(), now), f"{name}.{buffer}: value changed"
        if buffer in old_parameters:
            assert buffer not in dict(new.named_parameters()), f"{name}.{buffer} is still a parameter"
    torch.testing.assert_close(_forward_output(after, name, new), _forward_output(before, name, old))
    _assert_state_dict_keys(name, old, new)
    plain = {b for b in new_buffers - set(old_parameters) if isinstance(getattr(old, b), torch.Tensor)}
    _assert_buffers_follow_the_module(name, getattr(before, name), getattr(after, name), plain, make_kwargs)


def _assert_state_dict_keys(name: str, old: nn.Module, new: nn.Module) -> None:
    """Unchanged, but for what BUF004 revives (under an attribute that was None) and what BUF006
    registers (under an attribute that was a plain list, tuple or dict)."""
    old_keys, new_keys = set(old.state_dict()), set(new.state_dict())
    revived = {
        k for k in new_keys - old_keys if isinstance(getattr(old, k.split(".")[0], 0), (type(None), list, tuple, dict))
    }
    assert new_keys - revived == old_keys, f"{name}: state_dict keys changed"


def _assert_buffers_follow_the_module(
    name: str, old_cls: type, new_cls: type, plain: set[str], make_kwargs: Callable[[], dict[str, Any]]
) -> None:
    """Where a plain tensor attribute became a buffer: the bug before, the fix after."""
    if not plain:
        return
    old, new = _build(old_cls, make_kwargs).to("meta"), _build(new_cls, make_kwargs).to("meta")
    for buffer in plain:
        assert getattr(new, buffer).device.type == "meta", f"{name}.{buffer} did not follow .to('meta')"
        assert getattr(old, buffer).device.type == "cpu", f"{name}.{buffer}: the original already followed .to()"
    doubled = _build(new_cls, make_kwargs).double()
    for buffer in plain:
        value = getattr(doubled, buffer)
        if value.is_floating_point():
            assert value.dtype == torch.float64, f"{name}.{buffer} did not follow .double()"
