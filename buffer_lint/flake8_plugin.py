"""The flake8 plugin: runs the same analysis on the tree flake8 has already parsed.

flake8 imports every installed plugin when it starts, also for runs that never reach a Python
file (and with ``-j``, in a parent process that checks none itself): this module loads only the
settings, and the analysis comes with the first file.
"""

from __future__ import annotations

import argparse
import ast
import functools
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from buffer_lint import __version__
from buffer_lint.settings import SettingError, Settings, options

if TYPE_CHECKING:
    from buffer_lint.analysis.summaries import Projects
    from buffer_lint.rules.base import Rule

PREFIX = "buffer-lint-"
NO_CACHE_HELP = (
    "neither read nor write the project's file summaries "
    "(by default they are kept in .buffer_lint_cache/ where flake8 runs, as buffer-lint check keeps them)"
)


class Plugin:
    name = "buffer-lint"
    version = __version__
    settings = Settings()
    keeps_summaries = True
    projects: dict[tuple[frozenset[str], bool], Projects] = {}  # this process's indexes of the projects' files

    def __init__(self, tree: ast.Module, lines: list[str], filename: str = "-") -> None:
        self.tree = tree
        self.lines = lines
        self.filename = filename

    @classmethod
    def add_options(cls, parser: Any) -> None:
        """``--buffer-lint-<key>`` for every setting that shapes findings or fixes."""
        for option in options(Settings):
            flag, help_text = f"--{PREFIX}{option.key}", option.help
            if option.kind == "bool":
                parser.add_option(flag, action="store_true", parse_from_config=True, help=help_text)
            elif option.kind == "names":
                parser.add_option(flag, default="", parse_from_config=True, comma_separated_list=True, help=help_text)
            else:
                parser.add_option(flag, parse_from_config=True, help=help_text)
        parser.add_option(f"--{PREFIX}no-cache", action="store_true", parse_from_config=True, help=NO_CACHE_HELP)

    @classmethod
    def parse_options(cls, options_given: argparse.Namespace) -> None:
        values = {}
        for option in options(Settings):
            value = getattr(options_given, f"{PREFIX}{option.key}".replace("-", "_"))
            if option.kind == "choice" and value is not None:
                try:
                    option.validate(value)
                except SettingError as error:
                    sys.exit(f"flake8: {PREFIX}{option.key} {error}")
            values[option.attribute] = value or None
        cls.settings = Settings.from_values(values)
        cls.keeps_summaries = not options_given.buffer_lint_no_cache

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        from buffer_lint.analysis.project import FileContext
        from buffer_lint.engine import check_tree, internal_error

        try:
            context = FileContext.of(Path(self.filename), self._projects()) if self.filename != "-" else None
            findings = check_tree(self.tree, self.lines, self.settings, _rules(), context)
        except Exception as error:  # noqa: BLE001 - never raise into flake8: its other checks go on
            print(f"buffer-lint: error: {self.filename}: {internal_error(error)}", file=sys.stderr)
            return
        for finding in findings:
            yield finding.line, finding.col, f"{finding.code} {finding.message}", type(self)

    @classmethod
    def _projects(cls) -> Projects:
        """The projects' other files, summarised on demand and once per flake8 process."""
        from buffer_lint.analysis.summaries import Projects
        from buffer_lint.writing import CACHE_DIR_NAME

        key = (cls.settings.module_bases, cls.keeps_summaries)
        if key not in cls.projects:
            cls.projects[key] = Projects(key[0], Path.cwd() / CACHE_DIR_NAME if cls.keeps_summaries else None)
        return cls.projects[key]


@functools.cache
def _rules() -> tuple[Rule, ...]:
    from buffer_lint.rules.selection import Selection

    return Selection().rules  # every rule: flake8 selects by code itself
