"""The runtime audit against the static check, on the fixtures (the runtime audit's acceptance criterion).

Every ``nn.Module`` class a fixture defines at its top level is built (with no arguments, or with those of
``CONSTRUCTOR_ARGS``) under ``tracing()`` and audited. Per class, the BUF001/BUF006 findings of ``audit`` (in
the fixture's file) are compared with those ``buffer-lint check`` reports inside the class's lines:

* every static finding there, the audit reports at the same line and column (``MISSED_BY_AUDIT`` lists the
  justified exceptions);
* every audit finding, the static check reports somewhere in the file too: a base class's line counts, for a
  subclass builds its base's ``__init__`` (``SEEN_ONLY_BY_AUDIT`` lists the justified exceptions).

A negative fixture has no marker, so for it the second point says: the audit reports nothing. The allow-lists
are exact: a difference they do not list fails, and so does an entry that no longer happens. Entries name the
statement (the line's text from the finding's column, without its comment), not its line number, so that
they survive edits elsewhere in the fixture.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
import types
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch", reason="the runtime audit needs torch (pip install -e '.[test]')")
nn = torch.nn

from buffer_lint.audit import audit, tracing  # noqa: E402
from buffer_lint.engine import check_source  # noqa: E402
from buffer_lint.rules.selection import Selection  # noqa: E402
from tests.helpers import FIXTURES, expected_findings, finding_key, fixture_files, fixture_settings  # noqa: E402
from tests.test_runtime_proof import STUB_BASES  # noqa: E402

CODES = frozenset({"BUF001", "BUF006"})
PACKAGE = "_audit_fixtures"  # the package the fixtures are imported into: `from .layers import ...` resolves in it

# (fixture, class) -> the keyword arguments of a class that needs some; a callable, so each build gets fresh values.
# A fixture may also give them itself: EXAMPLE_KWARGS = {"Class": lambda: {...}}.
CONSTRUCTOR_ARGS: dict[tuple[str, str], Callable[[], dict[str, Any]]] = {
    ("buf001/negatives.py", "UnknownHelper"): lambda: {"n": 3},
    ("buf001/negatives.py", "NotTensors"): lambda: {"x": 1.0, "n": 2},
    ("buf001/negatives.py", "BatchNormChild"): lambda: {"n": 3},
    ("buf001/negatives.py", "NeverInitialized"): lambda: {"ts": torch.ones(2)},
    ("buf001/unfixable.py", "AssignedNoneFirst"): lambda: {"use": True},  # the branch that assigns the tensor
    ("buf002/basic.py", "Unfixable"): lambda: {"frozen": torch.ones(2)},
    ("buf002/negatives.py", "FrozenLinear"): lambda: {"n": 2},
    ("buf002/negatives.py", "Flags"): lambda: {"trainable": False},
    ("buf005/negatives.py", "Unknown"): lambda: {"encoder": nn.Linear(2, 2)},
    ("seeds/seed_000_blog_buffers.py", "SimpleBatchNorm"): lambda: {"num_features": 3},
    ("seeds/seed_002_forum_buffers.py", "NN_Network"): lambda: {"in_dim": 2, "hid": 3, "out_dim": 4},
    ("seeds/seed_002_forum_buffers.py", "NN_Network2"): lambda: {"in_dim": 2, "hid": 3, "out_dim": 4},
    ("seeds/seed_003_what_are_buffers.py", "MyBatchNorm"): lambda: {"num_features": 3},
    ("seeds/seed_003_what_are_buffers.py", "MyRNN"): lambda: {"input_size": 2, "hidden_size": 3},
    ("seeds/seed_004_flax_equivalent.py", "RNNWithFixedLength"): lambda: {
        "input_size": 2,
        "hidden_size": 3,
        "output_size": 4,
    },
    ("seeds/seed_004_flax_equivalent.py", "LSTMWithInitState"): lambda: {
        "input_size": 2,
        "hidden_size": 3,
        "output_size": 4,
    },
    ("buf001/conditional_parameter.py", "Scale"): lambda: {"dim": 3},
    ("buf001/conditional_parameter.py", "Offset"): lambda: {"dim": 3},
    ("buf001/conditional_parameter_negatives.py", "Scale"): lambda: {"dim": 3},
    ("buf001/conditional_parameter_negatives.py", "AlwaysParameter"): lambda: {"dim": 3},
    ("buf001/narrowing.py", "RotaryEmbedding"): lambda: {"dim": 8},
    ("buf001/narrowing.py", "ClassWeights"): lambda: {"weights": [1.0, 2.0]},
    ("buf001/narrowing.py", "Threshold"): lambda: {"threshold": 0.5},
    ("buf001/narrowing_negatives.py", "MaybeTensor"): lambda: {"value": 1.0},
    # The tensors these fixtures are about arrive as arguments (None by default).
    ("buf001/optional_arguments.py", "WeightedLoss"): lambda: {"weight": torch.ones(2)},
    ("buf001/optional_arguments.py", "FocalLoss"): lambda: {"alpha": torch.ones(2)},
    ("buf001/optional_arguments.py", "MaskedAttention"): lambda: {"dim": 4, "attn_mask": torch.ones(2)},
    ("buf001/optional_arguments.py", "Normalizer"): lambda: {"mean": torch.ones(2), "std": torch.ones(2)},
    ("buf001/optional_arguments.py", "Table"): lambda: {"table": torch.ones(2)},
    ("buf001/optional_arguments_negatives.py", "IndexOnly"): lambda: {"n": 4},
    ("buf001/optional_arguments_negatives.py", "Scratch"): lambda: {"dim": 4},
}

# (fixture, class) -> the exception that stops it being built: the classes the comparison may leave out.
UNBUILDABLE = {
    # BUF008's bug itself: register_buffer/register_parameter over a plain attribute raises KeyError.
    ("buf001/negatives.py", "RegisteredLater"): "KeyError",
    ("buf008/basic.py", "Window"): "KeyError",
    ("buf008/basic.py", "ViaHelper"): "KeyError",
    # Call a library that is not imported (the static analysis's "a call it cannot see into").
    ("buf001/helpers_negatives.py", "Model"): "NameError",
    ("buf001/negatives.py", "UnknownHelper"): "NameError",
}

# (fixture, class, code, statement) that `check` reports and the built model does not hold.
MISSED_BY_AUDIT = {
    # check reports both branches; the default causal=True builds only the first.
    ("buf001/basic.py", "Branches", "BUF001", "self.mask = torch.ones(4, 4)"),
    # check reports each path's assignment; a build takes one path (alpha=[...] and cosine=True here).
    ("buf001/exclusive_branches.py", "FocalLoss", "BUF001", "self.alpha = torch.Tensor([alpha, 1 - alpha])"),
    ("buf001/exclusive_branches.py", "Schedule", "BUF001", "self.betas = torch.linspace(1e-4, 0.02, steps)"),
}

# (fixture, class, code, statement) that the audit reports and `check` does not, anywhere in the file.
SEEN_ONLY_BY_AUDIT = {
    # Tensor.chunk returns a tuple of tensors, which does not follow .to(): a real problem. check leaves it
    # (the fixture lists it among values that are not tensors, which is right for BUF001; BUF006 takes only
    # displays and comprehensions of tensors).
    ("buf001/negatives.py", "NotTensors", "BUF006", "self.parts = torch.zeros(4).chunk(2)"),
    # check skips it because use_real=False asks diffusers' helper for a complex table; the fixture's
    # stand-in helper returns a real tensor, which the audit rightly reports (the real, complex one it skips).
    ("buf001/negatives.py", "ComplexFromLibrary", "BUF001", "self.freqs = torch.cat(freqs, dim=1)"),
    # A list of a module and a str: check takes only containers of modules, parameters or tensors (no
    # nn.ModuleList could hold the str), but the Linear in it is invisible to .to() and parameters().
    ("buf006/negatives.py", "NotModules", "BUF006", 'self.mixed = [nn.Linear(2, 2), "identity"]'),
    # A base class from a relative import is unknown to check; this test stands it in with an nn.Module.
    ("modules/not_modules.py", "FromRelative", "BUF001", "self.t = torch.ones(1)"),
    # check leaves these on purpose, from what the runtime cannot see: how the tensor is used (an input slot
    # overwritten by a setter, a placeholder the first forward replaces, an index, which works across devices)
    # or where it came from (a 0-d tensor made from a Python scalar mixes with CUDA tensors as a scalar). They
    # do stay behind on .to(), so the audit is right to report them; the fixture documents check's choice.
    ("buf001/optional_arguments_negatives.py", "Setter", "BUF001", "self.src_lengths = torch.zeros(1)"),
    ("buf001/optional_arguments_negatives.py", "Scratch", "BUF001", "self.state = torch.zeros(1)"),
    (
        "buf001/optional_arguments_negatives.py",
        "ScalarConstants",
        "BUF001",
        "self.temperature = torch.tensor(temperature)",
    ),
    ("buf001/optional_arguments_negatives.py", "ScalarConstants", "BUF001", "self.eps = torch.tensor(1e-6)"),
    ("buf001/optional_arguments_negatives.py", "ScalarConstants", "BUF001", "self.minus_one = torch.tensor(-1)"),
    ("buf001/optional_arguments_negatives.py", "IndexOnly", "BUF001", "self.order = torch.randperm(n)"),
}

# Lower bounds, so that the comparison cannot pass by building nothing.
MIN_BUILT = 100
MIN_AGREEMENTS = 50


class _StubModule(nn.Module):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__()


class _NotTorch:
    """``somewhere.Module`` of modules/not_modules.py: "not torch's"."""


Place = tuple[int, int, str]  # line, 1-based column, code: as a marker writes it


@dataclass
class ClassResult:
    name: str
    audited: set[Place]  # audit's BUF001/BUF006 findings in the fixture's file
    elsewhere: list[str]  # audit's findings in other files
    static: set[Place]  # check's BUF001/BUF006 findings inside the class's lines


@dataclass
class FixtureResult:
    static: set[Place]  # check's BUF001/BUF006 findings in the whole file
    lines: list[str]
    as_marked: bool  # check reports what the fixture's markers say (else tests/test_fixtures.py fails on it)
    built: list[ClassResult] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # class -> why it could not be built


def fixture_id(path: Path) -> str:
    return path.relative_to(FIXTURES).as_posix()


def statement(lines: list[str], place: Place) -> str:
    """The line's text from the finding's column, without a trailing comment: what an allow-list names."""
    line, column, _ = place
    return lines[line - 1][column - 1 :].split("  #")[0].rstrip()


@pytest.fixture(scope="module")
def results() -> dict[str, FixtureResult]:
    with _stubbed_frameworks():
        return {fixture_id(path): _audit_fixture(path) for path in fixture_files()}


@contextmanager
def _stubbed_frameworks() -> Iterator[None]:
    """The frameworks the fixtures import (tests/test_runtime_proof.py's), and the package they are imported into."""
    stubs: dict[str, types.ModuleType] = {}
    for name, classes in STUB_BASES.items():
        stubs[name] = types.ModuleType(name)
        for cls in classes:
            setattr(stubs[name], cls, type(cls, (_StubModule,), {}))
    stubs["somewhere"] = types.ModuleType("somewhere")
    stubs["somewhere"].Module = _NotTorch  # type: ignore[attr-defined]
    stubs[PACKAGE] = types.ModuleType(PACKAGE)
    stubs[PACKAGE].__path__ = []  # type: ignore[attr-defined]
    stubs[f"{PACKAGE}.layers"] = types.ModuleType(f"{PACKAGE}.layers")
    stubs[f"{PACKAGE}.layers"].LocalBase = type("LocalBase", (_StubModule,), {})  # type: ignore[attr-defined]
    with pytest.MonkeyPatch.context() as patch:
        for name, module in stubs.items():
            patch.setitem(sys.modules, name, module)
        yield


def _audit_fixture(path: Path) -> FixtureResult:
    fixture = fixture_id(path)
    source = path.read_bytes()
    found = check_source(source, fixture_settings(path), Selection().rules).findings
    static = {(f.line, f.col + 1, f.code) for f in found if f.code in CODES}
    as_marked = Counter(finding_key(f) for f in found) == expected_findings(path)
    result = FixtureResult(static, source.decode("utf-8").splitlines(), as_marked)
    module = _import(path, f"{PACKAGE}.{fixture[:-3].replace('/', '_')}")
    spans = {
        node.name: (min([node.lineno, *(d.lineno for d in node.decorator_list)]), node.end_lineno or node.lineno)
        for node in ast.parse(source).body
        if isinstance(node, ast.ClassDef)
    }
    hints = getattr(module, "EXAMPLE_KWARGS", {})
    for name, cls in vars(module).items():
        if not (isinstance(cls, type) and issubclass(cls, nn.Module) and cls.__module__ == module.__name__):
            continue
        make_kwargs = CONSTRUCTOR_ARGS.get((fixture, name)) or hints.get(name) or dict
        try:
            with tracing():
                model = cls(**make_kwargs())
        except Exception as error:  # the fixture's code: any failure means "cannot be built"
            result.skipped[name] = f"{type(error).__name__}: {error}"
            continue
        findings = [f for f in audit(model) if f.finding.code in CODES]
        first, last = spans[name]
        result.built.append(
            ClassResult(
                name,
                {(f.finding.line, f.finding.col + 1, f.finding.code) for f in findings if Path(f.path) == path},
                [f"{f.path}:{f.finding.line}: {f.finding.code}" for f in findings if Path(f.path) != path],
                {place for place in static if first <= place[0] <= last},
            )
        )
    return result


def _import(path: Path, name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up; _stubbed_frameworks's patch context drops it
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _differences(fixture: str, result: FixtureResult) -> tuple[set[tuple[str, ...]], set[tuple[str, ...]]]:
    """(missed by the audit, seen only by the audit), as the allow-lists name them."""
    missed: set[tuple[str, ...]] = set()
    extra: set[tuple[str, ...]] = set()
    for built in result.built:
        missed |= {(fixture, built.name, p[2], statement(result.lines, p)) for p in built.static - built.audited}
        extra |= {(fixture, built.name, p[2], statement(result.lines, p)) for p in built.audited - result.static}
    return missed, extra


@pytest.mark.parametrize("path", fixture_files(), ids=fixture_id)
def test_audit_agrees_with_check(results: dict[str, FixtureResult], path: Path) -> None:
    fixture = fixture_id(path)
    result = results[fixture]
    if not result.as_marked:
        pytest.skip("check does not report what the markers say (yet): tests/test_fixtures.py fails on this fixture")
    missed, extra = _differences(fixture, result)
    assert missed == {entry for entry in MISSED_BY_AUDIT if entry[0] == fixture}, "check's findings the audit misses"
    assert extra == {entry for entry in SEEN_ONLY_BY_AUDIT if entry[0] == fixture}, "the audit's findings check lacks"
    assert [item for built in result.built for item in built.elsewhere] == [], "findings outside the fixture"
    # Subset, not equality: a class listed may become buildable, and is then compared like the others.
    unlisted = {
        name: error
        for name, error in result.skipped.items()
        if UNBUILDABLE.get((fixture, name)) != (error.split(":")[0])
    }
    assert unlisted == {}, "classes that cannot be built: give CONSTRUCTOR_ARGS, or list them in UNBUILDABLE"


def test_the_comparison_is_not_vacuous(results: dict[str, FixtureResult]) -> None:
    compared = {fixture: r for fixture, r in results.items() if r.as_marked}
    built = [c for r in compared.values() for c in r.built]
    agreements = sum(len(c.static & c.audited) for c in built)
    static_places = sum(len(c.static) for c in built)
    audited_places = sum(len(c.audited) for c in built)
    missed = {entry for entry in MISSED_BY_AUDIT if entry[0] in compared}
    extra = {entry for entry in SEEN_ONLY_BY_AUDIT if entry[0] in compared}
    print(
        f"\naudit vs check on {len(compared)} fixtures ({len(results) - len(compared)} left out: check differs "
        f"from their markers): "
        f"{len(built)} classes built, {sum(len(r.skipped) for r in compared.values())} could not be built; "
        f"{agreements} places both report, of {static_places} from check and {audited_places} from the audit; "
        f"{len(missed)} missed by the audit, {len(extra)} seen only by it (allowed)"
    )
    assert len(built) >= MIN_BUILT and agreements >= MIN_AGREEMENTS
    assert {code for c in built for _, _, code in c.audited} == CODES, "both codes are compared"
    # The negatives reach the audit: classes built from them, most of them clean.
    negatives = [c for fixture, r in compared.items() if "negatives" in fixture for c in r.built]
    assert len(negatives) >= 40 and sum(not c.audited for c in negatives) >= 35
