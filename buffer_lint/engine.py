"""The one analysis both front ends share: source -> ast -> class facts -> rules -> findings."""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass

from buffer_lint.analysis.classes import analyze_module
from buffer_lint.noqa import without_noqa
from buffer_lint.rules import RULES
from buffer_lint.rules.base import Finding, Rule
from buffer_lint.settings import Settings


def check_tree(
    tree: ast.Module, lines: Sequence[str], settings: Settings, rules: Sequence[Rule] = RULES
) -> list[Finding]:
    """Findings for a parsed file, sorted by position, columns in characters."""
    facts = analyze_module(tree, settings.module_bases)
    findings = [finding for cls in facts.module_classes for rule in rules for finding in rule.check(cls, settings)]
    line_list = list(lines)
    return sorted((f.in_characters(line_list) for f in findings), key=lambda f: f.sort_key)


@dataclass(frozen=True)
class SourceResult:
    findings: list[Finding]
    text: str | None  # the decoded source; None when it could not be read or decoded


def check_source(source: bytes, settings: Settings, rules: Sequence[Rule] = RULES) -> SourceResult:
    """Check one file's bytes as the CLI does: decode, parse, analyse, honour ``# noqa``.

    Problems with the file itself become findings (E902 for undecodable bytes, E999 for
    syntax errors), never exceptions.
    """
    try:
        text = decode_source(source)
    except (SyntaxError, UnicodeDecodeError, LookupError) as error:
        return SourceResult([Finding("E902", 1, 0, 1, 0, f"{type(error).__name__}: {error}")], None)
    return SourceResult(check_text(text, settings, rules), text)


def check_text(text: str, settings: Settings, rules: Sequence[Rule] = RULES) -> list[Finding]:
    """Findings for decoded source, ``# noqa`` honoured; a syntax error is an E999 finding."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError) as error:
        return [syntax_error_finding(error)]
    return check_parsed(tree, text, settings, rules)


def check_parsed(tree: ast.Module, text: str, settings: Settings, rules: Sequence[Rule] = RULES) -> list[Finding]:
    """Findings for source already parsed into ``tree``, ``# noqa`` honoured."""
    lines = physical_lines(text)
    return without_noqa(check_tree(tree, lines, settings, rules), lines)


def decode_source(source: bytes) -> str:
    """Decode as Python does: BOM, then a PEP 263 coding cookie, else UTF-8."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    text = source.decode(encoding)
    return text[1:] if text.startswith("\ufeff") else text


def syntax_error_finding(error: SyntaxError | ValueError) -> Finding:
    if isinstance(error, SyntaxError):
        line = error.lineno or 1
        col = max((error.offset or 1) - 1, 0)
        message = error.msg
    else:  # source code string cannot contain null bytes
        line, col, message = 1, 0, str(error)
    return Finding("E999", line, col, line, col, f"{type(error).__name__}: {message}")


def physical_lines(text: str) -> list[str]:
    """Lines as Python's tokenizer counts them: split at \\n, \\r\\n and \\r only (not at \\f or \\u2028)."""
    return io.StringIO(text, newline="").readlines()


def line_starts(text: str) -> list[int]:
    """The character offset where each physical line begins, and the text's length last."""
    starts = [0]
    for line in physical_lines(text):
        starts.append(starts[-1] + len(line))
    return starts
