"""Summaries of a project's files, for the ``ProjectIndex``: built with the same analysis as the
file's own check, without the project (a summary reads one file)."""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterator
from pathlib import Path

from buffer_lint.analysis.builder import analyze_file, file_returns
from buffer_lint.analysis.imports import ImportMap
from buffer_lint.analysis.project import ClassSummary, FileSummary, ProjectIndex, locate


class Projects:
    """The index of each project a process meets, by root folder (one set of extra module bases)."""

    def __init__(self, extra_bases: frozenset[str] = frozenset()) -> None:
        self.extra_bases = extra_bases
        self._indexes: dict[Path, ProjectIndex] = {}

    def __call__(self, root: Path) -> ProjectIndex:
        if root not in self._indexes:
            self._indexes[root] = ProjectIndex(summarize, root, self.extra_bases)
        return self._indexes[root]


def summarize(path: Path, module: str, extra_bases: frozenset[str]) -> FileSummary | None:
    """A file's summary, from its source; None when it cannot be read or parsed."""
    try:
        stat = path.stat()
        source = path.read_bytes()
        tree = ast.parse(source)
    except (OSError, SyntaxError, ValueError, RecursionError):
        return None
    package = locate(path).package
    facts = analyze_file(tree, extra_bases, package=package)
    imports = ImportMap.from_file(tree, package)
    classes = {}
    for cls in facts.classes:
        if cls.node not in tree.body:
            continue  # nested classes cannot be imported by name
        bases = tuple(q for q in (_qualified_base(b, imports, module, tree) for b in cls.node.bases) if q)
        registered = cls.registered_names
        classes[cls.node.name] = ClassSummary(
            qualified=f"{module}.{cls.node.name}",
            bases=bases,
            attributes=cls.class_attributes,
            buffers=frozenset(n for n, k in registered.items() if k == "buffer"),
            parameters=frozenset(n for n, k in registered.items() if k == "parameter"),
            applied=frozenset(_applied_in(cls.node)),
            init_calls=cls.init_path_methods - {"__init__"},
        )
    functions = {name: kind for name, kind in file_returns(tree, package).items() if kind is not None}
    digest = hashlib.blake2b(source, digest_size=16).hexdigest()
    return FileSummary(path, digest, stat.st_size, stat.st_mtime_ns, classes, functions, imports)


def _qualified_base(base: ast.expr, imports: ImportMap, module: str, tree: ast.Module) -> str | None:
    if isinstance(base, ast.Name) and any(isinstance(n, ast.ClassDef) and n.name == base.id for n in tree.body):
        return f"{module}.{base.id}"
    return imports.qualify(base)


def _applied_in(node: ast.ClassDef) -> Iterator[str]:
    """In an ``_apply`` override: ``m.stride = fn(m.stride)``, ``m.grid = list(map(fn, m.grid))`` on an
    object other than ``self``."""
    for statement in node.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name == "_apply":
            self_name = statement.args.args[0].arg if statement.args.args else "self"
            for inner in ast.walk(statement):
                if isinstance(inner, ast.Assign):
                    for target in inner.targets:
                        if isinstance(target, ast.Attribute) and not (
                            isinstance(target.value, ast.Name) and target.value.id == self_name
                        ):
                            yield target.attr
