"""Which expressions may carry autograd history: values computed from a method's inputs,
from the module's parameters, or from calls of its submodules.

Precision before recall: calls of unknown functions (``len``, helpers in other files) carry
nothing, and ``.detach()``, ``.item()``, comparisons and shapes cut the history.
"""

from __future__ import annotations

import ast
from collections.abc import Container
from functools import cached_property

from buffer_lint.analysis.classes import ClassFacts, Method, ValueKind
from buffer_lint.analysis.tensors import local_bindings

# Results without autograd history, whatever their receiver.
NO_HISTORY_METHODS = frozenset({
    "detach", "detach_", "item", "tolist", "size", "dim", "numel", "numpy", "argmax", "argmin", "argsort",
    "nonzero", "long", "int", "bool", "short", "byte", "char", "eq", "ne", "lt", "le", "gt", "ge",
    "isnan", "isinf", "isfinite", "sign", "data_ptr", "stride", "element_size", "nelement",
})
NO_HISTORY_ATTRIBUTES = frozenset({
    "shape", "dtype", "device", "ndim", "data", "is_cuda", "requires_grad", "grad_fn", "is_leaf", "layout",
})
# Annotations of arguments that cannot carry a graph.
_PLAIN_ANNOTATIONS = frozenset({"int", "float", "bool", "str", "bytes"})


class GraphTracer:
    """Answers "may this expression carry autograd history?" inside one module class."""

    def __init__(self, cls: ClassFacts) -> None:
        self.cls = cls
        self._locals: dict[str, frozenset[str]] = {}

    @cached_property
    def parameters(self) -> frozenset[str]:
        return frozenset(n for n, k in self.cls.registered_names.items() if k == "parameter")

    @cached_property
    def submodules(self) -> frozenset[str]:
        names = {n for n, k in self.cls.registered_names.items() if k == "module"}
        names.update(a.name for a in self.cls.assignments if a.kind is ValueKind.MODULE)
        return frozenset(names)

    def carries_history(self, expr: ast.expr | None, method: Method) -> bool:
        return expr is not None and self._carries(expr, method, self._tainted_locals(method))

    def _carries(self, expr: ast.expr, method: Method, tainted: Container[str]) -> bool:
        carries = lambda e: self._carries(e, method, tainted)  # noqa: E731
        if isinstance(expr, ast.Name):
            return expr.id in tainted
        if isinstance(expr, ast.Attribute):
            if expr.attr in NO_HISTORY_ATTRIBUTES:
                return False
            if self._is_self(expr.value, method):
                return expr.attr in self.parameters or expr.attr in self.submodules
            return carries(expr.value)
        if isinstance(expr, ast.Call):
            return self._call_carries(expr, method, carries)
        if isinstance(expr, (ast.Subscript, ast.Starred)):
            return carries(expr.value)
        if isinstance(expr, ast.BinOp):
            return carries(expr.left) or carries(expr.right)
        if isinstance(expr, ast.UnaryOp):
            return not isinstance(expr.op, ast.Not) and carries(expr.operand)
        if isinstance(expr, ast.IfExp):
            return carries(expr.body) or carries(expr.orelse)
        if isinstance(expr, (ast.Tuple, ast.List)):
            return any(carries(e) for e in expr.elts)
        return False  # constants, comparisons, bool operations, displays of unknown things

    def _call_carries(self, call: ast.Call, method: Method, carries) -> bool:  # noqa: ANN001
        func = call.func
        arguments = [*call.args, *(k.value for k in call.keywords)]
        if isinstance(func, ast.Attribute):
            if func.attr in NO_HISTORY_METHODS:
                return False
            receiver = func.value
            if self._is_self(receiver, method):  # self.method(...) or a submodule's call
                return func.attr in self.submodules or (func.attr in self.cls.methods and any(map(carries, arguments)))
            if carries(receiver):
                return True
        qualified = self.cls.imports.qualify(func)
        if qualified is not None and qualified.startswith("torch."):
            return any(map(carries, arguments))
        return False

    def _is_self(self, expr: ast.expr, method: Method) -> bool:
        return isinstance(expr, ast.Name) and expr.id == method.self_name

    def _tainted_locals(self, method: Method) -> frozenset[str]:
        """Arguments (but plain-typed ones) and locals bound to something carrying history."""
        if method.name not in self._locals:
            self._locals[method.name] = self._compute_tainted(method)
        return self._locals[method.name]

    def _compute_tainted(self, method: Method) -> frozenset[str]:
        arguments = method.node.args
        tainted = {
            a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)
            if a.arg != method.self_name and not _is_plain_annotation(a.annotation)
        }
        bindings = [(name, value) for name, value in local_bindings(method.node.body, unpacked=True) if value is not None]
        while True:  # grow the tainted set until no binding adds a name
            grown = tainted | {name for name, value in bindings if self._carries(value, method, tainted)}
            if grown == tainted:
                return frozenset(tainted)
            tainted = grown


def _is_plain_annotation(annotation: ast.expr | None) -> bool:
    return isinstance(annotation, ast.Name) and annotation.id in _PLAIN_ANNOTATIONS
