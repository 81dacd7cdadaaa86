"""A result cache like ruff's: a file's findings are reused while its content, buffer-lint's
version and the settings that shape the findings stay the same.

One JSON file per settings fingerprint, in ``.buffer_lint_cache/`` (with a ``.gitignore``
and a ``CACHEDIR.TAG``). Entries are found by path, checked by size, mtime and inode, then
(when those moved) by content hash. A corrupt or foreign cache file is ignored and rewritten; writes go through
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
from buffer_lint.analysis.project import FileSummary, Question, locate
from buffer_lint.analysis.summaries import Projects
from buffer_lint.findings import Finding, LocatedEdit
from buffer_lint.settings import Settings
from buffer_lint.source import FileIdentity, file_identity
from buffer_lint.writing import prepare_cache_directory, write_atomically

CACHE_FORMAT = 7  # bump when an entry's shape changes
FixEdits = list["tuple[LocatedEdit, ...] | None"]


@dataclass(frozen=True)
class Stamp:
    """A file as it was checked: what the cache compares next time."""

    identity: FileIdentity
    hash: str

    @classmethod
    def of(cls, path: Path, source: bytes) -> Stamp | None:
        try:
            stat = path.stat()
        except OSError:
            return None
        return cls(file_identity(stat), content_hash(source))


@dataclass(frozen=True)
class Dependency:
    """Another file of the project that a file's analysis read (a base class, a helper): the cached
    result holds while that file is as it was, or tells other files the same (its summary's fingerprint)."""

    path: str
    module: str
    identity: FileIdentity
    fingerprint: str
    questions: tuple[Question, ...] = ()  # the names the analysis asked the file's classes about, answered

    @classmethod
    def of(cls, summary: FileSummary, module: str, questions: set[Question]) -> Dependency:
        return cls(str(summary.path), module, summary.identity, summary.fingerprint, tuple(sorted(questions)))

    @classmethod
    def from_json(cls, item: list[Any]) -> Dependency:
        path, module, identity, fingerprint, questions = item
        return cls(path, module, tuple(identity), fingerprint, tuple(map(tuple, questions)))

    def still_told_by(self, summary: FileSummary | None) -> bool:
        """Whether the file, as ``summary`` now describes it, tells the analysis what it told before."""
        if summary is None or summary.fingerprint != self.fingerprint:
            return False
        return all(summary.defines(cls, name) == defined for cls, name, defined in self.questions)


class Dependencies:
    """Checks dependencies for one run. A changed file is summarised once, in the run's own project
    index, so the analyses that read it later (pool workers fork after the lookups) find it there."""

    def __init__(self, projects: Projects) -> None:
        self.projects = projects
        self._verdicts: dict[Dependency, bool] = {}  # many files read the same bases: each is looked at once

    def hold(self, dependencies: list[Dependency]) -> bool:
        return all(self._holds_once(d) for d in dependencies)

    def _holds_once(self, dependency: Dependency) -> bool:
        if dependency not in self._verdicts:
            self._verdicts[dependency] = self._holds(dependency)
        return self._verdicts[dependency]

    def _holds(self, dependency: Dependency) -> bool:
        try:
            stat = os.stat(dependency.path)
        except OSError:
            return False
        if file_identity(stat) == dependency.identity:
            return True
        # Changed on disk: does it still tell other files the same?
        return dependency.still_told_by(self.projects(locate(Path(dependency.path)).root).summary(dependency.module))


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
        """The cached result, if the rules and the file are unchanged: same size, mtime and inode,
        or (the file was touched or saved anew) the same content."""
        entry = self.entries.get(_key(path))
        if not isinstance(entry, dict) or entry.get("rules") != list(rules):
            return None
        try:
            stat = path.stat()
            identity = file_identity(stat)
            if entry.get("identity") != list(identity):
                if entry["identity"][0] != stat.st_size or entry.get("hash") != content_hash(path.read_bytes()):
                    return None
                entry["identity"] = list(identity)
                self.changed = True
            if not self.dependencies.hold([Dependency.from_json(item) for item in entry.get("dependencies", ())]):
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
            "identity": list(stamp.identity),
            "hash": stamp.hash,
            "findings": [f.to_json() for f in findings],
            "edits": _edits_to_json(edits),
        }
        self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        try:
            prepare_cache_directory(self.directory)
            data = json.dumps({"version": __version__, "files": self.entries}, separators=(",", ":"))
            write_atomically(self.file, data.encode("utf-8"), durable=False)
        except OSError:
            pass  # a cache that cannot be written only costs time next run


def _key(path: Path) -> str:
    return os.path.abspath(path)  # discovery already resolved the folders: no system call per file


def _edits_to_json(edits: FixEdits | None) -> list[Any] | None:
    if edits is None:
        return None
    return [None if fix is None else [dataclasses.astuple(e) for e in fix] for fix in edits]


def _edits_from_json(items: list[Any] | None) -> FixEdits | None:
    if items is None:
        return None
    return [None if fix is None else tuple(LocatedEdit(*e) for e in fix) for fix in items]
