"""What BUF002 and BUF003 share: reading ``nn.Parameter(...)`` calls and when a parameter may become a buffer."""

from __future__ import annotations

import ast

from buffer_lint.analysis.classes import AttributeAssignment, ClassFacts


def wrapped_tensor(call: ast.expr | None) -> ast.expr | None:
    """The ``data`` argument of ``nn.Parameter(data, requires_grad)``."""
    if not isinstance(call, ast.Call):
        return None
    if call.args:
        return call.args[0] if not isinstance(call.args[0], ast.Starred) else None
    return next((k.value for k in call.keywords if k.arg == "data"), None)


def requires_grad_argument(call: ast.Call) -> ast.expr | None:
    if len(call.args) > 1:
        return call.args[1]
    return next((k.value for k in call.keywords if k.arg == "requires_grad"), None)


def is_constant_parameter(cls: ClassFacts, assignment: AttributeAssignment) -> bool:
    """A parameter nothing in the class ever unfreezes, whose name no base class holds, in a
    class that is neither quantized storage nor an adapter defined inside a function."""
    if cls.base_parameters is None or assignment.name in cls.base_parameters:
        return False  # register_buffer would raise KeyError on the base's parameter
    if cls.holds_integer_parameters or cls.nested_in_function or not cls.initializes_module:
        return False  # loaders and libraries read these as parameters
    return not cls.unfreezes(assignment.name) and not cls.registers_computed_names
