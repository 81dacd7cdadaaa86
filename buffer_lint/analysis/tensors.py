"""Decide whether an expression certainly evaluates to a ``torch.Tensor``.

Precision before recall: an expression is a tensor when torch's own stubs say so, when an
annotation says so (``Tensor``, ``Optional[Tensor]``...: a buffer may hold None), when it is
narrowed by ``isinstance``, or when it calls a function of the file that returns tensors.
Calls the analysis cannot see into are not tensors.
"""

from __future__ import annotations

import ast
import enum
import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Optional, Protocol, Union

from buffer_lint.analysis.blocks import COMPOUND_STATEMENTS, all_blocks
from buffer_lint.analysis.imports import ImportMap
from buffer_lint.analysis.torch_api import TENSOR_ATTRIBUTES, TENSOR_FUNCTIONS, TENSOR_METHODS

_TENSOR_TYPES = frozenset({"torch.Tensor", "torch.FloatTensor", "torch.LongTensor"})
_OPTIONAL = frozenset({"typing.Optional", "typing_extensions.Optional"})
_UNION = frozenset({"typing.Union", "typing_extensions.Union"})
_TUPLE = frozenset({"typing.Tuple", "tuple"})
_ISINSTANCE = "isinstance"
# Comparisons that return a plain bool whatever the operands are.
_IDENTITY_OPS = (ast.Is, ast.IsNot, ast.In, ast.NotIn)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# Statements that bind names to no expression (imports, definitions, ``except ... as e``, match patterns).
_BINDS_WITHOUT_VALUE = frozenset(
    {ast.Import, ast.ImportFrom, *_DEFINITIONS, ast.Global, ast.Nonlocal, ast.Delete, ast.Try}
    | {getattr(ast, name) for name in ("TryStar", "Match") if hasattr(ast, name)}
)


class Scope:
    """What an expression inside one function can see: its local tensor names (inferred when an
    expression first reads a name) and, in a method, the tensors ``self`` holds and the class's
    own methods."""

    def __init__(
        self,
        typer: TensorTyper,
        function: ast.FunctionDef | ast.AsyncFunctionDef | None,
        self_name: str | None = None,
        owner: str | None = None,
        self_tensor: Callable[[str], bool] | None = None,
    ) -> None:
        self.typer = typer
        self.function = function
        self.self_name = self_name
        self.owner = owner  # the class whose method this is
        self.self_tensor = self_tensor or _nothing
        self._names: frozenset[str] | None = None
        self._known: dict[str, bool] = {}  # names decided one at a time, before ``tensor_names`` is needed

    def __contains__(self, name: object) -> bool:
        """Whether the local ``name`` is a tensor wherever it is read: decided for it and the names its bindings
        read only (typing every local may read other files for calls that do not matter here)."""
        if self._names is not None or self.function is None:
            return name in self.tensor_names
        if not isinstance(name, str):
            return False
        if name not in self._known:
            names = _read_by(self._candidates, name)
            tensors = self.typer.local_tensors(self, self._candidates, names)
            self._known.update((n, n in tensors) for n in names | {name})
        return self._known[name]

    @property
    def tensor_names(self) -> frozenset[str]:
        """The local names that are tensors wherever the function reads them."""
        if self._names is None:
            names = frozenset(self._candidates) if self.function is not None else frozenset()
            self._names = self.typer.local_tensors(self, self._candidates, names) if names else names
        return self._names

    @functools.cached_property
    def _candidates(self) -> dict[str, list[ast.expr]]:
        return self.typer.local_candidates(self.function) if self.function is not None else {}

    def assuming(self, names: frozenset[str]) -> Scope:
        """This scope with ``names`` as its local tensors: what one point of the function sees."""
        return _Assumed(names, self)


def _nothing(name: str) -> bool:
    return False


