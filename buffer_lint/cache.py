"""A result cache like ruff's: a file's findings are reused while its content, buffer-lint's
version and the settings that shape the findings stay the same.

One JSON file per settings fingerprint, in ``.buffer_lint_cache/`` (with a ``.gitignore``
and a ``CACHEDIR.TAG``). Entries are found by path, checked by size and mtime, then by
content hash. A corrupt or foreign cache file is ignored and rewritten; writes go through
a temporary file and a rename, so concurrent runs never leave a torn file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from buffer_lint import __version__
from buffer_lint.analysis.project import FileSummary, locate
from buffer_lint.analysis.summaries import Projects
from buffer_lint.findings import Finding, LocatedEdit
from buffer_lint.settings import Settings
from buffer_lint.writing import write_atomically

CACHE_DIR_NAME = ".buffer_lint_cache"
CACHE_FORMAT = 4  # bump when an entry's shape changes
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by buffer-lint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)
FixEdits = list["tuple[LocatedEdit, ...] | None"]


@dataclass(frozen=True)
class Stamp:
    """A file as it was checked: what the cache compares next time."""

    size: int
    mtime_ns: int
    hash: str

    @classmethod
    def of(cls, path: Path, source: bytes) -> Stamp | None:
        try:
            stat = path.stat()
        except OSError:
            return None
        return cls(stat.st_size, stat.st_mtime_ns, content_hash(source))


@dataclass(frozen=True)
class Dependency:
    """Another file of the project that a file's analysis read (a base class, a helper): the cached
    result holds while that file is as it was, or tells other files the same (its summary's fingerprint)."""

    path: str
    module: str
    size: int
    mtime_ns: int
    fingerprint: str

    @classmethod
    def of(cls, summary: FileSummary, module: str) -> Dependency:
        return cls(str(summary.path), module, summary.size, summary.mtime_ns, summary.fingerprint)


class Dependencies:
    """Checks dependencies for one run. A changed file is summarised once, in the run's own project
    index, so the analyses that read it later (pool workers fork after the lookups) find it there."""

    def __init__(self, projects: Projects) -> None:
        self.projects = projects

    def hold(self, dependencies: list[Dependency]) -> bool:
        return all(self._holds(d) for d in dependencies)

    def _holds(self, dependency: Dependency) -> bool:
        try:
            stat = os.stat(dependency.path)
        except OSError:
            return False
        if (stat.st_size, stat.st_mtime_ns) == (dependency.size, dependency.mtime_ns):
            return True
        # Changed on disk: does it still tell other files the same?
        summary = self.projects(locate(Path(dependency.path)).root).summary(dependency.module)
        return summary is not None and summary.fingerprint == dependency.fingerprint


@dataclass(frozen=True)
class CachedResult:
    findings: list[Finding]
    edits: FixEdits | None  # each finding's fix as text edits, once an output format asked for them


def fingerprint(settings: Settings) -> str:
    """What, besides a file's content, decides its findings: the version and every setting."""
    described = json.dumps([__version__, CACHE_FORMAT, *settings.described()])
    return hashlib.sha256(described.encode()).hexdigest()[:16]


def content_hash(source: bytes) -> str:
    return hashlib.blake2b(source, digest_size=16).hexdigest()


class ResultCache:
    def __init__(self, directory: Path, settings: Settings, projects: Projects) -> None:
        self.directory = directory
        self.dependencies = Dependencies(projects)
        self.file = directory / f"{fingerprint(settings)}.json"
        self.entries: dict[str, dict[str, Any]] = self._load()
        self.changed = False

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # none yet, unreadable, or not ours: start afresh
        if not isinstance(data, dict) or data.get("version") != __version__ or not isinstance(data.get("files"), dict):
            return {}
        return data["files"]

    def lookup(self, path: Path, rules: Sequence[str]) -> CachedResult | None:
        """The cached result, if the rules and the file are unchanged: same size and mtime,
        or (the file was touched) the same content."""
        entry = self.entries.get(_key(path))
        if not isinstance(entry, dict) or entry.get("rules") != list(rules):
            return None
        try:
            stat = path.stat()
            if entry.get("size") != stat.st_size:
                return None
            if entry.get("mtime") != stat.st_mtime_ns:
                if entry.get("hash") != content_hash(path.read_bytes()):
                    return None
                entry["mtime"] = stat.st_mtime_ns
                self.changed = True
            if not self.dependencies.hold([Dependency(*item) for item in entry.get("dependencies", ())]):
                return None  # a base class or a helper in another file changed what it tells others
            findings = [Finding.from_json(item) for item in entry["findings"]]
            return CachedResult(findings, _edits_from_json(entry.get("edits")))
        except (OSError, KeyError, TypeError, ValueError):
            return None

    def store(
        self,
        path: Path,
        rules: Sequence[str],
        stamp: Stamp,
        findings: list[Finding],
        edits: FixEdits | None,
        dependencies: Sequence[Dependency] = (),
    ) -> None:
        self.entries[_key(path)] = {
            "dependencies": [dataclasses.astuple(d) for d in dependencies],
            "rules": list(rules),
            "size": stamp.size,
            "mtime": stamp.mtime_ns,
            "hash": stamp.hash,
            "findings": [f.to_json() for f in findings],
            "edits": _edits_to_json(edits),
        }
        self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        try:
            self._prepare_directory()
            data = json.dumps({"version": __version__, "files": self.entries}, separators=(",", ":"))
            write_atomically(self.file, data.encode("utf-8"), durable=False)
        except OSError:
            pass  # a cache that cannot be written only costs time next run

    def _prepare_directory(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, text in ((".gitignore", "# Created by buffer-lint\n*\n"), ("CACHEDIR.TAG", CACHEDIR_TAG)):
            marker = self.directory / name
            if not marker.exists():
                marker.write_text(text, encoding="utf-8")


def _key(path: Path) -> str:
    return str(path.resolve())


def _edits_to_json(edits: FixEdits | None) -> list[Any] | None:
    if edits is None:
        return None
    return [None if fix is None else [dataclasses.astuple(e) for e in fix] for fix in edits]


def _edits_from_json(items: list[Any] | None) -> FixEdits | None:
    if items is None:
        return None
    return [None if fix is None else tuple(LocatedEdit(*e) for e in fix) for fix in items]
