"""Reproduce the figures of SPEC.md's "Performance" section and write benchmarks/RESULTS.md.

Run it with the Python of the environment where buffer-lint is installed::

    python benchmarks/run.py [--corpus DIR] [--only STAGES] [--runs N]

Each figure is a ratio of two commands measured side by side in this one run: the medians of
interleaved wall-clock runs, and callgrind instruction counts (which repeat exactly, where wall
time on a shared machine does not) on a deterministic sample of the corpus's files.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import functools
import hashlib
import os
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
PARSE_ONLY = HERE / "parse_only.py"
BARE_VENV = HERE / ".venvs" / "venv"  # named venv so that the repository's flake8 excludes skip it
FLAKE8_DISTRIBUTIONS = ("flake8", "pycodestyle", "pyflakes", "mccabe")
FLAKE8_TARGET, CHECK_TARGET = 1.10, 2.0
SCALES = ((1, 4), (1, 2), (1, 1))
ENV = {**os.environ, "PYTHONHASHSEED": "0"}
SETUP_TIMEOUT = 900.0
WITH, WITHOUT = "flake8 with buffer-lint", "flake8 without buffer-lint"
CHECK, PARSE = "buffer-lint check", "ast.parse"
# What makes `check` comparable with a bare parse, each passed once the CLI has it: one process,
# every file analysed (no result cache), no configuration file found above the corpus.
CHECK_OPTIONS = (("-j", "-j1"), ("--no-cache", "--no-cache"), ("--isolated", "--isolated"))

FETCH_HINT = (
    "fetch it with `../shared/corpus/fetch [DEST]` from the repository root (it prints DEST), "
    "then pass --corpus DEST or set BUFFER_LINT_CORPUS=DEST"
)


def fail(message: str) -> SystemExit:
    return SystemExit(f"run.py: error: {message}")


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- running commands


def execute(argv: Sequence[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run a linter: exit 0 or 1 (problems found) is success. Its stdout is thrown away."""
    done = subprocess.run(
        argv, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=timeout,
        check=False,
    )
    if done.returncode not in (0, 1):
        raise fail(f"{shlex.join(argv[:5])} ... exited {done.returncode}:\n{done.stderr[-3000:]}")
    return done


def output(argv: Sequence[str], timeout: float = 120.0) -> str:
    """The stdout of a command that must succeed. It runs here, not in the repository's root,
    where ``python -c`` would find buffer_lint.egg-info (and the plugin) on sys.path."""
    try:
        done = subprocess.run(argv, cwd=HERE, env=ENV, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.CalledProcessError as error:
        raise fail(f"{shlex.join(argv)} exited {error.returncode}:\n{error.stderr}") from error
    return done.stdout


@dataclass
class Timings:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # user + system of the child


class Timed(NamedTuple):
    wall: float
    cpu: float  # user + system of the child
    stderr: str


def timed(argv: Sequence[str], cwd: Path, timeout: float) -> Timed:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = execute(argv, cwd, timeout)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Timed(wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done.stderr)


def interleave(commands: dict[str, list[str]], cwd: Path, runs: int, timeout: float) -> dict[str, Timings]:
    """Each command once untimed (page cache, .pyc files), then ``runs`` rounds of all of them,
    the order reversed every other round so that drift in the machine's load hits all alike."""
    for label, argv in commands.items():
        log(f"warm-up: {label}")
        execute(argv, cwd, timeout)
    timings = {label: Timings() for label in commands}
    labels = list(commands)
    for round_ in range(runs):
        for label in labels if round_ % 2 == 0 else labels[::-1]:
            wall, cpu, _ = timed(commands[label], cwd, timeout)
            timings[label].wall.append(wall)
            timings[label].cpu.append(cpu)
            log(f"round {round_ + 1}/{runs}: {label}: {wall:.2f} s wall, {cpu:.2f} s CPU")
    return timings


def instructions(argv: Sequence[str], cwd: Path, timeout: float) -> int:
    """Instructions executed by a command (``python ...``) under callgrind."""
    native(argv[0])
    done = execute(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv], cwd, timeout)
    match = re.search(r"Collected : (\d+)", done.stderr)
    if match is None:
        raise fail(f"no instruction count from callgrind for {shlex.join(argv[:5])} ...:\n{done.stderr[-3000:]}")
    return int(match.group(1))


# ---------------------------------------------------------------- environments and corpus


def native(python: str) -> str:
    """``python`` itself when it is a binary (callgrind would measure a shim script instead).
    The path stays unresolved: resolved, it would leave the virtual environment."""
    with open(os.path.realpath(python), "rb") as file:
        if file.read(4) != b"\x7fELF":
            raise fail(f"{python} is not a binary (a shim?); run run.py with the environment's real python")
    return python


def script(python: str, name: str) -> str:
    """The console script ``name`` of python's environment, run as ``python SCRIPT``: unlike
    ``python -m``, that keeps the working directory off sys.path, as the installed command does."""
    path = Path(python).parent / name
    if not path.is_file():
        raise fail(f"no {name} command in {path.parent}")
    return str(path)


def versions(python: str, distributions: Sequence[str]) -> dict[str, str]:
    """Installed version of each distribution ("" when missing) in python's environment."""
    code = (
        "import sys\nfrom importlib import metadata\nfor name in sys.argv[1:]:\n"
        "    try:\n        print(name, metadata.version(name))\n"
        "    except metadata.PackageNotFoundError:\n        print(name, '')\n"
    )
    lines = output([python, "-c", code, *distributions]).splitlines()
    return {name: version for name, _, version in (line.partition(" ") for line in lines)}


