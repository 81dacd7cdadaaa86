"""The facts rules read: what each ``nn.Module`` subclass of a file assigns, registers and freezes, and where.

This is the rule author's contract. A rule reads these types and their queries only; the
builder (``analysis.builder``) fills them. Values are described by typed fields (a target's
shape, a value's kind, the arguments of ``nn.Parameter(...)``, a container's shape), so a rule
never matches ``ast`` node types itself. ``ast`` nodes remain where a rule needs a location
(``Site.statement``) or hands an expression to the autograd tracer.
"""

from __future__ import annotations

import ast
import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from buffer_lint.analysis.dtypes import builds_complex, mentions_integer_dtype
from buffer_lint.analysis.imports import ImportMap
from buffer_lint.analysis.tensors import LazyLocalTensors, TensorTyper, arguments_with_defaults, local_bindings


class TargetShape(enum.Enum):
    PLAIN = "plain"  # self.x = v
    ANNOTATED = "annotated"  # self.x: T = v
    CHAINED = "chained"  # self.x = self.y = v
    TUPLE = "tuple"  # self.x, self.y = a, b
    AUGMENTED = "augmented"  # self.x += v


class ValueKind(enum.Enum):
    TENSOR = "tensor"
    NONE = "none"
    PARAMETER = "parameter"  # nn.Parameter(...)
    BUFFER = "buffer"  # nn.Buffer(...)
    MODULE = "module"  # a call of an nn.Module class
    CONTAINER = "container"  # a list, tuple or dict display or comprehension
    OTHER = "other"  # anything the analysis cannot prove to be one of the above


# Values that make an attribute a plain one (not a parameter, buffer or submodule).
PLAIN_KINDS = frozenset({ValueKind.TENSOR, ValueKind.NONE, ValueKind.CONTAINER, ValueKind.OTHER})


class ContainerShape(enum.Enum):
    LIST = "list"  # [a, b] or [f(i) for i in ...]
    TUPLE = "tuple"  # (a, b)
    DICT = "dict"  # {"a": a} or {k: f(k) for k in ...}


@dataclass(frozen=True)
class Container:
    """A list, tuple or dict display, or a list or dict comprehension."""

    shape: ContainerShape
    element_kind: ValueKind | None  # what every element (a dict: every value) is; None when mixed or empty
    string_keys: bool  # a dict display whose keys are all string literals (not a comprehension)


@dataclass(frozen=True)
class ParameterCall:
    """``nn.Parameter(data, requires_grad)`` as written."""

    tensor: ast.expr | None  # ``data``; None when left out or unpacked from ``*args``
    requires_grad: bool | None  # the literal flag, True when left out; None when not a literal


@dataclass(frozen=True)
class Site:
    """Where a fact was seen."""

    statement: ast.stmt
    method: Method
    on_init_path: bool
    order: int  # execution order on the init path; walk order elsewhere
    under_no_grad: bool
    alone_in_block: bool  # the only statement of its body (removing it needs a ``pass``)


@dataclass(frozen=True)
class AttributeAssignment:
    name: str
    value: ast.expr | None  # None when the value of this target is not known (tuple unpacking)
    right_side: ast.expr  # the statement's whole right side (for tuple targets, all the values)
    shape: TargetShape
    kind: ValueKind
    site: Site
    before_super_init: bool
    assigned_before: bool  # on the init path, the name may already hold a value here
    copies: str | None  # ``y`` when the value is ``self.y``: this attribute takes over another's value
    parameter: ParameterCall | None = None  # for a PARAMETER
    container: Container | None = None  # for a CONTAINER


@dataclass(frozen=True)
class Registration:
    """``self.register_buffer("name", ...)`` and friends, with a literal name."""

    kind: str  # "buffer" | "parameter" | "module"
    name: str
    site: Site
    method_name: str  # register_buffer, register_parameter, ...
    after_plain_value: bool  # on the init path, self.<name> may already hold a plain value here


@dataclass(frozen=True)
class GradToggle:
    """``<owner>.requires_grad = X`` or ``<owner>.requires_grad_(X)``.

    ``name`` is ``p`` for ``self.p``; None when the owner is not one attribute (``self``, or
    ``p`` in ``for p in self.parameters()``): such a toggle may touch every parameter.
    """

    name: str | None
    freezes: bool
    site: Site
    on_self: bool  # the owner is ``self`` itself
    assigned: str | None  # the source of X when set by assignment (``.requires_grad = X``); None for the method


@dataclass(frozen=True)
class InPlaceUpdate:
    """``self.x.add_(...)``: tensor methods that change ``self.x`` in place, and their arguments."""

    name: str
    arguments: tuple[ast.expr, ...]
    site: Site


@dataclass(frozen=True)
class RegisterResult:
    """The result of ``self.register_buffer(...)`` (always None) assigned to something."""

    method_name: str
    registered_name: str | None
    targets: tuple[str, ...]  # the source of each target
    replaces_registered: bool  # the one target is ``<owner>.<registered_name>``
    site: Site


