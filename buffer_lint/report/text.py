"""The default output: ``path:line:col: CODE [*] message``, 1-based columns, like ruff and flake8."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import TextIO

from buffer_lint.rules import RULES_BY_CODE
from buffer_lint.rules.base import Finding

FileFindings = tuple[str, Sequence[Finding]]
IsFixable = Callable[[Finding], bool]
FILE_ERROR_NAMES = {"E999": "syntax-error", "E902": "io-error"}


def write_findings(results: Sequence[FileFindings], out: TextIO, fixable: IsFixable) -> None:
    for path, findings in results:
        for f in findings:
            marker = "[*] " if fixable(f) else ""
            out.write(f"{path}:{f.line}:{f.col + 1}: {f.code} {marker}{f.message}\n")


def write_statistics(results: Sequence[FileFindings], out: TextIO, fixable: IsFixable) -> None:
    findings = [f for _, found in results for f in found]
    counts = Counter(f.code for f in findings)
    fixable_codes = {f.code for f in findings if fixable(f)}
    width = len(str(max(counts.values(), default=0)))
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        marker = "[*] " if code in fixable_codes else ""
        out.write(f"{count:>{width}}\t{code}\t{marker}{_rule_name(code)}\n")


def write_fixes(fixed: Sequence[FileFindings], out: TextIO) -> None:
    total = sum(len(found) for _, found in fixed)
    if not total:
        return
    out.write(f"Fixed {_errors(total)}:\n")
    for path, found in fixed:
        out.write(f"- {path}:\n")
        for code, count in sorted(Counter(f.code for f in found).items()):
            out.write(f"    {count} \u00d7 {code} ({_rule_name(code)})\n")


def write_summary(
    remaining: Sequence[FileFindings], fixed: Sequence[FileFindings], out: TextIO, fix: bool, diff: bool, unsafe: bool
) -> None:
    findings = [f for _, found in remaining for f in found]
    fixed_count = sum(len(found) for _, found in fixed)
    hidden = 0 if unsafe else sum(1 for f in findings if f.fix is not None and f.fix.applicability == "unsafe")
    if diff:
        if fixed_count:
            out.write(f"Would fix {_errors(fixed_count)}.\n")
    elif fix and fixed_count:
        out.write(f"Found {_errors(fixed_count + len(findings))} ({fixed_count} fixed, {len(findings)} remaining).\n")
    elif findings:
        out.write(f"Found {_errors(len(findings))}.\n")
    if fix or diff:
        if hidden:
            out.write(f"{_hidden(hidden)} can be enabled with the `--unsafe-fixes` option.\n")
        return
    fixable = sum(1 for f in findings if f.fix is not None and (unsafe or f.fix.applicability == "safe"))
    option = "`--fix --unsafe-fixes`" if unsafe else "`--fix`"
    hint = f" ({_hidden(hidden)} can be enabled with the `--unsafe-fixes` option)" if hidden else ""
    if fixable:
        out.write(f"[*] {fixable} fixable with the {option} option{hint}.\n")
    elif hidden:
        out.write(f"No fixes available{hint}.\n")


def _rule_name(code: str) -> str:
    rule = RULES_BY_CODE.get(code)
    return rule.name if rule else FILE_ERROR_NAMES.get(code, "")


def _errors(count: int) -> str:
    return f"{count} error{'s' if count != 1 else ''}"


def _hidden(count: int) -> str:
    return f"{count} hidden fix{'es' if count != 1 else ''}"