class TensorTyper:
    """Decides what a file's expressions are; ``returns`` knows what the file's own functions return."""

    def __init__(self, imports: ImportMap, project: ProjectReturns | None = None) -> None:
        self.imports = imports
        self.returns: ReturnTypes | None = None  # set by the file's analysis (a FileReturns)
        self.project = project  # what the project's other files' functions return

    def is_tensor(self, expr: ast.expr | None, scope: Scope | None = None) -> bool:
        scope = scope or Scope(self, None)
        if isinstance(expr, ast.Call):
            return self._call_is_tensor(expr, scope)
        if isinstance(expr, ast.Name):
            return expr.id in scope
        if isinstance(expr, ast.Attribute):
            if isinstance(expr.value, ast.Name) and expr.value.id == scope.self_name and scope.self_name:
                return scope.self_tensor(expr.attr)
            return expr.attr in TENSOR_ATTRIBUTES and self.is_tensor(expr.value, scope)
        if isinstance(expr, ast.Subscript):
            return self.is_tensor(expr.value, scope)
        if isinstance(expr, ast.BinOp):
            if isinstance(expr.op, ast.Mod) and isinstance(expr.left, (ast.Constant, ast.JoinedStr)):
                return False  # "%s" % tensor is a string
            return self.is_tensor(expr.left, scope) or self.is_tensor(expr.right, scope)
        if isinstance(expr, ast.UnaryOp):
            return not isinstance(expr.op, ast.Not) and self.is_tensor(expr.operand, scope)
        if isinstance(expr, ast.Compare):
            return not any(isinstance(op, _IDENTITY_OPS) for op in expr.ops) and any(
                self.is_tensor(e, scope) for e in (expr.left, *expr.comparators)
            )
        if isinstance(expr, ast.IfExp):
            return self._branches_are_tensors(expr, scope)
        return False

    def _call_is_tensor(self, call: ast.Call, scope: Scope) -> bool:
        func = call.func
        qualified = self.imports.qualify(func)
        if qualified in TENSOR_FUNCTIONS:
            return True
        if isinstance(func, ast.Attribute) and func.attr in TENSOR_METHODS and self.is_tensor(func.value, scope):
            return True
        return isinstance(self._returned(call, qualified, scope), TensorKind)

    def _returned(self, call: ast.Call, qualified: str | None, scope: Scope) -> Returned:
        """What a call of the file's own functions, or of a function of the project, returns."""
        if qualified and self.project is not None and not qualified.startswith("torch."):
            if names_a_class(qualified):
                return None  # calling a class makes an instance: no summary needed to know it is no tensor
            return self.project.returns(qualified)
        return self.returns.of_call(call, scope) if self.returns is not None else None

    def tuple_elements(self, expr: ast.expr | None, scope: Scope, size: int) -> list[bool] | None:
        """For ``a, b = expr``: whether each element is a tensor, when ``expr`` is a call returning a tuple."""
        if not isinstance(expr, ast.Call):
            return None
        kinds = self._returned(expr, self.imports.qualify(expr.func), scope)
        if not isinstance(kinds, tuple) or len(kinds) != size:
            return None
        return [kind is not None for kind in kinds]

    def _branches_are_tensors(self, expr: ast.IfExp, scope: Scope) -> bool:
        """Both branches are tensors, or one is and the other is ``None`` (like ``Optional[Tensor]``: a buffer
        may hold None). ``x if isinstance(x, Tensor) else torch.tensor(x)``: the narrowed name counts."""
        narrowed, when_true = self.isinstance_test(expr.test)
        tensor_branch = expr.body if when_true else expr.orelse
        is_narrowed = narrowed is not None and isinstance(tensor_branch, ast.Name) and tensor_branch.id == narrowed
        tensors = [(is_narrowed and b is tensor_branch) or self.is_tensor(b, scope) for b in (expr.body, expr.orelse)]
        return any(tensors) and all(t or _is_none(b) for t, b in zip(tensors, (expr.body, expr.orelse)))

    def isinstance_test(self, test: ast.expr) -> tuple[str | None, bool]:
        """(``x``, True) for ``isinstance(x, Tensor)``, (``x``, False) for ``not isinstance(x, Tensor)``."""
        negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
        call = test.operand if negated and isinstance(test, ast.UnaryOp) else test
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == _ISINSTANCE
            and len(call.args) == 2
            and isinstance(call.args[0], ast.Name)
            and self._names_tensor_type(call.args[1])
        ):
            return call.args[0].id, not negated
        return None, False

    def _names_tensor_type(self, expr: ast.expr) -> bool:
        types = expr.elts if isinstance(expr, ast.Tuple) else [expr]
        return any(self.imports.qualify(t) in _TENSOR_TYPES for t in types)

    def annotation(self, annotation: ast.expr | None) -> TensorKind | None:
        """TENSOR for ``Tensor``, OPTIONAL for ``Optional[Tensor]``, ``Tensor | None``, ``Union[Tensor, None]``
        (string annotations too); None for anything else, ``Union[float, Tensor]`` included."""
        if annotation is None:
            return None
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            return self.annotation(_parse_annotation(annotation.value))
        if self.imports.qualify(annotation) in _TENSOR_TYPES:
            return TensorKind.TENSOR
        members = self._union_members(annotation)
        if members is None:
            return None
        kinds = [None if _is_none(m) else self.annotation(m) for m in members]
        if any(_is_none(m) for m in members) and any(k is not None for k in kinds):
            return TensorKind.OPTIONAL if all(k is not None or _is_none(m) for k, m in zip(kinds, members)) else None
        return TensorKind.TENSOR if kinds and all(k is TensorKind.TENSOR for k in kinds) else None

    def _union_members(self, annotation: ast.expr) -> list[ast.expr] | None:
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            return [*(self._union_members(annotation.left) or [annotation.left]), annotation.right]
        if isinstance(annotation, ast.Subscript):
            qualified = self.imports.qualify(annotation.value)
            inner = annotation.slice
            if qualified in _OPTIONAL:
                return [inner, ast.Constant(None)]
            if qualified in _UNION:
                return list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
        return None

    def tuple_annotation(self, annotation: ast.expr | None) -> tuple[TensorKind | None, ...] | None:
        """``Tuple[Tensor, Tensor]`` / ``tuple[Tensor, Tensor]``: the kind of each element."""
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            return self.tuple_annotation(_parse_annotation(annotation.value))
        if not isinstance(annotation, ast.Subscript):
            return None
        name = annotation.value
        if not (self.imports.qualify(name) in _TUPLE or (isinstance(name, ast.Name) and name.id == "tuple")):
            return None
        elements = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
        if any(isinstance(e, ast.Constant) and e.value is Ellipsis for e in elements):
            return None
        return tuple(self.annotation(e) for e in elements)

    def local_candidates(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, list[ast.expr]]:
        """The local names every binding of which is an expression (an argument annotated as a tensor counts),
        with those expressions: the names that may be tensors wherever they are read."""
        bindings: dict[str, list[ast.expr]] = {}
        unknown: set[str] = set()
        narrowed = _narrowed_arguments(self, function)
        for arg, _ in arguments_with_defaults(function.args):
            if (self.annotation(arg.annotation) is not None or arg.arg in narrowed) and arg.arg not in unknown:
                bindings.setdefault(arg.arg, []).append(_TENSOR_PLACEHOLDER)
            else:
                unknown.add(arg.arg)  # unannotated: anything
        arguments = function.args
        for extra in (arguments.vararg, arguments.kwarg):
            if extra:
                unknown.add(extra.arg)
        for name, value in local_bindings(function.body):
            if value is None:
                unknown.add(name)
            else:
                bindings.setdefault(name, []).append(value)
        return {name: values for name, values in bindings.items() if name not in unknown}

    def local_tensors(
        self, scope: Scope, candidates: dict[str, list[ast.expr]], names: frozenset[str]
    ) -> frozenset[str]:
        """Of ``names`` (candidates, with every candidate their bindings read), those that are tensors wherever
        they are read: every binding binds a tensor (an argument annotated ``Optional[Tensor]`` counts: a
        buffer may hold None)."""
        while True:  # drop names bound to a non-tensor until nothing changes
            kept = frozenset(name for name in names if self._all_tensors(candidates[name], names, scope))
            if kept == names:
                return kept
            names = kept

    def _all_tensors(self, values: list[ast.expr], candidates: frozenset[str], scope: Scope) -> bool:
        assumed = _Assumed(candidates, scope)
        return all(v is _TENSOR_PLACEHOLDER or self.is_tensor(v, assumed) for v in values)


