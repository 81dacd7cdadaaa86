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
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from buffer_lint import __version__
from buffer_lint.rules import base
from buffer_lint.rules.base import Finding, Fix, Span
from buffer_lint.settings import Settings

CACHE_DIR_NAME = ".buffer_lint_cache"
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by buffer-lint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)
_EDIT_TYPES = {
    cls.__name__: cls
    for cls in (
        base.ToRegisterBuffer,
        base.DropAssignment,
        base.RemoveStatement,
        base.ToMethodCall,
        base.WrapValue,
        base.AppendDetach,
        base.AddImport,
    )
}


@dataclasses.dataclass(frozen=True)
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


def fingerprint(settings: Settings) -> str:
    """What, besides a file's content, decides its findings: the version and the settings."""
    described = json.dumps([__version__, sorted(settings.module_bases), settings.persistent, settings.buffer_style])
    return hashlib.sha256(described.encode()).hexdigest()[:16]


def content_hash(source: bytes) -> str:
    return hashlib.blake2b(source, digest_size=16).hexdigest()


class ResultCache:
    def __init__(self, directory: Path, settings: Settings) -> None:
        self.directory = directory
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

    def lookup(self, path: Path, rules: Sequence[str]) -> list[Finding] | None:
        """The cached findings, if the rules and the file are unchanged: same size and mtime,
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
            return [_finding(item) for item in entry["findings"]]
        except (OSError, KeyError, TypeError, ValueError):
            return None

    def store(self, path: Path, rules: Sequence[str], stamp: Stamp, findings: list[Finding]) -> None:
        self.entries[_key(path)] = {
            "rules": list(rules),
            "size": stamp.size,
            "mtime": stamp.mtime_ns,
            "hash": stamp.hash,
            "findings": [dataclasses.asdict(f) | {"fix": _fix_json(f.fix)} for f in findings],
        }
        self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        try:
            self._prepare_directory()
            data = json.dumps({"version": __version__, "files": self.entries}, separators=(",", ":"))
            descriptor, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(data)
            os.replace(temporary, self.file)
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


def _fix_json(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "applicability": fix.applicability,
        "edits": [{"type": type(e).__name__, **dataclasses.asdict(e)} for e in fix.edits],
    }


def _finding(item: dict[str, Any]) -> Finding:
    fix = item["fix"]
    if fix is not None:
        fix = Fix(fix["applicability"], tuple(_edit(e) for e in fix["edits"]))
    return Finding(item["code"], item["line"], item["col"], item["end_line"], item["end_col"], item["message"], fix)


def _edit(item: dict[str, Any]) -> base.Edit:
    fields = dict(item)
    cls = _EDIT_TYPES[fields.pop("type")]
    if fields.get("span") is not None:
        fields["span"] = Span(**fields["span"])
    return cls(**fields)
