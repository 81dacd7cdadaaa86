"""``[tool.buffer-lint]`` in pyproject.toml: found like ruff finds its own, validated strictly.

Every problem (unreadable file, invalid TOML, unknown key, wrong type, unknown rule code)
is a ``ConfigError`` with one line naming the file, the key and what is allowed.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

from buffer_lint.selection import SelectorError, validate_selector

BUFFER_STYLES = ("register_buffer", "nn.Buffer")
LIST_KEYS = ("select", "ignore", "extend-select", "exclude", "extend-exclude", "module-bases")
KEYS = (*LIST_KEYS, "per-file-ignores", "persistent", "buffer-style")


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class FileConfig:
    """The settings one configuration file gives; absent keys are None."""

    path: Path | None = None
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml with a [tool.buffer-lint] table, from ``start`` upwards."""
    directory = start if start.is_dir() else start.parent
    for folder in (directory.resolve(), *directory.resolve().parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "buffer-lint" in _read_toml(candidate).get("tool", {}):
            return candidate
    return None


def load_config(path: Path) -> FileConfig:
    """Settings from ``path``: its [tool.buffer-lint] table, or its top level for a file of its own."""
    document = _read_toml(path)
    if path.name == "pyproject.toml":
        return FileConfig(
            path, _validated(document.get("tool", {}).get("buffer-lint", {}), f"{path}: [tool.buffer-lint]")
        )
    return FileConfig(path, _validated(document, str(path)))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from error


def _validated(table: Mapping[str, Any], where: str) -> dict[str, Any]:
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: expected a table of settings")
    for key in table:
        if key not in KEYS:
            raise ConfigError(f"{where}: unknown key {key!r}; allowed: {', '.join(KEYS)}")
    values = dict(table)
    for key in LIST_KEYS:
        if key in values:
            values[key] = _string_list(values[key], where, key)
    for key in ("select", "ignore", "extend-select"):
        for selector in values.get(key, ()):
            _check_selector(selector, where, key)
    if "per-file-ignores" in values:
        values["per-file-ignores"] = _per_file_ignores(values["per-file-ignores"], where)
    if "persistent" in values and not isinstance(values["persistent"], bool):
        raise ConfigError(f"{where}: key 'persistent' must be true or false, got {values['persistent']!r}")
    if "buffer-style" in values and values["buffer-style"] not in BUFFER_STYLES:
        allowed = " or ".join(repr(s) for s in BUFFER_STYLES)
        raise ConfigError(f"{where}: key 'buffer-style' must be {allowed}, got {values['buffer-style']!r}")
    return values


def _string_list(value: Any, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where}: key {key!r} must be a list of strings, got {value!r}")
    return tuple(value)


def _check_selector(selector: str, where: str, key: str) -> None:
    try:
        validate_selector(selector, key)
    except SelectorError as error:
        raise ConfigError(f"{where}: {error}") from error


def _per_file_ignores(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: key 'per-file-ignores' must be a table of glob = [codes], got {value!r}")
    result = {}
    for pattern, codes in value.items():
        result[pattern] = _string_list(codes, where, f"per-file-ignores.{pattern}")
        for code in result[pattern]:
            _check_selector(code, where, "per-file-ignores")
    return result
