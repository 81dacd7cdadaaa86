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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from buffer_lint.analysis.blocks import BranchPath, branch_paths, exclusive, name_uses
from buffer_lint.analysis.dtypes import builds_complex, mentions_integer_dtype
from buffer_lint.analysis.imports import ImportMap
from buffer_lint.analysis.project import ProjectNames
from buffer_lint.analysis.returns import FileReturns
from buffer_lint.analysis.tensors import (
    Returned,
    Scope,
    TensorTyper,
    arguments_with_defaults,
    local_bindings,
    names_a_class,
)


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
    # A call of a class of another file of the project: a module or not, read from that file only where a rule
    # needs to know (``ClassFacts.builds_module``); never a tensor, parameter or buffer.
    INSTANCE = "instance"
    CONTAINER = "container"  # a list, tuple or dict display or comprehension
    OTHER = "other"  # anything the analysis cannot prove to be one of the above


# Values that make an attribute a plain one (not a parameter, buffer or submodule).
PLAIN_KINDS = frozenset({ValueKind.TENSOR, ValueKind.NONE, ValueKind.CONTAINER, ValueKind.OTHER})


class ContainerShape(enum.Enum):
    LIST = "list"  # [a, b] or [f(i) for i in ...]
    TUPLE = "tuple"  # (a, b)
    DICT = "dict"  # {"a": a} or {k: f(k) for k in ...}


class Container(NamedTuple):
    """A list, tuple or dict display, or a list or dict comprehension."""

    shape: ContainerShape
    element_kind: ValueKind | None  # what every element (a dict: every value) is; None when mixed or empty
    string_keys: bool  # a dict display whose keys are all string literals (not a comprehension)
    empty: bool = False  # ``[]`` or ``{}``: filled later, if at all
    stateless: bool = False  # every element is a torch.nn module that holds no tensor (a loss, an activation)


class ParameterCall(NamedTuple):
    """``nn.Parameter(data, requires_grad)`` as written."""

    tensor: ast.expr | None  # ``data``; None when left out or unpacked from ``*args``
    requires_grad: bool | None  # the literal flag, True when left out; None when not a literal


class Site(NamedTuple):
    """Where a fact was seen."""

    statement: ast.stmt
    method: Method
    on_init_path: bool
    order: int  # execution order on the init path; walk order elsewhere
    under_no_grad: bool
    alone_in_block: bool  # the only statement of its body (removing it needs a ``pass``)

    def excludes(self, other: Site) -> bool:
        """Whether the two never both run in one run of their method (different branches of one ``if``)."""
        return self.method is other.method and self.method.exclusive(self.statement, other.statement)


class AttributeAssignment(NamedTuple):
    name: str
    value: ast.expr | None  # None when the value of this target is not known (tuple unpacking)
    right_side: ast.expr  # the statement's whole right side (for tuple targets, all the values)
    shape: TargetShape
    kind: ValueKind
    site: Site
    before_super_init: bool
    assigned_before: bool  # on the init path, the name may already hold a value here
    tensor_before: bool  # on the init path, every path to here assigned the name a tensor
    copies: str | None  # ``y`` when the value is ``self.y``: this attribute takes over another's value
    parameter: ParameterCall | None = None  # for a PARAMETER
    container: Container | None = None  # for a CONTAINER


class Registration(NamedTuple):
    """``self.register_buffer("name", ...)`` and friends, with a literal name."""

    kind: str  # "buffer" | "parameter" | "module"
    name: str
    site: Site
    method_name: str  # register_buffer, register_parameter, ...
    after_plain_value: bool  # on the init path, self.<name> may already hold a plain value here


class GradToggle(NamedTuple):
    """``<owner>.requires_grad = X`` or ``<owner>.requires_grad_(X)``.

    ``name`` is ``p`` for ``self.p``; None when the owner is not one attribute (``self``, or
    ``p`` in ``for p in self.parameters()``): such a toggle may touch every parameter.
    """

    name: str | None
    freezes: bool
    site: Site
    on_self: bool  # the owner is ``self`` itself
    assigned: str | None  # the source of X when set by assignment (``.requires_grad = X``); None for the method


class InPlaceUpdate(NamedTuple):
    """``self.x.add_(...)``: tensor methods that change ``self.x`` in place, and their arguments."""

    name: str
    arguments: tuple[ast.expr, ...]
    site: Site


