"""The flake8 plugin: runs the same analysis on the tree flake8 has already parsed."""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from typing import Any

from buffer_lint import __version__
from buffer_lint.config import BUFFER_STYLES
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

        parser.add_option(
            "--buffer-lint-persistent",
            action="store_true",
            parse_from_config=True,
            help="Fix data: BUF001's buffers go in state_dict() (used by buffer-lint's --fix, not by flake8).",
        )
        parser.add_option(
            "--buffer-lint-buffer-style",
            default="register_buffer",
            parse_from_config=True,
            help="Fix data: 'register_buffer' (default) or 'nn.Buffer'.",
        )

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        style = options.buffer_lint_buffer_style
        if style not in BUFFER_STYLES:
            allowed = " or ".join(repr(s) for s in BUFFER_STYLES)
            sys.exit(f"flake8: buffer-lint-buffer-style must be {allowed}, got {style!r}")
        cls.settings = Settings(
            module_bases=frozenset(options.buffer_lint_module_bases or ()),
            persistent=bool(options.buffer_lint_persistent),
            buffer_style=style,
        )

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        for finding in check_tree(self.tree, self.lines, self.settings):
            yield finding.line, finding.col, f"{finding.code} {finding.message}", type(self)
