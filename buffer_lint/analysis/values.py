"""What an assigned value is: its kind, the arguments of ``nn.Parameter(...)``, a container's shape;
and the few literals the analysis reads (``False``, a string, a callee)."""

from __future__ import annotations

import ast
from collections.abc import Callable

from buffer_lint.analysis.facts import Container, ContainerShape, Method, ParameterCall, ValueKind, class_of_instance
from buffer_lint.analysis.imports import ImportMap
from buffer_lint.analysis.modules import torch_module_class
from buffer_lint.analysis.tensors import TensorTyper, arguments_with_defaults
from buffer_lint.analysis.torch_api import DYNAMIC_NAME_CLASSES, MODULE_CLASS_BUFFERS, MODULE_CLASS_PARAMETERS

_PARAMETER_CLASSES = frozenset({"torch.nn.Parameter", "torch.nn.parameter.Parameter"})
_BUFFER_CLASSES = frozenset({"torch.nn.Buffer", "torch.nn.parameter.Buffer"})
_CONTAINER_SHAPES = {
    ast.List: ContainerShape.LIST,
    ast.ListComp: ContainerShape.LIST,
    ast.Tuple: ContainerShape.TUPLE,
    ast.Dict: ContainerShape.DICT,
    ast.DictComp: ContainerShape.DICT,
}


class ValueClassifier:
    """Classifies the values assigned to attributes of one file's classes.

    ``module_class`` says whether an expression names an ``nn.Module`` class (the builder knows the
    file's own classes), or None when a class of another file decides; ``project_class`` reads that file.
    """

    def __init__(
        self,
        imports: ImportMap,
        typer: TensorTyper,
        module_class: Callable[[ast.expr], bool | None],
        project_class: Callable[[ast.expr], bool],
        types_tensors: bool = True,
    ) -> None:
        self.imports = imports
        self.typer = typer
        self.module_class = module_class
        self.project_class = project_class
        self.types_tensors = types_tensors  # off for summaries: other files need registrations, not tensors

    def kind(
        self, value: ast.expr | None, method: Method, statement: ast.stmt | None = None, *, deferred: bool = False
    ) -> ValueKind:
        """What ``value`` is; with the ``statement`` that stores it, a local is followed to its container.
        ``deferred``: an instance of a class of another file is INSTANCE, without reading that file."""
        if value is None:
            return ValueKind.OTHER
        if isinstance(value, ast.Constant) and value.value is None:
            return ValueKind.NONE
        if isinstance(value, ast.Call):
            qualified = self.imports.qualify(value.func)
            if qualified in _PARAMETER_CLASSES:
                return ValueKind.PARAMETER
            if qualified in _BUFFER_CLASSES:
                return ValueKind.BUFFER
        instance_of = class_of_instance(value, method)
        if instance_of is not None:
            module = self.module_class(instance_of)
            if module is None:
                if deferred:
                    return ValueKind.INSTANCE
                module = self.project_class(instance_of)
            if module:
                return ValueKind.MODULE
        if self.display(value, method, statement) is not None:
            return ValueKind.CONTAINER
        if _is_self_attribute(value, method):
            return ValueKind.OTHER  # self.y = self.x: a parameter registers again; an alias is the author's choice
        if self.types_tensors and self.typer.is_tensor(value, method.scope):
            return ValueKind.TENSOR
        return ValueKind.OTHER

    def display(self, value: ast.expr | None, method: Method, statement: ast.stmt | None) -> ast.expr | None:
        """The container display or comprehension that ``value`` makes: itself, one repeated (``[t] * n``), or
        the one a local holds where ``statement`` stores it (``layers = [...]; self.layers = layers``)."""
        if type(value) in _CONTAINER_SHAPES:
            return value
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mult):
            return self._repeated(value, method)
        if isinstance(value, ast.Name) and statement is not None:
            held = self.display(_bound_once(value.id, method), method, None)
            return held if held is not None and _read_only_by(value.id, method, statement) else None
        return None

    def _repeated(self, value: ast.BinOp, method: Method) -> ast.expr | None:
        """``[t] * n`` or ``n * (t,)``, when the count is no tensor (``[2] * torch.ones(3)`` is a tensor)."""
        for display, count in ((value.left, value.right), (value.right, value.left)):
            if isinstance(display, (ast.List, ast.Tuple)) and not self.typer.is_tensor(count, method.scope):
                return display
        return None

    def container(self, value: ast.expr | None, method: Method, statement: ast.stmt | None = None) -> Container | None:
        """The shape of a container display or comprehension, and what its elements are."""
        value = self.display(value, method, statement)
        shape = _CONTAINER_SHAPES.get(type(value))
        if value is None or shape is None:
            return None
        string_keys = isinstance(value, ast.Dict) and all(_is_string(key) for key in value.keys)
        empty = isinstance(value, (ast.List, ast.Tuple, ast.Dict)) and not (
            getattr(value, "elts", None) or getattr(value, "keys", None)
        )
        stateless = bool(_elements(value)) and all(self._is_stateless_module(e) for e in _elements(value))
        return Container(shape, self._element_kind(value, method), string_keys, empty, stateless)

    def _is_stateless_module(self, element: ast.expr) -> bool:
        """``nn.CrossEntropyLoss(reduction="none")``, ``nn.ReLU()``: a torch.nn module without parameters,
        whose buffers (a loss's ``weight``) are left empty: there is nothing for ``.to()`` to move."""
        if not isinstance(element, ast.Call):
            return False
        name = torch_module_class(self.imports.qualify(element.func) or "")
        if name is None or MODULE_CLASS_PARAMETERS.get(name) or name in DYNAMIC_NAME_CLASSES:
            return False
        if "Dropout" in name or name == "RReLU":
            return False  # its behaviour follows train()/eval(), which an unregistered module misses
        buffers = set(MODULE_CLASS_BUFFERS.get(name, ()))
        return not buffers or (not element.args and not buffers & {k.arg for k in element.keywords})

    def _element_kind(self, value: ast.expr, method: Method) -> ValueKind | None:
        """What every element of a container display or comprehension is; None when mixed or empty."""
        elements = _elements(value)
        if not elements or any(isinstance(e, ast.Starred) for e in elements):
            return None
        kinds = {self.kind(e, method) for e in elements}
        return kinds.pop() if len(kinds) == 1 else None


