"""Summaries of a project's files, for the ``ProjectIndex``: built with the same analysis as the
file's own check, without the project (a summary reads one file)."""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from buffer_lint import __version__
from buffer_lint.analysis.builder import analyze_file
from buffer_lint.analysis.imports import ImportMap
from buffer_lint.analysis.project import ClassSummary, FileSummary, ProjectIndex, locate
from buffer_lint.analysis.tensors import Returned, TensorKind
from buffer_lint.source import FileIdentity, file_identity, parse
from buffer_lint.writing import prepare_cache_directory, write_atomically


class SummaryStore:
    """Summaries on disk, by content: ``<cache>/summaries/<hash>.json``, shared by the CLI's runs, its
    pool workers and the flake8 plugin. A missing, corrupt or foreign entry is computed again."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self.directory = cache / "summaries"
        self._prepared = False  # the folders are made once per store, with the first summary saved

    def load(self, key: str, path: Path, identity: FileIdentity) -> FileSummary | None:
        try:
            data = json.loads((self.directory / f"{key}.json").read_text(encoding="utf-8"))
            return _from_json(data, path, identity)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, key: str, summary: FileSummary) -> None:
        try:
            if not self._prepared:
                prepare_cache_directory(self.cache)
                self.directory.mkdir(exist_ok=True)
                self._prepared = True
            data = json.dumps(_to_json(summary), separators=(",", ":")).encode("utf-8")
            write_atomically(self.directory / f"{key}.json", data, durable=False)
        except OSError:
            pass  # a summary that cannot be stored only costs time next run


class Projects:
    """The index of each project a process meets, by root folder (one set of extra module bases);
    ``cache`` is the cache folder that keeps the summaries on disk, if any."""

    def __init__(self, extra_bases: frozenset[str] = frozenset(), cache: Path | None = None) -> None:
        self.extra_bases = extra_bases
        self.store = SummaryStore(cache) if cache is not None else None
        self._indexes: dict[Path, ProjectIndex] = {}

    def __call__(self, root: Path) -> ProjectIndex:
        if root not in self._indexes:
            summarize_here = functools.partial(summarize, store=self.store)
            self._indexes[root] = ProjectIndex(summarize_here, root, self.extra_bases)
        return self._indexes[root]


def summarize(
    path: Path, module: str, extra_bases: frozenset[str], store: SummaryStore | None = None
) -> FileSummary | None:
    """A file's summary, from the store when it holds this content, else from its source; None when
    the file cannot be read or parsed."""
    try:
        stat = path.stat()
        source = path.read_bytes()
    except OSError:
        return None
    key = _key(source, module, extra_bases)
    stored = store.load(key, path, file_identity(stat)) if store else None
    if stored is not None:
        return stored
    summary = _summarize(path, source, module, extra_bases, stat)
    if summary is not None and store is not None:
        store.save(key, summary)
    return summary


def _key(source: bytes, module: str, extra_bases: frozenset[str]) -> str:
    described = json.dumps([__version__, module, sorted(extra_bases)]).encode()
    return hashlib.blake2b(source + b"\0" + described, digest_size=16).hexdigest()


def _summarize(
    path: Path, source: bytes, module: str, extra_bases: frozenset[str], stat: os.stat_result
) -> FileSummary | None:
    try:
        tree = parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return None
    package = locate(path).package
    facts = analyze_file(tree, extra_bases, package=package, types_tensors=False)
    imports = facts.imports
    classes = {}
    for cls in facts.classes:
        if cls.node not in tree.body:
            continue  # nested classes cannot be imported by name
        bases = tuple(q for q in (_qualified_base(b, imports, module, tree) for b in cls.node.bases) if q)
        classes[cls.node.name] = ClassSummary(
            qualified=f"{module}.{cls.node.name}",
            bases=bases,
            attributes=cls.class_attributes,
            buffers=cls.registered_as("buffer"),
            parameters=cls.registered_as("parameter"),
            applied=frozenset(_applied_in(cls.node)),
            init_calls=cls.init_path_methods - {"__init__"},
        )
    return FileSummary(path, file_identity(stat), classes, facts.function_returns(), imports)


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


def _to_json(summary: FileSummary) -> dict[str, Any]:
    return {
        "classes": [
            {k: sorted(v) if isinstance(v, frozenset) else v for k, v in c._asdict().items()}
            for c in summary.classes.values()
        ],
        "functions": {name: _kind_to_json(kind) for name, kind in summary.functions.items()},
        "imports": summary.imports.bindings,
    }


def _from_json(data: dict[str, Any], path: Path, identity: FileIdentity) -> FileSummary:
    classes = {}
    for item in data["classes"]:
        fields = {k: frozenset(v) if isinstance(v, list) and k != "bases" else v for k, v in item.items()}
        fields["bases"] = tuple(item["bases"])
        cls = ClassSummary(**fields)
        classes[cls.qualified.rpartition(".")[2]] = cls
    functions = {name: _kind_from_json(kind) for name, kind in data["functions"].items()}
    return FileSummary(path, identity, classes, functions, ImportMap(data["imports"]))


def _kind_to_json(kind: Returned) -> Any:
    if isinstance(kind, tuple):
        return [k.value if k else None for k in kind]
    return kind.value if kind else None


def _kind_from_json(item: Any) -> Returned:
    if isinstance(item, list):
        return tuple(TensorKind(k) if k else None for k in item)
    return TensorKind(item) if item else None
