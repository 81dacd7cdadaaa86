"""Every fixture is checked against the findings written on its lines (``# error: CODE``)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from buffer_lint.cli import build_parser, settings_from_args
from buffer_lint.engine import check_source
from tests.helpers import FIXTURES, expected_findings, fixture_files, fixture_options


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_findings(path: Path) -> None:
    args = build_parser().parse_args(["check", *fixture_options(path), str(path)])
    result = check_source(path.read_bytes(), settings_from_args(args))
    found = Counter((f.line, f.code) for f in result.findings)
    assert found == expected_findings(path)


def test_every_rule_has_positive_and_negative_fixtures() -> None:
    from buffer_lint.rules import RULES

    for rule in RULES:
        folder = FIXTURES / rule.code.lower()
        assert any(expected_findings(p) for p in folder.glob("*.py")), f"{rule.code}: no positive fixture"
        assert (folder / "negatives.py").exists(), f"{rule.code}: no negative fixture"
