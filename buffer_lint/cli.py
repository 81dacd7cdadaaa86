"""``buffer-lint``: the standalone command line, with ruff's conventions."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from buffer_lint import __version__
from buffer_lint.engine import check_source
from buffer_lint.files import discover
from buffer_lint.fix.apply import FixOutcome, fix_source, is_applicable
from buffer_lint.report import text as text_report
from buffer_lint.rules import RULES, RULES_BY_CODE
from buffer_lint.rules.base import Finding, Rule
from buffer_lint.rules.docs import render_rule
from buffer_lint.selection import Selection, SelectorError, split_codes
from buffer_lint.settings import Settings

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
STDIN = "-"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="buffer-lint",
        description="Find tensors that should be buffers in PyTorch modules, and fix them.",
    )
    parser.add_argument("--version", action="version", version=f"buffer-lint {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = _check_options()
    commands.add_parser("check", parents=[common], help="report problems (and fix them with --fix)")
    commands.add_parser("fix", parents=[common], help="the same as check --fix")

    rule = commands.add_parser("rule", help="explain a rule")
    rule.add_argument("code", nargs="?", help="a rule code, e.g. BUF001")
    rule.add_argument("--all", action="store_true", help="explain every rule")
    return parser


def _check_options() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="files or folders (default: .); - reads stdin")
    selection = options.add_argument_group("rule selection")
    selection.add_argument("--select", action="append", metavar="CODES", help="comma-separated code prefixes to check (default: BUF)")
    selection.add_argument("--extend-select", action="append", metavar="CODES", help="code prefixes to check besides --select")
    selection.add_argument("--ignore", action="append", metavar="CODES", help="code prefixes not to check")
    files = options.add_argument_group("files")
    files.add_argument("--exclude", action="append", default=[], metavar="PATTERN", help="glob of files or folders to skip (repeatable)")
    files.add_argument("--no-respect-gitignore", dest="respect_gitignore", action="store_false", help="check files .gitignore lists")
    files.add_argument("--stdin-filename", metavar="PATH", help="the name to report for source read from stdin")
    fixing = options.add_argument_group("fixing")
    fixing.add_argument("--fix", action="store_true", help="apply safe fixes")
    fixing.add_argument("--unsafe-fixes", action="store_true", help="also apply (with --fix) or show unsafe fixes")
    fixing.add_argument("--diff", action="store_true", help="print the fixes as a unified diff, write nothing; exit 1 if there is one")
    fixing.add_argument("--show-fixes", action="store_true", help="list what was fixed")
    fixing.add_argument("--persistent", action="store_true", help="BUF001's fix keeps the tensor in state_dict() (unsafe)")
    fixing.add_argument("--buffer-style", choices=("register_buffer", "nn.Buffer"), default="register_buffer",
                        help="write self.register_buffer(...) (default) or self.x = nn.Buffer(...) (torch >= 2.5)")
    analysis = options.add_argument_group("analysis")
    analysis.add_argument("--module-bases", action="append", metavar="NAMES", help="dotted names of extra base classes that are nn.Modules")
    output = options.add_argument_group("output")
    output.add_argument("--exit-zero", action="store_true", help="exit 0 even when problems are found")
    output.add_argument("--statistics", action="store_true", help="print the number of findings per code instead of each finding")
    output.add_argument("-q", "--quiet", action="store_true", help="print findings, nothing else")
    return options


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


def settings_from_args(args: argparse.Namespace) -> Settings:
    return Settings(
        module_bases=frozenset(_split_names(args.module_bases)),
        persistent=args.persistent,
        buffer_style=args.buffer_style,
    )


@dataclass
class FileReport:
    path: str
    findings: list[Finding]
    fixed: list[Finding] = field(default_factory=list)
    diff: str = ""
    error: str | None = None


@dataclass(frozen=True)
class Job:
    """What to do with each file."""

    settings: Settings
    rules: tuple[Rule, ...]
    fix: bool  # apply fixes (written unless diff)
    diff: bool
    unsafe: bool


def run_check(args: argparse.Namespace) -> int:
    selection = Selection(
        select=split_codes(args.select) or ("BUF",),
        extend_select=split_codes(args.extend_select),
        ignore=split_codes(args.ignore),
    )
    fix = args.fix or args.command == "fix"
    job = Job(settings_from_args(args), selection.rules(), fix or args.diff, args.diff, args.unsafe_fixes)
    if args.paths == [STDIN]:
        reports = [_process_stdin(args.stdin_filename or STDIN, job)]
    else:
        paths = discover(args.paths, args.exclude, args.respect_gitignore)
        reports = [_process_file(path, job) for path in paths]
    for report in reports:
        report.findings = [f for f in report.findings if selection.enables(f.code)]
    reports.sort(key=lambda r: r.path)
    return _report(reports, args, job)


def _process_file(path: Path, job: Job) -> FileReport:
    display = _display(path)
    try:
        source = path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        return FileReport(display, [Finding("E902", 1, 0, 1, 0, f"{type(error).__name__}: {reason}")])
    report, fixed_source = _process_source(display, source, job)
    if fixed_source is not None and not job.diff:
        from buffer_lint.fix.write import write_atomically

        try:
            write_atomically(path, fixed_source)
        except OSError as error:
            report.error = f"cannot write the fixed file: {error.strerror or error}"
            report.fixed = []
    return report


def _process_stdin(display: str, job: Job) -> FileReport:
    source = sys.stdin.buffer.read()
    report, fixed_source = _process_source(display, source, job)
    if job.fix and not job.diff:
        sys.stdout.buffer.write(fixed_source if fixed_source is not None else source)
        sys.stdout.flush()
    return report


def _process_source(display: str, source: bytes, job: Job) -> tuple[FileReport, bytes | None]:
    """The file's report, and its fixed bytes when fixing changed them."""
    if not job.fix:
        return FileReport(display, check_source(source, job.settings, job.rules).findings), None
    outcome: FixOutcome = fix_source(source, job.settings, job.rules, job.unsafe)
    report = FileReport(display, outcome.remaining, outcome.fixed, error=outcome.error)
    if outcome.source == source:
        return report, None
    if job.diff:
        report.diff = _unified_diff(display, source, outcome.source)
    return report, outcome.source


