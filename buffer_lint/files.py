"""Which files to check: walk directories for ``*.py``, honour ``.gitignore`` and excludes."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathspec import PathSpec


# Directories no one wants linted, as ruff skips them by default.
DEFAULT_EXCLUDE = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".git-rewrite",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pytest_cache",
    ".pytype",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    ".buffer_lint_cache",
    "__pypackages__",
    "__pycache__",
    "_build",
    "buck-out",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
)


class Excluder:
    """Glob patterns matched like ruff's ``exclude``: against the file or directory name, or
    against the path relative to ``base`` (the working directory, or the configuration file's
    folder) when the pattern has a slash."""

    def __init__(self, patterns: Iterable[str], base: Path | None = None) -> None:
        self.name_patterns = [p.rstrip("/") for p in patterns if "/" not in p.rstrip("/")]
        self.path_patterns = [p.rstrip("/") for p in patterns if "/" in p.rstrip("/")]
        self.base = (base or Path.cwd()).resolve()

    def excludes(self, path: Path) -> bool:
        if any(fnmatch.fnmatchcase(path.name, p) for p in self.name_patterns):
            return True
        if not self.path_patterns:
            return False
        relative = relative_to(path, self.base)
        return any(
            fnmatch.fnmatchcase(relative, p) or fnmatch.fnmatchcase(relative, p + "/*") for p in self.path_patterns
        )


def relative_to(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def matches_glob(path: Path, pattern: str, base: Path) -> bool:
    """A per-file-ignores pattern: against the path relative to ``base``, or the file name alone."""
    return fnmatch.fnmatchcase(relative_to(path, base), pattern) or fnmatch.fnmatchcase(path.name, pattern)


class _GitIgnores:
    """The ``.gitignore`` files that apply below a directory, each relative to its own folder."""

    def __init__(self) -> None:
        self._specs: dict[Path, PathSpec | None] = {}
        self._folders: dict[Path, list[Path]] = {}

    def spec_in(self, directory: Path) -> PathSpec | None:
        if directory not in self._specs:
            import pathspec  # only runs that walk folders need it: pre-commit names its files
            ignore_file = directory / ".gitignore"
            spec = None
            if ignore_file.is_file():
                try:
                    lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
                    spec = pathspec.GitIgnoreSpec.from_lines(lines)
                except OSError:
                    spec = None
            self._specs[directory] = spec
        return self._specs[directory]

    def ignores(self, path: Path, is_dir: bool) -> bool:
        """Whether a .gitignore in any folder from the repository root down to ``path`` ignores it."""
        resolved = path.resolve()
        parent = resolved.parent
        if parent not in self._folders:
            self._folders[parent] = _folders_down_to(resolved)
        for directory in self._folders[parent]:
            spec = self.spec_in(directory)
            if spec is None:
                continue
            relative = resolved.relative_to(directory).as_posix() + ("/" if is_dir else "")
            if spec.match_file(relative):
                return True
        return False


def _folders_down_to(path: Path) -> list[Path]:
    """The folders from the enclosing git repository's root (or the filesystem root) to path's parent."""
    parents = list(path.parents)
    for index, parent in enumerate(parents):
        if (parent / ".git").exists():
            return list(reversed(parents[: index + 1]))
    return []


def discover(
    paths: Sequence[str], excluders: Sequence[Excluder], respect_gitignore: bool = True, force_exclude: bool = False
) -> Iterator[Path]:
    """Python files under ``paths``, sorted per directory. Directories are walked with excludes
    and .gitignore applied; files named explicitly are always checked (like ruff), unless
    ``force_exclude`` (what pre-commit, which names every file, needs)."""
    excluder = _AnyOf([Excluder(DEFAULT_EXCLUDE), *excluders])
    gitignores = _GitIgnores() if respect_gitignore else None
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from _walk(path, excluder, gitignores)
        elif not (force_exclude and any(excluder.excludes(p) for p in (path, *path.parents))):
            yield path  # missing or unreadable files are reported when read


class _AnyOf:
    def __init__(self, excluders: Sequence[Excluder]) -> None:
        self.excluders = excluders

    def excludes(self, path: Path) -> bool:
        return any(e.excludes(path) for e in self.excluders)


def _walk(root: Path, excluder: _AnyOf, gitignores: _GitIgnores | None) -> Iterator[Path]:
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        yield root  # reported as unreadable when read
        return
    for entry in entries:
        path = Path(entry.path)
        is_dir = entry.is_dir()
        if excluder.excludes(path) or (gitignores is not None and gitignores.ignores(path, is_dir)):
            continue
        if is_dir:
            yield from _walk(path, excluder, gitignores)
        elif entry.name.endswith(".py") and entry.is_file():
            yield path
