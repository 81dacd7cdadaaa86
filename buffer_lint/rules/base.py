"""What a rule is, and what it produces: findings that carry the data their fix needs."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal, Union

if TYPE_CHECKING:
    from buffer_lint.analysis.classes import ClassFacts
    from buffer_lint.settings import Settings

Applicability = Literal["safe", "unsafe"]


@dataclass(frozen=True)
class Span:
    """A statement's extent: first line and column to last line and column (1-based lines,
    0-based columns; characters once ``Finding.in_characters`` has run)."""

    line: int
    col: int
    end_line: int
    end_col: int

    @classmethod
    def of(cls, node: ast.stmt) -> Span:
        assert node.end_lineno is not None and node.end_col_offset is not None
        return cls(node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)

    def in_characters(self, lines: list[str]) -> Span:
        return Span(
            self.line,
            _char_column(lines, self.line, self.col),
            self.end_line,
            _char_column(lines, self.end_line, self.end_col),
        )


@dataclass(frozen=True)
class ToRegisterBuffer:
    """Replace the assignment statement by ``self.register_buffer(name, value)``, or by
    ``self.name = <buffer_class>(value)`` when ``buffer_class`` is set (``nn.Buffer``).

    ``value`` is the assigned expression, or with ``unwrap_parameter`` the tensor an
    ``nn.Parameter(...)`` call wraps.
    """

    span: Span
    name: str
    persistent: bool
    unwrap_parameter: bool = False
    buffer_class: str | None = None


@dataclass(frozen=True)
class DropAssignment:
    """Keep the call the statement assigns, drop the assignment."""

    span: Span


@dataclass(frozen=True)
class RemoveStatement:
    span: Span
    alone_in_block: bool  # then ``pass`` takes its place


@dataclass(frozen=True)
class ToMethodCall:
    """``<owner>.<attribute> = v`` -> ``<owner>.<method>(v)``."""

    span: Span
    method: str


@dataclass(frozen=True)
class WrapValue:
    """``target = v`` -> ``target = <callee>(v)``."""

    span: Span
    callee: str


@dataclass(frozen=True)
class AppendDetach:
    """``target = v`` or ``target += v`` -> ``... v.detach()``."""

    span: Span


@dataclass(frozen=True)
class AddImport:
    """Add a top-level import statement (the file does not bind what a fix writes)."""

    statement: str
    span: Span | None = None


Edit = Union[ToRegisterBuffer, DropAssignment, RemoveStatement, ToMethodCall, WrapValue, AppendDetach, AddImport]


@dataclass(frozen=True)
class Fix:
    applicability: Applicability
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Finding:
    """One diagnostic. Lines are 1-based; columns are 0-based character offsets."""

    code: str
    line: int
    col: int
    end_line: int
    end_col: int
    message: str
    fix: Fix | None = None

    @classmethod
    def at(cls, node: ast.stmt, code: str, message: str, fix: Fix | None = None) -> Finding:
        """A finding at ``node``, columns still in ``ast``'s UTF-8 bytes (see ``in_characters``)."""
        end_line = node.end_lineno or node.lineno
        end_col = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        return cls(code, node.lineno, node.col_offset, end_line, end_col, message, fix)

    def in_characters(self, lines: list[str]) -> Finding:
        """Convert ``ast``'s byte columns to character columns, edits included."""
        col = _char_column(lines, self.line, self.col)
        end_col = _char_column(lines, self.end_line, self.end_col)
        fix = self.fix
        if fix is not None:
            edits = tuple(replace(e, span=e.span.in_characters(lines)) if e.span else e for e in fix.edits)
            fix = replace(fix, edits=edits)
        return replace(self, col=col, end_col=end_col, fix=fix)

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return self.line, self.col, self.code


def _char_column(lines: list[str], line: int, byte_col: int) -> int:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    if text.isascii():
        return byte_col
    return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))


@dataclass(frozen=True)
class Rule:
    """A rule: its code, its documentation (the source of ``buffer-lint rule`` and the README
    table), and its check over one class's facts."""

    code: str
    name: str
    summary: str
    what_it_does: str
    why_is_this_bad: str
    example: str
    use_instead: str
    fix_safety: str
    fix_title: str  # what the fix writes, for the rule table ("" when there is none)
    fix_applicability: Applicability | None  # None when the rule has no fix
    check: Callable[[ClassFacts, Settings], Iterator[Finding]]