class RegisterResult(NamedTuple):
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
    owner: str  # the name of the class that defines it
    self_tensor: Callable[[str], bool] = field(default=lambda name: False, repr=False)  # self.<name> is a tensor

    @property
    def name(self) -> str:
        return self.node.name

    @cached_property
    def bindings(self) -> list[tuple[str, ast.expr | None]]:
        return list(local_bindings(self.node.body))

    @cached_property
    def argument_names(self) -> frozenset[str]:
        """Its named arguments (not ``*args`` or ``**kwargs``), ``self`` aside."""
        return frozenset(a.arg for a, _ in arguments_with_defaults(self.node.args)) - {self.self_name}

    @cached_property
    def uses(self) -> dict[str, list[tuple[ast.stmt, bool]]]:
        """Each name the method's statements store (True) or load (False), with the statement."""
        return name_uses(self.node.body)

    @cached_property
    def _branch_paths(self) -> dict[int, BranchPath]:
        return branch_paths(self.node.body)

    def exclusive(self, first: ast.stmt, second: ast.stmt) -> bool:
        """Whether two statements of the method never both run in one run of it."""
        paths = self._branch_paths
        return id(first) in paths and id(second) in paths and exclusive(paths[id(first)], paths[id(second)])

    @cached_property
    def scope(self) -> Scope:
        """What the method's expressions see: its local tensors, ``self``'s tensors, the class's methods."""
        return Scope(self.typer, self.node, self.self_name, self.owner, self.self_tensor)