def _unified_diff(display: str, old: bytes, new: bytes) -> str:
    old_lines = old.decode("utf-8", errors="replace").splitlines(keepends=True)
    new_lines = new.decode("utf-8", errors="replace").splitlines(keepends=True)
    diff = difflib.unified_diff(old_lines, new_lines, fromfile=f"a/{display}", tofile=f"b/{display}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in diff)


def _report(reports: list[FileReport], args: argparse.Namespace, job: Job) -> int:
    out = sys.stdout if not (job.fix and args.paths == [STDIN] and not job.diff) else sys.stderr
    for report in reports:
        if report.error:
            print(f"buffer-lint: error: {report.path}: {report.error}", file=sys.stderr)
    if job.diff:
        out.write("".join(r.diff for r in reports))
    remaining = [(r.path, r.findings) for r in reports if r.findings]
    fixable = lambda f: is_applicable(f, job.unsafe)  # noqa: E731
    if args.statistics:
        text_report.write_statistics(remaining, out, fixable)
    else:
        text_report.write_findings(remaining, out, fixable)
    fixed = [(r.path, r.fixed) for r in reports if r.fixed]
    if args.show_fixes and not job.diff:
        text_report.write_fixes(fixed, out)
    if not args.quiet:
        summary_out = sys.stderr if job.diff else out  # a diff stays clean for patch
        text_report.write_summary(remaining, fixed, summary_out, job.fix, job.diff, job.unsafe)
    if any(r.error for r in reports):
        return EXIT_ERROR
    if job.diff:
        return EXIT_FINDINGS if any(r.diff for r in reports) else EXIT_CLEAN
    return EXIT_FINDINGS if remaining and not args.exit_zero else EXIT_CLEAN


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
