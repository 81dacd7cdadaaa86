"""Decide whether an expression certainly evaluates to a ``torch.Tensor``.

Precision before recall: an expression is a tensor only when torch's own stubs say so.
Calls the analysis cannot see into (same-file helpers included) are not tensors.
"""

from __future__ import annotations

import ast
from collections.abc import Container, Iterable, Iterator

from buffer_lint.analysis.blocks import COMPOUND_STATEMENTS, all_blocks
from buffer_lint.analysis.imports import ImportMap
from buffer_lint.analysis.torch_api import TENSOR_ATTRIBUTES, TENSOR_FUNCTIONS, TENSOR_METHODS

_TENSOR_TYPES = frozenset({"torch.Tensor", "torch.FloatTensor", "torch.LongTensor"})
# Comparisons that return a plain bool whatever the operands are.
_IDENTITY_OPS = (ast.Is, ast.IsNot, ast.In, ast.NotIn)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# Statements that bind names to no expression (imports, definitions, ``except ... as e``, match patterns).
_BINDS_WITHOUT_VALUE = frozenset(
    {ast.Import, ast.ImportFrom, *_DEFINITIONS, ast.Global, ast.Nonlocal, ast.Delete, ast.Try}
    | {getattr(ast, name) for name in ("TryStar", "Match") if hasattr(ast, name)}
)


class TensorTyper:
    def __init__(self, imports: ImportMap) -> None:
        self.imports = imports

    def is_tensor(self, expr: ast.expr | None, local_tensors: Container[str] = frozenset()) -> bool:
        if isinstance(expr, ast.Call):
            func = expr.func
            if self.imports.qualify(func) in TENSOR_FUNCTIONS:
                return True
            return (
                isinstance(func, ast.Attribute)
                and func.attr in TENSOR_METHODS
                and self.is_tensor(func.value, local_tensors)
            )
        if isinstance(expr, ast.Name):
            return expr.id in local_tensors
        if isinstance(expr, ast.Attribute):
            return expr.attr in TENSOR_ATTRIBUTES and self.is_tensor(expr.value, local_tensors)
        if isinstance(expr, ast.Subscript):
            return self.is_tensor(expr.value, local_tensors)
        if isinstance(expr, ast.BinOp):
            if isinstance(expr.op, ast.Mod) and isinstance(expr.left, (ast.Constant, ast.JoinedStr)):
                return False  # "%s" % tensor is a string
            return self.is_tensor(expr.left, local_tensors) or self.is_tensor(expr.right, local_tensors)
        if isinstance(expr, ast.UnaryOp):
            return not isinstance(expr.op, ast.Not) and self.is_tensor(expr.operand, local_tensors)
        if isinstance(expr, ast.Compare):
            return not any(isinstance(op, _IDENTITY_OPS) for op in expr.ops) and any(
                self.is_tensor(e, local_tensors) for e in (expr.left, *expr.comparators)
            )
        if isinstance(expr, ast.IfExp):
            return self.is_tensor(expr.body, local_tensors) and self.is_tensor(expr.orelse, local_tensors)
        return False

    def is_tensor_annotation(self, annotation: ast.expr | None) -> bool:
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            return annotation.value in ("Tensor", "torch.Tensor")
        return annotation is not None and self.imports.qualify(annotation) in _TENSOR_TYPES

    def local_tensors(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
        """Local names that are tensors wherever they are read: every binding binds a tensor."""
        bindings: dict[str, list[ast.expr]] = {}
        unknown: set[str] = set()
        for arg, default in arguments_with_defaults(function.args):
            defaults_to_none = isinstance(default, ast.Constant) and default.value is None
            if self.is_tensor_annotation(arg.annotation) and not defaults_to_none and arg.arg not in unknown:
                bindings.setdefault(arg.arg, [])
            else:
                unknown.add(arg.arg)  # unannotated, or "x: Tensor = None", which may well be None
        arguments = function.args
        for extra in (arguments.vararg, arguments.kwarg):
            if extra:
                unknown.add(extra.arg)
        for name, value in local_bindings(function.body):
            if value is None:
                unknown.add(name)
            else:
                bindings.setdefault(name, []).append(value)
        candidates = frozenset(bindings) - unknown
        while True:  # drop names bound to a non-tensor until nothing changes
            kept = frozenset(
                name for name in candidates if all(self.is_tensor(value, candidates) for value in bindings[name])
            )
            if kept == candidates:
                return kept
            candidates = kept


def arguments_with_defaults(arguments: ast.arguments) -> Iterator[tuple[ast.arg, ast.expr | None]]:
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults)) + list(arguments.defaults)
    yield from zip(positional, defaults)
    yield from zip(arguments.kwonlyargs, arguments.kw_defaults)


