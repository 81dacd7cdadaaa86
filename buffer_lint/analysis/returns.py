"""What a file's own functions and methods return: read from their annotations (``-> Tensor``,
``-> Optional[Tensor]``, ``-> tuple[Tensor, Tensor]``), or, without one, from their ``return``
statements when every one returns a tensor (or a tuple of tensors)."""

from __future__ import annotations

import ast
import weakref
from collections.abc import Iterator
from typing import Union

from buffer_lint.analysis.blocks import COMPOUND_STATEMENTS, all_blocks
from buffer_lint.analysis.tensors import (
    Returned,
    Scope,
    TensorKind,
    TensorTyper,
    local_bindings,
    statement_bindings,
)

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
Function = Union[ast.FunctionDef, ast.AsyncFunctionDef]
_LEAVES = (ast.Raise, ast.Continue, ast.Break)  # statements after which a block goes no further


class FileReturns:
    """Resolves calls to the file's top-level functions and its classes' methods (through same-file
    bases), and says what they return."""

    def __init__(self, tree: ast.Module, classes: list[ast.ClassDef], typer: TensorTyper) -> None:
        self._typer = weakref.ref(typer)  # the typer holds this: a strong reference back would be a cycle
        self.functions = {node.name: node for node in tree.body if isinstance(node, _FUNCTIONS)}
        self.classes = {node.name: node for node in classes}
        self._known: dict[int, Returned] = {}
        self._in_progress: set[int] = set()

    @property
    def typer(self) -> TensorTyper:
        typer = self._typer()
        assert typer is not None, "the file's typer is gone"
        return typer

    def of_function(self, name: str) -> Returned:
        """What the file's top-level function ``name`` returns."""
        return self._returned(self.functions[name], None)

    def of_call(self, call: ast.Call, scope: Scope) -> Returned:
        target = self._target(call.func, scope)
        return self._returned(*target) if target else None

    def _target(self, func: ast.expr, scope: Scope) -> tuple[Function, ast.ClassDef | None] | None:
        if isinstance(func, ast.Name):
            function = self.functions.get(func.id)
            return (function, None) if function is not None and func.id not in _local_names(scope) else None
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
            return None
        owner = func.value.id
        if owner == scope.self_name and scope.owner in self.classes:
            cls = self.classes[scope.owner]
        elif owner in self.classes and owner not in _local_names(scope):
            cls = self.classes[owner]
        else:
            return None
        return self._method(cls, func.attr, set())

    def _method(self, cls: ast.ClassDef, name: str, seen: set[str]) -> tuple[Function, ast.ClassDef] | None:
        """``name`` in the class, else in its same-file bases, in order (a simple MRO)."""
        seen.add(cls.name)
        for statement in cls.body:
            if isinstance(statement, _FUNCTIONS) and statement.name == name:
                return statement, cls
        for base in cls.bases:
            if isinstance(base, ast.Name) and base.id in self.classes and base.id not in seen:
                found = self._method(self.classes[base.id], name, seen)
                if found:
                    return found
        return None

    def _returned(self, function: Function, cls: ast.ClassDef | None) -> Returned:
        key = id(function)
        if key in self._known:
            return self._known[key]
        if key in self._in_progress:
            return None  # recursion: unknown
        self._in_progress.add(key)
        try:
            self._known[key] = self._infer(function, cls)
        finally:
            self._in_progress.discard(key)
        return self._known[key]

    def _infer(self, function: Function, cls: ast.ClassDef | None) -> Returned:
        if function.returns is not None:
            return self.typer.annotation(function.returns) or self.typer.tuple_annotation(function.returns)
        returns = list(_returns(function.body))
        if not returns:
            return None
        scope = Scope(self.typer, function, _self_name(function, cls), cls.name if cls else None)
        kinds = [self._kind(r.value, scope) for r in returns]
        if any(_unknown(kind) and _reads_a_name(r.value) for kind, r in zip(kinds, returns)):
            at_return = _ReturnStates(self.typer, scope).run(function.body)  # follow the bindings that reach each
            kinds = [self._kind(r.value, scope.assuming(at_return.get(id(r), scope.tensor_names))) for r in returns]
        singles = all(isinstance(k, TensorKind) or k == "none" for k in kinds)
        if singles and any(isinstance(k, TensorKind) for k in kinds):
            return TensorKind.OPTIONAL if "none" in kinds else TensorKind.TENSOR
        return _same_tuple(kinds)

    def _kind(self, value: ast.expr | None, scope: Scope) -> object:
        if value is None or (isinstance(value, ast.Constant) and value.value is None):
            return "none"
        if isinstance(value, ast.Tuple):
            return tuple(TensorKind.TENSOR if self.typer.is_tensor(e, scope) else None for e in value.elts)
        return TensorKind.TENSOR if self.typer.is_tensor(value, scope) else None


