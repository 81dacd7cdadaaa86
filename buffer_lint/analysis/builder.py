"""Builds a file's facts: finds its classes, decides which are ``nn.Module`` subclasses (same-file
bases included), and has the walker record each module class's facts."""

from __future__ import annotations

import ast
import functools
import weakref
from collections.abc import Callable, Iterator

from buffer_lint.analysis.blocks import COMPOUND_STATEMENTS, all_blocks
from buffer_lint.analysis.facts import ClassFacts, FileFacts, Method, ValueKind
from buffer_lint.analysis.imports import ImportMap
from buffer_lint.analysis.modules import base_buffers, base_parameters, is_module_base
from buffer_lint.analysis.project import ClassSummary, Location, ProjectIndex, ProjectNames
from buffer_lint.analysis.returns import FileReturns
from buffer_lint.analysis.tensors import TensorTyper, names_a_class
from buffer_lint.analysis.values import ValueClassifier, callee
from buffer_lint.analysis.walker import NO_GRAD_CONTEXTS, ClassWalker

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def analyze_file(
    tree: ast.Module,
    extra_bases: frozenset[str] = frozenset(),
    *,
    package: str | None = None,
    project: ProjectIndex | None = None,
    location: Location | None = None,
    types_tensors: bool = True,
) -> FileFacts:
    """The facts of every class in a parsed file; ``extra_bases`` are more nn.Module base classes.

    With a ``project`` and the file's ``location``, bases, functions and ``_apply`` owners in the
    project's other files count too; ``package`` alone resolves relative imports. Without
    ``types_tensors`` (for summaries), no assigned value is typed as a tensor."""
    definitions, in_functions = _class_definitions(tree.body)
    imports = ImportMap.from_file(tree, location.package if location else package)
    typer = TensorTyper(imports, project=project)
    returns = typer.returns = FileReturns(tree, definitions, typer)
    builder = _FactsBuilder(imports, typer, returns.functions, extra_bases, definitions, _file_constants(tree))
    builder.project = project
    builder.types_tensors = types_tensors
    if project is not None and location is not None:
        builder.applied_attributes = functools.partial(project.applied_attributes, location)
    classes = [builder.facts_for(node) for node in definitions]
    for facts in classes:
        facts.nested_in_function = id(facts.node) in in_functions
    if types_tensors:  # a summary does not say which fixes are safe
        _mark_parts_of_transformers_models(classes)
    return FileFacts(classes, imports, typer)


def _mark_parts_of_transformers_models(classes: list[ClassFacts]) -> None:
    """The file's classes that a transformers model of the file builds into its attributes (``self.embed =
    Embeddings(config)``, ``nn.ModuleList([Layer(config) ...])``), directly or through its parts."""
    by_name = {facts.node.name: facts for facts in classes}
    pending = [facts for facts in classes if facts.is_transformers_model]
    while pending:
        model = pending.pop()
        for assignment in model.assignments:
            parts = [by_name[name] for name in _names_called(assignment.value) if name in by_name]
            # the parts first: whether the value is a module may read another file (``self.config = config``)
            if not parts or not (assignment.kind is ValueKind.CONTAINER or model.builds_module(assignment)):
                continue
            for part in parts:
                if not (part.in_transformers_model or part.is_transformers_model):
                    part.in_transformers_model = True
                    pending.append(part)


def _names_called(value: ast.expr | None) -> Iterator[str]:
    """``f`` for each call ``f(...)`` in the expression."""
    for node in ast.walk(value) if value is not None else ():
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            yield node.func.id


