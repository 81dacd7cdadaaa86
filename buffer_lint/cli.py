"""``buffer-lint``: the standalone command line, with ruff's conventions."""

from __future__ import annotations

import argparse
import bisect
import difflib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from buffer_lint import __version__
from buffer_lint.cache import CACHE_DIR_NAME, ResultCache, Stamp
from buffer_lint.config import BUFFER_STYLES, ConfigError, FileConfig, find_pyproject, load_config
from buffer_lint.engine import check_source, line_starts
from buffer_lint.files import Excluder, discover, matches_glob
from buffer_lint.fix.apply import FixOutcome, fix_source, is_applicable
from buffer_lint.report import text as text_report
from buffer_lint.rules import RULES, RULES_BY_CODE
from buffer_lint.rules.base import Finding, Rule
from buffer_lint.rules.docs import render_rule
from buffer_lint.selection import DEFAULT_SELECT, Selection, SelectorError, split_codes
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
    options.add_argument(
        "paths", nargs="*", default=["."], metavar="PATH", help="files or folders (default: .); - reads stdin"
    )
    selection = options.add_argument_group("rule selection")
    selection.add_argument(
        "--select", action="append", metavar="CODES", help="comma-separated code prefixes to check (default: BUF)"
    )
    selection.add_argument(
        "--extend-select", action="append", metavar="CODES", help="code prefixes to check besides --select"
    )
    selection.add_argument("--ignore", action="append", metavar="CODES", help="code prefixes not to check")
    files = options.add_argument_group("files")
    files.add_argument(
        "--exclude",
        action="append",
        metavar="PATTERN",
        help="glob of files or folders to skip (repeatable; replaces the configured exclude)",
    )
    files.add_argument(
        "--extend-exclude", action="append", default=[], metavar="PATTERN", help="globs to skip besides exclude"
    )
    files.add_argument(
        "--force-exclude",
        action="store_true",
        help="apply excludes to files named on the command line too (for pre-commit)",
    )
    files.add_argument(
        "--no-respect-gitignore", dest="respect_gitignore", action="store_false", help="check files .gitignore lists"
    )
    files.add_argument("--stdin-filename", metavar="PATH", help="the name to report for source read from stdin")
    fixing = options.add_argument_group("fixing")
    fixing.add_argument("--fix", action="store_true", help="apply safe fixes")
    fixing.add_argument("--unsafe-fixes", action="store_true", help="also apply (with --fix) or show unsafe fixes")
    fixing.add_argument(
        "--diff", action="store_true", help="print the fixes as a unified diff, write nothing; exit 1 if there is one"
    )
    fixing.add_argument("--show-fixes", action="store_true", help="list what was fixed")
    fixing.add_argument(
        "--persistent", action="store_true", default=None, help="BUF001's fix keeps the tensor in state_dict() (unsafe)"
    )
    fixing.add_argument(
        "--buffer-style",
        choices=BUFFER_STYLES,
        help="write self.register_buffer(...) (default) or self.x = nn.Buffer(...) (torch >= 2.5)",
    )
    analysis = options.add_argument_group("analysis")
    analysis.add_argument(
        "--module-bases",
        action="append",
        metavar="NAMES",
        help="dotted names of extra base classes that are nn.Modules",
    )
    configuration = options.add_argument_group("configuration")
    configuration.add_argument(
        "--config", metavar="PATH", help="read settings from this file instead of the nearest pyproject.toml"
    )
    configuration.add_argument("--isolated", action="store_true", help="ignore configuration files")
    configuration.add_argument("--show-settings", action="store_true", help="print the resolved settings and exit")
    speed = options.add_argument_group("speed")
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
    output = options.add_argument_group("output")
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


@dataclass(frozen=True)
class Resolved:
    """The settings of a run: the configuration file's, overridden key by key by the flags."""

    config: FileConfig
    selection: Selection
    settings: Settings
    excluders: tuple[Excluder, ...]
    per_file_ignores: dict[str, tuple[str, ...]]

    def ignored_here(self, path: Path) -> tuple[str, ...]:
        root = self.config.root.resolve()
        return tuple(
            code
            for pattern, codes in self.per_file_ignores.items()
            if matches_glob(path, pattern, root)
            for code in codes
        )


