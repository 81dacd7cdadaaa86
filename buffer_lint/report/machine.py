"""Machine-readable output: ruff-style JSON, GitHub Actions annotations, and SARIF 2.1.0."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from buffer_lint import __version__
from buffer_lint.findings import FILE_ERRORS, FileResult, Finding, LocatedEdit
from buffer_lint.report.docs import render_rule
from buffer_lint.report.text import code_counts, rule_name
from buffer_lint.rules.base import Rule
from buffer_lint.rules.registry import RULES_BY_CODE


def rule_url(code: str) -> str | None:
    """Where a rule's documentation lives, relative to the repository root."""
    return f"docs/rules/{code}.md" if code in RULES_BY_CODE else None


def to_json(results: Sequence[FileResult], unsafe: bool) -> str:
    """A list of diagnostics shaped like ruff's ``--output-format json``; columns 1-based."""
    items = []
    for result in results:
        edits = result.edits or [None] * len(result.findings)
        for f, fix_edits in zip(result.findings, edits):
            items.append(
                {
                    "filename": result.path,
                    "code": f.code,
                    "message": f.message,
                    "location": {"row": f.line, "column": f.col + 1},
                    "end_location": {"row": f.end_line, "column": f.end_col + 1},
                    "fix": _json_fix(f, fix_edits, unsafe),
                    "url": rule_url(f.code),
                }
            )
    return json.dumps(items, indent=2) + "\n"


def statistics_json(results: Sequence[FileResult], unsafe: bool) -> str:
    """``--statistics`` as ruff prints it in JSON: one entry per code, the most frequent first."""
    entries = [
        {"code": code, "name": rule_name(code), "count": count, "fixable": fixable}
        for code, count, fixable in code_counts(results, unsafe)
    ]
    return json.dumps(entries, indent=2) + "\n"


def _json_fix(finding: Finding, edits: tuple[LocatedEdit, ...] | None, unsafe: bool) -> dict[str, Any] | None:
    if finding.fix is None or edits is None:
        return None
    rule = RULES_BY_CODE.get(finding.code)
    return {
        "applicability": finding.fix.applicability,
        "message": rule.fix_title.strip("`") if rule else None,
        "edits": [
            {
                "content": e.content,
                "location": {"row": e.row, "column": e.column},
                "end_location": {"row": e.end_row, "column": e.end_column},
            }
            for e in edits
        ],
        "applied_with": "--fix" if finding.is_fixable(unsafe) else "--fix --unsafe-fixes",
    }


def to_github(results: Sequence[FileResult]) -> str:
    lines = []
    for result in results:
        path = result.path
        for f in result.findings:
            properties = ",".join(
                f"{key}={_escape_property(str(value))}"
                for key, value in (
                    ("title", f"buffer-lint ({f.code})"),
                    ("file", path),
                    ("line", f.line),
                    ("col", f.col + 1),
                    ("endLine", f.end_line),
                    ("endColumn", f.end_col + 1),
                )
            )
            lines.append(f"::error {properties}::{_escape_data(f'{f.code} {f.message}')}\n")
    return "".join(lines)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def to_sarif(results: Sequence[FileResult], root: Path) -> str:
    """SARIF 2.1.0 for GitHub code scanning: relative URIs under %SRCROOT%, every rule described."""
    codes = sorted({f.code for result in results for f in result.findings} | set(RULES_BY_CODE))
    index = {code: i for i, code in enumerate(codes)}
    run = {
        "tool": {"driver": {"name": "buffer-lint", "version": __version__, "rules": [_sarif_rule(c) for c in codes]}},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
        "results": [_sarif_result(r.path, f, index[f.code], root) for r in results for f in r.findings],
    }
    log = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2) + "\n"


def _sarif_rule(code: str) -> dict[str, Any]:
    rule: Rule | None = RULES_BY_CODE.get(code)
    if rule is None:
        error = FILE_ERRORS.get(code)
        name, text = (error.name, error.description) if error else (code.lower(), code)
        return {
            "id": code,
            "name": name,
            "shortDescription": {"text": text},
            "fullDescription": {"text": text},
            "help": {"text": text},
            "defaultConfiguration": {"level": "error"},
        }
    documentation = render_rule(rule)
    return {
        "id": code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {
            "text": _one_paragraph(f"{rule.sections['What it does']} {rule.sections['Why is this bad?']}")
        },
        "help": {"text": documentation, "markdown": documentation},
        "defaultConfiguration": {"level": "error"},
        "properties": {"fix": rule.fix_applicability or "none"},
    }


def _sarif_result(path: str, finding: Finding, rule_index: int, root: Path) -> dict[str, Any]:
    file = Path(path)
    if file.is_absolute():
        artifact = {"uri": file.as_uri()}
    else:
        artifact = {"uri": file.as_posix(), "uriBaseId": "%SRCROOT%"}
    region = {
        "startLine": finding.line,
        "startColumn": finding.col + 1,
        "endLine": max(finding.end_line, finding.line),
        "endColumn": finding.end_col + 1
        if finding.end_line > finding.line or finding.end_col > finding.col
        else finding.col + 2,
    }
    return {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": "error",
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": {"artifactLocation": artifact, "region": region}}],
    }


def _one_paragraph(markdown: str) -> str:
    return re.sub(r"\s*\n\s*", " ", markdown)
