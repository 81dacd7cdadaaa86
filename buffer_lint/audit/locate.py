"""From a module attribute to a place in a file: the assigning statement when it was traced, else the class."""

from __future__ import annotations

import ast
import inspect
import linecache
import os
import sys
from dataclasses import dataclass
from functools import lru_cache

from torch import nn

from buffer_lint.audit.sites import Site, site_of
from buffer_lint.findings import Finding
from buffer_lint.noqa import without_noqa
from buffer_lint.source import parse

UNTRACED_NOTE = " (located at the class: build the model under buffer_lint.audit.tracing() for the assigning line)"


@dataclass(frozen=True)
class Located:
    path: str
    finding: Finding
    traced: bool  # at the assigning statement (else at the owner's class)


def locate(owner: nn.Module, attribute: str, code: str, message: str) -> Located:
    site = site_of(owner, attribute)
    if site is not None:
        return Located(site.filename, _at_statement(site, code, message), True)
    path, line, col = class_location(type(owner))
    return Located(path, Finding(code, line, col, line, col, message + UNTRACED_NOTE), False)


def class_location(cls: type) -> tuple[str, int, int]:
    """The file, line and column of ``class <cls>``, as well as Python can tell."""
    try:
        path = inspect.getsourcefile(cls) or inspect.getfile(cls)
        source, line = inspect.getsourcelines(cls)
    except (OSError, TypeError):
        module = sys.modules.get(cls.__module__)
        return getattr(module, "__file__", None) or f"<{cls.__module__}>", 1, 0
    first = source[0] if source else ""
    return path, max(line, 1), len(first) - len(first.lstrip())


def honour_noqa(located: list[Located]) -> list[Located]:
    """Drop the findings a ``# noqa`` comment on their line (or statement) silences."""
    kept: set[int] = set()
    for path in {item.path for item in located}:
        findings = [item.finding for item in located if item.path == path]
        kept.update(id(f) for f in without_noqa(findings, linecache.getlines(path)))
    return [item for item in located if id(item.finding) in kept]


def _at_statement(site: Site, code: str, message: str) -> Finding:
    line, col = site.position()
    lines, statements = _statements(site.filename, *_stamp(site.filename))
    statement = _containing(statements, line, col)
    if statement is None:
        column = col or 0
        return Finding(code, line, column, line, column, message)
    return Finding.at(statement, code, message).in_characters(lines)


def _containing(statements: tuple[ast.stmt, ...], line: int, col: int | None) -> ast.stmt | None:
    """The innermost statement holding the position: of those that hold it, the one that starts last."""
    found = None
    for statement in statements:
        if statement.lineno > line:
            break
        if _holds(statement, line, col):
            found = statement
    return found


def _holds(statement: ast.stmt, line: int, col: int | None) -> bool:
    end = (statement.end_lineno or statement.lineno, statement.end_col_offset or 0)
    if col is None:
        return line <= end[0]
    return (statement.lineno, statement.col_offset) <= (line, col) <= end


def _stamp(path: str) -> tuple[int, int]:
    try:
        status = os.stat(path)
    except OSError:
        return -1, -1
    return status.st_mtime_ns, status.st_size


@lru_cache(maxsize=64)
def _statements(path: str, mtime_ns: int, size: int) -> tuple[list[str], tuple[ast.stmt, ...]]:
    """The file's lines and statements in order of their start (the arguments' stamp keeps the cache fresh)."""
    linecache.checkcache(path)
    lines = linecache.getlines(path)
    try:
        tree = parse("".join(lines))
    except (SyntaxError, ValueError):
        return lines, ()
    statements = (node for node in ast.walk(tree) if isinstance(node, ast.stmt))
    return lines, tuple(sorted(statements, key=lambda node: (node.lineno, node.col_offset)))