def resolve(args: argparse.Namespace) -> Resolved:
    config = _file_config(args)
    selection = Selection(
        select=split_codes(args.select) or config.get("select") or DEFAULT_SELECT,
        extend_select=(*config.get("extend-select", ()), *split_codes(args.extend_select)),
        ignore=split_codes(args.ignore) or config.get("ignore", ()),
    )
    bases = _split_names(args.module_bases) or config.get("module-bases", ())
    settings = Settings(
        module_bases=frozenset(bases),
        persistent=args.persistent if args.persistent is not None else config.get("persistent", False),
        buffer_style=args.buffer_style or config.get("buffer-style", "register_buffer"),
    )
    if args.exclude is not None:
        excluders = [Excluder(args.exclude)]
    else:
        excluders = [Excluder(config.get("exclude", ()), config.root)]
    excluders += [Excluder(config.get("extend-exclude", ()), config.root), Excluder(args.extend_exclude)]
    return Resolved(config, selection, settings, tuple(excluders), dict(config.get("per-file-ignores", {})))


def _file_config(args: argparse.Namespace) -> FileConfig:
    if args.config:
        return load_config(Path(args.config))
    if args.isolated:
        return FileConfig()
    start = Path(args.stdin_filename or ".") if args.paths == [STDIN] else Path(args.paths[0])
    found = find_pyproject(start if start.exists() else Path.cwd())
    return load_config(found) if found else FileConfig()


def settings_from_args(args: argparse.Namespace) -> Settings:
    return resolve(args).settings


def show_settings(resolved: Resolved) -> str:
    selection, settings = resolved.selection, resolved.settings
    lines = [
        f"config = {str(resolved.config.path) if resolved.config.path else 'none'}",
        f"select = {list(selection.select)}",
        f"extend-select = {list(selection.extend_select)}",
        f"ignore = {list(selection.ignore)}",
        f"enabled rules = {[rule.code for rule in selection.rules()]}",
        f"exclude = {[p for e in resolved.excluders for p in (*e.name_patterns, *e.path_patterns)]}",
        f"per-file-ignores = {resolved.per_file_ignores}",
        f"module-bases = {sorted(settings.module_bases)}",
        f"persistent = {str(settings.persistent).lower()}",
        f"buffer-style = {settings.buffer_style!r}",
    ]
    return "\n".join(lines) + "\n"


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


@dataclass
class FileReport:
    path: str
    findings: list[Finding]
    fixed: list[Finding] = field(default_factory=list)
    diff: str = ""
    error: str | None = None
    text: str | None = None  # the decoded source, kept when an output format shows fixes as edits
    stamp: Stamp | None = None  # the file as left on disk, for the cache; None when not cacheable


@dataclass(frozen=True)
class Job:
    """What to do with each file."""

    resolved: Resolved
    fix: bool  # apply fixes (written unless diff)
    diff: bool
    unsafe: bool
    keep_text: bool = False

    @property
    def settings(self) -> Settings:
        return self.resolved.settings

    def rules_for(self, path: Path) -> tuple[Rule, ...]:
        """The selected rules, less those per-file-ignores turns off for this file."""
        ignored = self.resolved.ignored_here(path)
        return tuple(r for r in self.resolved.selection.rules() if not r.code.startswith(ignored))


def run_check(args: argparse.Namespace) -> int:
    resolved = resolve(args)
    if args.show_settings:
        sys.stdout.write(show_settings(resolved))
        return EXIT_CLEAN
    fix = args.fix or args.command == "fix"
    job = Job(resolved, fix or args.diff, args.diff, args.unsafe_fixes, keep_text=args.output_format == "json")
    if args.paths == [STDIN]:
        reports = [_process_stdin(args.stdin_filename or STDIN, job)]
    else:
        paths = list(discover(args.paths, resolved.excluders, args.respect_gitignore, args.force_exclude))
        cache = None if args.no_cache else ResultCache(_cache_dir(args, resolved), resolved.settings)
        reports = _process_files(paths, job, cache, args.jobs)
    reports.sort(key=lambda r: r.path)
    return _report(reports, args, job)


# Below this many files to check, a process pool costs more than it saves.
POOL_THRESHOLD = 24


