"""The blocks of statements a compound statement holds, and how they run: the one traversal helper.

Every walk over statements (class discovery, the class walker, local bindings, file-scope
imports) asks this module for a statement's child blocks instead of matching ``If``, ``Try``
or ``Match`` itself, so each walk covers the same statements in the same order. A walk that
visits every statement checks ``type(node) in COMPOUND_STATEMENTS`` first: most statements
hold no block, and the check is much cheaper than a call.

The same structure says which statements of a function exclude each other (``branch_paths``,
``exclusive``) and which statements use each name (``name_uses``).
"""

from __future__ import annotations

import ast
import enum
from collections.abc import Callable, Iterator


class Flow(enum.Enum):
    SEQUENCE = "sequence"  # one block that runs after what comes before it
    BRANCHES = "branches"  # blocks of which at most one runs: each starts from the same state


Blocks = tuple[list[ast.stmt], ...]


def child_blocks(node: ast.stmt) -> list[tuple[Flow, Blocks]]:
    """A compound statement's child blocks in execution order; none for a simple statement,
    a function or a class (their bodies run elsewhere, or as a scope of their own)."""
    blocks = _CHILD_BLOCKS.get(type(node))
    return blocks(node) if blocks is not None else []


def all_blocks(node: ast.stmt) -> list[list[ast.stmt]]:
    """Every child block of a compound statement, in execution order, however it runs."""
    return [block for _, blocks in child_blocks(node) for block in blocks]


def _if(node: ast.If) -> list[tuple[Flow, Blocks]]:
    return [(Flow.BRANCHES, (node.body, node.orelse))]


def _loop(node: ast.For | ast.AsyncFor | ast.While) -> list[tuple[Flow, Blocks]]:
    return [(Flow.SEQUENCE, (node.body,)), (Flow.SEQUENCE, (node.orelse,))]


def _with(node: ast.With | ast.AsyncWith) -> list[tuple[Flow, Blocks]]:
    return [(Flow.SEQUENCE, (node.body,))]


def _try(node: ast.Try) -> list[tuple[Flow, Blocks]]:
    handlers = (handler.body for handler in node.handlers)
    return [
        (Flow.SEQUENCE, (node.body,)),
        (Flow.BRANCHES, (node.orelse, *handlers)),
        (Flow.SEQUENCE, (node.finalbody,)),
    ]


def _match(node: ast.Match) -> list[tuple[Flow, Blocks]]:
    return [(Flow.BRANCHES, tuple(case.body for case in node.cases))]


_CHILD_BLOCKS: dict[type[ast.stmt], Callable[..., list[tuple[Flow, Blocks]]]] = {
    ast.If: _if,
    ast.For: _loop,
    ast.AsyncFor: _loop,
    ast.While: _loop,
    ast.With: _with,
    ast.AsyncWith: _with,
    ast.Try: _try,
}
if hasattr(ast, "Match"):  # Python >= 3.10
    _CHILD_BLOCKS[ast.Match] = _match
if hasattr(ast, "TryStar"):  # Python >= 3.11
    _CHILD_BLOCKS[ast.TryStar] = _try
# The statements that hold blocks of statements, functions and classes aside.
COMPOUND_STATEMENTS = frozenset(_CHILD_BLOCKS)

_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_LOOP_BODY = -1
# Where a statement lies among the branches of its function: for each enclosing block that branches, the
# compound statement's id and the branch's index; (id, _LOOP_BODY) for a loop's body, which runs again.
BranchPath = tuple[tuple[int, int], ...]


def branch_paths(body: list[ast.stmt]) -> dict[int, BranchPath]:
    """The branch path of every statement of a function body, by the statement's id (nested functions aside)."""
    paths: dict[int, BranchPath] = {}
    pending: list[tuple[list[ast.stmt], BranchPath]] = [(body, ())]
    while pending:
        statements, path = pending.pop()
        for node in statements:
            paths[id(node)] = path
            if type(node) in COMPOUND_STATEMENTS:
                pending.extend((block, path + step) for block, step in _steps(node))
    return paths


def _steps(node: ast.stmt) -> Iterator[tuple[list[ast.stmt], BranchPath]]:
    for flow, blocks in child_blocks(node):
        for index, block in enumerate(blocks):
            if flow is Flow.BRANCHES:
                yield block, ((id(node), index),)
            elif isinstance(node, _LOOPS) and block is node.body:
                yield block, ((id(node), _LOOP_BODY),)
            else:
                yield block, ()


def exclusive(first: BranchPath, second: BranchPath) -> bool:
    """Whether statements at these paths never both run in one run of the function: they lie in different
    branches of one compound statement, and no loop around that statement runs it again."""
    for step, other in zip(first, second):
        if step != other:
            return step[0] == other[0]
        if step[1] == _LOOP_BODY:
            return False
    return False


def name_uses(body: list[ast.stmt]) -> dict[str, list[tuple[ast.stmt, bool]]]:
    """Every ``Name`` of a function body: the innermost statement it belongs to (for a compound statement, its
    header: an ``if`` test, a ``for`` target) and whether it stores or deletes (True) or loads (False). Names
    in nested functions, classes and comprehensions belong to the statement that holds them."""
    uses: dict[str, list[tuple[ast.stmt, bool]]] = {}
    pending = list(body)
    while pending:
        statement = pending.pop()
        if type(statement) in COMPOUND_STATEMENTS:
            roots: list[ast.AST] = list(_own_expressions(statement))
            pending.extend(s for block in all_blocks(statement) for s in block)
        else:
            roots = [statement]
        for root in roots:
            for node in ast.walk(root):
                if isinstance(node, ast.Name):
                    uses.setdefault(node.id, []).append((statement, not isinstance(node.ctx, ast.Load)))
    return uses


def _own_expressions(node: ast.AST) -> Iterator[ast.AST]:
    """A compound statement's expressions that are not in its blocks (``except`` types, ``with`` items too)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr):
            yield child
        elif not isinstance(child, ast.stmt):
            yield from _own_expressions(child)
