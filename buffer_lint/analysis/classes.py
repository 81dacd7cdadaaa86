"""Per-class facts: what each ``nn.Module`` subclass assigns, registers and freezes, and where.

One walk over the statements of each module class's methods records everything the rules
read. ``__init__`` is walked first, following the helper methods it calls on ``self`` at
any depth (their facts are "on the init path"); the other methods are walked afterwards.
Only statements are walked, never whole expression trees: that keeps the analysis a small
fraction of the cost of ``ast.parse``.
"""

from __future__ import annotations

import ast
import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from buffer_lint.analysis.imports import ImportMap
from buffer_lint.analysis.modules import base_buffers, base_parameters, is_module_base
from buffer_lint.analysis.tensors import LazyLocalTensors, TensorTyper, arguments_with_defaults, local_bindings

REGISTER_METHODS = {
    "register_buffer": "buffer",
    "register_parameter": "parameter",
    "register_module": "module",
    "add_module": "module",
}
_PARAMETER_CLASSES = frozenset({"torch.nn.Parameter", "torch.nn.parameter.Parameter"})
_BUFFER_CLASSES = frozenset({"torch.nn.Buffer", "torch.nn.parameter.Buffer"})
_NO_GRAD_CONTEXTS = frozenset({"torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad"})
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_CONTAINERS = (ast.List, ast.Tuple, ast.Dict, ast.ListComp, ast.DictComp)


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
    shape: TargetShape
    kind: ValueKind
    site: Site
    before_super_init: bool
    assigned_before: bool  # on the init path, the name may already hold a value here
    element_kind: ValueKind | None = None  # for a CONTAINER: what every element is


@dataclass(frozen=True)
class Registration:
    """``self.register_buffer("name", ...)`` and friends, with a literal name."""

    kind: str  # "buffer" | "parameter" | "module"
    name: str
    call: ast.Call
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
    value: ast.expr | None  # X, when set by assignment (``.requires_grad = X``); None for the method


@dataclass(frozen=True)
class InPlaceUpdate:
    """``self.x.add_(...)``: tensor methods that change ``self.x`` in place, and their arguments."""

    name: str
    arguments: tuple[ast.expr, ...]
    site: Site


@dataclass(frozen=True)
class Deletion:
    name: str  # ``del self.name``
    site: Site


@dataclass(frozen=True)
class RegisterResult:
    """The result of ``self.register_buffer(...)`` (always None) assigned to something."""

    method_name: str
    registered_name: str | None
    targets: tuple[ast.expr, ...]
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
    module_constants: dict[str, ast.expr]  # NAME = value at the module's top level
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
    deletions: list[Deletion] = field(default_factory=list)
    _complex_methods: dict[int, bool] = field(default_factory=dict, repr=False)
    registers_computed_names: bool = False  # register_*(f"x{i}", ...) or setattr(self, name, ...)
    calls_base_init: bool = False  # __init__ calls super().__init__() or Base.__init__(self) somewhere
    is_transformers_model: bool = False  # derives from transformers' PreTrainedModel
    nested_in_function: bool = False  # defined in a function body: an adapter handed to a library, often

    @property
    def name(self) -> str:
        return self.node.name

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
        The dtype may come through a local, an argument's default or a module constant."""
        return any(
            a.kind is ValueKind.PARAMETER and self._mentions_integer_dtype(a.value, a.site.method, depth=3)
            for a in self.assignments
        )

    def _mentions_integer_dtype(self, expr: ast.expr | None, method: Method, depth: int) -> bool:
        if expr is None or _mentions(expr, INTEGER_DTYPES):
            return expr is not None
        if depth == 0:
            return False
        names = {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}
        sources = [v for name, v in method.bindings if name in names and v is not None]
        sources += [d for arg, d in arguments_with_defaults(method.node.args) if arg.arg in names and d is not None]
        sources += [self.module_constants[n] for n in names if n in self.module_constants]
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
            self._complex_methods[key] = _mentions(method, COMPLEX_MARKERS) or _passes_use_real_false(method)
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