def _process_files(paths: list[Path], job: Job, cache: ResultCache | None, jobs: int) -> list[FileReport]:
    """Reports for every path, in order: from the cache where it still holds, else checked
    (in a process pool when there are enough files and ``jobs`` > 1)."""
    reports: dict[Path, FileReport] = {}
    todo = []
    codes = {path: _codes(job.rules_for(path)) for path in paths} if cache else {}
    for path in paths:
        cached = cache.lookup(path, codes[path]) if cache and not job.keep_text else None
        if cached is not None and not (job.fix and any(is_applicable(f, job.unsafe) for f in cached)):
            reports[path] = FileReport(_display(path), cached)
        else:
            todo.append(path)
    if jobs > 1 and len(todo) >= POOL_THRESHOLD:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            checked = list(pool.map(partial(_process_file, job=job), todo, chunksize=max(1, len(todo) // (jobs * 16))))
    else:
        checked = [_process_file(path, job) for path in todo]
    for path, report in zip(todo, checked):
        reports[path] = report
        if cache is not None and report.stamp is not None:
            cache.store(path, codes[path], report.stamp, report.findings)
    if cache is not None:
        cache.save()
    return [reports[path] for path in paths]


def _codes(rules: Sequence[Rule]) -> list[str]:
    return [rule.code for rule in rules]


def _cache_dir(args: argparse.Namespace, resolved: Resolved) -> Path:
    if args.cache_dir:
        return Path(args.cache_dir)
    return (resolved.config.root if resolved.config.path else Path.cwd()) / CACHE_DIR_NAME


def _process_file(path: Path, job: Job) -> FileReport:
    display = _display(path)
    try:
        source = path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        return FileReport(display, [Finding("E902", 1, 0, 1, 0, f"{type(error).__name__}: {reason}")])
    report, fixed_source = _process_source(display, source, job, job.rules_for(path))
    if fixed_source is not None and not job.diff:
        from buffer_lint.fix.write import write_atomically

        try:
            write_atomically(path, fixed_source)
        except OSError as error:
            report.error = f"cannot write the fixed file: {error.strerror or error}"
            report.fixed = []
            return report
        source = fixed_source
    if report.error is None and not job.diff:
        report.stamp = Stamp.of(path, source)
    return report


def _process_stdin(display: str, job: Job) -> FileReport:
    source = sys.stdin.buffer.read()
    report, fixed_source = _process_source(display, source, job, job.rules_for(Path(display)))
    if job.fix and not job.diff:
        sys.stdout.buffer.write(fixed_source if fixed_source is not None else source)
        sys.stdout.flush()
    return report


def _process_source(display: str, source: bytes, job: Job, rules: Sequence[Rule]) -> tuple[FileReport, bytes | None]:
    """The file's report, and its fixed bytes when fixing changed them."""
    if not job.fix:
        checked = check_source(source, job.settings, rules)
        return FileReport(display, checked.findings, text=checked.text if job.keep_text else None), None
    outcome: FixOutcome = fix_source(source, job.settings, rules, job.unsafe)
    report = FileReport(display, outcome.remaining, outcome.fixed, error=outcome.error)
    if outcome.source == source:
        return report, None
    if job.diff:
        report.diff = _unified_diff(display, source, outcome.source)
        report.findings = outcome.unfixed  # nothing is written: positions in the file as it is
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
    if args.output_format != "text":
        out.write(
            _machine_output(args.output_format, [(r.path, r.findings, r.text) for r in reports if r.findings], fixable)
        )
    elif args.statistics:
        text_report.write_statistics(remaining, out, fixable)
    else:
        text_report.write_findings(remaining, out, fixable)
    fixed = [(r.path, r.fixed) for r in reports if r.fixed]
    if args.show_fixes and not job.diff:
        text_report.write_fixes(fixed, out)
    if not args.quiet and args.output_format == "text":
        summary_out = sys.stderr if job.diff else out  # a diff stays clean for patch
        text_report.write_summary(remaining, fixed, summary_out, job.fix, job.diff, job.unsafe)
    if any(r.error for r in reports):
        return EXIT_ERROR
    if job.diff:
        return EXIT_FINDINGS if any(r.diff for r in reports) else EXIT_CLEAN
    return EXIT_FINDINGS if remaining and not args.exit_zero else EXIT_CLEAN


def _machine_output(output_format: str, results: list, fixable) -> str:  # noqa: ANN001
    from buffer_lint.report import machine

    if output_format == "github":
        return machine.to_github(results)
    if output_format == "sarif":
        return machine.to_sarif(results, Path.cwd())
    return machine.to_json(results, _json_edits, fixable)


def _json_edits(text: str, finding: Finding) -> list[dict[str, object]]:
    """A finding's fix as ruff-style text edits (1-based rows and columns)."""
    from buffer_lint.fix.transform import text_edits

    assert finding.fix is not None
    starts = line_starts(text)

    def location(offset: int) -> dict[str, int]:
        row = bisect.bisect_right(starts, offset) - 1
        return {"row": row + 1, "column": offset - starts[row] + 1}

    edits = sorted(text_edits(text, finding.fix.edits), key=lambda e: e.start)
    return [{"content": e.content, "location": location(e.start), "end_location": location(e.end)} for e in edits]


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
        print(
            f"buffer-lint: error: unknown rule code {args.code!r}; known: {', '.join(RULES_BY_CODE)}", file=sys.stderr
        )
        return EXIT_ERROR
    print(render_rule(rule), end="")
    return EXIT_CLEAN
