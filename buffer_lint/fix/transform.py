"""Apply findings' edits to source text: the only place libcst is used.

Each edit names the exact span of its statement (recorded by the ``ast`` analysis). The
statement alone is parsed with libcst, rewritten, and spliced back: the rest of the file
is untouched byte for byte, and libcst's cost is that of the edited statements, not of
the file. Comments and layout inside the kept expressions survive.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from buffer_lint.findings import (
    AddImport,
    AppendDetach,
    DropAssignment,
    Edit,
    RemoveStatement,
    Span,
    TextEdit,
    ToMethodCall,
    ToRegisterBuffer,
    WrapValue,
)
from buffer_lint.source import line_starts, physical_lines

ParserSyntaxError = cst.ParserSyntaxError


def fix_text(text: str, edits: Iterable[Edit]) -> str:
    """The text with the edits applied. Raises libcst's ParserSyntaxError for a statement it cannot parse."""
    for edit in sorted(text_edits(text, edits), key=lambda e: (e.start, e.end), reverse=True):
        text = text[: edit.start] + edit.content + text[edit.end :]
    return text


def text_edits(text: str, edits: Iterable[Edit], starts: list[int] | None = None) -> list[TextEdit]:
    """What the edits change in ``text``, as replacements of character ranges (``starts``: the text's
    ``line_starts``, when the caller has them already)."""
    offsets = _line_offsets(starts if starts is not None else line_starts(text))
    replacements: list[TextEdit] = []
    imports: list[AddImport] = []
    for edit in edits:
        if isinstance(edit, AddImport):
            imports.append(edit)
            continue
        start, end = offsets(edit.span)
        if isinstance(edit, RemoveStatement):
            replacements.append(TextEdit(*_removal(text, start, end, edit.alone_in_block)))
        else:
            replacements.append(TextEdit(start, end, _rewrite(text[start:end], edit)))
    if imports:
        statements = list(dict.fromkeys(i.statement for i in imports))
        replacements.append(_import_insertion(text, statements, imports[0].after_line))
    return replacements


def _line_offsets(starts: list[int]):  # noqa: ANN202 - a small closure
    def offsets(span: Span) -> tuple[int, int]:
        return starts[span.line - 1] + span.col, starts[span.end_line - 1] + span.end_col

    return offsets


def _rewrite(segment: str, edit: Edit) -> str:
    newline = "\r\n" if "\r\n" in segment else "\n"
    statement = cst.parse_statement(segment, config=cst.PartialParserConfig(default_newline=newline))
    assert isinstance(statement, cst.SimpleStatementLine)
    small = statement.body[0]
    assert isinstance(small, (cst.Assign, cst.AnnAssign, cst.AugAssign)) and small.value is not None
    value = small.value
    target = small.targets[0].target if isinstance(small, cst.Assign) else small.target
    new: cst.BaseSmallStatement
    if isinstance(edit, DropAssignment):
        new = cst.Expr(value=value)
    elif isinstance(edit, WrapValue):
        new = small.with_changes(value=cst.Call(func=cst.parse_expression(edit.callee), args=[cst.Arg(value)]))
    elif isinstance(edit, AppendDetach):
        new = small.with_changes(value=_method_call(value, "detach"))
    else:
        assert isinstance(target, cst.Attribute) and isinstance(edit, (ToMethodCall, ToRegisterBuffer))
        if isinstance(edit, ToMethodCall):
            new = cst.Expr(
                value=cst.Call(
                    func=cst.Attribute(value=target.value, attr=cst.Name(edit.method)), args=[cst.Arg(value)]
                )
            )
        else:
            new = _register_buffer(edit, target.value, value)
    return cst.Module(body=[], default_newline=newline).code_for_node(new)  # new line breaks as the file's


_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript)


def _method_call(value: cst.BaseExpression, method: str) -> cst.Call:
    """``value.method()``, parenthesizing ``value`` when it is not an atom (``(a + b).detach()``)."""
    if not isinstance(value, _ATOMS) and not value.lpar:
        value = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.Call(func=cst.Attribute(value=value, attr=cst.Name(method)))