@dataclass
class ModuleFacts:
    imports: ImportMap
    classes: list[ClassFacts]

    @property
    def module_classes(self) -> Iterator[ClassFacts]:
        return (c for c in self.classes if c.is_module)


def analyze_module(tree: ast.Module, extra_bases: frozenset[str] = frozenset()) -> ModuleFacts:
    imports = ImportMap.from_module(tree)
    definitions, in_functions = _class_definitions(tree.body)
    builder = _FactsBuilder(imports, TensorTyper(imports), extra_bases, definitions)
    builder.module_constants = {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    classes = [builder.facts_for(node) for node in definitions]
    for facts in classes:
        facts.nested_in_function = id(facts.node) in in_functions
    return ModuleFacts(imports, classes)


_CLASS_BODY_HOLDERS = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    *((ast.TryStar,) if hasattr(ast, "TryStar") else ()),
)


def _class_definitions(body: list[ast.stmt]) -> tuple[list[ast.ClassDef], set[int]]:
    """Every class in the module, nested ones included, in source order (statements only),
    and the ids of those defined inside a function."""
    found, in_functions = [], set()
    pending: list[tuple[list[ast.stmt], bool]] = [(body, False)]
    while pending:
        statements, in_function = pending.pop()
        for node in statements:
            if not isinstance(node, _CLASS_BODY_HOLDERS):
                if isinstance(node, getattr(ast, "Match", ())):
                    pending.extend((case.body, in_function) for case in node.cases)
                continue
            if isinstance(node, ast.ClassDef):
                found.append(node)
                if in_function:
                    in_functions.add(id(node))
            pending.append((node.body, in_function or isinstance(node, _FUNCTIONS)))
            if isinstance(node, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try)) or hasattr(node, "handlers"):
                pending.append((node.orelse, in_function))
            if hasattr(node, "handlers"):
                pending.append((node.finalbody, in_function))
                pending.extend((handler.body, in_function) for handler in node.handlers)
    found.sort(key=lambda node: (node.lineno, node.col_offset))
    return found, in_functions


