"""The default output: ``path:line:col: CODE message``, 1-based columns, like ruff and flake8."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TextIO

from buffer_lint.rules import RULES_BY_CODE
from buffer_lint.rules.base import Finding

FileFindings = tuple[str, Sequence[Finding]]


def write_findings(results: Sequence[FileFindings], out: TextIO) -> None:
    for path, findings in results:
        for finding in findings:
            out.write(f"{path}:{finding.line}:{finding.col + 1}: {finding.code} {finding.message}\n")


def write_summary(count: int, out: TextIO) -> None:
    if count:
        out.write(f"Found {count} error{'s' if count != 1 else ''}.\n")


def write_statistics(results: Sequence[FileFindings], out: TextIO) -> None:
    counts = Counter(f.code for _, findings in results for f in findings)
    width = len(str(max(counts.values(), default=0)))
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        rule = RULES_BY_CODE.get(code)
        name = rule.name if rule else {"E999": "syntax-error", "E902": "io-error"}.get(code, "")
        out.write(f"{count:>{width}}\t{code}\t{name}\n")