@dataclass
class ClassFacts:
    node: ast.ClassDef
    imports: ImportMap
    file_constants: dict[str, ast.expr]  # NAME = value at the file's top level
    file_functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]  # the file's top-level functions
    is_module: bool
    methods: dict[str, Method]
    class_attributes: frozenset[str]  # names defined in the class body or a same-file base (see ``defines``)
    base_parameters: frozenset[str] | None  # None: a base creates parameters under computed names
    base_buffers: frozenset[str]
    assignments: list[AttributeAssignment] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)
    grad_toggles: list[GradToggle] = field(default_factory=list)
    register_results: list[RegisterResult] = field(default_factory=list)
    inplace_updates: list[InPlaceUpdate] = field(default_factory=list)
    deleted: set[str] = field(default_factory=set)  # ``del self.<name>`` somewhere in the class
    plain_after_init: frozenset[str] = frozenset()  # names that may hold a plain value when __init__ returns
    # Names that may hold an INSTANCE when __init__ returns, with the classes it may be of: plain unless a module.
    instances_after_init: dict[str, frozenset[ast.expr]] = field(default_factory=dict)
    # Whether an expression names a module class of another file of the project (reads that file).
    project_class: Callable[[ast.expr], bool] = field(default=lambda expr: False, repr=False)
    # The attributes another module's _apply maps, project-wide: asked for only when a rule needs them.
    applied_attributes: Callable[[], frozenset[str]] = field(default=frozenset, repr=False)
    inherited_init_calls: frozenset[str] = frozenset()  # methods an __init__ of a base in another file calls
    names_elsewhere: ProjectNames = field(default_factory=ProjectNames)  # what bodies of bases in other files define
    init_path_methods: frozenset[str] = frozenset()  # the methods __init__ runs, itself included
    # What __init__ puts into ``self.<name>`` item by item: ``self.x[k] = v``, ``self.x.append(v)``.
    added_elements: dict[str, list[ValueKind]] = field(default_factory=dict)
    # The methods an instance runs: its own, then those it inherits from same-file bases (a simple MRO).
    resolved_methods: dict[str, Method] = field(default_factory=dict)
    _complex_methods: dict[int, bool] = field(default_factory=dict, repr=False)
    registers_computed_names: bool = False  # register_*(f"x{i}", ...) or setattr(self, name, ...)
    calls_base_init: bool = False  # __init__ calls super().__init__() or Base.__init__(self) somewhere
    is_transformers_model: bool = False  # derives from transformers' PreTrainedModel
    in_transformers_model: bool = False  # such a model of the file builds it, at any depth (from_pretrained loads it)
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

    def registered_as(self, kind: str) -> frozenset[str]:
        """The names registered as ``kind`` ("buffer" | "parameter" | "module"), in the class or its bases."""
        return frozenset(name for name, registered in self.registered_names.items() if registered == kind)

    def has_class_attribute(self, name: str) -> bool:
        """Whether the class body, or that of a base (in this file or another), defines ``name``."""
        return name in self.class_attributes or name in self.names_elsewhere

    def element_kind(self, assignment: AttributeAssignment) -> ValueKind | None:
        """What every element of the assigned container is, counting those ``__init__`` adds one by one
        to an empty one (``self.heads = {}`` then ``self.heads[k] = nn.Linear(...)``)."""
        container = assignment.container
        if container is None:
            return None
        if not container.empty:
            return container.element_kind
        kinds = set(self.added_elements.get(assignment.name, ()))
        return kinds.pop() if len(kinds) == 1 else None

    @cached_property
    def applied_elsewhere(self) -> frozenset[str]:
        """Attributes that an ``_apply`` override elsewhere in the project maps (``m.stride = fn(m.stride)``)."""
        return self.applied_attributes()

    def is_registered(self, name: str) -> bool:
        """Registered by a ``register_*`` call or a base class, or assigned a parameter or buffer on
        every path through ``__init__`` (``if learn: self.x = nn.Parameter(self.x)`` leaves it plain)."""
        if name not in self.registered_names:
            return False
        by_call = any(r.name == name for r in self.registrations)
        by_base = name in self.base_buffers or name in (self.base_parameters or ())
        plain = name in self.plain_after_init or self.any_plain(self.instances_after_init.get(name, ()))
        return by_call or by_base or not plain

    def builds_module(self, assignment: AttributeAssignment) -> bool:
        """Whether the assigned value is a module (an INSTANCE is looked up in its class's file)."""
        if assignment.kind is not ValueKind.INSTANCE:
            return assignment.kind is ValueKind.MODULE
        instance_of = class_of_instance(assignment.value, assignment.site.method)
        return instance_of is not None and self.project_class(instance_of)

    def any_plain(self, classes: Iterable[ast.expr]) -> bool:
        """Whether an instance of one of these classes of other files is a plain object, not a module."""
        return any(not self.project_class(cls) for cls in classes)

    def holds_tensor(self, name: str) -> bool:
        """Whether ``self.<name>`` is a buffer or a parameter so far (read while the walk goes on)."""
        if name in self.base_buffers or name in (self.base_parameters or ()):
            return True
        if any(r.name == name and r.kind != "module" for r in self.registrations):
            return True
        return any(a.name == name and a.kind in (ValueKind.PARAMETER, ValueKind.BUFFER) for a in self.assignments)

    def assignments_to(self, name: str) -> Iterator[AttributeAssignment]:
        return (a for a in self.assignments if a.name == name)

    def unfreezes(self, name: str) -> bool:
        return any(not t.freezes and t.name in (name, None) for t in self.grad_toggles)

    @property
    def initializes_module(self) -> bool:
        """False when the class has an __init__ that never calls a base __init__: nn.Module's
        machinery never runs, and register_buffer would raise AttributeError."""
        return "__init__" not in self.methods or self.calls_base_init

    def is_quantized_storage(self, assignment: AttributeAssignment) -> bool:
        """A parameter of integer or float8 dtype (which cannot require grad at all), or, in a class that
        holds one, a parameter that goes with it: a scale or zero point, or one allocated empty to be filled
        by a loader (``torch.empty``, ``torch.zeros``). Frameworks load and offload these as parameters, so a
        frozen one is not a constant. The dtype may come through a local, an argument's default or a file
        constant. A frozen parameter with real values beside them is still a constant."""
        if assignment.kind is not ValueKind.PARAMETER:
            return False
        if self._is_integer_parameter(assignment):
            return True
        companion = any(part in assignment.name.lower() for part in QUANTIZATION_COMPANIONS)
        placeholder = _is_allocation(assignment.parameter.tensor if assignment.parameter else None, self.imports)
        return (companion or placeholder) and self._holds_integer_parameter

    @cached_property
    def _holds_integer_parameter(self) -> bool:
        return any(self._is_integer_parameter(a) for a in self.assignments)

    def _is_integer_parameter(self, assignment: AttributeAssignment) -> bool:
        return assignment.kind is ValueKind.PARAMETER and self._mentions_integer_dtype(
            assignment.value, assignment.site.method, depth=3
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
        calls = [n for n in ast.walk(assignment.value) if isinstance(n, ast.Call)] if assignment.value else []
        for call in calls:
            if isinstance(call.func, ast.Attribute) and call.func.attr in self.methods:
                methods.append(self.methods[call.func.attr].node)
            elif isinstance(call.func, ast.Name) and call.func.id in self.file_functions:
                methods.append(self.file_functions[call.func.id])
        return any(self._builds_complex(m) for m in methods)

    def _builds_complex(self, method: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        key = id(method)
        if key not in self._complex_methods:
            self._complex_methods[key] = builds_complex(method)
        return self._complex_methods[key]

    def replaced_from_inputs(self, name: str) -> bool:
        """An input slot or a scratch placeholder: a method other than ``__init__`` stores in ``self.<name>``
        something made from its own arguments (``self.lengths = lengths``, ``self.state = self.proj(x)``),
        not a new torch tensor; what ``__init__`` put there is only a placeholder."""
        for assignment in self.assignments_to(name):
            method = assignment.site.method
            if assignment.site.on_init_path or assignment.value is None or method.self_name is None:
                continue
            names = {n.id for n in ast.walk(assignment.value) if isinstance(n, ast.Name)}
            if names & method.argument_names and not _calls_torch(assignment.value, self.imports):
                return not _reads_before(method, name, assignment.site.statement)
        return False

    def used_only_as_index(self, name: str) -> bool:
        """Every read of ``<obj>.<name>`` in the class indexes something (``x[:, self.order]``): a CPU index
        tensor indexes a CUDA tensor just as well."""
        reads, as_index = self._attribute_reads
        return reads.get(name, 0) > 0 and reads.get(name, 0) == as_index.get(name, 0)

    @cached_property
    def _attribute_reads(self) -> tuple[dict[str, int], dict[str, int]]:
        reads: dict[str, int] = {}
        as_index: dict[str, int] = {}
        for node in ast.walk(self.node):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                reads[node.attr] = reads.get(node.attr, 0) + 1
            elif isinstance(node, ast.Subscript):
                for index in _index_attributes(node.slice):
                    as_index[index] = as_index.get(index, 0) + 1
        return reads, as_index

    def reads_attribute(self, name: str) -> bool:
        """Whether any method reads ``<something>.<name>`` (a flag the class keeps for itself)."""
        return name in self._attribute_reads[0]

    def defines(self, method_name: str) -> bool:
        return method_name in self.methods


@dataclass(frozen=True)
class FileFacts:
    """The facts of one file: every class it defines, nested ones included, in source order."""

    classes: list[ClassFacts]
    imports: ImportMap  # what the file's names are
    typer: TensorTyper  # what its expressions are; ``typer.returns`` knows what its functions return

    def function_returns(self) -> dict[str, Returned]:
        """What each top-level function of the file returns, where that is known (for the project's summaries)."""
        returns = self.typer.returns
        if not isinstance(returns, FileReturns):
            return {}
        known = {name: returns.of_function(name) for name in returns.functions}
        return {name: kind for name, kind in known.items() if kind is not None}

    @property
    def module_classes(self) -> Iterator[ClassFacts]:
        """The classes that are ``nn.Module`` subclasses: the ones rules check."""
        return (c for c in self.classes if c.is_module)


def class_of_instance(value: ast.expr | None, method: Method) -> ast.expr | None:
    """The class ``value`` is an instance of, as written: the callee of ``Block(...)`` (a class or not), or
    the annotation of an argument the method never rebinds (``encoder`` in ``def __init__(self, encoder:
    nn.Module)``: a module passed in)."""
    if isinstance(value, ast.Call):
        return value.func
    if not isinstance(value, ast.Name):
        return None
    annotation = next((a.annotation for a, _ in arguments_with_defaults(method.node.args) if a.arg == value.id), None)
    written = annotation.id if isinstance(annotation, ast.Name) else getattr(annotation, "attr", None)
    if written is None or not names_a_class(written):  # ``int``, ``Optional[...]``: no class (checked first: cheap)
        return None
    return None if any(n == value.id for n, _ in method.bindings) else annotation


def _calls_torch(expr: ast.expr, imports: ImportMap) -> bool:
    """Whether the expression calls a function of torch itself (``torch.zeros(n)``: a new CPU tensor)."""
    return any(isinstance(n, ast.Call) and (imports.qualify(n.func) or "").startswith("torch.") for n in ast.walk(expr))


def _index_attributes(index: ast.expr) -> Iterator[str]:
    """``self.order`` in ``x[self.order]`` or ``x[:, self.order]``: attributes used directly as an index."""
    for element in index.elts if isinstance(index, ast.Tuple) else [index]:
        if isinstance(element, ast.Attribute):
            yield element.attr


# Name parts of the parameters that accompany quantized storage (``weight_scale``, ``qzeros``, ``input_amax``).
QUANTIZATION_COMPANIONS = ("scale", "zero", "zp", "absmax", "amax")
# Tensors allocated to be filled later (by a checkpoint loader, in quantized layers).
_ALLOCATIONS = frozenset({"torch.empty", "torch.zeros", "torch.empty_like", "torch.zeros_like", "torch.empty_strided"})
_SCALAR_FACTORIES = frozenset({"torch.tensor", "torch.as_tensor", "torch.scalar_tensor"})
_SCALAR_ANNOTATIONS = frozenset({"int", "float", "bool"})


def is_python_scalar(assignment: AttributeAssignment) -> bool:
    """``torch.tensor(0.07)`` or ``torch.tensor(temperature)`` for a number argument: a 0-d tensor made
    from a Python scalar, which PyTorch lets mix with tensors on any device as a scalar."""
    value = assignment.value
    method = assignment.site.method
    if not isinstance(value, ast.Call) or len(value.args) != 1 or any(k.arg == "device" for k in value.keywords):
        return False
    if method.typer.imports.qualify(value.func) not in _SCALAR_FACTORIES:
        return False
    return _is_number(value.args[0], method)


def _is_number(expr: ast.expr, method: Method) -> bool:
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, (ast.USub, ast.UAdd)):
        expr = expr.operand
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, (int, float)) and not isinstance(expr.value, complex)
    if isinstance(expr, ast.Name):
        for argument, default in arguments_with_defaults(method.node.args):
            if argument.arg == expr.id:
                annotation = argument.annotation
                if isinstance(annotation, ast.Name):
                    return annotation.id in _SCALAR_ANNOTATIONS
                return annotation is None and default is not None and _is_number(default, method)
    return False


