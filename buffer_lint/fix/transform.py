"""Apply findings' edits to a libcst tree: the only place libcst is used.

Edits locate their statement by its first line and character column; the rules decided
everything else. Formatting and comments inside the kept expressions survive.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from buffer_lint.rules.base import AddImport, DropAssignment, Edit, RemoveStatement, ToRegisterBuffer


def apply_edits(module: cst.Module, edits: Iterable[Edit]) -> cst.Module:
    edits = list(edits)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    fixed = wrapper.visit(_EditApplier(e for e in edits if not isinstance(e, AddImport)))
    imports = dict.fromkeys(e.statement for e in edits if isinstance(e, AddImport))
    return _add_imports(fixed, list(imports)) if imports else fixed


def _add_imports(module: cst.Module, statements: list[str]) -> cst.Module:
    """Put new imports after the module's last top-level import, else after its docstring."""
    body = list(module.body)
    position = 0
    for index, statement in enumerate(body):
        small = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else None
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            position = index + 1
        elif index == 0 and isinstance(small, cst.Expr) and isinstance(small.value, cst.SimpleString):
            position = 1
    new = [cst.parse_statement(text + module.default_newline) for text in statements]
    return module.with_changes(body=[*body[:position], *new, *body[position:]])


class _EditApplier(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, edits: Iterable[Edit]) -> None:
        super().__init__()
        self.edits = {(edit.line, edit.col): edit for edit in edits}

    def _edit_for(self, node: cst.CSTNode) -> Edit | None:
        start = self.get_metadata(PositionProvider, node).start
        return self.edits.get((start.line, start.column))

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.BaseSmallStatement:
        return self._rewrite(original, updated, updated.targets[0].target)

    def leave_AnnAssign(self, original: cst.AnnAssign, updated: cst.AnnAssign) -> cst.BaseSmallStatement:
        return self._rewrite(original, updated, updated.target)

    def _rewrite(
        self, original: cst.Assign | cst.AnnAssign, updated: cst.Assign | cst.AnnAssign, target: cst.BaseExpression
    ) -> cst.BaseSmallStatement:
        edit = self._edit_for(original)
        value = updated.value
        if value is None:
            return updated
        if isinstance(edit, DropAssignment):
            return cst.Expr(value=value, semicolon=updated.semicolon)
        if isinstance(edit, ToRegisterBuffer) and isinstance(target, cst.Attribute):
            return _register_buffer(edit, target.value, value, updated.semicolon)
        return updated

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        kept = [
            new for old, new in zip(original.body, updated.body) if not isinstance(self._edit_for(old), RemoveStatement)
        ]
        if not kept:
            return cst.RemoveFromParent()
        if len(kept) < len(updated.body):
            kept[-1] = kept[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(body=kept)

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        if updated.body:
            return updated
        return updated.with_changes(body=[cst.SimpleStatementLine(body=[cst.Pass()])])


def _register_buffer(
    edit: ToRegisterBuffer, owner: cst.BaseExpression, value: cst.BaseExpression, semicolon: cst.Semicolon | cst.MaybeSentinel
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
        return cst.Assign(targets=[target], value=new_call, semicolon=semicolon)
    name = cst.Arg(cst.SimpleString(f'"{edit.name}"'), comma=_comma_like(call.whitespace_before_args))
    new_call = call.with_changes(func=cst.Attribute(value=owner, attr=cst.Name("register_buffer")), args=[name, *args])
    return cst.Expr(value=new_call, semicolon=semicolon)


def _tensor_arguments(parameter_call: cst.Call) -> list[cst.Arg]:
    """The arguments of ``nn.Parameter(data, requires_grad)`` without ``requires_grad``, ``data=`` made positional."""
    args = list(parameter_call.args)
    flag = next((a for a in args if a.keyword and a.keyword.value == "requires_grad"), None)
    if flag is None and len(args) > 1 and not args[1].keyword:
        flag = args[1]
    kept = [a.with_changes(keyword=None, equal=cst.MaybeSentinel.DEFAULT) if a.keyword else a for a in args if a is not flag]
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
        return arg.with_changes(comma=arg.comma.with_changes(whitespace_after=own))
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


ParserSyntaxError = cst.ParserSyntaxError


def fix_text(text: str, edits: Iterable[Edit]) -> str:
    """The text with the edits applied. Raises libcst's ParserSyntaxError when libcst cannot parse it."""
    return apply_edits(cst.parse_module(text), edits).code