def local_bindings(body: Iterable[ast.stmt], unpacked: bool = False) -> Iterator[tuple[str, ast.expr | None]]:
    """(name, value) for each binding of a local name; value None when it is not an expression.

    With ``unpacked``, names bound by unpacking (``a, b = v``, ``for a in v``) get the whole ``v``:
    right for "does it derive from v", wrong for "is it a tensor".
    """
    for node in body:
        yield from _statement_bindings(node, unpacked)
        if type(node) in COMPOUND_STATEMENTS:
            for block in all_blocks(node):
                yield from local_bindings(block, unpacked)


def _statement_bindings(node: ast.stmt, unpacked: bool) -> Iterator[tuple[str, ast.expr | None]]:
    """The names one statement binds itself, not those its blocks bind."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Name):
                yield target.id, node.value
            else:
                yield from _bound_names(target, node.value if unpacked else None)
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        if node.value is not None:
            yield node.target.id, node.value
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        yield from _bound_names(node.target, node.iter if unpacked else None)
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        for item in node.items:
            if item.optional_vars is not None:
                yield from _bound_names(item.optional_vars)
    elif type(node) in _BINDS_WITHOUT_VALUE:
        yield from ((name, None) for name in _names_without_value(node))


def _names_without_value(node: ast.stmt) -> Iterator[str]:
    """Names a statement binds to no expression: imports, definitions, ``global``, ``del``,
    ``except ... as e``, match patterns."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        yield from ((alias.asname or alias.name).partition(".")[0] for alias in node.names)
    elif isinstance(node, _DEFINITIONS):
        yield node.name
    elif isinstance(node, (ast.Global, ast.Nonlocal)):
        yield from node.names
    elif isinstance(node, ast.Delete):
        yield from (name for target in node.targets for name, _ in _bound_names(target))
    yield from (handler.name for handler in getattr(node, "handlers", ()) if handler.name)
    for case in getattr(node, "cases", ()):
        yield from _pattern_names(case.pattern)


def _bound_names(target: ast.expr, value: ast.expr | None = None) -> Iterator[tuple[str, ast.expr | None]]:
    """Names an assignment target binds (not ``x`` in ``x[i] = v`` or ``x.a = v``), each with ``value``."""
    if isinstance(target, ast.Name):
        yield target.id, value
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _bound_names(element, value)
    elif isinstance(target, ast.Starred):
        yield from _bound_names(target.value, value)


def _pattern_names(pattern: ast.AST) -> Iterator[str]:
    for node in ast.walk(pattern):
        if isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            yield node.name
        elif isinstance(node, ast.MatchMapping) and node.rest:
            yield node.rest


class LazyLocalTensors:
    """A function's local tensor names, inferred only when an expression first reads a name."""

    def __init__(self, typer: TensorTyper, function: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._typer = typer
        self._function = function
        self._names: frozenset[str] | None = None

    def __contains__(self, name: object) -> bool:
        if self._names is None:
            self._names = self._typer.local_tensors(self._function)
        return name in self._names