def _file_constants(tree: ast.Module) -> dict[str, ast.expr]:
    """``NAME = value`` at the file's top level."""
    return {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _class_definitions(body: list[ast.stmt]) -> tuple[list[ast.ClassDef], set[int]]:
    """Every class in the file, nested ones included, in source order (statements only),
    and the ids of those defined inside a function."""
    found, in_functions = [], set()
    pending: list[tuple[list[ast.stmt], bool]] = [(body, False)]
    while pending:
        statements, in_function = pending.pop()
        for node in statements:
            if type(node) in COMPOUND_STATEMENTS:
                pending.extend((block, in_function) for block in all_blocks(node))
            elif isinstance(node, _FUNCTIONS):
                pending.append((node.body, True))
            elif isinstance(node, ast.ClassDef):
                found.append(node)
                if in_function:
                    in_functions.add(id(node))
                pending.append((node.body, in_function))
    found.sort(key=lambda node: (node.lineno, node.col_offset))
    return found, in_functions


class _FactsBuilder:
    def __init__(
        self,
        imports: ImportMap,
        typer: TensorTyper,
        file_functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef],
        extra_bases: frozenset[str],
        definitions: list[ast.ClassDef],
        file_constants: dict[str, ast.expr],
    ) -> None:
        self.imports = imports
        self.typer = typer
        self.file_functions = file_functions
        self.extra_bases = extra_bases
        self.local_classes = {node.name: node for node in definitions}
        self.file_constants = file_constants
        self._facts: dict[int, ClassFacts] = {}
        self._in_progress: set[int] = set()
        self.project: ProjectIndex | None = None
        self.types_tensors = True
        self.applied_attributes: Callable[[], frozenset[str]] = frozenset

    def facts_for(self, node: ast.ClassDef) -> ClassFacts:
        key = id(node)
        if key not in self._facts:
            self._in_progress.add(key)
            self._facts[key] = self._build(node)
            self._in_progress.discard(key)
        return self._facts[key]

    def module_class(self, expr: ast.expr) -> bool | None:
        """Whether ``expr`` names an ``nn.Module`` class (called, it builds a module); None when a class in
        another file of the project decides (``project_class`` reads it there, only when a rule needs to know)."""
        if isinstance(expr, ast.Name) and expr.id in self.local_classes:
            local = self.local_classes[expr.id]
            return id(local) not in self._in_progress and self.facts_for(local).is_module
        qualified = self.imports.qualify(expr)
        if qualified is None or not names_a_class(qualified):
            return False  # a function's result (PEP 8 names classes in CapWords): not known to be a module
        if is_module_base(qualified, self.extra_bases):
            return True
        return None if self.project is not None and not qualified.startswith("torch.") else False

    def _is_module_base(self, qualified: str) -> bool:
        if is_module_base(qualified, self.extra_bases):
            return True
        return self.project is not None and self.project.is_module_class(qualified)

    def _project_bases(self, qualified_bases: list[str]) -> list[ClassSummary]:
        """The project classes a class derives from (torch's and the frameworks' own are known without them)."""
        if self.project is None:
            return []
        own = [q for q in qualified_bases if not q.startswith("torch.") and not is_module_base(q, self.extra_bases)]
        return [cls for q in own for cls in self.project.ancestors(q)]

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
        is_module = any(b.is_module for b in local_bases) or any(self._is_module_base(q) for q in qualified_bases)
        project_bases = self._project_bases(qualified_bases)
        chain = [*qualified_bases, *(b for cls in project_bases for b in cls.bases)]
        facts = ClassFacts(
            node=node,
            imports=self.imports,
            file_constants=self.file_constants,
            file_functions=self.file_functions,
            is_module=is_module,
            methods=self._methods(node),
            class_attributes=frozenset(_class_attributes(node)).union(*(b.class_attributes for b in local_bases)),
            names_elsewhere=ProjectNames(self.project, _bases_elsewhere(project_bases, local_bases)),
            base_parameters=_merge_parameters(
                [base_parameters(q) for q in chain]
                + [_own_parameters(b) for b in local_bases]
                + [cls.parameters for cls in project_bases]
            ),
            base_buffers=frozenset().union(
                *(base_buffers(q) for q in chain),
                *(b.registered_as("buffer") for b in local_bases),
                *(cls.buffers for cls in project_bases),
            ),
            applied_attributes=self.applied_attributes,
            inherited_init_calls=frozenset().union(*(cls.init_calls for cls in project_bases)),
        )
        facts.is_transformers_model = any(b.is_transformers_model for b in local_bases) or any(
            q.split(".")[0] == "transformers" and q.endswith(".PreTrainedModel") for q in chain
        )
        holds_tensor = _weakly(facts.holds_tensor)  # facts hold their methods: no strong reference back
        for method in facts.methods.values():
            method.self_tensor = holds_tensor
        facts.resolved_methods = {
            name: method for base in reversed(local_bases) for name, method in base.resolved_methods.items()
        } | facts.methods
        facts.project_class = functools.partial(is_project_module_class, self.imports, self.project)
        if is_module:  # the classifier is made here, not kept: it holds this builder, a cycle that outlives the file
            values = ValueClassifier(
                self.imports, self.typer, self.module_class, facts.project_class, self.types_tensors
            )
            ClassWalker(facts, values).walk()
        return facts

    def _methods(self, node: ast.ClassDef) -> dict[str, Method]:
        methods = {}
        for statement in node.body:
            if isinstance(statement, _FUNCTIONS):
                decorators = [self.imports.qualify(callee(d)) or _plain_name(d) for d in statement.decorator_list]
                positional = statement.args.posonlyargs + statement.args.args
                is_bound = not {"staticmethod", "classmethod"} & set(decorators)
                methods[statement.name] = Method(
                    node=statement,
                    self_name=positional[0].arg if positional and is_bound else None,
                    typer=self.typer,
                    decorated_no_grad=any(d in NO_GRAD_CONTEXTS for d in decorators),
                    owner=node.name,
                )
        return methods


def is_project_module_class(imports: ImportMap, project: ProjectIndex | None, expr: ast.expr) -> bool:
    """Whether ``expr`` names a class of another file of the project that derives from ``nn.Module``."""
    qualified = imports.qualify(expr)
    return project is not None and qualified is not None and project.is_module_class(qualified)


def _weakly(method: Callable[[str], bool]) -> Callable[[str], bool]:
    reference = weakref.WeakMethod(method)

    def call(name: str) -> bool:
        target = reference()
        return target(name) if target is not None else False

    return call


def _merge_parameters(known: list[frozenset[str] | None]) -> frozenset[str] | None:
    return None if any(k is None for k in known) else frozenset().union(*known)


def _own_parameters(base: ClassFacts) -> frozenset[str] | None:
    if base.base_parameters is None:
        return None
    return base.registered_as("parameter")


def _bases_elsewhere(project_bases: list[ClassSummary], local_bases: list[ClassFacts]) -> tuple[ClassSummary, ...]:
    """The bases in other files, the class's own and those its same-file bases derive from, each once."""
    inherited = (cls for base in local_bases for cls in base.names_elsewhere.classes)
    return tuple(dict.fromkeys([*project_bases, *inherited]))


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


def _plain_name(expr: ast.expr) -> str | None:
    expr = callee(expr)
    return expr.id if isinstance(expr, ast.Name) else None
