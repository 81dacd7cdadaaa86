"""``buffer-lint``: the standalone command line, with ruff's conventions."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from buffer_lint import __version__
from buffer_lint.engine import check_source
from buffer_lint.files import discover
from buffer_lint.report.text import FileFindings, write_findings, write_statistics, write_summary
from buffer_lint.rules import RULES, RULES_BY_CODE
from buffer_lint.rules.base import Finding, Rule
from buffer_lint.rules.docs import render_rule
from buffer_lint.selection import Selection, SelectorError, split_codes
from buffer_lint.settings import Settings

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="buffer-lint",
        description="Find tensors that should be buffers in PyTorch modules, and fix them.",
    )
    parser.add_argument("--version", action="version", version=f"buffer-lint {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check = commands.add_parser("check", help="report problems in Python files")
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="files or folders (default: .); - reads stdin")
    check.add_argument("--select", action="append", metavar="CODES", help="comma-separated code prefixes to check (default: BUF)")
    check.add_argument("--extend-select", action="append", metavar="CODES", help="code prefixes to check besides --select")
    check.add_argument("--ignore", action="append", metavar="CODES", help="code prefixes not to check")
    check.add_argument("--exclude", action="append", default=[], metavar="PATTERN", help="glob of files or folders to skip (repeatable)")
    check.add_argument("--no-respect-gitignore", dest="respect_gitignore", action="store_false", help="check files .gitignore lists")
    check.add_argument("--stdin-filename", metavar="PATH", help="the name to report for source read from stdin")
    check.add_argument("--module-bases", action="append", metavar="NAMES", help="dotted names of extra base classes that are nn.Modules")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when problems are found")
    check.add_argument("--statistics", action="store_true", help="print the number of findings per code instead of each finding")
    check.add_argument("-q", "--quiet", action="store_true", help="print findings, nothing else")

    rule = commands.add_parser("rule", help="explain a rule")
    rule.add_argument("code", nargs="?", help="a rule code, e.g. BUF001")
    rule.add_argument("--all", action="store_true", help="explain every rule")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "rule":
            return run_rule(args, parser)
        return run_check(args)
    except SelectorError as error:
        print(f"buffer-lint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


def run_check(args: argparse.Namespace) -> int:
    selection = Selection(
        select=split_codes(args.select) or ("BUF",),
        extend_select=split_codes(args.extend_select),
        ignore=split_codes(args.ignore),
    )
    settings = settings_from_args(args)
    rules = selection.rules()
    if args.paths == ["-"]:
        results = [(args.stdin_filename or "-", _check_bytes(sys.stdin.buffer.read(), settings, rules))]
    else:
        results = [(_display(path), _check_file(path, settings, rules)) for path in discover(args.paths, args.exclude, args.respect_gitignore)]
    results = [(path, [f for f in findings if selection.enables(f.code)]) for path, findings in results]
    results = [(path, findings) for path, findings in results if findings]
    results.sort(key=lambda item: item[0])
    count = sum(len(findings) for _, findings in results)
    out = sys.stdout
    if args.statistics:
        write_statistics(results, out)
    else:
        write_findings(results, out)
    if not args.quiet:
        write_summary(count, out)
    return EXIT_FINDINGS if count and not args.exit_zero else EXIT_CLEAN


def settings_from_args(args: argparse.Namespace) -> Settings:
    return Settings(module_bases=frozenset(_split_names(args.module_bases)))


def _check_file(path: Path, settings: Settings, rules: Sequence[Rule]) -> list[Finding]:
    try:
        source = path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        return [Finding("E902", 1, 0, 1, 0, f"{type(error).__name__}: {reason}")]
    return _check_bytes(source, settings, rules)


def _check_bytes(source: bytes, settings: Settings, rules: Sequence[Rule]) -> list[Finding]:
    return check_source(source, settings, rules).findings


def _display(path: Path) -> str:
    """Paths as ruff prints them: relative to the working directory when below it."""
    text = os.fspath(path)
    if os.path.isabs(text):
        relative = os.path.relpath(text)
        return text if relative.startswith("..") else relative
    return os.path.normpath(text)


def _split_names(values: Sequence[str] | None) -> list[str]:
    return [name.strip() for value in values or () for name in value.split(",") if name.strip()]


def run_rule(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.all:
        print("\n\n".join(render_rule(rule) for rule in RULES), end="")
        return EXIT_CLEAN
    if not args.code:
        parser.error("rule: give a rule code (e.g. BUF001) or --all")
    rule = RULES_BY_CODE.get(args.code.upper())
    if rule is None:
        print(f"buffer-lint: error: unknown rule code {args.code!r}; known: {', '.join(RULES_BY_CODE)}", file=sys.stderr)
        return EXIT_ERROR
    print(render_rule(rule), end="")
    return EXIT_CLEAN