class _FactsBuilder:
    def __init__(
        self, imports: ImportMap, typer: TensorTyper, extra_bases: frozenset[str], definitions: list[ast.ClassDef]
    ) -> None:
        self.imports = imports
        self.typer = typer
        self.extra_bases = extra_bases
        self.definitions = definitions
        self.local_classes = {node.name: node for node in definitions}
        self._facts: dict[int, ClassFacts] = {}
        self._in_progress: set[int] = set()
        self.module_constants: dict[str, ast.expr] = {}

    def facts_for(self, node: ast.ClassDef) -> ClassFacts:
        key = id(node)
        if key not in self._facts:
            self._in_progress.add(key)
            self._facts[key] = self._build(node)
            self._in_progress.discard(key)
        return self._facts[key]

    def _local_bases(self, node: ast.ClassDef) -> list[ClassFacts]:
        bases = []
        for base in node.bases:
            local = self.local_classes.get(base.id) if isinstance(base, ast.Name) else None
            if local is not None and id(local) not in self._in_progress:
                bases.append(self.facts_for(local))
        return bases

    def _build(self, node: ast.ClassDef) -> ClassFacts:
        local_bases = self._local_bases(node)
        qualified_bases = [q for q in map(self.imports.qualify, node.bases) if q]
        is_module = any(b.is_module for b in local_bases) or any(
            is_module_base(q, self.extra_bases) for q in qualified_bases
        )
        facts = ClassFacts(
            node=node,
            imports=self.imports,
            module_constants=self.module_constants,
            is_module=is_module,
            methods=self._methods(node),
            class_attributes=frozenset(_class_attributes(node)).union(*(b.class_attributes for b in local_bases)),
            base_parameters=_merge_parameters(
                [base_parameters(q) for q in qualified_bases] + [_own_parameters(b) for b in local_bases]
            ),
            base_buffers=frozenset().union(
                *(base_buffers(q) for q in qualified_bases),
                *(frozenset(n for n, k in b.registered_names.items() if k == "buffer") for b in local_bases),
            ),
        )
        facts.is_transformers_model = any(b.is_transformers_model for b in local_bases) or any(
            q.split(".")[0] == "transformers" and q.endswith(".PreTrainedModel") for q in qualified_bases
        )
        if is_module:
            _ClassWalker(facts, self).walk()
        return facts

    def _methods(self, node: ast.ClassDef) -> dict[str, Method]:
        methods = {}
        for statement in node.body:
            if isinstance(statement, _FUNCTIONS):
                decorators = [self.imports.qualify(_callee(d)) or _plain_name(d) for d in statement.decorator_list]
                positional = statement.args.posonlyargs + statement.args.args
                is_bound = not {"staticmethod", "classmethod"} & set(decorators)
                methods[statement.name] = Method(
                    node=statement,
                    self_name=positional[0].arg if positional and is_bound else None,
                    typer=self.typer,
                    decorated_no_grad=any(d in _NO_GRAD_CONTEXTS for d in decorators),
                )
        return methods

    def is_module_call(self, value: ast.Call) -> bool:
        if isinstance(value.func, ast.Name) and value.func.id in self.local_classes:
            local = self.local_classes[value.func.id]
            return id(local) not in self._in_progress and self.facts_for(local).is_module
        qualified = self.imports.qualify(value.func)
        return qualified is not None and is_module_base(qualified, self.extra_bases)

    def value_kind(self, value: ast.expr | None, method: Method) -> ValueKind:
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
            if self.is_module_call(value):
                return ValueKind.MODULE
        if isinstance(value, _CONTAINERS):
            return ValueKind.CONTAINER
        if self.typer.is_tensor(value, method.locals):
            return ValueKind.TENSOR
        return ValueKind.OTHER

    def element_kind(self, value: ast.expr, method: Method) -> ValueKind | None:
        """What every element of a container display or comprehension is; None when mixed or empty."""
        if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
            elements = value.elts
        elif isinstance(value, ast.Dict):
            elements = value.values
        elif isinstance(value, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            elements = [value.elt]
        elif isinstance(value, ast.DictComp):
            elements = [value.value]
        else:
            return None
        if not elements or any(isinstance(e, ast.Starred) for e in elements):
            return None
        kinds = {self.value_kind(e, method) for e in elements}
        return kinds.pop() if len(kinds) == 1 else None


def _merge_parameters(known: list[frozenset[str] | None]) -> frozenset[str] | None:
    return None if any(k is None for k in known) else frozenset().union(*known)


def _own_parameters(base: ClassFacts) -> frozenset[str] | None:
    if base.base_parameters is None:
        return None
    return frozenset(n for n, k in base.registered_names.items() if k == "parameter")


def _class_attributes(node: ast.ClassDef) -> Iterator[str]:
    for statement in node.body:
        if isinstance(statement, (*_FUNCTIONS, ast.ClassDef)):
            yield statement.name
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                yield from (n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            if isinstance(statement.target, ast.Name):
                yield statement.target.id


def _callee(expr: ast.expr) -> ast.expr:
    return expr.func if isinstance(expr, ast.Call) else expr


def _plain_name(expr: ast.expr) -> str | None:
    expr = _callee(expr)
    return expr.id if isinstance(expr, ast.Name) else None


def _literal_string(call: ast.Call, keyword: str) -> str | None:
    first = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == keyword), None)
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    return None


