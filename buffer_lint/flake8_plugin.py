"""The flake8 plugin: runs the same analysis on the tree flake8 has already parsed."""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator
from typing import Any

from buffer_lint import __version__
from buffer_lint.engine import check_tree
from buffer_lint.settings import Settings


class Plugin:
    name = "buffer-lint"
    version = __version__
    settings = Settings()

    def __init__(self, tree: ast.Module, lines: list[str]) -> None:
        self.tree = tree
        self.lines = lines

    @classmethod
    def add_options(cls, parser: Any) -> None:
        parser.add_option(
            "--buffer-lint-module-bases",
            default="",
            parse_from_config=True,
            comma_separated_list=True,
            help="Dotted names of extra base classes that make a class an nn.Module.",
        )

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        bases = frozenset(getattr(options, "buffer_lint_module_bases", None) or ())
        cls.settings = Settings(module_bases=bases)

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        for finding in check_tree(self.tree, self.lines, self.settings):
            yield finding.line, finding.col, f"{finding.code} {finding.message}", type(self)
