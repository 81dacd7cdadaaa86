"""Every fixture is checked against the findings marked on its lines (``# error: CODE:COL``, ``# fixed: CODE:COL``),
and its fix (``--fix --unsafe-fixes``, in-process, no torch needed) against its ``<name>.fixed.py``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from buffer_lint.engine import check_source
from buffer_lint.fix.apply import fix_source
from buffer_lint.rules.registry import RULES
from tests.helpers import (
    FIXED_SUFFIX,
    FIXTURES,
    MarkerError,
    expected_findings,
    finding_key,
    fixed_file,
    fixed_pairs,
    fixture_files,
    fixture_settings,
    markers,
)


def fixture_id(path: Path) -> str:
    return str(path.relative_to(FIXTURES))


@pytest.mark.parametrize("path", fixture_files(), ids=fixture_id)
def test_fixture_findings(path: Path) -> None:
    result = check_source(path.read_bytes(), fixture_settings(path), RULES)
    assert Counter(finding_key(f) for f in result.findings) == expected_findings(path)


@pytest.mark.parametrize(("path", "fixed"), fixed_pairs(), ids=fixture_id)
def test_fixture_fix(path: Path, fixed: Path) -> None:
    settings = fixture_settings(path)
    outcome = fix_source(path.read_bytes(), settings, RULES, unsafe=True)
    assert outcome.error is None
    assert outcome.source != path.read_bytes(), f"the fix changes nothing in {path.name}: {fixed.name} is not needed"
    assert outcome.source == fixed.read_bytes(), f"the fix of {path.name} differs from {fixed.name}"
    # What the fix left, at its positions in the fixed text: the .fixed.py's `error` markers.
    assert Counter(finding_key(f) for f in outcome.remaining) == expected_findings(fixed)
    # What it fixed, at its positions in the fixture: the fixture's `fixed` markers (findings that only
    # appeared in a later pass of the fix are not in the fixture).
    original = outcome.original or []
    assert Counter(finding_key(f) for f in outcome.fixed if f in original) == markers(path, "fixed")
    again = fix_source(outcome.source, settings, RULES, unsafe=True)
    assert (again.source, again.fixed) == (outcome.source, []), f"fixing {fixed.name} again changes it"


@pytest.mark.parametrize("path", [p for p in fixture_files() if not fixed_file(p).exists()], ids=fixture_id)
def test_fixture_without_fixed_file_is_left_unchanged_by_the_fix(path: Path) -> None:
    source = path.read_bytes()
    outcome = fix_source(source, fixture_settings(path), RULES, unsafe=True)
    assert outcome.source == source, f"the fix changes {path.name}: its result belongs in {fixed_file(path).name}"
    assert outcome.fixed == [] and not markers(path, "fixed")


def test_every_fixed_file_has_its_fixture() -> None:
    fixed = FIXTURES.rglob(f"*{FIXED_SUFFIX}")
    orphans = [p for p in fixed if not p.with_name(p.name[: -len(FIXED_SUFFIX)] + ".py").exists()]
    assert orphans == []


def test_every_rule_has_positive_and_negative_fixtures() -> None:
    for rule in RULES:
        folder = FIXTURES / rule.code.lower()
        codes = {code for p in fixture_files() if p.parent == folder for (_, _, code) in expected_findings(p)}
        assert rule.code in codes, f"{rule.code}: no positive fixture"
        assert (folder / "negatives.py").exists(), f"{rule.code}: no negative fixture"


def test_a_marker_needs_its_column(tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    path.write_text("self.a = torch.ones(1)  # error: BUF001:9\nself.b = torch.ones(1)  # error: BUF001\n")
    with pytest.raises(MarkerError, match=r"model\.py:2: a marker is '# error: CODE:COLUMN'"):
        expected_findings(path)
    for bad in ("# error: BUF001:9, BUF002", "# fixed: BUF001", "# error: BUF001:0", "# error: BUF001:9 BUF002:9"):
        path.write_text(f"x = 1  {bad}\n")
        with pytest.raises(MarkerError):
            expected_findings(path)


def test_markers_are_read_with_their_columns_and_kinds(tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    path.write_text(
        "x = 1  # noqa: BUF002  # error: BUF001:9, BUF006:9\ny = 2  # fixed: BUF001:1 (a note)  # error: BUF002:5\n"
    )
    assert markers(path, "error") == Counter({(1, 9, "BUF001"): 1, (1, 9, "BUF006"): 1, (2, 5, "BUF002"): 1})
    assert markers(path, "fixed") == Counter({(2, 1, "BUF001"): 1})
    assert expected_findings(path) == markers(path, "error") + markers(path, "fixed")
    fixed = tmp_path / "model.fixed.py"
    fixed.write_text(path.read_text())
    assert expected_findings(fixed) == markers(path, "error")
