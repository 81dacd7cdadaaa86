"""What BUF002 and BUF003 share: when a parameter may become a buffer."""

from __future__ import annotations

from buffer_lint.analysis.facts import AttributeAssignment, ClassFacts


def is_constant_parameter(cls: ClassFacts, assignment: AttributeAssignment) -> bool:
    """A parameter nothing in the class ever unfreezes, whose name no base class holds, that is not
    quantized storage, in a class that is not an adapter defined inside a function."""
    if cls.base_parameters is None or assignment.name in cls.base_parameters:
        return False  # register_buffer would raise KeyError on the base's parameter
    if cls.is_quantized_storage(assignment) or cls.nested_in_function or not cls.initializes_module:
        return False  # loaders and libraries read these as parameters
    return not cls.unfreezes(assignment.name) and not cls.registers_computed_names
