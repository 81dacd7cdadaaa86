"""buffer-lint's fixes as a libcst codemod command:

python -m libcst.tool codemod buffer_lint.fix.codemod.FixBuffers [--unsafe-fixes] PATHS
"""

from __future__ import annotations

import argparse

import libcst as cst
from libcst.codemod import CodemodCommand, CodemodContext, SkipFile

from buffer_lint.engine import check_text
from buffer_lint.fix.apply import FixError, fix_checked_text
from buffer_lint.rules import RULES
from buffer_lint.settings import Settings


class FixBuffers(CodemodCommand):
    DESCRIPTION = "Register tensors as buffers: apply buffer-lint's fixes (safe ones unless --unsafe-fixes)."

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes")
        arg_parser.add_argument("--persistent", action="store_true", help="BUF001's buffers go in state_dict()")
        arg_parser.add_argument("--buffer-style", choices=("register_buffer", "nn.Buffer"), default="register_buffer")

    def __init__(
        self,
        context: CodemodContext,
        unsafe_fixes: bool = False,
        persistent: bool = False,
        buffer_style: str = "register_buffer",
    ) -> None:
        super().__init__(context)
        self.unsafe = unsafe_fixes
        self.settings = Settings(persistent=persistent, buffer_style=buffer_style)  # type: ignore[arg-type]

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        text = tree.code
        try:
            fixed, applied, _ = fix_checked_text(
                text, check_text(text, self.settings), self.settings, RULES, self.unsafe
            )
        except FixError as error:
            raise SkipFile(str(error)) from error
        if not applied:
            raise SkipFile("nothing to fix")
        return cst.parse_module(fixed)