@dataclass
class Method:
    node: ast.FunctionDef | ast.AsyncFunctionDef
    self_name: str | None
    typer: TensorTyper
    decorated_no_grad: bool

    @property
    def name(self) -> str:
        return self.node.name

    @cached_property
    def bindings(self) -> list[tuple[str, ast.expr | None]]:
        return list(local_bindings(self.node.body))

    @cached_property
    def locals(self) -> LazyLocalTensors:
        return LazyLocalTensors(self.typer, self.node)


@dataclass
class ClassFacts:
    node: ast.ClassDef
    imports: ImportMap
    file_constants: dict[str, ast.expr]  # NAME = value at the file's top level
    is_module: bool
    methods: dict[str, Method]
    class_attributes: frozenset[str]  # names defined in the class body or a same-file base
    base_parameters: frozenset[str] | None  # None: a base creates parameters under computed names
    base_buffers: frozenset[str]
    assignments: list[AttributeAssignment] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)
    grad_toggles: list[GradToggle] = field(default_factory=list)
    register_results: list[RegisterResult] = field(default_factory=list)
    inplace_updates: list[InPlaceUpdate] = field(default_factory=list)
    deleted: set[str] = field(default_factory=set)  # ``del self.<name>`` somewhere in the class
    _complex_methods: dict[int, bool] = field(default_factory=dict, repr=False)
    registers_computed_names: bool = False  # register_*(f"x{i}", ...) or setattr(self, name, ...)
    calls_base_init: bool = False  # __init__ calls super().__init__() or Base.__init__(self) somewhere
    is_transformers_model: bool = False  # derives from transformers' PreTrainedModel
    nested_in_function: bool = False  # defined in a function body: an adapter handed to a library, often

    @cached_property
    def registered_names(self) -> dict[str, str]:
        """Name -> "buffer" | "parameter" | "module", registered anywhere in the class or its bases."""
        names = dict.fromkeys(self.base_buffers, "buffer")
        names.update(dict.fromkeys(self.base_parameters or (), "parameter"))
        names.update((r.name, r.kind) for r in self.registrations)
        registering_kinds = {ValueKind.PARAMETER: "parameter", ValueKind.BUFFER: "buffer"}
        for assignment in self.assignments:
            if assignment.kind in registering_kinds:
                names.setdefault(assignment.name, registering_kinds[assignment.kind])
        return names

    def assignments_to(self, name: str) -> Iterator[AttributeAssignment]:
        return (a for a in self.assignments if a.name == name)

    def unfreezes(self, name: str) -> bool:
        return any(not t.freezes and t.name in (name, None) for t in self.grad_toggles)

    @property
    def initializes_module(self) -> bool:
        """False when the class has an __init__ that never calls a base __init__: nn.Module's
        machinery never runs, and register_buffer would raise AttributeError."""
        return "__init__" not in self.methods or self.calls_base_init

    @cached_property
    def holds_integer_parameters(self) -> bool:
        """Quantized storage: parameters of integer or float8 dtype, which cannot require grad at all.
        Frameworks load and offload such weights as parameters, so frozen ones are not constants.
        The dtype may come through a local, an argument's default or a file constant."""
        return any(
            a.kind is ValueKind.PARAMETER and self._mentions_integer_dtype(a.value, a.site.method, depth=3)
            for a in self.assignments
        )

    def _mentions_integer_dtype(self, expr: ast.expr | None, method: Method, depth: int) -> bool:
        if expr is None or mentions_integer_dtype(expr):
            return expr is not None
        if depth == 0:
            return False
        names = {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}
        sources = [v for name, v in method.bindings if name in names and v is not None]
        sources += [d for arg, d in arguments_with_defaults(method.node.args) if arg.arg in names and d is not None]
        sources += [self.file_constants[n] for n in names if n in self.file_constants]
        return any(self._mentions_integer_dtype(source, method, depth - 1) for source in sources)

    def may_be_complex(self, assignment: AttributeAssignment) -> bool:
        """Whether the assigned tensor may be complex: the method that assigns it, or a helper the value
        calls, builds complex numbers. ``.to(dtype)`` would drop a complex buffer's imaginary part."""
        methods = [assignment.site.method.node]
        if assignment.value is not None:
            methods += [
                self.methods[n.func.attr].node
                for n in ast.walk(assignment.value)
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in self.methods
            ]
        return any(self._builds_complex(m) for m in methods)

    def _builds_complex(self, method: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        key = id(method)
        if key not in self._complex_methods:
            self._complex_methods[key] = builds_complex(method)
        return self._complex_methods[key]

    def reads_attribute(self, name: str) -> bool:
        """Whether any method reads ``<something>.<name>`` (a flag the class keeps for itself)."""
        return name in self._attributes_read

    @cached_property
    def _attributes_read(self) -> frozenset[str]:
        return frozenset(
            node.attr
            for node in ast.walk(self.node)
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load)
        )

    def defines(self, method_name: str) -> bool:
        return method_name in self.methods


@dataclass(frozen=True)
class FileFacts:
    """The facts of one file: every class it defines, nested ones included, in source order."""

    classes: list[ClassFacts]

    @property
    def module_classes(self) -> Iterator[ClassFacts]:
        """The classes that are ``nn.Module`` subclasses: the ones rules check."""
        return (c for c in self.classes if c.is_module)
