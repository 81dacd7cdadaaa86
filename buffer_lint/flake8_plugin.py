"""The flake8 plugin: runs the same analysis on the tree flake8 has already parsed."""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from buffer_lint import __version__
from buffer_lint.analysis.project import FileContext
from buffer_lint.analysis.summaries import Projects, SummaryStore
from buffer_lint.cache import CACHE_DIR_NAME
from buffer_lint.engine import check_tree, internal_error
from buffer_lint.rules.selection import Selection
from buffer_lint.settings import SettingError, Settings, options

PREFIX = "buffer-lint-"


class Plugin:
    name = "buffer-lint"
    version = __version__
    settings = Settings()
    rules = Selection().rules  # flake8 selects by code itself
    projects: dict[frozenset[str], Projects] = {}  # this process's indexes of the projects' files

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

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        try:
            context = FileContext.of(Path(self.filename), self._projects()) if self.filename != "-" else None
            findings = check_tree(self.tree, self.lines, self.settings, self.rules, context)
        except Exception as error:  # noqa: BLE001 - never raise into flake8: its other checks go on
            print(f"buffer-lint: error: {self.filename}: {internal_error(error)}", file=sys.stderr)
            return
        for finding in findings:
            yield finding.line, finding.col, f"{finding.code} {finding.message}", type(self)

    @classmethod
    def _projects(cls) -> Projects:
        """The projects' other files, summarised on demand and once per flake8 process."""
        bases = cls.settings.module_bases
        if bases not in cls.projects:
            cls.projects[bases] = Projects(bases, _cache_at)
        return cls.projects[bases]


def _cache_at(root: Path) -> SummaryStore | None:
    """The summaries ``buffer-lint check`` keeps for the project, where its cache is on (at the root)."""
    directory = root / CACHE_DIR_NAME
    return SummaryStore(directory) if directory.is_dir() else None