def _same_tuple(kinds: list[object]) -> Returned:
    """Every return gives a tuple of the same length, all tensors where each says so."""
    if not kinds or not all(isinstance(k, tuple) for k in kinds):
        return None
    first = kinds[0]
    assert isinstance(first, tuple)
    if any(len(k) != len(first) for k in kinds):  # type: ignore[arg-type]
        return None
    return tuple(
        TensorKind.TENSOR if all(k[i] is not None for k in kinds) else None  # type: ignore[index]
        for i in range(len(first))
    )


def _returns(body: list[ast.stmt]) -> Iterator[ast.Return]:
    """The ``return`` statements of a function body (not of nested functions)."""
    for statement in body:
        if isinstance(statement, ast.Return):
            yield statement
        elif type(statement) in COMPOUND_STATEMENTS:
            for block in all_blocks(statement):
                yield from _returns(block)


def _unknown(kind: object) -> bool:
    return kind is None or (isinstance(kind, tuple) and None in kind)


def _reads_a_name(value: ast.expr | None) -> bool:
    return value is not None and any(isinstance(node, ast.Name) for node in ast.walk(value))


class _ReturnStates:
    """The local tensors at each ``return`` of a function: a name is one there when every binding of it that
    may reach the ``return`` binds a tensor (``emb = math.log(n); emb = torch.exp(...); return emb``).

    Straight-line code and ``if`` branches are followed exactly; a loop, ``try`` or ``match`` forgets, on
    entry and after it, every name it binds (its blocks may run again, in part, or not at all), then follows
    its blocks as straight-line code from there. Names that are tensors wherever they are read stay ones."""

    def __init__(self, typer: TensorTyper, scope: Scope) -> None:
        self.typer = typer
        self.scope = scope
        self.always = scope.tensor_names
        self.at_return: dict[int, frozenset[str]] = {}

    def run(self, body: list[ast.stmt]) -> dict[int, frozenset[str]]:
        self._block(body, self.always)
        return self.at_return

    def _block(self, body: list[ast.stmt], names: frozenset[str]) -> frozenset[str] | None:
        """The local tensors after the block; None when it never ends normally."""
        for statement in body:
            if isinstance(statement, ast.Return):
                self.at_return[id(statement)] = names
                return None
            if isinstance(statement, _LEAVES):
                return None
            if type(statement) in COMPOUND_STATEMENTS:
                after = self._compound(statement, names)
                if after is None:
                    return None
                names = after
            else:
                names = self._bind(statement, names)
        return names

    def _compound(self, node: ast.stmt, names: frozenset[str]) -> frozenset[str] | None:
        if isinstance(node, ast.If):
            ends = [end for end in (self._block(node.body, names), self._block(node.orelse, names)) if end is not None]
            return frozenset.intersection(*ends) if ends else None
        if isinstance(node, (ast.With, ast.AsyncWith)):
            return self._block(node.body, self._bind(node, names))
        bound = {name for name, _ in local_bindings([node])}
        entry = names - (bound - self.always)
        for block in all_blocks(node):
            self._block(block, entry)
        return entry

    def _bind(self, statement: ast.stmt, names: frozenset[str]) -> frozenset[str]:
        """The local tensors after a statement's own bindings (its right side reads the tensors before it)."""
        bindings = [(name, value) for name, value in statement_bindings(statement) if name not in self.always]
        if not bindings:
            return names
        before = self.scope.assuming(names)
        tensors = set(names)
        for name, value in bindings:
            if value is not None and self.typer.is_tensor(value, before):
                tensors.add(name)
            else:
                tensors.discard(name)
        return frozenset(tensors)


def _self_name(function: Function, cls: ast.ClassDef | None) -> str | None:
    if cls is None:
        return None
    decorators = {d.id for d in function.decorator_list if isinstance(d, ast.Name)}
    positional = function.args.posonlyargs + function.args.args
    if decorators & {"staticmethod", "classmethod"} or not positional:
        return None
    return positional[0].arg


def _local_names(scope: Scope) -> set[str]:
    """The arguments of the function the call is in: they shadow the file's own names."""
    if scope.function is None:
        return set()
    arguments = scope.function.args
    return {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
