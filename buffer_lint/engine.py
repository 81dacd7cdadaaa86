"""The one analysis both front ends share: source -> ast -> class facts -> rules -> findings."""

from __future__ import annotations

import ast
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from buffer_lint.analysis.builder import analyze_file
from buffer_lint.analysis.project import FileContext
from buffer_lint.findings import Finding
from buffer_lint.noqa import without_noqa
from buffer_lint.rules.base import Rule
from buffer_lint.settings import Settings
from buffer_lint.source import decode_source, parse, physical_lines

# Deep enough for any tree ``ast.parse`` builds (it refuses nesting beyond about 3,000 levels).
RECURSION_LIMIT = 30_000


@contextmanager
def deep_recursion() -> Iterator[None]:
    """Let the analysis (and libcst) recurse as deep as the trees ``ast.parse`` accepts."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, RECURSION_LIMIT))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def check_tree(
    tree: ast.Module,
    lines: Sequence[str],
    settings: Settings,
    rules: Sequence[Rule],
    context: FileContext | None = None,
) -> list[Finding]:
    """Findings for a parsed file, sorted by position, columns in characters. With a ``context``
    (where the file lies in its project), the project's other files count too."""
    with deep_recursion():
        return _check_tree(tree, lines, settings, rules, context)


def _check_tree(
    tree: ast.Module, lines: Sequence[str], settings: Settings, rules: Sequence[Rule], context: FileContext | None
) -> list[Finding]:
    if context is None:
        facts = analyze_file(tree, settings.module_bases)
    else:
        facts = analyze_file(tree, settings.module_bases, project=context.project, location=context.location)
    line_list = list(lines)
    findings = [
        Finding.at(violation.statement, rule.code, violation.message, violation.fix).in_characters(line_list)
        for cls in facts.module_classes
        for rule in rules
        for violation in rule.check(cls, settings)
    ]
    return sorted(findings, key=lambda f: f.sort_key)


@dataclass(frozen=True)
class SourceResult:
    findings: list[Finding]
    text: str | None  # the decoded source; None when it could not be read or decoded


def check_source(
    source: bytes, settings: Settings, rules: Sequence[Rule], context: FileContext | None = None
) -> SourceResult:
    """Check one file's bytes as the CLI does: decode, parse, analyse, honour ``# noqa``.

    Problems with the file itself become findings (E902 for undecodable bytes, E999 for
    syntax errors), never exceptions.
    """
    try:
        text = decode_source(source)
    except (SyntaxError, UnicodeDecodeError, LookupError) as error:
        return SourceResult([Finding.file_error("E902", 1, 0, f"{type(error).__name__}: {error}")], None)
    return SourceResult(check_text(text, settings, rules, context), text)


def check_text(
    text: str, settings: Settings, rules: Sequence[Rule], context: FileContext | None = None
) -> list[Finding]:
    """Findings for decoded source, ``# noqa`` honoured; a syntax error is an E999 finding."""
    try:
        tree = parse(text)
    except (SyntaxError, ValueError) as error:
        return [syntax_error_finding(error)]
    return check_parsed(tree, text, settings, rules, context)


def check_parsed(
    tree: ast.Module, text: str, settings: Settings, rules: Sequence[Rule], context: FileContext | None = None
) -> list[Finding]:
    """Findings for source already parsed into ``tree``, ``# noqa`` honoured."""
    lines = physical_lines(text)
    return without_noqa(check_tree(tree, lines, settings, rules, context), lines)


def syntax_error_finding(error: SyntaxError | ValueError) -> Finding:
    if isinstance(error, SyntaxError):
        line = error.lineno or 1
        col = max((error.offset or 1) - 1, 0)
        message = error.msg
    else:  # source code string cannot contain null bytes
        line, col, message = 1, 0, str(error)
    return Finding.file_error("E999", line, col, f"{type(error).__name__}: {message}")


def internal_error(error: BaseException) -> str:
    """One line for an unexpected failure; the traceback too (on stderr) with BUFFER_LINT_DEBUG=1."""
    if os.environ.get("BUFFER_LINT_DEBUG"):
        traceback.print_exception(type(error), error, error.__traceback__)
    first_line = str(error).splitlines()[0] if str(error) else ""
    return f"internal error: {type(error).__name__}" + (f": {first_line}" if first_line else "")