# Names of dtypes that make a tensor integer (or float8): it can never require grad.
INTEGER_DTYPES = frozenset(
    {
        "int8",
        "uint8",
        "int16",
        "uint16",
        "int32",
        "uint32",
        "int64",
        "uint64",
        "int4",
        "uint4",
        "qint8",
        "quint8",
        "qint32",
        "bool",
        "short",
        "int",
        "long",
        "float8_e4m3fn",
        "float8_e5m2",
        "float8_e4m3fnuz",
        "float8_e5m2fnuz",
        "float8_e8m0fnu",
        "float4_e2m1fn_x2",
    }
)
# Calls and dtypes that make complex numbers.
COMPLEX_MARKERS = frozenset(
    {
        "polar",
        "view_as_complex",
        "complex",
        "cfloat",
        "cdouble",
        "chalf",
        "complex32",
        "complex64",
        "complex128",
    }
)


def _mentions(node: ast.AST | None, attributes: frozenset[str]) -> bool:
    """Whether ``node`` contains ``<something>.<attribute>`` for one of ``attributes``."""
    return node is not None and any(isinstance(n, ast.Attribute) and n.attr in attributes for n in ast.walk(node))


def _passes_use_real_false(node: ast.AST) -> bool:
    """diffusers' rotary helpers return complex tables when called with ``use_real=False``."""
    return any(isinstance(n, ast.keyword) and n.arg == "use_real" and _is_false(n.value) for n in ast.walk(node))


def _is_inplace(method_name: str) -> bool:
    return method_name.endswith("_") and not method_name.startswith("_") and method_name != "requires_grad_"


def _is_false(expr: ast.expr | None) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is False