class TensorKind(enum.Enum):
    TENSOR = "tensor"
    OPTIONAL = "optional"  # a tensor or None


# What a function returns: a tensor (TensorKind), a tuple (the kind of each element), or unknown (None).
Returned = Union[TensorKind, tuple[Optional[TensorKind], ...], None]


class ReturnTypes(Protocol):
    def of_call(self, call: ast.Call, scope: Scope) -> Returned:
        """What a call of the file's own functions or methods returns."""


class ProjectReturns(Protocol):
    def returns(self, qualified: str) -> Returned:
        """What the project's function ``qualified`` returns."""


class _Assumed(Scope):
    """A scope whose local tensors are assumed (while the fixed point of ``local_tensors`` is computed)."""

    def __init__(self, names: frozenset[str], scope: Scope) -> None:
        super().__init__(scope.typer, scope.function, scope.self_name, scope.owner, scope.self_tensor)
        self._names = names


_TENSOR_PLACEHOLDER = ast.Constant(...)  # an argument annotated as a tensor: a binding known to be one


def _read_by(candidates: dict[str, list[ast.expr]], name: str) -> frozenset[str]:
    """``name``, when a candidate, and the candidates its bindings read, and theirs, and so on: a closed set,
    whose names' fixed point is the same alone as among all the function's locals."""
    found: set[str] = set()
    pending = [name]
    while pending:
        current = pending.pop()
        if current in found or current not in candidates:
            continue
        found.add(current)
        pending.extend(
            node.id for value in candidates[current] for node in ast.walk(value) if isinstance(node, ast.Name)
        )
    return frozenset(found)


def names_a_class(qualified: str) -> bool:
    """``pkg.layers.Block``: PEP 8 names classes in CapWords, functions in lower case."""
    return qualified.rpartition(".")[2][:1].isupper()


def _is_none(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None and expr is not _TENSOR_PLACEHOLDER


def _parse_annotation(text: str) -> ast.expr | None:
    try:
        return ast.parse(text, mode="eval").body
    except SyntaxError:
        return None


def _narrowed_arguments(typer: TensorTyper, function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Arguments that ``if not isinstance(x, Tensor): x = ...`` at the top of the body narrows to tensors."""
    narrowed = set()
    for statement in function.body:
        if isinstance(statement, ast.If) and not statement.orelse:
            name, when_true = typer.isinstance_test(statement.test)
            rebinds = any(n == name for s in statement.body for n, _ in statement_bindings(s, False))
            if name is not None and not when_true and rebinds:
                narrowed.add(name)
    return narrowed


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
        yield from statement_bindings(node, unpacked)
        if type(node) in COMPOUND_STATEMENTS:
            for block in all_blocks(node):
                yield from local_bindings(block, unpacked)


def statement_bindings(node: ast.stmt, unpacked: bool = False) -> Iterator[tuple[str, ast.expr | None]]:
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
