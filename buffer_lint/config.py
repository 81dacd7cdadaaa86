"""The configuration of a run: ``[tool.buffer-lint]`` in pyproject.toml, overridden by flags.

The file is found like ruff finds its own and validated strictly against the declarations in
``settings``: every problem (unreadable file, invalid TOML, unknown key, wrong type, unknown
rule code) is a ``ConfigError`` with one line naming the file, the key and what is allowed.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

from buffer_lint.files import Excluder, matches_glob, relative_to
from buffer_lint.rules.base import Rule
from buffer_lint.rules.selection import DEFAULT_SELECT, Selection, SelectorError, validate_selector
from buffer_lint.settings import ALL_OPTIONS, OPTIONS_BY_KEY, Option, SettingError, Settings, options


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class FileConfig:
    """The settings one configuration file gives, validated, by attribute name; absent keys are absent."""

    path: Path | None = None
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def get(self, attribute: str, default: Any = None) -> Any:
        return self.values.get(attribute, default)


def file_config(path: Path | None, isolated: bool, start: Path) -> FileConfig:
    """The configuration a run reads: ``path`` if given, none if isolated, else the nearest pyproject.toml."""
    if path:
        return load_config(path)
    if isolated:
        return FileConfig()
    found = find_pyproject(start if start.exists() else Path.cwd())
    return load_config(found) if found else FileConfig()


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml with a [tool.buffer-lint] table, from ``start`` upwards."""
    directory = start if start.is_dir() else start.parent
    for folder in (directory.resolve(), *directory.resolve().parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "buffer-lint" in _tool_table(_read_toml(candidate), candidate):
            return candidate
    return None


def load_config(path: Path) -> FileConfig:
    """Settings from ``path``: its [tool.buffer-lint] table, or its top level for a file of its own."""
    document = _read_toml(path)
    if path.name == "pyproject.toml":
        return FileConfig(
            path, _validated(_tool_table(document, path).get("buffer-lint", {}), f"{path}: [tool.buffer-lint]")
        )
    return FileConfig(path, _validated(document, str(path)))


def _tool_table(document: dict[str, Any], path: Path) -> Mapping[str, Any]:
    tool = document.get("tool", {})
    if not isinstance(tool, Mapping):
        raise ConfigError(f"{path}: 'tool' must be a table, got {tool!r}")
    return tool


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from error


def _validated(table: Any, where: str) -> dict[str, Any]:
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: expected a table of settings")
    values = {}
    for key, value in table.items():
        option = OPTIONS_BY_KEY.get(key)
        if option is None:
            raise ConfigError(f"{where}: unknown key {key!r}; allowed: {', '.join(o.key for o in ALL_OPTIONS)}")
        try:
            values[option.attribute] = option.validate(value)
        except SettingError as error:
            raise ConfigError(f"{where}: key {key!r} {error}") from error
        try:
            _check_codes(option, values[option.attribute])
        except SelectorError as error:
            raise ConfigError(f"{where}: {error}") from error
    return values


def _check_codes(option: Option, value: Any) -> None:
    if option.kind == "codes":
        for selector in value:
            validate_selector(selector, option.key)
    elif option.kind == "per-file-ignores":
        for codes in value.values():
            for code in codes:
                validate_selector(code, option.key)


@dataclass(frozen=True)
class Configuration:
    """The settings of a run: the configuration file's, overridden key by key by the flags."""

    file: FileConfig
    selection: Selection
    settings: Settings
    excluders: tuple[Excluder, ...]
    per_file_ignores: dict[str, tuple[str, ...]]
    _rules_by_ignored: dict[tuple[str, ...], tuple[Rule, ...]] = field(default_factory=dict, compare=False, repr=False)

    def rules_for(self, path: Path) -> tuple[Rule, ...]:
        """The selected rules, less those per-file-ignores turns off for this file."""
        ignored = self._ignored_here(path)
        if ignored not in self._rules_by_ignored:
            self._rules_by_ignored[ignored] = self.selection.rules_without(ignored)
        return self._rules_by_ignored[ignored]

    def _ignored_here(self, path: Path) -> tuple[str, ...]:
        if not self.per_file_ignores:
            return ()
        relative = relative_to(path, _resolved(self.file.root))  # resolved once per file, not once per pattern
        return tuple(
            code
            for pattern, codes in self.per_file_ignores.items()
            if matches_glob(relative, path.name, pattern)
            for code in codes
        )

    def show(self) -> str:
        """``--show-settings``: every setting as the run uses it."""
        selection = self.selection
        lines = [
            f"config = {str(self.file.path) if self.file.path else 'none'}",
            f"select = {list(selection.select)}",
            f"extend-select = {list(selection.extend_select)}",
            f"ignore = {list(selection.ignore)}",
            f"enabled rules = {[rule.code for rule in selection.rules]}",
            f"exclude = {[p for e in self.excluders for p in (*e.name_patterns, *e.path_patterns)]}",
            f"per-file-ignores = {self.per_file_ignores}",
        ]
        for option, value in zip(options(Settings), self.settings.described()):
            lines.append(f"{option.key} = {_toml(value)}")
        return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value)


@lru_cache(maxsize=None)
def _resolved(path: Path) -> Path:
    return path.resolve()


def resolve(flags: Mapping[str, Any], file: FileConfig) -> Configuration:
    """Flags (attribute -> value, None when not given) over the file's values, key by key."""

    def value(attribute: str, default: Any = ()) -> Any:
        given = flags.get(attribute)
        return given if given is not None else file.get(attribute, default)

    selection = Selection(
        select=value("select") or DEFAULT_SELECT,
        extend_select=(*file.get("extend_select", ()), *(flags.get("extend_select") or ())),
        ignore=value("ignore"),
    )
    settings = Settings.from_values({option.attribute: value(option.attribute, None) for option in options(Settings)})
    if flags.get("exclude") is not None:
        excluders = [Excluder(flags["exclude"])]
    else:
        excluders = [Excluder(file.get("exclude", ()), file.root)]
    excluders += [Excluder(file.get("extend_exclude", ()), file.root), Excluder(flags.get("extend_exclude") or ())]
    return Configuration(file, selection, settings, tuple(excluders), dict(file.get("per_file_ignores", {})))
