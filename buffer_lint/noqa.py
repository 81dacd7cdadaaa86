"""``# noqa`` exactly as flake8 reads it, for the standalone CLI (flake8 does its own).

flake8's own patterns are reused, and like flake8 a ``# noqa`` comment anywhere in a
multi-line statement covers every line of it.
"""

from __future__ import annotations

import tokenize
from collections.abc import Sequence

from flake8.defaults import NOQA_FILE, NOQA_INLINE_REGEXP

from buffer_lint.findings import Finding


def without_noqa(findings: list[Finding], lines: Sequence[str]) -> list[Finding]:
    if not findings or not any("noqa" in line.lower() for line in lines):
        return findings
    if any(NOQA_FILE.match(line) for line in lines):
        return []
    logical_lines = _logical_line_text(lines)
    return [f for f in findings if not _is_ignored(f.code, logical_lines.get(f.line, _line(lines, f.line)))]


def _line(lines: Sequence[str], number: int) -> str:
    return lines[number - 1] if 0 < number <= len(lines) else ""


def _is_ignored(code: str, text: str) -> bool:
    match = NOQA_INLINE_REGEXP.search(text)
    if match is None:
        return False
    codes_text = match.group("codes")
    if codes_text is None:
        return True  # a blanket noqa comment
    codes = tuple(c.strip() for c in codes_text.replace(",", " ").split() if c.strip())
    return code in codes or code.startswith(codes)


def _logical_line_text(lines: Sequence[str]) -> dict[int, str]:
    """Line number -> the text of all physical lines of the token run it belongs to (flake8's mapping)."""
    mapping: dict[int, str] = {}
    first, last = len(lines) + 2, -1
    readline = iter(lines).__next__
    try:
        for token in tokenize.generate_tokens(readline):
            if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            first, last = min(first, token.start[0]), max(last, token.end[0])
            if token.type in (tokenize.NL, tokenize.NEWLINE):
                text = "".join(lines[first - 1 : last])
                mapping.update(dict.fromkeys(range(first, last + 1), text))
                first, last = len(lines) + 2, -1
    except (tokenize.TokenError, SyntaxError, StopIteration):
        return {}
    return mapping
