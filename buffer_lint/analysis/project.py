"""Project-wide facts: where a file lies among its packages, and what the project's other files
define, read from their source (never imported): classes and their bases, functions that return
tensors, and the attributes that an ``_apply`` override maps over a child module.

A ``ProjectIndex`` finds a project's files from the folders that hold its top-level packages (the
"roots"), summarises each file once per process, and records which files an analysis consulted
(and, for the names a class body defines, which names it asked about), so that a cached result
can be checked against exactly what it read.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from buffer_lint.analysis.imports import ImportMap
from buffer_lint.analysis.modules import is_module_base
from buffer_lint.analysis.tensors import Returned
from buffer_lint.source import FileIdentity

MAX_HOPS = 8  # re-exports and bases followed before giving up


class Location(NamedTuple):
    module: str  # dotted name: pkg.sub.file
    package: str  # what relative imports start from: the module itself for an __init__.py
    root: Path  # the folder that holds the top-level package


@functools.lru_cache(maxsize=8192)
def _is_package(directory: str) -> bool:
    return os.path.isfile(os.path.join(directory, "__init__.py"))


def locate(path: Path) -> Location:
    """A file's module name, found from the ``__init__.py`` files above it (``src/`` layouts too)."""
    absolute = Path(os.path.abspath(path))
    directory = absolute.parent
    parts = [] if absolute.stem == "__init__" else [absolute.stem]
    while _is_package(str(directory)) and directory.parent != directory:
        parts.insert(0, directory.name)
        directory = directory.parent
    module = ".".join(parts)
    package = module if absolute.stem == "__init__" else module.rpartition(".")[0]
    return Location(module, package, directory)


class FileContext(NamedTuple):
    """Where a file lies in its project, with the project's index: what cross-file facts need."""

    location: Location
    project: ProjectIndex

    @classmethod
    def of(cls, path: Path, project_at: Callable[[Path], ProjectIndex]) -> FileContext:
        """The file's context, with the index of the project rooted where its top-level package lies."""
        location = locate(path)
        return cls(location, project_at(location.root))


class ClassSummary(NamedTuple):
    qualified: str
    bases: tuple[str, ...]  # qualified names of its bases
    attributes: frozenset[str]  # names the class body defines (methods included)
    buffers: frozenset[str]
    parameters: frozenset[str]
    applied: frozenset[str]  # attributes its ``_apply`` maps on other objects (``m.grid = list(map(fn, m.grid))``)
    init_calls: frozenset[str] = frozenset()  # the methods its ``__init__`` runs (a subclass may override them)


@dataclass(frozen=True, eq=False)
class FileSummary:
    path: Path
    identity: FileIdentity  # the file as it was read (what a cache compares first)
    classes: dict[str, ClassSummary]
    functions: dict[str, Returned]  # top-level functions that return tensors
    imports: ImportMap  # what the file's names are (re-exports)

    @functools.cached_property
    def fingerprint(self) -> str:
        """What other files can learn from this one: an edit that keeps it (a comment, a function body
        that still returns a tensor) leaves their cached results valid. The names a class body
        defines are left out: other files ask for them one by one (``ProjectIndex.defines``), and
        a new method re-checks only the files that asked for its name."""
        classes = [
            (c.qualified, c.bases, *(sorted(n) for n in (c.buffers, c.parameters, c.applied, c.init_calls)))
            for _, c in sorted(self.classes.items())
        ]
        functions = sorted((name, repr(kind)) for name, kind in self.functions.items())
        facts = [classes, functions, sorted(self.imports.bindings.items())]
        return hashlib.blake2b(repr(facts).encode(), digest_size=16).hexdigest()

    def defines(self, class_name: str, name: str) -> bool:
        cls = self.classes.get(class_name)
        return cls is not None and name in cls.attributes


Summarize = Callable[[Path, str, frozenset[str]], "FileSummary | None"]
Question = tuple[str, str, bool]  # (class, name, whether its body defines the name)


@dataclass
class Consulted:
    """What one analysis read of other files: their summaries, and the names it asked their classes about."""

    summaries: dict[str, FileSummary] = field(default_factory=dict)  # by module
    questions: dict[str, set[Question]] = field(default_factory=dict)  # by module


class ProjectNames:
    """The names that the bodies of a class's bases in other files define, asked one at a time, so
    that each question and its answer are recorded (``ProjectIndex.defines``)."""

    def __init__(self, project: ProjectIndex | None = None, classes: tuple[ClassSummary, ...] = ()) -> None:
        self.project = project
        self.classes = classes

    def __contains__(self, name: object) -> bool:
        return self.project is not None and isinstance(name, str) and self.project.defines(self.classes, name)


