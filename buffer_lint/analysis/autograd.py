"""Which expressions may carry autograd history: values computed from a method's inputs,
from the module's parameters, or from calls of its submodules.

Precision before recall: calls of unknown functions (``len``, helpers in other files) carry
nothing, and ``.detach()``, ``.item()``, comparisons and shapes cut the history.
"""

from __future__ import annotations

import ast
from functools import cached_property

from buffer_lint.analysis.facts import ClassFacts, Method
from buffer_lint.analysis.tensors import local_bindings
from buffer_lint.analysis.torch_api import MODULE_CLASS_PARAMETERS

# Results without autograd history, whatever their receiver.
NO_HISTORY_METHODS = frozenset(
    {
        "detach",
        "detach_",
        "item",
        "tolist",
        "size",
        "dim",
        "numel",
        "numpy",
        "argmax",
        "argmin",
        "argsort",
        "nonzero",
        "long",
        "int",
        "bool",
        "short",
        "byte",
        "char",
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
        "isnan",
        "isinf",
        "isfinite",
        "sign",
        "data_ptr",
        "stride",
        "element_size",
        "nelement",
    }
)
NO_HISTORY_ATTRIBUTES = frozenset(
    {
        "shape",
        "dtype",
        "device",
        "ndim",
        "data",
        "is_cuda",
        "requires_grad",
        "grad_fn",
        "is_leaf",
        "layout",
    }
)
# torch functions that create new leaf tensors: no history, whatever their arguments.
FACTORY_FUNCTIONS = frozenset(
    f"torch.{name}"
    for name in (
        "zeros",
        "ones",
        "empty",
        "full",
        "eye",
        "arange",
        "range",
        "linspace",
        "logspace",
        "rand",
        "randn",
        "randint",
        "randperm",
        "tensor",
        "from_numpy",
        "zeros_like",
        "ones_like",
        "empty_like",
        "full_like",
        "rand_like",
        "randn_like",
        "randint_like",
        "tril_indices",
        "triu_indices",
        "hann_window",
        "hamming_window",
        "blackman_window",
        "bartlett_window",
        "kaiser_window",
    )
)
# Annotations of arguments that cannot carry a graph.
_PLAIN_ANNOTATIONS = frozenset({"int", "float", "bool", "str", "bytes"})


# What torch's layers name their parameters (``weight``, ``in_proj_bias``; an RNN's ``weight_ih_l0``).
_PARAMETER_NAMES = frozenset(name for names in MODULE_CLASS_PARAMETERS.values() for name in names)


def _names_a_parameter(attribute: str) -> bool:
    return attribute in _PARAMETER_NAMES or attribute.startswith(("weight", "bias"))


class GraphTracer:
    """Answers "may this expression carry autograd history?" inside one module class."""

    def __init__(self, cls: ClassFacts) -> None:
        self.cls = cls
        self._bindings: dict[str, dict[str, list[tuple[int, ast.expr]]]] = {}
        self._submodules: dict[str, bool] = {}

    @cached_property
    def parameters(self) -> frozenset[str]:
        return self.cls.registered_as("parameter")

    def is_submodule(self, name: str) -> bool:
        """Asked name by name: an instance of a class of another file is looked up only when read here."""
        if name not in self._submodules:
            self._submodules[name] = name in self.cls.registered_as("module") or any(
                self.cls.builds_module(a) for a in self.cls.assignments_to(name)
            )
        return self._submodules[name]

    def carries_history(self, expr: ast.expr | None, method: Method) -> bool:
        if expr is None:
            return False
        return self._carries(expr, method, _Scope(self, method, getattr(expr, "lineno", 0)))

    def _carries(self, expr: ast.expr, method: Method, scope: _Scope) -> bool:
        carries = lambda e: self._carries(e, method, scope)  # noqa: E731
        if isinstance(expr, ast.Name):
            return scope.is_tainted(expr.id)
        if isinstance(expr, ast.Attribute):
            if expr.attr in NO_HISTORY_ATTRIBUTES:
                return False
            if self._is_self(expr.value, method):
                return expr.attr in self.parameters or self.is_submodule(expr.attr)
            root = self._self_attribute_below(expr.value, method)
            if root is not None and root not in self.parameters:  # a submodule's weight carries history, not its sizes
                return _names_a_parameter(expr.attr) and self.is_submodule(root)
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
        """Submodule calls, tensor methods on a value with history, torch functions of one;
        not the class's own helpers nor unknown functions, whose results the analysis cannot see."""
        func = call.func
        if isinstance(func, ast.Attribute):
            if func.attr in NO_HISTORY_METHODS:
                return False
            if self._is_self(func.value, method):
                return self.is_submodule(func.attr)
            if carries(func.value):
                return True
        qualified = self.cls.imports.qualify(func)
        if qualified is None or not qualified.startswith("torch.") or qualified in FACTORY_FUNCTIONS:
            return False
        return any(carries(a) for a in (*call.args, *(k.value for k in call.keywords)))

    def _is_self(self, expr: ast.expr, method: Method) -> bool:
        return isinstance(expr, ast.Name) and expr.id == method.self_name

    def _self_attribute_below(self, expr: ast.expr, method: Method) -> str | None:
        """``x`` when ``expr`` is ``self.x`` or an attribute chain below it (``self.encoder.layer``)."""
        while isinstance(expr, ast.Attribute):
            if self._is_self(expr.value, method):
                return expr.attr
            expr = expr.value
        return None

    def bindings(self, method: Method) -> dict[str, list[tuple[int, ast.expr]]]:
        """Each local's bindings (line, value) in source order; unpacking binds the whole value."""
        if method.name not in self._bindings:
            found: dict[str, list[tuple[int, ast.expr]]] = {}
            for name, value in local_bindings(method.node.body, unpacked=True):
                if value is not None:
                    found.setdefault(name, []).append((value.lineno, value))
            self._bindings[method.name] = {name: sorted(b, key=lambda item: item[0]) for name, b in found.items()}
        return self._bindings[method.name]

    def tainted_arguments(self, method: Method) -> frozenset[str]:
        arguments = method.node.args
        return frozenset(
            a.arg
            for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)
            if a.arg != method.self_name and not _is_plain_annotation(a.annotation)
        )


class _Scope:
    """Whether a local carries history where it is read: decided by its textually last binding
    before that line (an argument's value when there is none)."""

    def __init__(self, tracer: GraphTracer, method: Method, line: int) -> None:
        self.tracer, self.method, self.line = tracer, method, line
        self._active: set[tuple[str, int]] = set()

    def is_tainted(self, name: str) -> bool:
        earlier = [(line, value) for line, value in self.tracer.bindings(self.method).get(name, ()) if line < self.line]
        if not earlier:
            return name in self.tracer.tainted_arguments(self.method)
        line, value = earlier[-1]
        if (name, line) in self._active:
            return False  # a binding that reads itself: decided by its other operands
        self._active.add((name, line))
        outer, self.line = self.line, line
        try:
            return self.tracer._carries(value, self.method, self)
        finally:
            self.line = outer
            self._active.discard((name, line))


def _is_plain_annotation(annotation: ast.expr | None) -> bool:
    return isinstance(annotation, ast.Name) and annotation.id in _PLAIN_ANNOTATIONS