def _reads_before(method: Method, name: str, statement: ast.stmt) -> bool:
    """Whether the method reads ``self.<name>`` before (or in) ``statement``: then the old value is used."""
    return any(
        isinstance(node, ast.Attribute)
        and isinstance(node.ctx, ast.Load)
        and node.attr == name
        and isinstance(node.value, ast.Name)
        and node.value.id == method.self_name
        and (node.lineno, node.col_offset) <= (statement.end_lineno or statement.lineno, statement.end_col_offset or 0)
        for node in ast.walk(method.node)
    )


def stores_argument(assignment: AttributeAssignment) -> bool:
    """Whether the value may be an argument of the method itself (``self.w = w``, ``w if ... else ...``):
    the caller's own object, an ``nn.Parameter`` perhaps."""
    arguments = assignment.site.method.argument_names
    return any(isinstance(v, ast.Name) and v.id in arguments for v in _possible_values(assignment.value))


def _possible_values(expr: ast.expr | None) -> Iterator[ast.expr]:
    """The expressions ``expr`` may evaluate to as a whole: itself, or a branch of ``a if c else b`` / ``a or b``."""
    if isinstance(expr, ast.IfExp):
        yield from _possible_values(expr.body)
        yield from _possible_values(expr.orelse)
    elif isinstance(expr, ast.BoolOp):
        for value in expr.values:
            yield from _possible_values(value)
    elif expr is not None:
        yield expr


def _is_allocation(expr: ast.expr | None, imports: ImportMap) -> bool:
    """``torch.empty(...)`` or ``torch.zeros(...)``, perhaps moved or cast (``.to(dtype)``)."""
    while isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in ("to", "cuda"):
        expr = expr.func.value
    return isinstance(expr, ast.Call) and imports.qualify(expr.func) in _ALLOCATIONS
