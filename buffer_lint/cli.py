"""``buffer-lint``: the command line, with ruff's conventions. It parses arguments, runs, and prints."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from buffer_lint import __version__
from buffer_lint.cache import CACHE_DIR_NAME
from buffer_lint.config import ConfigError, Configuration, FileConfig, find_pyproject, load_config, resolve
from buffer_lint.findings import FileResult
from buffer_lint.report import text as text_report
from buffer_lint.rules.selection import SelectorError, split_codes
from buffer_lint.runner import Job, run_paths, run_source
from buffer_lint.settings import ALL_OPTIONS, Option

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
STDIN = "-"
GROUPS = ("rule selection", "files", "fixing", "analysis", "configuration", "speed", "output")


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
    return parser


def _check_options() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "paths", nargs="*", default=["."], metavar="PATH", help="files or folders (default: .); - reads stdin"
    )
    groups = {name: options.add_argument_group(name) for name in GROUPS}
    for option in ALL_OPTIONS:
        if option.has_flag:
            _add_flag(groups[option.group], option)
    files, fixing, configuration = groups["files"], groups["fixing"], groups["configuration"]
    files.add_argument(
        "--force-exclude",
        action="store_true",
        help="apply excludes to files named on the command line too (for pre-commit)",
    )
    files.add_argument(
        "--no-respect-gitignore", dest="respect_gitignore", action="store_false", help="check files .gitignore lists"
    )
    files.add_argument("--stdin-filename", metavar="PATH", help="the name to report for source read from stdin")
    fixing.add_argument("--fix", action="store_true", help="apply safe fixes")
    fixing.add_argument("--unsafe-fixes", action="store_true", help="also apply (with --fix) or show unsafe fixes")
    fixing.add_argument(
        "--diff", action="store_true", help="print the fixes as a unified diff, write nothing; exit 1 if there is one"
    )
    fixing.add_argument("--show-fixes", action="store_true", help="list what was fixed")
    configuration.add_argument(
        "--config", metavar="PATH", help="read settings from this file instead of the nearest pyproject.toml"
    )
    configuration.add_argument("--isolated", action="store_true", help="ignore configuration files")
    configuration.add_argument("--show-settings", action="store_true", help="print the resolved settings and exit")
    speed = groups["speed"]
    speed.add_argument(
        "-j",
        "--jobs",
        type=_positive_int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="processes to check files with (default: the number of CPUs; 1 checks in this process)",
    )
    speed.add_argument("--no-cache", action="store_true", help="neither read nor write the result cache")
    speed.add_argument(
        "--cache-dir",
        metavar="PATH",
        help=f"where the result cache lives (default: {CACHE_DIR_NAME} "
        "beside the configuration file, else in the working directory)",
    )
    output = groups["output"]
    output.add_argument(
        "--output-format",
        choices=("text", "json", "github", "sarif"),
        default="text",
        help="text (default), json (like ruff's), github (Actions annotations) or sarif (2.1.0)",
    )
    output.add_argument("--exit-zero", action="store_true", help="exit 0 even when problems are found")
    output.add_argument(
        "--statistics", action="store_true", help="print the number of findings per code instead of each finding"
    )
    output.add_argument("-q", "--quiet", action="store_true", help="print findings, nothing else")
    return options


def _add_flag(group: Any, option: Option) -> None:
    flag, help_text = f"--{option.key}", option.help
    if option.kind == "bool":
        group.add_argument(flag, action="store_true", default=None, help=help_text)
    elif option.kind == "choice":
        group.add_argument(flag, choices=option.choices, help=help_text)
    else:
        group.add_argument(flag, action="append", metavar=option.metavar, help=help_text)


def _flag_values(args: argparse.Namespace) -> dict[str, Any]:
    """Each option's flag value (None when not given), lists split at commas where the kind says so."""
    values = {}
    for option in ALL_OPTIONS:
        value = getattr(args, option.attribute, None)
        if value is not None and option.kind == "codes":
            value = split_codes(value)
        elif value is not None and option.kind == "names":
            value = tuple(name.strip() for item in value for name in item.split(",") if name.strip())
        elif value is not None and option.kind == "globs":
            value = tuple(value)
        values[option.attribute] = value
    return values


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "rule":
            return run_rule(args, parser)
        return run_check(args)
    except (SelectorError, ConfigError) as error:
        print(f"buffer-lint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


def configuration_from_args(args: argparse.Namespace) -> Configuration:
    return resolve(_flag_values(args), _file_config(args))


def _file_config(args: argparse.Namespace) -> FileConfig:
    if args.config:
        return load_config(Path(args.config))
    if args.isolated:
        return FileConfig()
    start = Path(args.stdin_filename or ".") if args.paths == [STDIN] else Path(args.paths[0])
    found = find_pyproject(start if start.exists() else Path.cwd())
    return load_config(found) if found else FileConfig()


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return int(text)


def run_check(args: argparse.Namespace) -> int:
    configuration = configuration_from_args(args)
    if args.show_settings:
        sys.stdout.write(configuration.show())
        return EXIT_CLEAN
    mode = "diff" if args.diff else "fix" if args.fix or args.command == "fix" else "check"
    job = Job(configuration, mode, args.unsafe_fixes, with_edits=args.output_format == "json")
    if args.paths == [STDIN]:
        result, output = run_source(args.stdin_filename or STDIN, sys.stdin.buffer.read(), job)
        if mode == "fix":
            sys.stdout.buffer.write(output)
            sys.stdout.flush()
        return _report([result], args, job, sys.stderr if mode == "fix" else sys.stdout)
    cache_dir = None if args.no_cache else _cache_dir(args, configuration)
    results = run_paths(
        args.paths,
        job,
        jobs=args.jobs,
        cache_dir=cache_dir,
        respect_gitignore=args.respect_gitignore,
        force_exclude=args.force_exclude,
    )
    return _report(results, args, job, sys.stdout)


def _cache_dir(args: argparse.Namespace, configuration: Configuration) -> Path:
    if args.cache_dir:
        return Path(args.cache_dir)
    return (configuration.file.root if configuration.file.path else Path.cwd()) / CACHE_DIR_NAME


def _report(results: list[FileResult], args: argparse.Namespace, job: Job, out: Any) -> int:
    for result in results:
        if result.error:
            print(f"buffer-lint: error: {result.path}: {result.error}", file=sys.stderr)
    diff = job.mode == "diff"
    if diff:
        out.write("".join(r.diff for r in results))
    remaining = [r for r in results if r.findings]
    if args.output_format != "text":
        out.write(_machine_output(args.output_format, remaining, job.unsafe))
    elif args.statistics:
        text_report.write_statistics(remaining, out, job.unsafe)
    else:
        text_report.write_findings(remaining, out, job.unsafe)
    if args.show_fixes and not diff:
        text_report.write_fixes(results, out)
    if not args.quiet and args.output_format == "text":
        summary_out = sys.stderr if diff else out  # a diff stays clean for patch
        text_report.write_summary(results, summary_out, job.fixes, diff, job.unsafe)
    if any(r.error for r in results):
        return EXIT_ERROR
    if diff:
        return EXIT_FINDINGS if any(r.diff for r in results) else EXIT_CLEAN
    return EXIT_FINDINGS if remaining and not args.exit_zero else EXIT_CLEAN


def _machine_output(output_format: str, results: list[FileResult], unsafe: bool) -> str:
    from buffer_lint.report import machine

    if output_format == "github":
        return machine.to_github(results)
    if output_format == "sarif":
        return machine.to_sarif(results, Path.cwd())
    return machine.to_json(results, unsafe)


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
