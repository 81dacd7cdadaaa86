"""What a file's own functions and methods return: read from their annotations (``-> Tensor``,
``-> Optional[Tensor]``, ``-> tuple[Tensor, Tensor]``), or, without one, from their ``return``
statements when every one returns a tensor (or a tuple of tensors)."""

from __future__ import annotations

import ast
import weakref
from collections.abc import Iterator
from typing import Union

from buffer_lint.analysis.blocks import COMPOUND_STATEMENTS, all_blocks
from buffer_lint.analysis.tensors import Returned, Scope, TensorKind, TensorTyper

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
Function = Union[ast.FunctionDef, ast.AsyncFunctionDef]


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
        values = list(_returned_values(function.body))
        if not values:
            return None
        scope = Scope(self.typer, function, _self_name(function, cls), cls.name if cls else None)
        kinds = [self._kind(value, scope) for value in values]
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


def _returned_values(body: list[ast.stmt]) -> Iterator[ast.expr | None]:
    """The value of each ``return`` of a function body (not of nested functions); None for a bare one."""
    for statement in body:
        if isinstance(statement, ast.Return):
            yield statement.value
        elif type(statement) in COMPOUND_STATEMENTS:
            for block in all_blocks(statement):
                yield from _returned_values(block)


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
