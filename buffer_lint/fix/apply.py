"""Fix one file: analyse, apply the chosen findings' edits with libcst, verify, repeat."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from buffer_lint.analysis.project import FileContext
from buffer_lint.engine import check_parsed, check_source, deep_recursion
from buffer_lint.findings import Finding
from buffer_lint.fix.write import encode_like
from buffer_lint.rules.base import Rule
from buffer_lint.settings import Settings
from buffer_lint.source import parse

# A fix can enable another (an assignment dropped by BUF004 may leave a BUF001 to fix).
MAX_PASSES = 10


@dataclass(frozen=True)
class FixOutcome:
    source: bytes  # the fixed bytes; the input itself when nothing changed or fixing failed
    fixed: list[Finding]
    remaining: list[Finding]  # positions in the fixed text
    error: str | None = None  # why the file was left unchanged
    original: list[Finding] | None = None  # the findings of the unfixed text

    @property
    def unfixed(self) -> list[Finding]:
        """The findings left, at their positions in the file as it was (for --diff, which writes nothing)."""
        return [f for f in self.original or self.remaining if f not in self.fixed]


def fix_source(
    source: bytes, settings: Settings, rules: Sequence[Rule], unsafe: bool, context: FileContext | None = None
) -> FixOutcome:
    checked = check_source(source, settings, rules, context)
    if checked.text is None or not any(f.is_fixable(unsafe) for f in checked.findings):
        return FixOutcome(source, [], checked.findings)
    try:
        text, fixed, remaining = fix_checked_text(checked.text, checked.findings, settings, rules, unsafe, context)
    except FixError as error:
        return FixOutcome(source, [], checked.findings, error=str(error))
    return FixOutcome(encode_like(source, text), fixed, remaining, original=checked.findings)


class FixError(Exception):
    """The fixes could not be applied; the text is left as it was."""


def fix_checked_text(
    text: str,
    findings: list[Finding],
    settings: Settings,
    rules: Sequence[Rule],
    unsafe: bool,
    context: FileContext | None = None,
) -> tuple[str, list[Finding], list[Finding]]:
    """The fixed text, the findings fixed and those remaining. Raises FixError."""
    from buffer_lint.fix.transform import ParserSyntaxError, fix_text  # libcst only for files with fixes

    fixed: list[Finding] = []
    for _ in range(MAX_PASSES):
        chosen = _non_overlapping(f for f in findings if f.is_fixable(unsafe))
        if not chosen:
            break
        try:
            with deep_recursion():
                new_text = fix_text(text, [edit for finding in chosen if finding.fix for edit in finding.fix.edits])
        except ParserSyntaxError as error:
            raise FixError(f"libcst cannot parse the file, so it was left unchanged: {error.message}") from error
        except RecursionError as error:
            raise FixError("the fix could not be built (the code is nested too deeply for libcst)") from error
        if new_text == text:
            break
        try:
            tree = parse(new_text)
        except SyntaxError as error:
            raise FixError(f"a fix produced invalid code ({error.msg}), so the file was left unchanged") from error
        text, fixed = new_text, fixed + chosen
        findings = check_parsed(tree, text, settings, rules, context)  # the tree just verified: no second parse
    return text, fixed, findings


def _non_overlapping(findings: Iterable[Finding]) -> list[Finding]:
    """Findings whose edits touch distinct statements; the others wait for the next pass."""
    chosen, taken = [], set()
    for finding in findings:
        assert finding.fix is not None
        places = {(e.span.line, e.span.col) for e in finding.fix.edits if e.span is not None}
        if places.isdisjoint(taken):
            chosen.append(finding)
            taken |= places
    return chosen
