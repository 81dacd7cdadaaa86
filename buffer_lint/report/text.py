"""The default output: ``path:line:col: CODE [*] message``, 1-based columns, like ruff and flake8."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TextIO

from buffer_lint.findings import FILE_ERRORS, FileResult
from buffer_lint.rules.registry import RULES_BY_CODE


def write_findings(results: Sequence[FileResult], out: TextIO, unsafe: bool) -> None:
    for result in results:
        for f in result.findings:
            marker = "[*] " if f.is_fixable(unsafe) else ""
            out.write(f"{result.path}:{f.line}:{f.col + 1}: {f.code} {marker}{f.message}\n")


def code_counts(results: Sequence[FileResult], unsafe: bool) -> list[tuple[str, int, bool]]:
    """(code, findings, whether some are fixable) for each code found, the most frequent first."""
    findings = [f for result in results for f in result.findings]
    counts = Counter(f.code for f in findings)
    fixable_codes = {f.code for f in findings if f.is_fixable(unsafe)}
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(code, count, code in fixable_codes) for code, count in ordered]


def write_statistics(results: Sequence[FileResult], out: TextIO, unsafe: bool) -> None:
    counts = code_counts(results, unsafe)
    width = len(str(max((count for _, count, _ in counts), default=0)))
    for code, count, fixable in counts:
        marker = "[*] " if fixable else ""
        out.write(f"{count:>{width}}\t{code}\t{marker}{rule_name(code)}\n")


def write_fixes(results: Sequence[FileResult], out: TextIO) -> None:
    total = sum(len(result.fixed) for result in results)
    if not total:
        return
    out.write(f"Fixed {_errors(total)}:\n")
    for result in results:
        if not result.fixed:
            continue
        out.write(f"- {result.path}:\n")
        for code, count in sorted(Counter(f.code for f in result.fixed).items()):
            out.write(f"    {count} \u00d7 {code} ({rule_name(code)})\n")


def write_summary(results: Sequence[FileResult], out: TextIO, fix: bool, diff: bool, unsafe: bool) -> None:
    findings = [f for result in results for f in result.findings]
    fixed_count = sum(len(result.fixed) for result in results)
    hidden = 0 if unsafe else sum(1 for f in findings if f.fix is not None and f.fix.applicability == "unsafe")
    if diff:
        if fixed_count:
            out.write(f"Would fix {_errors(fixed_count)}.\n")
    elif fix and fixed_count:
        out.write(f"Found {_errors(fixed_count + len(findings))} ({fixed_count} fixed, {len(findings)} remaining).\n")
    elif findings:
        out.write(f"Found {_errors(len(findings))}.\n")
    elif not any(result.error for result in results):
        out.write("All checks passed!\n")
    if fix or diff:
        if hidden:
            out.write(f"{_hidden(hidden)} can be enabled with the `--unsafe-fixes` option.\n")
        return
    fixable = sum(1 for f in findings if f.is_fixable(unsafe))
    option = "`--fix --unsafe-fixes`" if unsafe else "`--fix`"
    hint = f" ({_hidden(hidden)} can be enabled with the `--unsafe-fixes` option)" if hidden else ""
    if fixable:
        out.write(f"[*] {fixable} fixable with the {option} option{hint}.\n")
    elif hidden:
        out.write(f"No fixes available{hint}.\n")


def write_counts(results: Sequence[FileResult], seconds: float, out: TextIO) -> None:
    """How much of the run was work: the files checked, and those whose result the cache held."""
    cached = sum(r.from_cache for r in results)
    total = len(results)
    out.write(
        f"buffer-lint: checked {total - cached:,} of {total:,} files ({cached:,} from the cache) in {seconds:.2f} s\n"
    )


def rule_name(code: str) -> str:
    rule = RULES_BY_CODE.get(code)
    error = FILE_ERRORS.get(code)
    return rule.name if rule else error.name if error else ""


def _errors(count: int) -> str:
    return f"{count} error{'s' if count != 1 else ''}"


def _hidden(count: int) -> str:
    return f"{count} hidden fix{'es' if count != 1 else ''}"
