"""``buffer-lint``: the command line, with ruff's conventions. It parses arguments, runs, and prints."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from buffer_lint import __version__
from buffer_lint.audit import command as audit_command
from buffer_lint.config import ConfigError, Configuration, file_config, resolve
from buffer_lint.findings import FileResult
from buffer_lint.report import machine_output
from buffer_lint.report import text as text_report
from buffer_lint.report.progress import progress_for
from buffer_lint.rules.selection import SelectorError
from buffer_lint.runner import Job, run_paths, run_source
from buffer_lint.settings import ALL_OPTIONS
from buffer_lint.writing import CACHE_DIR_NAME

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
STDIN = "-"
GROUPS = ("rule selection", "files", "fixing", "analysis", "configuration", "speed", "output")
FORMATS = ("text", "json", "github", "sarif")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="buffer-lint", description="Find tensors that should be buffers in PyTorch modules, and fix them."
    )
    parser.add_argument("--version", action="version", version=f"buffer-lint {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = _check_options()
    commands.add_parser("check", parents=[common], help="report problems (and fix them with --fix)")
    commands.add_parser("fix", parents=[common], help="the same as check --fix")
    rule = commands.add_parser("rule", help="explain a rule")
    rule.add_argument("code", nargs="?", help="a rule code, e.g. BUF001")
    rule.add_argument("--all", action="store_true", help="explain every rule")
    audit_command.add_parser(commands)
    return parser


SWITCH: dict[str, Any] = {"action": "store_true"}
PATH: dict[str, Any] = {"metavar": "PATH"}
# The flags that are not settings: group, flag, argparse keywords, help.
FLAGS: tuple[tuple[str, str, dict[str, Any], str], ...] = (
    ("files", "--force-exclude", SWITCH, "apply excludes to files named on the command line too (pre-commit)"),
    (
        "files",
        "--no-respect-gitignore",
        {"action": "store_false", "dest": "respect_gitignore"},
        "check files .gitignore lists",
    ),
    ("files", "--stdin-filename", PATH, "the name to report for source read from stdin"),
    ("fixing", "--fix", SWITCH, "apply safe fixes"),
    ("fixing", "--unsafe-fixes", SWITCH, "also apply (with --fix) or show unsafe fixes"),
    ("fixing", "--diff", SWITCH, "print the fixes as a unified diff, write nothing; exit 1 if there is one"),
    ("fixing", "--show-fixes", SWITCH, "list what was fixed"),
    ("configuration", "--config", PATH, "read settings from this file instead of the nearest pyproject.toml"),
    ("configuration", "--isolated", SWITCH, "ignore configuration files"),
    ("configuration", "--show-settings", SWITCH, "print the resolved settings and exit"),
    ("speed", "--no-cache", SWITCH, "neither read nor write the result cache"),
    (
        "speed",
        "--cache-dir",
        PATH,
        f"where the result cache lives (default: {CACHE_DIR_NAME} beside the config, or here)",
    ),
    ("output", "--output-format", {"choices": FORMATS, "default": "text"}, "text, json, github or sarif (2.1.0)"),
    ("output", "--exit-zero", SWITCH, "exit 0 even when problems are found"),
    ("output", "--statistics", SWITCH, "print the number of findings per code instead of each finding"),
)


def _check_options() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "paths", nargs="*", default=["."], metavar="PATH", help="files or folders (default: .); - reads stdin"
    )
    groups = {name: options.add_argument_group(name) for name in GROUPS}
    for option in ALL_OPTIONS:
        if option.has_flag:
            option.add_flag(groups[option.group])
    for group, flag, keywords, help_text in FLAGS:
        groups[group].add_argument(flag, **keywords, help=help_text)
    jobs_help = "processes to check files with (default: the number of CPUs; 1 checks in this process)"
    groups["speed"].add_argument(
        "-j", "--jobs", type=_positive_int, default=os.cpu_count() or 1, metavar="N", help=jobs_help
    )
    groups["output"].add_argument("-q", "--quiet", action="store_true", help="print findings, nothing else")
    verbose_help = "also print, on stderr, how many files were checked and how many came from the cache"
    groups["output"].add_argument("-v", "--verbose", action="store_true", help=verbose_help)
    return options


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "rule":
            return run_rule(args, parser)
        if args.command == "audit":
            return audit_command.run(args)
        return run_check(args)
    except (SelectorError, ConfigError) as error:
        print(f"buffer-lint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


def configuration_from_args(args: argparse.Namespace) -> Configuration:
    flags = {o.attribute: o.from_flag(getattr(args, o.attribute, None)) for o in ALL_OPTIONS}
    start = Path(args.stdin_filename or ".") if args.paths == [STDIN] else Path(args.paths[0])
    return resolve(flags, file_config(args.config and Path(args.config), args.isolated, start))


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return int(text)


def run_check(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    configuration = configuration_from_args(args)
    if args.show_settings:
        sys.stdout.write(configuration.show())
        return EXIT_CLEAN
    mode = "diff" if args.diff else "fix" if args.fix or args.command == "fix" else "check"
    cache_dir = None if args.no_cache or args.paths == [STDIN] else _cache_dir(args, configuration)
    edits_shown = args.output_format == "json" and not args.statistics and mode != "diff"
    job = Job(configuration, mode, args.unsafe_fixes, edits_shown, cache_dir)
    if args.paths == [STDIN]:
        result, output = run_source(args.stdin_filename or STDIN, sys.stdin.buffer.read(), job)
        if mode == "fix":
            sys.stdout.buffer.write(output)
            sys.stdout.flush()
        return _report([result], args, job, sys.stderr if mode == "fix" else sys.stdout)
    progress = progress_for(sys.stderr, args.quiet)
    results = run_paths(
        args.paths,
        job,
        jobs=args.jobs,
        respect_gitignore=args.respect_gitignore,
        force_exclude=args.force_exclude,
        progress=progress,
    )
    if progress:
        progress.close()
    status = _report(results, args, job, sys.stdout)
    if args.verbose:
        text_report.write_counts(results, time.perf_counter() - started, sys.stderr)
    return status


def _cache_dir(args: argparse.Namespace, configuration: Configuration) -> Path:
    if args.cache_dir:
        return Path(args.cache_dir)
    return configuration.file.root / CACHE_DIR_NAME


def _report(results: list[FileResult], args: argparse.Namespace, job: Job, out: Any) -> int:
    for result in results:
        for kind, text in (("error", result.error), ("warning", result.warning)):
            if text:
                print(f"buffer-lint: {kind}: {result.path}: {text}", file=sys.stderr)
    diff = job.mode == "diff"
    remaining = [r for r in results if r.findings]
    if diff:
        out.write("".join(r.diff for r in results))  # only the diff: it goes to patch
        text_report.write_findings(remaining, sys.stderr, job.unsafe)
    elif args.output_format != "text":
        out.write(machine_output(args.output_format, remaining, job.unsafe, statistics=args.statistics))
    elif args.statistics:
        text_report.write_statistics(remaining, out, job.unsafe)
    else:
        text_report.write_findings(remaining, out, job.unsafe)
    if args.show_fixes and not diff:
        text_report.write_fixes(results, out)
    if not args.quiet and args.output_format == "text":
        summary_out = sys.stderr if diff else out
        text_report.write_summary(results, summary_out, job.fixes, diff, job.unsafe)
    if any(r.error for r in results):
        return EXIT_ERROR
    if diff:
        return EXIT_FINDINGS if any(r.diff for r in results) else EXIT_CLEAN
    return EXIT_FINDINGS if remaining and not args.exit_zero else EXIT_CLEAN


def run_rule(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from buffer_lint.report.docs import explain, known_codes

    if not args.code and not args.all:
        parser.error("rule: give a rule code (e.g. BUF001) or --all")
    text = explain(None if args.all else args.code)
    if text is None:
        print(f"buffer-lint: error: unknown rule code {args.code!r}; known: {known_codes()}", file=sys.stderr)
        return EXIT_ERROR
    print(text, end="")
    return EXIT_CLEAN