def _removal(text: str, start: int, end: int, alone_in_block: bool) -> tuple[int, int, str]:
    """What to cut for a removed statement: its whole line when it has one to itself, else
    the statement and one neighbouring ``;``. The only statement of a block becomes ``pass``."""
    if alone_in_block:
        return start, end, "pass"
    line_start = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
    line_end = _line_end(text, end)
    before, after = text[line_start:start], text[end:line_end]
    if after.lstrip().startswith(";"):  # "stmt; other" -> "other"
        semicolon = end + after.index(";") + 1
        return start, semicolon + len(text[semicolon:line_end]) - len(text[semicolon:line_end].lstrip(" \t")), ""
    if before.rstrip().endswith(";"):  # "other; stmt" -> "other"
        return line_start + len(before.rstrip()) - 1, end, ""
    next_line = line_end + (2 if text.startswith("\r\n", line_end) else 1 if line_end < len(text) else 0)
    return line_start, next_line, ""


def _line_end(text: str, position: int) -> int:
    ends = [i for i in (text.find("\n", position), text.find("\r", position)) if i >= 0]
    return min(ends) if ends else len(text)


def _import_insertion(text: str, statements: list[str], after_line: int) -> TextEdit:
    """New imports go after ``after_line`` (the analysis found it: no second parse of the file)."""
    lines = physical_lines(text)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    position = sum(len(line) for line in lines[:after_line])
    missing_newline = newline if after_line and not lines[after_line - 1].endswith(("\n", "\r")) else ""
    return TextEdit(position, position, missing_newline + "".join(statement + newline for statement in statements))


def _register_buffer(
    edit: ToRegisterBuffer, owner: cst.BaseExpression, value: cst.BaseExpression
) -> cst.BaseSmallStatement:
    """``self.register_buffer("name", <tensor>[, persistent=False])``, or with ``buffer_class``
    set, ``self.name = <buffer_class>(<tensor>[, persistent=False])``."""
    if edit.unwrap_parameter and isinstance(value, cst.Call):
        call, args = value, _tensor_arguments(value)  # keep the call's own layout and comments
    else:
        call, args = cst.Call(func=value), [cst.Arg(value)]
    if not edit.persistent:
        args.append(_persistent_false())
    if edit.buffer_class:
        new_call = call.with_changes(func=cst.parse_expression(edit.buffer_class), args=args)
        target = cst.AssignTarget(target=cst.Attribute(value=owner, attr=cst.Name(edit.name)))
        return cst.Assign(targets=[target], value=new_call)
    name = cst.Arg(cst.SimpleString(f'"{edit.name}"'), comma=_comma_like(call.whitespace_before_args))
    new_call = call.with_changes(func=cst.Attribute(value=owner, attr=cst.Name("register_buffer")), args=[name, *args])
    return cst.Expr(value=new_call)


def _tensor_arguments(parameter_call: cst.Call) -> list[cst.Arg]:
    """The arguments of ``nn.Parameter(data, requires_grad)`` without ``requires_grad``, ``data=`` made positional."""
    args = list(parameter_call.args)
    flag = next((a for a in args if a.keyword and a.keyword.value == "requires_grad"), None)
    if flag is None and len(args) > 1 and not args[1].keyword:
        flag = args[1]
    kept = [
        a.with_changes(keyword=None, equal=cst.MaybeSentinel.DEFAULT) if a.keyword else a for a in args if a is not flag
    ]
    if flag is not None and flag is args[-1] and kept:
        kept[-1] = _take_closing_layout(kept[-1], flag)
    return kept


def _take_closing_layout(arg: cst.Arg, dropped_last: cst.Arg) -> cst.Arg:
    """The new last argument inherits what stood between the dropped one and ``)``,
    keeping its own comment when it is followed by one."""
    own = arg.comma.whitespace_after if isinstance(arg.comma, cst.Comma) else None
    if isinstance(own, cst.ParenthesizedWhitespace):
        closing = dropped_last.comma.whitespace_after if isinstance(dropped_last.comma, cst.Comma) else None
        if isinstance(closing, cst.ParenthesizedWhitespace):
            own = own.with_changes(indent=closing.indent, last_line=closing.last_line)
        return arg.with_changes(comma=arg.comma.with_changes(whitespace_after=own))  # type: ignore[union-attr]
    return arg.with_changes(comma=dropped_last.comma, whitespace_after_arg=dropped_last.whitespace_after_arg)


def _comma_like(whitespace: cst.BaseParenthesizableWhitespace) -> cst.Comma | cst.MaybeSentinel:
    """After the inserted name: one argument a line when the call already is laid out so."""
    if isinstance(whitespace, cst.ParenthesizedWhitespace):  # its layout, not its comment
        return cst.Comma(whitespace_after=whitespace.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[]))
    return cst.MaybeSentinel.DEFAULT


def _persistent_false() -> cst.Arg:
    return cst.Arg(
        cst.Name("False"),
        keyword=cst.Name("persistent"),
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )
