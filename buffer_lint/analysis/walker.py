"""The walk that records one ``nn.Module`` subclass's facts.

``__init__`` is walked first, following the helper methods it calls on ``self`` at any depth
(their facts are "on the init path"); the other methods are walked afterwards. Only
statements are walked, never whole expression trees: that keeps the analysis a small
fraction of the cost of ``ast.parse``.
"""

from __future__ import annotations

import ast

from buffer_lint.analysis.blocks import COMPOUND_STATEMENTS, Flow, child_blocks
from buffer_lint.analysis.facts import (
    PLAIN_KINDS,
    AttributeAssignment,
    ClassFacts,
    GradToggle,
    InPlaceUpdate,
    Method,
    RegisterResult,
    Registration,
    Site,
    TargetShape,
    ValueKind,
    class_of_instance,
)
from buffer_lint.analysis.values import ValueClassifier, callee, is_false, literal_string, parameter_call

REGISTER_METHODS = {
    "register_buffer": "buffer",
    "register_parameter": "parameter",
    "register_module": "module",
    "add_module": "module",
}
NO_GRAD_CONTEXTS = frozenset({"torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad"})


class ClassWalker:
    """Walks one module class's methods and records its facts."""

    def __init__(self, facts: ClassFacts, values: ValueClassifier) -> None:
        self.facts = facts
        self.values = values
        self.visited: set[str] = set()
        self.order = 0
        # State of the method being walked.
        self.method: Method | None = None
        self.on_init_path = False
        self.assigned: set[str] = set()  # names that may hold a value here (init path)
        self.plain: set[str] = set()  # names that may hold a plain, unregistered value here
        # Names that may hold an instance of a class of another file here, with the calls that made it: plain
        # unless that class is a module, which is read from its file only when a rule needs to know.
        self.instances: dict[str, frozenset[ast.expr]] = {}
        self.tensors: set[str] = set()  # names assigned a tensor on every path to here (init path)
        self.registered: set[str] = set()  # names registered so far, in walk order
        self.super_init_pending = False
        self.no_grad_depth = 0
        self.block_size = 0

    def walk(self) -> None:
        init = self.facts.resolved_methods.get("__init__")
        self.on_init_path = True
        if init is not None and init.self_name:
            self.super_init_pending = _calls_super_init(init)
            self._walk_method(init)
        for name in sorted(self.facts.inherited_init_calls):  # a base in another file's __init__ calls them
            self._follow_helper(name)
        self.facts.plain_after_init = frozenset(self.plain)
        self.facts.instances_after_init = self.instances
        self.facts.init_path_methods = frozenset(self.visited)
        self.on_init_path = False
        for name, method in self.facts.methods.items():
            if name not in self.visited and method.self_name:
                self.assigned, self.plain, self.tensors, self.instances = set(), set(), set(), {}
                self.super_init_pending = False
                self._walk_method(method)
        self._keep_own_facts()

    def _keep_own_facts(self) -> None:
        """Facts seen in inherited methods belong to the base that defines them (reported there, once)."""
        facts, owner = self.facts, self.facts.node.name
        facts.assignments = [a for a in facts.assignments if a.site.method.owner == owner]
        facts.registrations = [r for r in facts.registrations if r.site.method.owner == owner]
        facts.grad_toggles = [t for t in facts.grad_toggles if t.site.method.owner == owner]
        facts.register_results = [r for r in facts.register_results if r.site.method.owner == owner]
        facts.inplace_updates = [u for u in facts.inplace_updates if u.site.method.owner == owner]

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
                self._record_assignment(name, node.value, node.value, TargetShape.AUGMENTED, node)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            self._call_statement(node, node.value)
        elif isinstance(node, ast.Delete):
            self._deletion(node)
        elif type(node) in COMPOUND_STATEMENTS:
            self._walk_blocks(node)

    def _walk_blocks(self, node: ast.stmt) -> None:
        """A compound statement's blocks; ``with torch.no_grad():`` marks what its body does."""
        no_grad = isinstance(node, (ast.With, ast.AsyncWith)) and any(
            self._is_no_grad(item.context_expr) for item in node.items
        )
        self.no_grad_depth += no_grad
        for flow, blocks in child_blocks(node):
            if flow is Flow.BRANCHES:
                self._branches(blocks, _one_always_runs(node))
            else:
                self._walk_body(blocks[0])
        self.no_grad_depth -= no_grad

    def _branches(self, bodies: tuple[list[ast.stmt], ...], one_always_runs: bool) -> None:
        """Alternatives: each starts from the same state; afterwards a name may hold what any set, and holds a
        tensor if every branch that goes on to the next statement assigned one (a branch may also run none)."""
        assigned, plain, tensors, instances = set(self.assigned), set(self.plain), set(self.tensors), self.instances
        after_assigned, after_plain, after_instances = set(assigned), set(plain), dict(instances)
        ends = [] if one_always_runs else [tensors]
        for body in bodies:
            self.assigned, self.plain, self.tensors = set(assigned), set(plain), set(tensors)
            self.instances = dict(instances)
            self._walk_body(body)
            after_assigned |= self.assigned
            after_plain |= self.plain
            for name, values in self.instances.items():
                after_instances[name] = after_instances.get(name, frozenset()) | values
            if not _leaves(body):
                ends.append(self.tensors)
        self.assigned, self.plain, self.instances = after_assigned, after_plain, after_instances
        self.tensors = set.intersection(*ends) if ends else tensors

    def _is_no_grad(self, expr: ast.expr) -> bool:
        qualified = self.facts.imports.qualify(callee(expr))
        if qualified == "torch.set_grad_enabled" and isinstance(expr, ast.Call):
            return is_false(expr.args[0] if expr.args else None)
        return qualified in NO_GRAD_CONTEXTS

    def _site(self, statement: ast.stmt) -> Site:
        self.order += 1
        assert self.method is not None
        return Site(statement, self.method, self.on_init_path, self.order, self.no_grad_depth > 0, self.block_size == 1)

    def _self_attribute(self, expr: ast.expr | None) -> str | None:
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
                self._grad_toggle(target.value, not is_false(value), node, value)
            elif name:
                self._record_assignment(name, value, value, shape, node)
            elif isinstance(target, (ast.Tuple, ast.List)):
                self._tuple_assignment(node, target, value)
            elif isinstance(target, ast.Subscript):
                self._added_elements(target.value, [value])  # self.x[k] = v

    def _tuple_assignment(self, node: ast.stmt, target: ast.Tuple | ast.List, value: ast.expr) -> None:
        elements = target.elts
        values: list[ast.expr | None] = [None] * len(elements)
        if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(elements):
            if not any(isinstance(e, ast.Starred) for e in (*elements, *value.elts)):
                values = list(value.elts)
        assert self.method is not None
        targets_self = any(self._self_attribute(element) for element in elements)  # else no element is recorded
        typed = (
            targets_self
            and self.values.types_tensors
            and self.values.typer.tuple_elements(value, self.method.scope, len(elements))
        )
        returned = typed or [False] * len(elements)
        for element, element_value, is_tensor in zip(elements, values, returned):
            name = self._self_attribute(element)
            if name:
                kind = ValueKind.TENSOR if is_tensor else None  # a call returning a tuple of tensors
                self._record_assignment(name, element_value, value, TargetShape.TUPLE, node, kind)

    def _call_in_value(self, node: ast.stmt, targets: list[ast.expr], value: ast.expr) -> None:
        call = self._self_method_call(value)
        if call is None:
            return
        method_name, expr = call
        if method_name in REGISTER_METHODS and not self.facts.defines(method_name):
            self._register_result(method_name, expr, targets, node)
            self._registration(method_name, expr, node)
        else:
            self._follow_helper(method_name)

    def _register_result(self, method_name: str, call: ast.Call, targets: list[ast.expr], node: ast.stmt) -> None:
        registered = literal_string(call, "name")
        only = targets[0] if len(targets) == 1 else None
        replaces = isinstance(only, ast.Attribute) and only.attr == registered
        sources = tuple(ast.unparse(t) for t in targets)
        self.facts.register_results.append(RegisterResult(method_name, registered, sources, replaces, self._site(node)))

    def _record_assignment(
        self,
        name: str,
        value: ast.expr | None,
        right_side: ast.expr,
        shape: TargetShape,
        node: ast.stmt,
        kind: ValueKind | None = None,
    ) -> None:
        assert self.method is not None
        statement = node if self.on_init_path else None  # follow locals to their containers on the init path only
        kind = kind or self.values.kind(value, self.method, statement, deferred=True)
        assignment = AttributeAssignment(
            name=name,
            value=value,
            right_side=right_side,
            shape=shape,
            kind=kind,
            site=self._site(node),
            before_super_init=self.super_init_pending,
            assigned_before=name in self.assigned,
            tensor_before=name in self.tensors,
            copies=self._self_attribute(value),
            parameter=parameter_call(value) if kind is ValueKind.PARAMETER else None,
            container=self.values.container(value, self.method, statement) if kind is ValueKind.CONTAINER else None,
        )
        self.facts.assignments.append(assignment)
        self.assigned.add(name)
        if kind is ValueKind.TENSOR:
            self.tensors.add(name)
        self._track_plain(name, kind, value)

    def _track_plain(self, name: str, kind: ValueKind, value: ast.expr | None) -> None:
        """Whether ``self.<name>`` may hold a plain value from here on, on this path."""
        instance_of = class_of_instance(value, self.method) if kind is ValueKind.INSTANCE and self.method else None
        if instance_of is not None and name not in self.registered:
            self.plain.discard(name)
            self.instances[name] = frozenset({instance_of})  # plain unless its class is a module: asked when it matters
        elif kind not in PLAIN_KINDS and (instance_of is None or self.facts.project_class(instance_of)):
            self.plain.discard(name)  # a parameter, buffer or submodule from here on, on this path
            self.instances.pop(name, None)
        elif name not in self.registered:
            self.plain.add(name)
            self.instances.pop(name, None)

    def _deletion(self, node: ast.Delete) -> None:
        for target in node.targets:
            name = self._self_attribute(target)
            if name:
                self.facts.deleted.add(name)
                self.assigned.discard(name)
                self.plain.discard(name)
                self.tensors.discard(name)
                self.instances.pop(name, None)

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
            self._grad_toggle(func.value, not is_false(argument), node)
            return
        if _is_inplace(func.attr):
            self._inplace_update(call, node)
            return
        if func.attr in _ADDING_METHODS:
            self._added_elements(func.value, _added_by(func.attr, call))
            return
        own = self._self_method_call(call)
        if own is None:
            return
        method_name, expr = own
        if method_name in REGISTER_METHODS and not self.facts.defines(method_name):
            self._registration(method_name, expr, node)
        else:
            self._follow_helper(method_name)

    def _added_elements(self, container: ast.expr, values: list[ast.expr]) -> None:
        """Elements added to ``self.<name>`` on the init path, by item assignment or ``append``."""
        name = self._self_attribute(container)
        if name and self.on_init_path and self.method is not None:
            kinds = [self.values.kind(value, self.method) for value in values]
            self.facts.added_elements.setdefault(name, []).extend(kinds)

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
        name = literal_string(call, "name")
        if name is None:
            self.facts.registers_computed_names = True
            return
        kind = REGISTER_METHODS[method_name]
        after_plain = name in self.plain or self.facts.any_plain(self.instances.pop(name, ()))
        self.facts.registrations.append(Registration(kind, name, self._site(node), method_name, after_plain))
        self.registered.add(name)
        self.assigned.add(name)
        self.plain.discard(name)

    def _grad_toggle(self, owner: ast.expr, enables: bool, node: ast.stmt, value: ast.expr | None = None) -> None:
        """``<owner>.requires_grad = X`` or ``<owner>.requires_grad_(X)``."""
        name = self._self_attribute(owner)
        on_self = self._is_self(owner)
        if name is not None or on_self or enables:  # p.requires_grad = True in a loop may unfreeze anything
            assigned = ast.unparse(value) if value is not None else None
            self.facts.grad_toggles.append(GradToggle(name, not enables, self._site(node), on_self, assigned))

    def _follow_helper(self, method_name: str) -> None:
        helper = self.facts.resolved_methods.get(method_name)
        if self.on_init_path and helper is not None and helper.self_name and method_name not in self.visited:
            self._walk_method(helper)


_ADDING_METHODS = frozenset({"append", "insert", "extend"})


def _added_by(method_name: str, call: ast.Call) -> list[ast.expr]:
    """What ``x.append(v)``, ``x.insert(i, v)`` or ``x.extend([a, b])`` adds (unknown elements as themselves)."""
    if not call.args:
        return []
    added = call.args[-1]
    if method_name == "extend":
        return list(added.elts) if isinstance(added, (ast.List, ast.Tuple)) else [added]
    return [added]


def _is_inplace(method_name: str) -> bool:
    return method_name.endswith("_") and not method_name.startswith("_") and method_name != "requires_grad_"


def _leaves(body: list[ast.stmt]) -> bool:
    """Whether the block never goes on to the statement after it (it ends in ``return``, ``raise``...)."""
    last = body[-1] if body else None
    if isinstance(last, ast.If):
        return _leaves(last.body) and _leaves(last.orelse)
    return isinstance(last, (ast.Return, ast.Raise, ast.Continue, ast.Break))


def _one_always_runs(node: ast.stmt) -> bool:
    """Whether one of a compound statement's branches runs whenever it is reached: not for a ``match`` without
    a final ``case _:`` (an ``if`` without ``else`` has an empty one)."""
    cases = getattr(node, "cases", None)
    if not cases:
        return True
    last = cases[-1]
    return last.guard is None and isinstance(last.pattern, ast.MatchAs) and last.pattern.pattern is None


def _calls_super_init(init: Method) -> bool:
    """Whether ``__init__`` calls a base ``__init__`` at its top level (else order is unknown)."""
    for statement in init.node.body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            func = statement.value.func
            if isinstance(func, ast.Attribute) and func.attr == "__init__":
                return True
    return False
