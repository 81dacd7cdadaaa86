"""The blocks of statements a compound statement holds, and how they run: the one traversal helper.

Every walk over statements (class discovery, the class walker, local bindings, file-scope
imports) asks this module for a statement's child blocks instead of matching ``If``, ``Try``
or ``Match`` itself, so each walk covers the same statements in the same order. A walk that
visits every statement checks ``type(node) in COMPOUND_STATEMENTS`` first: most statements
hold no block, and the check is much cheaper than a call.
"""

from __future__ import annotations

import ast
import enum
from collections.abc import Callable


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
