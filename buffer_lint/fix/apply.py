"""Fix one file: analyse, apply the chosen findings' edits with libcst, verify, repeat."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from buffer_lint.engine import SourceResult, check_source, check_text
from buffer_lint.fix.write import encode_like
from buffer_lint.rules.base import AddImport, Finding, Rule
from buffer_lint.settings import Settings

# A fix can enable another (an assignment dropped by BUF004 may leave a BUF001 to fix).
MAX_PASSES = 10


@dataclass(frozen=True)
class FixOutcome:
    source: bytes  # the fixed bytes; the input itself when nothing changed or fixing failed
    fixed: list[Finding]
    remaining: list[Finding]
    error: str | None = None  # why the file was left unchanged


def is_applicable(finding: Finding, unsafe: bool) -> bool:
    return finding.fix is not None and (unsafe or finding.fix.applicability == "safe")


def fix_source(source: bytes, settings: Settings, rules: Sequence[Rule], unsafe: bool) -> FixOutcome:
    checked = check_source(source, settings, rules)
    if checked.text is None or not any(is_applicable(f, unsafe) for f in checked.findings):
        return FixOutcome(source, [], checked.findings)
    text, findings = _fix_text(checked, settings, rules, unsafe)
    if isinstance(findings, str):
        return FixOutcome(source, [], checked.findings, error=findings)
    fixed, remaining = findings
    return FixOutcome(encode_like(source, text), fixed, remaining)


def _fix_text(
    checked: SourceResult, settings: Settings, rules: Sequence[Rule], unsafe: bool
) -> tuple[str, tuple[list[Finding], list[Finding]] | str]:
    """The fixed text and (fixed, remaining) findings, or an error message instead of the findings."""
    from buffer_lint.fix.transform import ParserSyntaxError, fix_text  # libcst only for files with fixes

    assert checked.text is not None
    text, findings, fixed = checked.text, checked.findings, []
    for _ in range(MAX_PASSES):
        chosen = _non_overlapping(f for f in findings if is_applicable(f, unsafe))
        if not chosen:
            break
        try:
            new_text = fix_text(text, [edit for finding in chosen for edit in finding.fix.edits])  # type: ignore[union-attr]
        except ParserSyntaxError as error:
            return text, f"libcst cannot parse the file, so it was left unchanged: {error.message}"
        try:
            ast.parse(new_text)
        except SyntaxError as error:
            return text, f"a fix produced invalid code ({error.msg}), so the file was left unchanged"
        if new_text == text:
            break
        text, fixed = new_text, fixed + chosen
        findings = check_text(text, settings, rules)
    return text, (fixed, findings)


def _non_overlapping(findings: Iterable[Finding]) -> list[Finding]:
    """Findings whose edits touch distinct statements; the others wait for the next pass."""
    chosen, taken = [], set()
    for finding in findings:
        assert finding.fix is not None
        places = {(e.line, e.col) for e in finding.fix.edits if not isinstance(e, AddImport)}
        if places.isdisjoint(taken):
            chosen.append(finding)
            taken |= places
    return chosen