@functools.cache
def bare_flake8_python(python: str) -> str:
    """The python of a venv with the same flake8, pycodestyle, pyflakes and mccabe as ``python``'s
    environment and no buffer-lint, created (or brought in line) on demand."""
    wanted = versions(python, FLAKE8_DISTRIBUTIONS)
    bare = str(BARE_VENV / "bin" / "python")
    if not os.path.exists(bare):
        log(f"creating {BARE_VENV}")
        output([python, "-m", "venv", str(BARE_VENV)], SETUP_TIMEOUT)
    if versions(bare, FLAKE8_DISTRIBUTIONS) != wanted:
        pins = [f"{name}=={version}" for name, version in wanted.items() if version]
        log(f"installing {' '.join(pins)} into {BARE_VENV}")
        output([bare, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pins], SETUP_TIMEOUT)
    with_plugins, without_plugins = flake8_plugins(python), flake8_plugins(bare)
    extra = with_plugins - without_plugins
    if without_plugins - with_plugins or [name for name, _ in extra] != ["buffer-lint"]:
        raise fail(f"the flake8 environments differ by more than buffer-lint: {sorted(extra)}")
    return bare


def flake8_version(python: str) -> str:
    return " ".join(output([python, script(python, "flake8"), "--version"]).split())  # argparse wraps it


def flake8_plugins(python: str) -> set[tuple[str, str]]:
    """(name, version) of each plugin ``flake8 --version`` lists."""
    listed = re.search(r"\((.*?)\)", flake8_version(python))
    items = listed.group(1).split(", ") if listed else []
    return {(name, version) for name, _, version in (item.partition(": ") for item in items)}


def compile_package(python: str) -> Path:
    """Write the .pyc files of python's buffer_lint, as a pip install does; returns its folder.
    Where PYTHONDONTWRITEBYTECODE is set, no run writes them, and every start would compile the
    package from source (twice the import's instructions)."""
    code = "import buffer_lint, os; print(os.path.dirname(buffer_lint.__file__))"
    package = Path(output([python, "-c", code]).strip())
    output([python, "-m", "compileall", "-q", str(package)], SETUP_TIMEOUT)
    return package


def corpus_sources(option: str | None) -> Path:
    """The folder with one folder per package: --corpus, else $BUFFER_LINT_CORPUS, else
    ~/.cache/buffer-lint-corpus; each may name the folder ``fetch`` prints or its src/."""
    root = Path(option or os.environ.get("BUFFER_LINT_CORPUS") or "~/.cache/buffer-lint-corpus").expanduser()
    src = root / "src" if (root / "src").is_dir() else root
    if not src.is_dir():
        raise fail(f"no corpus at {root}: {FETCH_HINT}")
    return src.resolve()


def python_files(src: Path) -> list[str]:
    """Every .py file below ``src``, relative to it, in sorted order."""
    found = []
    for folder, subfolders, names in os.walk(src):
        subfolders.sort()
        base = Path(folder).relative_to(src)
        found.extend((base / name).as_posix() for name in sorted(names) if name.endswith(".py"))
    return found