@dataclass
class ProjectIndex:
    """What a project's files define, summarised once each, on demand (``summaries.new_project``)."""

    summarize: Summarize  # a file's summary from its path, module name and extra module bases
    root: Path  # the folder that holds the project's top-level packages
    extra_bases: frozenset[str] = frozenset()
    _summaries: dict[str, FileSummary | None] = field(default_factory=dict)
    _applied: dict[Path, frozenset[str]] = field(default_factory=dict)
    _consulted: list[Consulted] = field(default_factory=list)

    @contextmanager
    def recording(self) -> Iterator[Consulted]:
        """What the analyses inside the block read of other files: what their results depend on."""
        consulted = Consulted()
        self._consulted.append(consulted)
        try:
            yield consulted
        finally:
            self._consulted.pop()

    def summary(self, module: str) -> FileSummary | None:
        """The module's summary, read once per index: an index lives for one run (or one flake8 process)."""
        if module not in self._summaries:
            path = self._file_for(module)
            self._summaries[module] = self.summarize(path, module, self.extra_bases) if path else None
        found = self._summaries[module]
        if found is not None:
            for consulted in self._consulted:
                consulted.summaries[module] = found
        return found

    def _file_for(self, module: str) -> Path | None:
        relative = Path(*module.split("."))
        for candidate in (self.root / relative.with_suffix(".py"), self.root / relative / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None

    def find_class(self, qualified: str) -> ClassSummary | None:
        """The class ``qualified`` names, following re-exports (``from .layers import Block``)."""
        return self._defined(qualified, lambda summary: summary.classes)

    def _defined(self, qualified: str, table: Callable[[FileSummary], dict[str, Any]], hops: int = MAX_HOPS) -> Any:
        """What ``table`` of the summary of ``qualified``'s module holds under its name, following re-exports."""
        module, _, name = qualified.rpartition(".")
        summary = self.summary(module) if module else None
        if summary is None or hops == 0:
            return None
        if name in table(summary):
            return table(summary)[name]
        target = summary.imports.qualify(ast.Name(name))
        return self._defined(target, table, hops - 1) if target and target != qualified else None

    def is_module_class(self, qualified: str, hops: int = MAX_HOPS) -> bool:
        """Whether the project class ``qualified`` derives from ``nn.Module``, through any files."""
        cls = self.find_class(qualified)
        if cls is None or hops == 0:
            return False
        return any(is_module_base(b, self.extra_bases) or self.is_module_class(b, hops - 1) for b in cls.bases)

    def ancestors(self, qualified: str, hops: int = MAX_HOPS) -> list[ClassSummary]:
        """The project classes ``qualified`` derives from, itself first."""
        cls = self.find_class(qualified)
        if cls is None or hops == 0:
            return []
        return [cls, *(a for b in cls.bases for a in self.ancestors(b, hops - 1))]

    def defines(self, classes: tuple[ClassSummary, ...], name: str) -> bool:
        """Whether the body of one of these classes (bases, nearest first) defines ``name``."""
        for cls in classes:
            module, _, class_name = cls.qualified.rpartition(".")
            found = name in cls.attributes
            for consulted in self._consulted:
                consulted.questions.setdefault(module, set()).add((class_name, name, found))
            if found:
                return True
        return False

    def returns(self, qualified: str) -> Returned:
        """What the project function ``qualified`` returns, following re-exports."""
        return self._defined(qualified, lambda summary: summary.functions)

    def applied_attributes(self, location: Location) -> frozenset[str]:
        """Attributes that an ``_apply`` override anywhere in the file's top-level package maps over
        another module (ultralytics' models move their detection head's ``stride`` and ``grid``)."""
        top = location.module.partition(".")[0]
        folder = location.root / top
        if folder not in self._applied:
            self._applied[folder] = frozenset(self._scan_applied(folder))
        return self._applied[folder]

    def _scan_applied(self, folder: Path) -> Iterator[str]:
        if not _is_package(str(folder)):
            return
        for path in sorted(folder.rglob("*.py")):
            try:
                if b"def _apply(" not in path.read_bytes():
                    continue  # a cheap look first: few files override _apply
            except OSError:
                continue
            summary = self.summary(locate(path).module)
            if summary:
                yield from (name for cls in summary.classes.values() for name in cls.applied)
