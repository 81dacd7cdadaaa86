"""What every layer shares: findings, the fixes they carry, and the edits those fixes make.

A leaf: it imports nothing of buffer-lint, so reporters, the cache, ``noqa`` and the fixer
use these types without loading a rule or the analysis.
"""

from __future__ import annotations

import ast
import dataclasses
from dataclasses import dataclass, replace
from typing import Any, Literal, Union, get_args

from buffer_lint.source import char_column

# Whether applying a fix keeps the program's behaviour apart from the bug it fixes.
Applicability = Literal["safe", "unsafe"]
# Whether a rule's findings come with a fix: always, for some findings, or never.
FixAvailability = Literal["always", "sometimes", "never"]


@dataclass(frozen=True)
class FileError:
    """A pseudo-rule for problems with a file itself: always reported, whatever is selected."""

    code: str
    name: str
    description: str


FILE_ERRORS = {
    error.code: error
    for error in (
        FileError("E902", "io-error", "The file could not be read or decoded."),
        FileError("E999", "syntax-error", "The file does not parse, so it was not checked."),
    )
}


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
            char_column(lines, self.line, self.col),
            self.end_line,
            char_column(lines, self.end_line, self.end_col),
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
    after_line: int = 0  # where imports go: the file's last top-level import, else its docstring (0: the top)
    span: Span | None = None  # none: it is placed by ``after_line``


# The edit kinds, declared once: the fixer dispatches on them and the cache stores them by name.
Edit = Union[ToRegisterBuffer, DropAssignment, RemoveStatement, ToMethodCall, WrapValue, AppendDetach, AddImport]
EDIT_KINDS: dict[str, type[Any]] = {kind.__name__: kind for kind in get_args(Edit)}


@dataclass(frozen=True)
class TextEdit:
    """A fix as plain text: replace characters ``start`` to ``end`` of the file by ``content``."""

    start: int
    end: int
    content: str


@dataclass(frozen=True)
class Fix:
    applicability: Applicability
    edits: tuple[Edit, ...]

    def applies(self, unsafe: bool) -> bool:
        return unsafe or self.applicability == "safe"


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

    @classmethod
    def file_error(cls, code: str, line: int, col: int, message: str) -> Finding:
        assert code in FILE_ERRORS
        return cls(code, line, col, line, col, message)

    def in_characters(self, lines: list[str]) -> Finding:
        """Convert ``ast``'s byte columns to character columns, edits included."""
        col = char_column(lines, self.line, self.col)
        end_col = char_column(lines, self.end_line, self.end_col)
        fix = self.fix
        if fix is not None:
            edits = tuple(replace(e, span=e.span.in_characters(lines)) if e.span else e for e in fix.edits)
            fix = replace(fix, edits=edits)
        return replace(self, col=col, end_col=end_col, fix=fix)

    def is_fixable(self, unsafe: bool) -> bool:
        return self.fix is not None and self.fix.applies(unsafe)

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return self.line, self.col, self.code

    def to_json(self) -> dict[str, Any]:
        """A plain-data form (for the cache), read back by ``from_json``."""
        fix = None
        if self.fix is not None:
            edits = [{"kind": type(e).__name__, **dataclasses.asdict(e)} for e in self.fix.edits]
            fix = {"applicability": self.fix.applicability, "edits": edits}
        return {**dataclasses.asdict(self), "fix": fix}

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Finding:
        fix = item["fix"]
        if fix is not None:
            fix = Fix(fix["applicability"], tuple(_edit_from_json(e) for e in fix["edits"]))
        return cls(**{**item, "fix": fix})


def _edit_from_json(item: dict[str, Any]) -> Edit:
    fields = dict(item)
    kind = EDIT_KINDS[fields.pop("kind")]
    if fields.get("span") is not None:
        fields["span"] = Span(**fields["span"])
    return kind(**fields)


@dataclass(frozen=True)
class LocatedEdit:
    """A text edit as reports show it: 1-based rows and columns, from start to end."""

    content: str
    row: int
    column: int
    end_row: int
    end_column: int


@dataclass
class FileResult:
    """What a run found in one file, ready for any report."""

    path: str  # as the report shows it
    findings: list[Finding]
    fixed: list[Finding] = dataclasses.field(default_factory=list)
    diff: str = ""
    error: str | None = None  # why the file could not be checked, fixed or written
    warning: str | None = None  # why a fix was not written (the file changed, or is read-only)
    edits: list[tuple[LocatedEdit, ...] | None] | None = None  # each finding's fix as text edits, when asked for
    from_cache: bool = False  # the result cache held it: the file was not read