def spread(items: Sequence[str], count: int) -> list[str]:
    """``count`` items evenly spaced through ``items``: a deterministic sample across packages."""
    if count >= len(items):
        return list(items)
    return [items[index * len(items) // count] for index in range(count)]


def count_lines(src: Path, files: Sequence[str]) -> int:
    return sum((src / name).read_bytes().count(b"\n") for name in files)


# ---------------------------------------------------------------- the measurements

Make = Callable[[Sequence[str]], list[str]]  # a command line for these files


@dataclass(frozen=True)
class Context:
    python: str  # the environment with buffer-lint installed
    src: Path  # the corpus: one folder per package
    files: tuple[str, ...]  # every .py file of the corpus, relative to src, sorted
    runs: int
    timeout: float
    flake8_sample: int
    check_sample: int
    empty: str  # an empty .py file: what a command costs before it reads any code
    package: Path  # buffer_lint's folder in python's environment, compiled to bytecode before the stages

    @property
    def timm(self) -> list[str]:
        timm = [name for name in self.files if name.startswith("timm/")]
        if not timm:
            raise fail(f"the corpus at {self.src} has no timm package: {FETCH_HINT}")
        return timm

    def flake8(self, python: str, paths: Sequence[str]) -> list[str]:
        return [python, script(python, "flake8"), "-j1", "--isolated", *paths]

    def check(self, paths: Sequence[str]) -> list[str]:
        return [self.python, script(self.python, "buffer-lint"), "check", *self.check_options, *paths]

    def parse(self, paths: Sequence[str]) -> list[str]:
        return [self.python, str(PARSE_ONLY), *paths]

    @functools.cached_property
    def check_options(self) -> list[str]:
        """Each of CHECK_OPTIONS that ``buffer-lint check`` has."""
        return [option for flag, option in CHECK_OPTIONS if self.check_has(flag)]

    def check_has(self, flag: str) -> bool:
        """Whether ``buffer-lint check --help`` lists ``flag`` (the CLI of the code under test may predate it)."""
        return re.search(rf"(?<![\w-]){flag}(?![\w-])", self.check_help) is not None

    @functools.cached_property
    def check_help(self) -> str:
        return output([self.python, script(self.python, "buffer-lint"), "check", "--help"])


def flake8_wall(ctx: Context) -> list[str]:
    bare = bare_flake8_python(ctx.python)
    commands = {WITHOUT: ctx.flake8(bare, ["timm"]), WITH: ctx.flake8(ctx.python, ["timm"])}
    timings = interleave(commands, ctx.src, ctx.runs, ctx.timeout)
    return [
        "## flake8 with the plugin vs without it: wall time",
        "",
        f"`flake8 -j1 --isolated timm` (default checks E, F, W, C90; plus BUF with the plugin): "
        f"{len(ctx.timm)} files, {count_lines(ctx.src, ctx.timm):,} lines. "
        f"One warm-up run each, then {ctx.runs} interleaved rounds.",
        "",
        bare_note(bare),
        "",
        *wall_table(timings),
        "",
        *wall_ratio(timings, WITH, WITHOUT, FLAKE8_TARGET),
    ]


def flake8_callgrind(ctx: Context) -> list[str]:
    bare = bare_flake8_python(ctx.python)
    sample = spread(ctx.timm, ctx.flake8_sample)
    commands = {WITHOUT: functools.partial(ctx.flake8, bare), WITH: functools.partial(ctx.flake8, ctx.python)}
    counts = {label: count_instructions(make, sample, ctx) for label, make in commands.items()}
    return [
        "## flake8 with the plugin vs without it: instructions (callgrind)",
        "",
        f"`flake8 -j1 --isolated` on {len(sample)} timm files spread evenly through the sorted list "
        f"({count_lines(ctx.src, sample):,} lines), and on an empty file (start-up: imports, plugin loading).",
        "",
        bare_note(bare),
        "",
        *instruction_table(counts, len(sample)),
        "",
        *instruction_ratio(counts, WITH, WITHOUT, FLAKE8_TARGET),
    ]


def bare_note(bare: str) -> str:
    return f"Without the plugin: `{Path(bare).parent.parent.relative_to(HERE.parent)}`, {flake8_version(bare)}."


def check_wall(ctx: Context) -> list[str]:
    commands = {PARSE: ctx.parse(ctx.files), CHECK: ctx.check(ctx.files)}
    timings = interleave(commands, ctx.src, ctx.runs, ctx.timeout)
    check = shlex.join(["buffer-lint", "check", *ctx.check_options])
    return [
        "## buffer-lint check vs bare ast.parse: wall time",
        "",
        f"The whole corpus, {len(ctx.files):,} files, named one by one to `{check}` and "
        f"to `parse_only.py` (read bytes + `ast.parse`, same python). "
        f"One warm-up run each, then {ctx.runs} interleaved rounds.",
        "",
        *wall_table(timings),
        "",
        *wall_ratio(timings, CHECK, PARSE, CHECK_TARGET),
    ]


def check_callgrind(ctx: Context) -> list[str]:
    sample = spread(ctx.files, ctx.check_sample)
    commands = {PARSE: ctx.parse, CHECK: ctx.check}
    counts = {label: count_instructions(make, sample, ctx) for label, make in commands.items()}
    packages = len({name.split("/")[0] for name in sample})
    return [
        "## buffer-lint check vs bare ast.parse: instructions (callgrind)",
        "",
        f"{len(sample)} files spread evenly through the corpus's sorted list ({packages} packages, "
        f"{count_lines(ctx.src, sample):,} lines), and an empty file (start-up).",
        "",
        *instruction_table(counts, len(sample)),
        "",
        *instruction_ratio(counts, CHECK, PARSE, CHECK_TARGET),
    ]


def scaling(ctx: Context) -> list[str]:
    subsets = {f"{num}/{den}": spread(ctx.files, len(ctx.files) * num // den) for num, den in SCALES}
    commands = {}
    for size, files in subsets.items():
        commands[f"ast.parse {size}"] = ctx.parse(files)
        commands[f"check {size}"] = ctx.check(files)
    timings = interleave(commands, ctx.src, ctx.runs, ctx.timeout)
    rows = [scaling_row(size, files, timings, ctx.src) for size, files in subsets.items()]
    return [
        "## Size scaling: buffer-lint check vs ast.parse, wall time",
        "",
        f"Evenly spaced subsets of the corpus; medians of {ctx.runs} interleaved rounds (after one warm-up each).",
        "",
        "| corpus | files | lines | ast.parse median (s) | check median (s) | check / ast.parse |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
    ]


def scaling_row(size: str, files: Sequence[str], timings: dict[str, Timings], src: Path) -> str:
    parse = statistics.median(timings[f"ast.parse {size}"].wall)
    check = statistics.median(timings[f"check {size}"].wall)
    lines = count_lines(src, files)
    return f"| {size} | {len(files):,} | {lines:,} | {parse:.2f} | {check:.2f} | {check / parse:.3f}x |"


def count_instructions(make: Make, sample: Sequence[str], ctx: Context) -> tuple[int, int]:
    """Instructions of the command on the sample (after one native run) and on the empty file."""
    sample_count = settled_instructions(make(sample), ctx.src, ctx.timeout, shlex.join(make(["FILE..."])))
    return sample_count, instructions(make([ctx.empty]), ctx.src, ctx.timeout)


def settled_instructions(
    argv: Sequence[str], cwd: Path, timeout: float, label: str, prepare: Callable[[], object] = lambda: None,
) -> int:
    """Instructions of a command under callgrind after one native run of it (page cache; callgrind
    never counts writing .pyc files). ``prepare`` runs before each of the two: the state to measure in."""
    prepare()
    execute(argv, cwd, timeout)
    prepare()
    log(f"callgrind: {label}")
    return instructions(argv, cwd, timeout)


# ---------------------------------------------------------------- the report


def judged(figure: str, target: str, met: bool) -> str:
    return f"**{figure}** (target <= {target}: {'met' if met else 'NOT met'})"


def verdict(ratio: float, target: float) -> str:
    return judged(f"{ratio:.3f}x", f"{target:.2f}x", ratio <= target)


def wall_table(timings: dict[str, Timings]) -> list[str]:
    rows = [
        f"| {label} | {statistics.median(t.wall):.2f} | {statistics.median(t.cpu):.2f} | "
        f"{', '.join(f'{w:.2f}' for w in t.wall)} |"
        for label, t in timings.items()
    ]
    return ["| command | median wall (s) | median CPU (s) | wall, each round (s) |", "|---|---:|---:|---|", *rows]


def wall_ratio(timings: dict[str, Timings], numerator: str, denominator: str, target: float) -> list[str]:
    top, bottom = timings[numerator], timings[denominator]
    paired = [a / b for a, b in zip(top.wall, bottom.wall)]
    ratio = statistics.median(top.wall) / statistics.median(bottom.wall)
    return [
        f"- {numerator} / {denominator}, median wall: {verdict(ratio, target)}",
        f"- median CPU (user + system): {statistics.median(top.cpu) / statistics.median(bottom.cpu):.3f}x; "
        f"wall ratio within each round: {min(paired):.3f}x to {max(paired):.3f}x",
    ]


def instruction_table(counts: dict[str, tuple[int, int]], files: int) -> list[str]:
    rows = [f"| {label} | {sample:,} | {empty:,} | {sample - empty:,} |" for label, (sample, empty) in counts.items()]
    return [
        f"| command | instructions, {files} files | instructions, empty file | difference (the files' share) |",
        "|---|---:|---:|---:|",
        *rows,
    ]


def instruction_ratio(counts: dict[str, tuple[int, int]], numerator: str, denominator: str, target: float) -> list[str]:
    (top, top_empty), (bottom, bottom_empty) = counts[numerator], counts[denominator]
    files_share = (top - top_empty) / (bottom - bottom_empty)
    return [
        f"- {numerator} / {denominator}, whole process: {verdict(top / bottom, target)}",
        f"- start-up subtracted (the files' share only): {verdict(files_share, target)}",
    ]


@dataclass(frozen=True)
class Start:
    """The state of things when the run began."""

    time: datetime
    load: str
    source: str  # git_state() of the package measured

    @classmethod
    def now(cls, package: Path) -> Start:
        return cls(datetime.now(timezone.utc), load_average(), git_state(package))


def header(ctx: Context, start: Start) -> list[str]:
    elapsed = datetime.now(timezone.utc) - start.time
    source = git_state(ctx.package)
    changed = "" if source == start.source else f"; CHANGED during the run, at the end: {source}"
    version = output([ctx.python, script(ctx.python, "buffer-lint"), "--version"]).split()[-1]
    return [
        "# buffer-lint benchmarks",
        "",
        f"- command: `{shlex.join([sys.executable, *sys.argv])}`",
        f"- date: {start.time:%Y-%m-%d %H:%M} UTC, {elapsed.seconds // 60} min",
        f"- machine: {os.cpu_count()} cores ({cpu_model()}), load average {start.load} at the start, "
        f"{load_average()} at the end",
        f"- python: {sys.version.split()[0]} ({ctx.python})",
        f"- flake8: {flake8_version(ctx.python)}",
        f"- buffer-lint: {version} from {ctx.package}, {start.source}{changed}",
        f"- valgrind: {valgrind_version()}",
        f"- bytecode: `python -m compileall -q {ctx.package}` before the stages, so buffer-lint starts from .pyc "
        f"files as after a pip install{BYTECODE_NOTE if os.environ.get('PYTHONDONTWRITEBYTECODE') else ''}",
        f"- corpus: {ctx.src}: {len(ctx.files):,} files, {count_lines(ctx.src, ctx.files):,} lines",
        "",
        f"Targets (SPEC.md, Performance): flake8 with / without the plugin <= {FLAKE8_TARGET:.2f}x; "
        f"`buffer-lint check -j1` / `ast.parse` <= {CHECK_TARGET:.1f}x.",
    ]


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown CPU"
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else "unknown CPU"


def load_average() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def valgrind_version() -> str:
    return output(["valgrind", "--version"]).strip() if shutil.which("valgrind") else "not installed"


def git_state(package: Path) -> str:
    """The commit of the checkout the package is measured from (which need not hold this script),
    and whether it had changes."""
    git = ["git", "-C", str(package.parent)]
    probe = subprocess.run([*git, "rev-parse"], capture_output=True, timeout=60, check=False)
    if probe.returncode:
        return "not in a git checkout"
    commit = output([*git, "rev-parse", "--short", "HEAD"]).strip()
    asks = (["status", "--porcelain"], ["diff", "HEAD"])
    changes = "".join(output([*git, *ask, "--", "buffer_lint"]) for ask in asks)
    if not changes:
        return f"git {commit}"
    digest = hashlib.sha1(changes.encode()).hexdigest()[:8]
    return f"git {commit} + uncommitted changes to buffer_lint/ (digest {digest})"


# ---------------------------------------------------------------- command line


# ---------------------------------------------------------------- repository-scale speed (parallel, cache, start-up)

PARALLEL_TARGET, CACHE_TARGET, FIX_TARGET, SMALL_RUN_TARGET, RSS_TARGET_MB = 0.6, 0.10, 1.5, 0.3, 300
J1, J2 = "buffer-lint check -j1", "buffer-lint check -j2"


def lint(ctx: Context, *options: str) -> list[str]:
    """``buffer-lint check`` with the given options, no configuration file, no cache unless asked."""
    cache = [] if any(o.startswith("--cache-dir") for o in options) else ["--no-cache"]
    return [ctx.python, script(ctx.python, "buffer-lint"), "check", "--isolated", *cache, *options]


def captured(argv: Sequence[str], cwd: Path, timeout: float) -> str:
    done = subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode not in (0, 1):
        raise fail(f"{shlex.join(argv[:5])} ... exited {done.returncode}:\n{done.stderr[-3000:]}")
    return done.stdout


def parallel_wall(ctx: Context) -> list[str]:
    commands = {J1: [*lint(ctx, "-j1"), *ctx.files], J2: [*lint(ctx, "-j2"), *ctx.files]}
    same = captured(commands[J1], ctx.src, ctx.timeout) == captured(commands[J2], ctx.src, ctx.timeout)
    timings = interleave(commands, ctx.src, ctx.runs, ctx.timeout)
    return [
        "## Parallel checking: -j2 vs -j1",
        "",
        f"The whole corpus, {len(ctx.files):,} files, `--no-cache`, one warm-up run each, then {ctx.runs} "
        f"interleaved rounds. Output of the two byte for byte identical: **{'yes' if same else 'NO'}**.",
        "",
        *wall_table(timings),
        "",
        *wall_ratio(timings, J2, J1, PARALLEL_TARGET),
    ]


def cache_wall(ctx: Context) -> list[str]:
    """Cold: an empty cache directory every round. Warm: one filled before the rounds."""
    timings = {"cold cache": Timings(), "warm cache": Timings()}
    with tempfile.TemporaryDirectory() as tmp:
        cold, warm = Path(tmp, "cold"), Path(tmp, "warm")
        execute([*lint(ctx, "-j1", f"--cache-dir={warm}"), *ctx.files], ctx.src, ctx.timeout)
        for round_ in range(ctx.runs):
            shutil.rmtree(cold, ignore_errors=True)
            for label, directory in (("cold cache", cold), ("warm cache", warm)):
                wall, cpu, _ = timed([*lint(ctx, "-j1", f"--cache-dir={directory}"), *ctx.files], ctx.src, ctx.timeout)
                timings[label].wall.append(wall)
                timings[label].cpu.append(cpu)
                log(f"round {round_ + 1}/{ctx.runs}: {label}: {wall:.2f} s wall")
    return [
        "## Result cache: warm vs cold run",
        "",
        f"`buffer-lint check -j1 --cache-dir DIR` on the whole corpus; the cold run starts from an empty "
        f"directory each round, the warm one from a directory filled once before. {ctx.runs} rounds.",
        "",
        *wall_table(timings),
        "",
        *wall_ratio(timings, "warm cache", "cold cache", CACHE_TARGET),
    ]


def fix_wall(ctx: Context) -> list[str]:
    """--diff does all the work of --fix (libcst included) but writes nothing: the corpus stays as it is."""
    labels = ("buffer-lint check", "buffer-lint check --diff --unsafe-fixes")
    commands = {
        labels[0]: [*lint(ctx, "-j1"), *ctx.files],
        labels[1]: [*lint(ctx, "-j1", "--diff", "--unsafe-fixes"), *ctx.files],
    }
    timings = interleave(commands, ctx.src, ctx.runs, ctx.timeout)
    return [
        "## Fixing costs libcst only where there is a fix",
        "",
        f"The whole corpus, `-j1 --no-cache`; `--diff --unsafe-fixes` computes every fix (libcst on the "
        f"statements it rewrites) and writes nothing. One warm-up run each, then {ctx.runs} interleaved rounds.",
        "",
        *wall_table(timings),
        "",
        *wall_ratio(timings, labels[1], labels[0], FIX_TARGET),
    ]


def small_run(ctx: Context) -> list[str]:
    """What pre-commit costs on a commit of five files: start-up dominates."""
    small = sorted((f for f in ctx.files if 2_000 < (ctx.src / f).stat().st_size < 6_000), key=lambda f: f)[:5]
    argv = [*lint(ctx), *small]
    execute(argv, ctx.src, ctx.timeout)
    walls = sorted(timed(argv, ctx.src, ctx.timeout).wall for _ in range(max(ctx.runs, 5)))
    importtime = subprocess.run(
        [ctx.python, "-X", "importtime", "-c", "import buffer_lint.cli"], cwd=HERE, env=ENV, capture_output=True,
        text=True, timeout=60, check=True,
    ).stderr.splitlines()
    total_us = next(
        int(line.split("|")[1]) for line in reversed(importtime) if line.rstrip().endswith("buffer_lint.cli")
    )
    libcst = any("libcst" in line for line in importtime)
    median = statistics.median(walls)
    return [
        "## Small runs: five files, as pre-commit passes them",
        "",
        f"`buffer-lint check --no-cache` (default `-j`: no pool for so few files) on {', '.join(small)}; "
        f"{len(walls)} runs, wall time including interpreter start-up.",
        "",
        f"- median wall: {judged(f'{median:.3f} s', f'{SMALL_RUN_TARGET} s', median <= SMALL_RUN_TARGET)}; "
        f"all runs: {', '.join(f'{w:.3f}' for w in walls)}",
        f"- `python -X importtime -c 'import buffer_lint.cli'`: {total_us / 1000:.1f} ms cumulative; "
        f"libcst imported: {'yes' if libcst else 'no'} (it is imported only when a fix is applied)",
    ]


def memory(ctx: Context) -> list[str]:
    """Peak resident memory of the largest process of each run (ru_maxrss of the children)."""
    rows = []
    for jobs in ("-j1", "-j2"):
        probe = (
            "import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        argv = [ctx.python, "-c", probe, *lint(ctx, jobs), *ctx.files]
        done = subprocess.run(argv, cwd=ctx.src, env=ENV, capture_output=True, text=True, timeout=ctx.timeout)
        peak_mb = int(done.stdout.split()[-1]) / 1024
        verdict_ = "met" if peak_mb <= RSS_TARGET_MB else "NOT met"
        rows.append(f"| `buffer-lint check {jobs}` | {peak_mb:.0f} | {verdict_} |")
        log(f"memory {jobs}: {peak_mb:.0f} MB")
    return [
        "## Memory: peak RSS per process",
        "",
        "The whole corpus, `--no-cache`; the peak resident set of the largest process (the parent for "
        "`-j1`, the largest of parent and workers for `-j2`), from `getrusage(RUSAGE_CHILDREN).ru_maxrss`.",
        "",
        f"| command | peak RSS (MB) | target <= {RSS_TARGET_MB} MB |",
        "|---|---:|---|",
        *rows,
    ]


def reference(ctx: Context) -> list[str]:
    """The floor (ast.parse) and a native linter (ruff) beside buffer-lint, same files, one process each."""
    ruff = shutil.which("ruff", path=str(Path(ctx.python).parent))
    commands = {PARSE: ctx.parse(ctx.files), J1: [*lint(ctx, "-j1"), *ctx.files]}
    if ruff:
        commands["ruff check --select E,F"] = [ruff, "check", "--isolated", "--no-cache", "--select", "E,F",
                                               "--exit-zero", "--quiet", *ctx.files]
    timings = interleave(commands, ctx.src, ctx.runs, ctx.timeout)
    note = "" if ruff else " ruff is not installed in this environment (`pip install ruff`), so it is left out."
    return [
        "## Reference points: the floor and a native linter",
        "",
        f"The whole corpus: bare `ast.parse` (the floor of any ast-based linter), `buffer-lint check -j1`, and "
        f"ruff (a linter in Rust, all threads) for scale.{note} {ctx.runs} interleaved rounds.",
        "",
        *wall_table(timings),
    ]


# ---------------------------------------------------------------- start-up, a commit's files, the edit-check loop

IMPORT_TARGET, FLAKE8_TEN_TARGET = 100_000_000, 1.03
OTHER_TEN_STARTS = (3, 7)  # the samples awk 'NR%12==4' and 'NR%12==8' pick
BYTECODE_NOTE = " (this environment sets PYTHONDONTWRITEBYTECODE, so no run writes them)"
BARE_PYTHON, CLI_IMPORT = "pass", "import buffer_lint.cli"
FLAKE8_IMPORT, PLUGIN_IMPORT = "import flake8.main.cli", "import flake8.main.cli; import buffer_lint.flake8_plugin"
COLD_SUMMARIES, WARM_SUMMARIES = f"{WITH}, summaries cold", f"{WITH}, summaries warm"
PROJECT_CACHE = ".buffer_lint_cache"  # at a project's root, where the plugin reads the summaries from
EDIT_PACKAGES = ("timm", "transformers")
COLD_RUN = "cold: empty cache"
CHECKED = re.compile(r"buffer-lint: checked ([\d,]+) of ([\d,]+) files \([\d,]+ from the cache\)")


def plugin_import(ctx: Context) -> list[str]:
    """What importing the flake8 plugin costs flake8's start-up, and the CLI's import for reference."""
    codes = (BARE_PYTHON, CLI_IMPORT, FLAKE8_IMPORT, PLUGIN_IMPORT)
    counts = {code: settled_instructions([ctx.python, "-c", code], HERE, ctx.timeout, code) for code in codes}
    plugin, cli = counts[PLUGIN_IMPORT] - counts[FLAKE8_IMPORT], counts[CLI_IMPORT] - counts[BARE_PYTHON]
    return [
        "## Start-up: importing the plugin (callgrind)",
        "",
        "`python -c CODE`, run from `benchmarks/`, under callgrind after one native run each.",
        "",
        "| CODE | instructions |",
        "|---|---:|",
        *(f"| `{code}` | {count:,} |" for code, count in counts.items()),
        "",
        f"- the plugin's import alone (`{PLUGIN_IMPORT}` minus `{FLAKE8_IMPORT}`): "
        f"{judged(f'{plugin / 1e6:.1f} M', f'{IMPORT_TARGET / 1e6:.0f} M', plugin <= IMPORT_TARGET)}",
        f"- for reference, `{CLI_IMPORT}` minus a bare interpreter (`{BARE_PYTHON}`): {cli / 1e6:.1f} M",
    ]


def flake8_ten(ctx: Context) -> list[str]:
    """flake8 on a commit's worth of timm files; the plugin with its project's summaries on disk or not."""
    root, files = ctx.src / "timm", ten_timm_models(ctx)
    cache = root / PROJECT_CACHE
    bare = bare_flake8_python(ctx.python)
    fill = [*lint(ctx, "-j1", "-q", f"--cache-dir={cache}"), *files]
    states: dict[str, tuple[str, Callable[[], object]]] = {
        WITHOUT: (bare, lambda: None),
        COLD_SUMMARIES: (ctx.python, lambda: shutil.rmtree(cache, ignore_errors=True)),
        WARM_SUMMARIES: (ctx.python, lambda: execute(fill, root, ctx.timeout)),
    }
    with preserved(cache):
        counts = {
            label: settled_instructions(ctx.flake8(python, files), root, ctx.timeout, label, prepare)
            for label, (python, prepare) in states.items()
        }
        summaries = sum(1 for path in (cache / "summaries").rglob("*") if path.is_file())
    rows = [f"| {label} | {count:,} | {count / counts[WITHOUT]:.3f}x |" for label, count in counts.items()]
    return [
        "## flake8 on ten files: with the plugin vs without it (callgrind)",
        "",
        f"`flake8 -j1 --isolated FILES` run in {root}, FILES being `ls timm/models/*.py | awk 'NR%12==1' | "
        f"head -10` ({count_lines(root, files):,} lines): {', '.join(Path(name).name for name in files)}. "
        f"Cold: no `{PROJECT_CACHE}` at that root, removed before each run. Warm: "
        f"`buffer-lint {shlex.join(fill[2:-len(files)])} FILES` there, then flake8, before each run; it held "
        f"{summaries} summaries. One native run before each callgrind run; the folder as it was before the stage "
        f"is put back after it.",
        "",
        bare_note(bare),
        "",
        "| command | instructions | / without |",
        "|---|---:|---:|",
        *rows,
        "",
        *(f"- {label} / {WITHOUT}: {verdict(counts[label] / counts[WITHOUT], FLAKE8_TEN_TARGET)}"
          for label in (COLD_SUMMARIES, WARM_SUMMARIES)),
        "",
        *other_ten_samples(ctx, root, bare),
    ]


def other_ten_samples(ctx: Context, root: Path, bare: str) -> list[str]:
    """The cold comparison on other samples of ten files, for the spread: not the criterion's sample."""
    cache = root / PROJECT_CACHE
    rows = []
    with preserved(cache):
        for start in OTHER_TEN_STARTS:
            files = ten_timm_models(ctx, start)
            label = f"sample {start + 1}"
            without = settled_instructions(ctx.flake8(bare, files), root, ctx.timeout, f"{WITHOUT}, {label}")
            cold = settled_instructions(
                ctx.flake8(ctx.python, files), root, ctx.timeout, f"{COLD_SUMMARIES}, {label}",
                lambda: shutil.rmtree(cache, ignore_errors=True),
            )
            lines = count_lines(root, files)
            rows.append(f"| `NR%12=={start + 1}` | {lines:,} | {without:,} | {cold:,} | {cold / without:.3f}x |")
    return [
        (
            "Other samples, for the spread (not the sample the target is about): ten files each, "
            "`ls timm/models/*.py | awk 'NR%12==K' | head -10`, summaries cold. The plugin's fixed cost "
            "(importing the analysis: about 0.17 G instructions, most of it Python creating dataclasses) "
            "weighs more on fewer lines."
        ),
        "",
        "| sample | lines | without buffer-lint | with buffer-lint, summaries cold | / without |",
        "|---|---:|---:|---:|---:|",
        *rows,
    ]


def ten_timm_models(ctx: Context, start: int = 0) -> list[str]:
    """Every twelfth file of timm/models (sorted, from the ``start``-th), ten of them, relative to timm's root."""
    models = [name.removeprefix("timm/") for name in ctx.timm if re.fullmatch(r"timm/timm/models/[^/]+\.py", name)]
    return models[start::12][:10]


@contextlib.contextmanager
def preserved(path: Path) -> Iterator[None]:
    """Whatever is at ``path`` now (a folder, or nothing) is there again afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        saved = Path(tmp, path.name)
        if path.exists():
            shutil.move(path, saved)
        try:
            yield
        finally:
            shutil.rmtree(path, ignore_errors=True)
            if saved.exists():
                shutil.move(saved, path)


@dataclass(frozen=True)
class Edit:
    """A case of the edit-check loop: what a developer changes before running the check again."""

    label: str
    target_s: float
    path: str | None = None  # relative to the copied packages; None: nothing changes
    class_name: str | None = None  # a line at the top of this class's body; None: a comment at the end
    buffer: bool = False  # the line registers a buffer at the end of the class's __init__ instead

    def apply(self, tree: Path, token: str) -> None:
        if self.path is not None:
            file = tree / self.path
            file.write_bytes(self.edited(file.read_bytes(), token.encode()))

    def edited(self, source: bytes, token: bytes) -> bytes:
        if self.class_name is None:
            return source + (b"" if source.endswith(b"\n") else b"\n") + b"# edit-loop " + token + b"\n"
        lines = source.splitlines(keepends=True)
        body = class_body(source, self.class_name)
        if self.buffer:
            last = next(n for n in body if isinstance(n, ast.FunctionDef) and n.name == "__init__").body[-1]
            line = b'self.register_buffer("edit_marker_' + token + b'", None)\n'
            lines.insert(last.end_lineno or last.lineno, b" " * last.col_offset + line)
        else:
            lines.insert(body[0].lineno - 1, b" " * body[0].col_offset + b"edit_marker_" + token + b" = None\n")
        return b"".join(lines)


def class_body(source: bytes, name: str) -> list[ast.stmt]:
    """The body of the top-level class ``name``."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return node.body
    raise fail(f"no class {name} in the file to edit")


EDITS = (
    Edit("(a) nothing changed", 1.0),
    Edit("(b) a leaf file: comment added", 1.0, "timm/timm/models/regnet.py"),
    Edit("(c) a base class's file: comment added", 1.5, "transformers/transformers/modeling_utils.py"),
    Edit("(d) a base class: class attribute added", 1.5, "timm/timm/layers/mlp.py", "Mlp"),
    Edit("(e) a base class: class attribute added", 1.5, "transformers/transformers/modeling_utils.py",
         "PreTrainedModel"),
    Edit("(f) a base class: buffer registered", 1.5, "timm/timm/layers/mlp.py", "Mlp", buffer=True),
    Edit("(g) a base class: buffer registered", 1.5, "transformers/transformers/modeling_utils.py",
         "PreTrainedModel", buffer=True),
)


def edit_loop(ctx: Context) -> list[str]:
    """A warm cache, one file changed, the check run again: the wall time a developer waits."""
    verbose = ["-v"] if ctx.check_has("--verbose") else []
    results: dict[str, list[Timed]] = {COLD_RUN: [], **{edit.label: [] for edit in EDITS}}
    with tempfile.TemporaryDirectory() as tmp:
        tree, cache, cold = Path(tmp, "tree"), Path(tmp, "cache"), Path(tmp, "cold")
        for package in EDIT_PACKAGES:
            shutil.copytree(ctx.src / package, tree / package, ignore=shutil.ignore_patterns(PROJECT_CACHE))
        originals = {edit.path: (tree / edit.path).read_bytes() for edit in EDITS if edit.path}

        def check(directory: Path) -> list[str]:
            return [*lint(ctx, "-q", *verbose, f"--cache-dir={directory}"), "."]

        for _ in range(2):
            execute(check(cache), tree, ctx.timeout)
        try:
            for round_ in range(ctx.runs):
                shutil.rmtree(cold, ignore_errors=True)
                results[COLD_RUN].append(timed(check(cold), tree, ctx.timeout))
                for edit in EDITS:
                    restore(tree, originals)
                    execute(check(cache), tree, ctx.timeout)
                    edit.apply(tree, uuid.uuid4().hex[:12])
                    results[edit.label].append(timed(check(cache), tree, ctx.timeout))
                    log(f"round {round_ + 1}/{ctx.runs}: {edit.label}: {results[edit.label][-1].wall:.2f} s")
        finally:
            restore(tree, originals)
    command = shlex.join(["buffer-lint", *check(Path("CACHE"))[2:]])
    return [
        "## The edit-check loop: one file changed, the cache warm",
        "",
        f"{' and '.join(EDIT_PACKAGES)} copied from the corpus to a temporary folder ({edit_loop_files(ctx):,} "
        f"files); `{command}` run there twice to fill the cache. Then {ctx.runs} rounds of: a cold run (an empty "
        f"cache), then for each case: the files put back, one untimed run, the change (a new token each time), "
        f"one timed run.",
        "(b) and (c) append a comment; (d) and (e) add `edit_marker_TOKEN = None` at the top of the body of "
        "timm's `Mlp` (timm/layers/mlp.py) and of `PreTrainedModel` (transformers/modeling_utils.py): a new name "
        "in a base's body, which re-checks only the files that asked the base about that name; (f) and (g) add "
        '`self.register_buffer("edit_marker_TOKEN", None)` at the end of the same classes\' `__init__`: a new '
        "buffer in a base, which changes what it tells every file that uses it. The warm / cold ratio of the "
        "whole corpus is the result-cache stage's; here the cold run uses the default `-j` on two packages."
        + ("" if verbose else " This buffer-lint has no `--verbose`, so the files re-checked are n/a."),
        "",
        "| case | file changed | median wall (s) | median CPU (s) | wall, each round (s) | files re-checked |",
        "|---|---|---:|---:|---|---|",
        *(edit_row(label, path, timings) for label, path, timings in edit_rows(results)),
        "",
        *edit_verdicts(results),
    ]


def edit_loop_files(ctx: Context) -> int:
    return sum(1 for name in ctx.files if name.split("/")[0] in EDIT_PACKAGES)


def restore(tree: Path, originals: dict[str, bytes]) -> None:
    for path, data in originals.items():
        (tree / path).write_bytes(data)


def edit_rows(results: dict[str, list[Timed]]) -> list[tuple[str, str, list[Timed]]]:
    paths = {edit.label: edit.path or "" for edit in EDITS}
    return [(label, paths.get(label, ""), timings) for label, timings in results.items()]


def edit_row(label: str, path: str, timings: list[Timed]) -> str:
    walls = [t.wall for t in timings]
    cpu = statistics.median(t.cpu for t in timings)
    shown = f"`{path}`" if path else ""
    return (
        f"| {label} | {shown} | {statistics.median(walls):.2f} | {cpu:.2f} | {', '.join(f'{w:.2f}' for w in walls)} "
        f"| {rechecked(timings)} |"
    )


def rechecked(timings: list[Timed]) -> str:
    """'3 of 2,010', the median over the rounds of what ``-v`` reports; n/a where it did not."""
    found = [count for count in map(checked_files, (t.stderr for t in timings)) if count is not None]
    if not found or len(found) < len(timings):
        return "n/a"
    return f"{statistics.median(checked for checked, _ in found):,g} of {found[-1][1]:,}"


def checked_files(stderr: str) -> tuple[int, int] | None:
    """(files checked, files in all) from the line ``buffer-lint check -v`` ends with."""
    match = CHECKED.search(stderr)
    if match is None:
        return None
    return int(match.group(1).replace(",", "")), int(match.group(2).replace(",", ""))


def seconds_verdict(seconds: float, target: float) -> str:
    return judged(f"{seconds:.2f} s", f"{target} s", seconds <= target)


def edit_verdicts(results: dict[str, list[Timed]]) -> list[str]:
    medians = {label: statistics.median(t.wall for t in timings) for label, timings in results.items()}
    lines = [f"- {edit.label}: {seconds_verdict(medians[edit.label], edit.target_s)}" for edit in EDITS]
    unchanged = medians[EDITS[0].label] / medians[COLD_RUN]
    lines.insert(1, f"- {EDITS[0].label} / {COLD_RUN}, median wall: {unchanged:.3f}x (for scale)")
    return lines



STAGES: dict[str, Callable[[Context], list[str]]] = {
    "flake8-wall": flake8_wall,
    "flake8-callgrind": flake8_callgrind,
    "check-wall": check_wall,
    "check-callgrind": check_callgrind,
    "scaling": scaling,
    "parallel-wall": parallel_wall,
    "cache-wall": cache_wall,
    "fix-wall": fix_wall,
    "small-run": small_run,
    "memory": memory,
    "reference-wall": reference,
    "plugin-import": plugin_import,
    "flake8-ten": flake8_ten,
    "edit-loop": edit_loop,
}
CALLGRIND_STAGES = {"flake8-callgrind", "check-callgrind", "plugin-import", "flake8-ten"}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--corpus", metavar="DIR", help="the corpus (default: $BUFFER_LINT_CORPUS, else ~/.cache/buffer-lint-corpus)")
    add("--only", metavar="STAGES", help=f"comma-separated stages or words of their names: {', '.join(STAGES)}")
    add("--runs", type=int, default=5, help="timed rounds of each wall-clock comparison (default: 5)")
    add("--flake8-sample", type=int, default=40, metavar="N", help="timm files for flake8 in callgrind (default: 40)")
    add("--check-sample", type=int, default=300, metavar="N", help="corpus files for check in callgrind (default: 300)")
    add("--timeout", type=float, default=3600.0, metavar="S", help="limit for each command, seconds (default: 3600)")
    add("--output", type=Path, help="where to write the report (default: benchmarks/RESULTS.md if no --only)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def chosen_stages(only: str | None) -> list[str]:
    """Stages named by ``--only``: by full name, or by a word of their names (check, wall, ...)."""
    if only is None:
        return list(STAGES)
    words = {word.strip() for word in only.split(",") if word.strip()}
    names = {stage: {stage, *stage.split("-")} for stage in STAGES}
    unknown = sorted(word for word in words if not any(word in name for name in names.values()))
    if unknown:
        raise fail(f"unknown stage {', '.join(unknown)}; stages: {', '.join(STAGES)}")
    return [stage for stage, name in names.items() if words & name]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    stages = chosen_stages(args.only)
    if set(stages) & CALLGRIND_STAGES and shutil.which("valgrind") is None:
        raise fail(f"valgrind is not installed; leave {', '.join(sorted(CALLGRIND_STAGES))} out with --only")
    src = corpus_sources(args.corpus)
    files = python_files(src)
    if not files:
        raise fail(f"no .py files in {src}: {FETCH_HINT}")
    package = compile_package(sys.executable)
    start = Start.now(package)
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp, "empty.py")
        empty.touch()
        ctx = Context(
            python=sys.executable, src=src, files=tuple(files), runs=args.runs, timeout=args.timeout,
            flake8_sample=args.flake8_sample, check_sample=args.check_sample, empty=str(empty), package=package,
        )
        sections = [STAGES[stage](ctx) for stage in stages]
    report = "\n\n".join("\n".join(lines) for lines in [header(ctx, start), *sections]) + "\n"
    print(report)
    destination = args.output or (RESULTS if args.only is None else None)
    if destination is not None:
        destination.write_text(report, encoding="utf-8")
        log(f"wrote {destination}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
