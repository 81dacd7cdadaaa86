"""Every setting, declared once: its key, type, default, choices and help.

The declarations below generate the command-line flags, the validation of
``[tool.buffer-lint]``, the flake8 options, the codemod's arguments, ``--show-settings``
and the cache fingerprint. ``Settings`` holds what shapes one file's findings and fixes;
``RunOptions`` what chooses the files and the rules.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

OptionKind = Literal["bool", "choice", "names", "codes", "globs", "per-file-ignores"]
BUFFER_STYLES = ("register_buffer", "nn.Buffer")


class SettingError(ValueError):
    """A setting has a value of the wrong type or outside its choices; the message follows the setting's name."""


@dataclass(frozen=True)
class Option:
    key: str  # as written in pyproject.toml, and the flag's name: --buffer-style
    kind: OptionKind
    help: str
    group: str  # the section of --help the flag appears in
    choices: tuple[str, ...] = ()
    metavar: str | None = None
    has_flag: bool = True

    @property
    def attribute(self) -> str:
        return self.key.replace("-", "_")

    def add_flag(self, parser: Any, flag: str | None = None) -> None:
        """Add this setting's command-line flag (``--<key>`` unless named) to an argparse parser or group."""
        flag = flag or f"--{self.key}"
        if self.kind == "bool":
            parser.add_argument(flag, action="store_true", default=None, help=self.help)
        elif self.kind == "choice":
            parser.add_argument(flag, choices=self.choices, help=self.help)
        else:
            parser.add_argument(flag, action="append", metavar=self.metavar, help=self.help)

    def from_flag(self, value: Any) -> Any:
        """A flag's value as the setting holds it: repeated lists joined, codes and names split at commas."""
        if value is None or self.kind in ("bool", "choice"):
            return value
        if self.kind == "codes":
            return split_codes(value)
        if self.kind == "names":
            return tuple(name.strip() for item in value for name in item.split(",") if name.strip())
        return tuple(value)

    def validate(self, value: Any) -> Any:
        """The value as the setting holds it; SettingError for a value of the wrong type."""
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise SettingError(f"must be true or false, got {value!r}")
            return value
        if self.kind == "choice":
            if value not in self.choices:
                allowed = " or ".join(repr(c) for c in self.choices)
                raise SettingError(f"must be {allowed}, got {value!r}")
            return value
        if self.kind == "per-file-ignores":
            if not isinstance(value, Mapping):
                raise SettingError(f"must be a table of glob = [codes], got {value!r}")
            return {pattern: _strings(codes) for pattern, codes in value.items()}
        return _strings(value)


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise SettingError(f"must be a list of strings, got {value!r}")
    return tuple(value)


def _declare(default: Any, option: Option) -> Any:
    factory = (lambda: default) if isinstance(default, (dict, list)) else None
    if factory:
        return field(default_factory=factory, metadata={"option": option})
    return field(default=default, metadata={"option": option})


@dataclass(frozen=True)
class Settings:
    """What shapes a file's findings and fixes (and so the cache key and flake8's options)."""

    module_bases: frozenset[str] = _declare(
        frozenset(),
        Option(
            "module-bases",
            "names",
            "dotted names of extra base classes that are nn.Modules",
            "analysis",
            metavar="NAMES",
        ),
    )
    persistent: bool = _declare(
        False,
        Option("persistent", "bool", "BUF001's fix keeps the tensor in state_dict() (unsafe)", "fixing"),
    )
    buffer_style: str = _declare(
        "register_buffer",
        Option(
            "buffer-style",
            "choice",
            "write self.register_buffer(...) (default) or self.x = nn.Buffer(...) (torch >= 2.5)",
            "fixing",
            choices=BUFFER_STYLES,
        ),
    )

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> Settings:
        """Settings from validated values by attribute name; names arrive as any sequence."""
        given = {o.attribute: values[o.attribute] for o in options(cls) if values.get(o.attribute) is not None}
        if "module_bases" in given:
            given["module_bases"] = frozenset(given["module_bases"])
        return cls(**given)

    def described(self) -> list[Any]:
        """Every setting's value as plain data, in declaration order (the cache fingerprint's input)."""
        return [sorted(v) if isinstance(v, frozenset) else v for v in dataclasses.astuple(self)]


@dataclass(frozen=True)
class RunOptions:
    """Which files and which rules a run checks."""

    select: tuple[str, ...] = _declare(
        (),
        Option(
            "select",
            "codes",
            "comma-separated code prefixes to check (default: BUF)",
            "rule selection",
            metavar="CODES",
        ),
    )
    ignore: tuple[str, ...] = _declare(
        (), Option("ignore", "codes", "code prefixes not to check", "rule selection", metavar="CODES")
    )
    extend_select: tuple[str, ...] = _declare(
        (),
        Option("extend-select", "codes", "code prefixes to check besides --select", "rule selection", metavar="CODES"),
    )
    exclude: tuple[str, ...] = _declare(
        (),
        Option(
            "exclude",
            "globs",
            "glob of files or folders to skip (repeatable; replaces the configured exclude)",
            "files",
            metavar="PATTERN",
        ),
    )
    extend_exclude: tuple[str, ...] = _declare(
        (), Option("extend-exclude", "globs", "globs to skip besides exclude", "files", metavar="PATTERN")
    )
    per_file_ignores: dict[str, tuple[str, ...]] = _declare(
        {},
        Option(
            "per-file-ignores",
            "per-file-ignores",
            "glob = [codes] not to check in matching files",
            "rule selection",
            has_flag=False,
        ),
    )


def split_codes(values: Sequence[str]) -> tuple[str, ...]:
    """``["BUF001,BUF002", "BUF3"]`` -> each code once, upper-cased, in order."""
    codes: list[str] = []
    for value in values:
        for code in value.replace(" ", ",").split(","):
            if code and code.upper() not in codes:
                codes.append(code.strip().upper())
    return tuple(codes)


def options(holder: type[Any]) -> tuple[Option, ...]:
    return tuple(f.metadata["option"] for f in dataclasses.fields(holder))


ALL_OPTIONS = (*options(RunOptions), *options(Settings))
OPTIONS_BY_KEY = {option.key: option for option in ALL_OPTIONS}
