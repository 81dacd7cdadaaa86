"""buffer-lint's fixes as a libcst codemod command:

python -m libcst.tool codemod buffer_lint.fix.codemod.FixBuffers [--unsafe-fixes] PATHS
"""

from __future__ import annotations

import argparse
from typing import Any

import libcst as cst
from libcst.codemod import CodemodCommand, CodemodContext, SkipFile

from buffer_lint.engine import check_text
from buffer_lint.fix.apply import FixError, fix_checked_text
from buffer_lint.rules.selection import Selection
from buffer_lint.settings import Settings, options


class FixBuffers(CodemodCommand):
    DESCRIPTION = "Register tensors as buffers: apply buffer-lint's fixes (safe ones unless --unsafe-fixes)."

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes")
        for option in options(Settings):
            option.add_flag(arg_parser)

    def __init__(self, context: CodemodContext, unsafe_fixes: bool = False, **settings: Any) -> None:
        super().__init__(context)
        self.unsafe = unsafe_fixes
        self.settings = Settings.from_values(
            {o.attribute: o.from_flag(settings.get(o.attribute)) for o in options(Settings)}
        )
        self.rules = Selection().rules

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        text = tree.code
        findings = check_text(text, self.settings, self.rules)
        try:
            fixed, applied, _ = fix_checked_text(text, findings, self.settings, self.rules, self.unsafe)
        except FixError as error:
            raise SkipFile(str(error)) from error
        if not applied:
            raise SkipFile("nothing to fix")
        return cst.parse_module(fixed)
