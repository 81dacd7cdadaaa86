"""``audit --compare``: the runtime findings against the static analysis of the files that made them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from buffer_lint.analysis.project import FileContext
from buffer_lint.analysis.summaries import Projects
from buffer_lint.audit.core import AuditFinding, group_by_file, to_file_results
from buffer_lint.engine import check_source
from buffer_lint.findings import FileResult, Finding
from buffer_lint.rules.selection import Selection
from buffer_lint.settings import Settings

RUNTIME_CODES = ("BUF001", "BUF002", "BUF006")  # what the audit can find


@dataclass
class Comparison:
    both: list[AuditFinding] = field(default_factory=list)
    runtime_only: list[AuditFinding] = field(default_factory=list)
    static_only: list[tuple[str, Finding]] = field(default_factory=list)  # (path, finding)


def compare(findings: Sequence[AuditFinding], selection: Selection, frozen: bool) -> Comparison:
    """Match by file, line and code; static findings are those of the files the runtime findings are in."""
    codes = {c for c in RUNTIME_CODES if selection.enables(c) and (frozen or c != "BUF002")}
    projects = Projects()  # bases and helpers in other files of the project count, as for check
    static = {path: _static_findings(path, selection, codes, projects) for path in sorted({f.path for f in findings})}
    result = Comparison()
    matched: set[tuple[str, int, str]] = set()
    for item in findings:
        key = (item.path, item.finding.line, item.finding.code)
        if any((f.line, f.code) == key[1:] for f in static[item.path]):
            result.both.append(item)
            matched.add(key)
        else:
            result.runtime_only.append(item)
    result.static_only = [
        (path, f) for path, found in static.items() for f in found if (path, f.line, f.code) not in matched
    ]
    return result


def _static_findings(path: str, selection: Selection, codes: set[str], projects: Projects) -> list[Finding]:
    try:
        source = Path(path).read_bytes()
    except OSError:
        return []
    rules = [rule for rule in selection.rules if rule.code in codes]
    context = FileContext.of(Path(path), projects)
    return [f for f in check_source(source, Settings(), rules, context).findings if f.code in codes]


def sections(comparison: Comparison) -> list[tuple[str, str, list[FileResult]]]:
    """The three lists as (key, title, file results for a reporter)."""
    return [
        ("both", "found by both", to_file_results(comparison.both)),
        ("runtime_only", "runtime only (the static analysis misses these)", to_file_results(comparison.runtime_only)),
        (
            "static_only",
            "static only (in the same files; may be classes this model does not build)",
            group_by_file(comparison.static_only),
        ),
    ]