class _ClassWalker:
    """Walks one module class's methods and records its facts."""

    def __init__(self, facts: ClassFacts, builder: _FactsBuilder) -> None:
        self.facts = facts
        self.builder = builder
        self.visited: set[str] = set()
        self.order = 0
        # State of the method being walked.
        self.method: Method | None = None
        self.on_init_path = False
        self.assigned: set[str] = set()  # names that may hold a value here (init path)
        self.plain: set[str] = set()  # names that may hold a plain, unregistered value here
        self.registered: set[str] = set()  # names registered so far, in walk order
        self.super_init_pending = False
        self.no_grad_depth = 0
        self.block_size = 0

    def walk(self) -> None:
        init = self.facts.methods.get("__init__")
        if init is not None and init.self_name:
            self.on_init_path = True
            self.super_init_pending = _calls_super_init(init)
            self._walk_method(init)
        self.on_init_path = False
        for name, method in self.facts.methods.items():
            if name not in self.visited and method.self_name:
                self.assigned, self.plain = set(), set()
                self.super_init_pending = False
                self._walk_method(method)

    def _walk_method(self, method: Method) -> None:
        self.visited.add(method.name)
        outer, self.method = self.method, method
        self.no_grad_depth += method.decorated_no_grad
        self._walk_body(method.node.body)
        self.no_grad_depth -= method.decorated_no_grad
        self.method = outer

    def _walk_body(self, body: list[ast.stmt]) -> None:
        outer, self.block_size = self.block_size, len(body)
        for statement in body:
            self._walk_statement(statement)
        self.block_size = outer

    def _walk_statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Assign):
            self._assignment(node, node.targets, node.value)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self._assignment(node, [node.target], node.value, annotated=True)
        elif isinstance(node, ast.AugAssign):
            name = self._self_attribute(node.target)
            if name:
                self._record_assignment(name, node.value, TargetShape.AUGMENTED, node)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            self._call_statement(node, node.value)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                name = self._self_attribute(target)
                if name:
                    self.facts.deletions.append(Deletion(name, self._site(node)))
                    self.assigned.discard(name)
                    self.plain.discard(name)
        elif isinstance(node, ast.If):
            self._branches(node.body, node.orelse)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            no_grad = any(self._is_no_grad(item.context_expr) for item in node.items)
            self.no_grad_depth += no_grad
            self._walk_body(node.body)
            self.no_grad_depth -= no_grad
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            self._walk_body(node.body)
            self._walk_body(node.orelse)
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            self._walk_body(node.body)
            self._branches(node.orelse, *(h.body for h in node.handlers))
            self._walk_body(node.finalbody)
        elif type(node).__name__ == "Match":
            self._branches(*(case.body for case in node.cases))

    def _branches(self, *bodies: list[ast.stmt]) -> None:
        """Alternatives: each starts from the same state; afterwards a name may hold what any set."""
        assigned, plain = set(self.assigned), set(self.plain)
        after_assigned, after_plain = set(assigned), set(plain)
        for body in bodies:
            self.assigned, self.plain = set(assigned), set(plain)
            self._walk_body(body)
            after_assigned |= self.assigned
            after_plain |= self.plain
        self.assigned, self.plain = after_assigned, after_plain

    def _is_no_grad(self, expr: ast.expr) -> bool:
        qualified = self.builder.imports.qualify(_callee(expr))
        if qualified == "torch.set_grad_enabled" and isinstance(expr, ast.Call):
            return _is_false(expr.args[0] if expr.args else None)
        return qualified in _NO_GRAD_CONTEXTS

    def _site(self, statement: ast.stmt) -> Site:
        self.order += 1
        assert self.method is not None
        return Site(statement, self.method, self.on_init_path, self.order, self.no_grad_depth > 0, self.block_size == 1)

    def _self_attribute(self, expr: ast.expr) -> str | None:
        """``x`` for ``self.x``; None otherwise."""
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
            if self.method is not None and expr.value.id == self.method.self_name:
                return expr.attr
        return None

    def _self_method_call(self, expr: ast.expr | None) -> tuple[str, ast.Call] | None:
        if isinstance(expr, ast.Call):
            name = self._self_attribute(expr.func)
            if name:
                return name, expr
        return None

    def _assignment(self, node: ast.stmt, targets: list[ast.expr], value: ast.expr, annotated: bool = False) -> None:
        self._call_in_value(node, targets, value)  # the right side runs first
        shape = TargetShape.ANNOTATED if annotated else TargetShape.PLAIN
        if len(targets) > 1:
            shape = TargetShape.CHAINED
        for target in targets:
            name = self._self_attribute(target)
            if isinstance(target, ast.Attribute) and target.attr == "requires_grad":
                self._grad_toggle(target.value, not _is_false(value), node, value)
            elif name:
                self._record_assignment(name, value, shape, node)
            elif isinstance(target, (ast.Tuple, ast.List)):
                self._tuple_assignment(node, target, value)

    def _tuple_assignment(self, node: ast.stmt, target: ast.Tuple | ast.List, value: ast.expr) -> None:
        elements = target.elts
        values: list[ast.expr | None] = [None] * len(elements)
        if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(elements):
            if not any(isinstance(e, ast.Starred) for e in (*elements, *value.elts)):
                values = list(value.elts)
        for element, element_value in zip(elements, values):
            name = self._self_attribute(element)
            if name:
                self._record_assignment(name, element_value, TargetShape.TUPLE, node)

    def _call_in_value(self, node: ast.stmt, targets: list[ast.expr], value: ast.expr) -> None:
        call = self._self_method_call(value)
        if call is None:
            return
        method_name, expr = call
        if method_name in REGISTER_METHODS and not self.facts.defines(method_name):
            registered = _literal_string(expr, "name")
            self.facts.register_results.append(
                RegisterResult(method_name, registered, tuple(targets), self._site(node))
            )
            self._registration(method_name, expr, node)
        else:
            self._follow_helper(method_name)

    def _record_assignment(self, name: str, value: ast.expr | None, shape: TargetShape, node: ast.stmt) -> None:
        assert self.method is not None
        kind = self.builder.value_kind(value, self.method)
        assignment = AttributeAssignment(
            name=name,
            value=value,
            shape=shape,
            kind=kind,
            site=self._site(node),
            before_super_init=self.super_init_pending,
            assigned_before=name in self.assigned,
            element_kind=self.builder.element_kind(value, self.method) if kind is ValueKind.CONTAINER else None,
        )
        self.facts.assignments.append(assignment)
        self.assigned.add(name)
        if kind in PLAIN_KINDS and name not in self.registered:
            self.plain.add(name)

    def _call_statement(self, node: ast.Expr, call: ast.Call) -> None:
        func = call.func
        if not isinstance(func, ast.Attribute):
            if isinstance(func, ast.Name) and func.id == "setattr" and call.args:
                if self._is_self(call.args[0]):
                    self.facts.registers_computed_names = True
            return
        if func.attr == "__init__" and self._is_super_init(call):
            self.super_init_pending = False
            self.facts.calls_base_init |= self.on_init_path
            return
        if func.attr == "requires_grad_":
            argument = call.args[0] if call.args else next((k.value for k in call.keywords), None)
            self._grad_toggle(func.value, not _is_false(argument), node)
            return
        if _is_inplace(func.attr):
            self._inplace_update(call, node)
            return
        own = self._self_method_call(call)
        if own is None:
            return
        method_name, expr = own
        if method_name in REGISTER_METHODS and not self.facts.defines(method_name):
            self._registration(method_name, expr, node)
        else:
            self._follow_helper(method_name)

    def _inplace_update(self, call: ast.Call, node: ast.stmt) -> None:
        """``self.x.mul_(m).add_(v)``: in-place methods chained on one attribute, with all their arguments."""
        arguments: list[ast.expr] = []
        receiver: ast.expr = call
        while (
            isinstance(receiver, ast.Call)
            and isinstance(receiver.func, ast.Attribute)
            and _is_inplace(receiver.func.attr)
        ):
            arguments += [*receiver.args, *(k.value for k in receiver.keywords)]
            receiver = receiver.func.value
        name = self._self_attribute(receiver)
        if name:
            self.facts.inplace_updates.append(InPlaceUpdate(name, tuple(arguments), self._site(node)))

    def _is_self(self, expr: ast.expr) -> bool:
        return isinstance(expr, ast.Name) and self.method is not None and expr.id == self.method.self_name

    def _is_super_init(self, call: ast.Call) -> bool:
        owner = call.func.value if isinstance(call.func, ast.Attribute) else None
        if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "super":
            return True
        return bool(call.args) and self._is_self(call.args[0])  # Base.__init__(self, ...)

    def _registration(self, method_name: str, call: ast.Call, node: ast.stmt) -> None:
        name = _literal_string(call, "name")
        if name is None:
            self.facts.registers_computed_names = True
            return
        kind = REGISTER_METHODS[method_name]
        after_plain = name in self.plain
        self.facts.registrations.append(Registration(kind, name, call, self._site(node), method_name, after_plain))
        self.registered.add(name)
        self.assigned.add(name)
        self.plain.discard(name)

    def _grad_toggle(self, owner: ast.expr, enables: bool, node: ast.stmt, value: ast.expr | None = None) -> None:
        """``<owner>.requires_grad = X`` or ``<owner>.requires_grad_(X)``."""
        name = self._self_attribute(owner)
        on_self = self._is_self(owner)
        if name is not None or on_self or enables:  # p.requires_grad = True in a loop may unfreeze anything
            self.facts.grad_toggles.append(GradToggle(name, not enables, self._site(node), on_self, value))

    def _follow_helper(self, method_name: str) -> None:
        helper = self.facts.methods.get(method_name)
        if self.on_init_path and helper is not None and helper.self_name and method_name not in self.visited:
            self._walk_method(helper)


def _calls_super_init(init: Method) -> bool:
    """Whether ``__init__`` calls a base ``__init__`` at its top level (else order is unknown)."""
    for statement in init.node.body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            func = statement.value.func
            if isinstance(func, ast.Attribute) and func.attr == "__init__":
                return True
    return False