def _bound_once(name: str, method: Method) -> ast.expr | None:
    """The value of a local's one binding, a plain ``name = value`` (not an argument, nor bound otherwise)."""
    if name in _arguments(method):
        return None
    values = [value for bound, value in method.bindings if bound == name]
    return values[0] if len(values) == 1 else None


def _read_only_by(name: str, method: Method, statement: ast.stmt) -> bool:
    """Whether ``statement`` reads the local once and is its only use besides its one binding (``name = value``),
    uses on paths that exclude ``statement`` aside: it stores the container as the binding made it, and nothing
    else holds that container (``nn.Sequential(*layers)``) or changes it (``layers.append(...)``)."""
    uses = method.uses.get(name, [])
    stores = [used for used, store in uses if store]
    if len(stores) != 1 or not _binds_only(stores[0]):
        return False
    loads = [used for used, store in uses if not store]
    return sum(used is statement for used in loads) == 1 and all(
        used is statement or method.exclusive(used, statement) for used in loads
    )


def _arguments(method: Method) -> set[str]:
    arguments = method.node.args
    names = {argument.arg for argument, _ in arguments_with_defaults(arguments)}
    return names | {extra.arg for extra in (arguments.vararg, arguments.kwarg) if extra}


def _binds_only(statement: ast.stmt) -> bool:
    """``name = value`` or ``name: T = value``: no other target shares the value."""
    if isinstance(statement, ast.Assign):
        return len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name)
    return isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)


def _elements(value: ast.expr) -> list[ast.expr]:
    """The element expressions of a display or comprehension (a dict's values)."""
    if isinstance(value, (ast.List, ast.Tuple)):
        return list(value.elts)
    if isinstance(value, ast.Dict):
        return list(value.values)
    if isinstance(value, ast.ListComp):
        return [value.elt]
    if isinstance(value, ast.DictComp):
        return [value.value]
    return []


def parameter_call(call: ast.expr | None) -> ParameterCall | None:
    """The ``data`` and ``requires_grad`` arguments of ``nn.Parameter(data, requires_grad)``."""
    if not isinstance(call, ast.Call):
        return None
    if call.args:
        tensor = call.args[0] if not isinstance(call.args[0], ast.Starred) else None
    else:
        tensor = _keyword_argument(call, "data")
    flag = call.args[1] if len(call.args) > 1 else _keyword_argument(call, "requires_grad")
    return ParameterCall(tensor, True if flag is None else _literal_bool(flag))


def _keyword_argument(call: ast.Call, keyword: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def literal_string(call: ast.Call, keyword: str) -> str | None:
    """The call's first argument (or ``keyword=``) when it is a string literal."""
    first = call.args[0] if call.args else _keyword_argument(call, keyword)
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    return None


def is_false(expr: ast.expr | None) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is False


def callee(expr: ast.expr) -> ast.expr:
    """``f`` for ``f(...)``; the expression itself otherwise."""
    return expr.func if isinstance(expr, ast.Call) else expr


def _literal_bool(expr: ast.expr) -> bool | None:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, bool):
        return expr.value
    return None


def _is_string(expr: ast.expr | None) -> bool:
    return isinstance(expr, ast.Constant) and isinstance(expr.value, str)


def _is_self_attribute(value: ast.expr, method: Method) -> bool:
    return isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) and value.value.id == method.self_name
