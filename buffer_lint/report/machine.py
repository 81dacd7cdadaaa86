"""Machine-readable output: ruff-style JSON, GitHub Actions annotations, and SARIF 2.1.0."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from buffer_lint import __version__
from buffer_lint.rules import RULES_BY_CODE
from buffer_lint.rules.base import Finding, Rule
from buffer_lint.rules.docs import render_rule

# (path, findings, the file's text or None)
FileResults = Sequence[tuple[str, Sequence[Finding], "str | None"]]
EditsFor = Callable[[str, Finding], "list[dict[str, Any]]"]
FILE_ERRORS = {
    "E902": ("io-error", "The file could not be read or decoded."),
    "E999": ("syntax-error", "The file does not parse, so it was not checked."),
}


def rule_url(code: str) -> str | None:
    """Where a rule's documentation lives, relative to the repository root."""
    return f"docs/rules/{code}.md" if code in RULES_BY_CODE else None


def to_json(results: FileResults, edits_for: EditsFor, fixable: Callable[[Finding], bool]) -> str:
    """A list of diagnostics shaped like ruff's ``--output-format json``; columns 1-based."""
    items = []
    for path, findings, text in results:
        for f in findings:
            rule = RULES_BY_CODE.get(f.code)
            fix = None
            if f.fix is not None and text is not None:
                fix = {
                    "applicability": f.fix.applicability,
                    "message": rule.fix_title.strip("`") if rule else None,
                    "edits": edits_for(text, f),
                    "applied_with": "--fix" if fixable(f) else "--fix --unsafe-fixes",
                }
            items.append(
                {
                    "filename": path,
                    "code": f.code,
                    "message": f.message,
                    "location": {"row": f.line, "column": f.col + 1},
                    "end_location": {"row": f.end_line, "column": f.end_col + 1},
                    "fix": fix,
                    "url": rule_url(f.code),
                }
            )
    return json.dumps(items, indent=2) + "\n"


def to_github(results: FileResults) -> str:
    lines = []
    for path, findings, _ in results:
        for f in findings:
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


def to_sarif(results: FileResults, root: Path) -> str:
    """SARIF 2.1.0 for GitHub code scanning: relative URIs under %SRCROOT%, every rule described."""
    codes = sorted({f.code for _, findings, _ in results for f in findings} | set(RULES_BY_CODE))
    index = {code: i for i, code in enumerate(codes)}
    run = {
        "tool": {"driver": {"name": "buffer-lint", "version": __version__, "rules": [_sarif_rule(c) for c in codes]}},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
        "results": [_sarif_result(path, f, index[f.code], root) for path, findings, _ in results for f in findings],
    }
    log = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2) + "\n"


def _sarif_rule(code: str) -> dict[str, Any]:
    rule: Rule | None = RULES_BY_CODE.get(code)
    if rule is None:
        name, text = FILE_ERRORS.get(code, (code.lower(), code))
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
        "fullDescription": {"text": f"{rule.what_it_does} {rule.why_is_this_bad}"},
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
