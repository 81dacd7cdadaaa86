"""Reproduce the figures of SPEC.md's "Performance" section and write benchmarks/RESULTS.md.

Run it with the Python of the environment where buffer-lint is installed::

    python benchmarks/run.py [--corpus DIR] [--only STAGES] [--runs N]

Each figure is a ratio of two commands measured side by side in this one run: the medians of
interleaved wall-clock runs, and callgrind instruction counts (which repeat exactly, where wall
time on a shared machine does not) on a deterministic sample of the corpus's files.
"""

from __future__ import annotations

import argparse
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

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


def timed(argv: Sequence[str], cwd: Path, timeout: float) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    execute(argv, cwd, timeout)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


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
            wall, cpu = timed(commands[label], cwd, timeout)
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
        """Each of CHECK_OPTIONS that ``buffer-lint check --help`` lists."""
        help_text = output([self.python, script(self.python, "buffer-lint"), "check", "--help"])
        return [option for flag, option in CHECK_OPTIONS if re.search(rf"(?<![\w-]){flag}(?![\w-])", help_text)]


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
    """Instructions of the command on the sample and on the empty file, after one native run
    (so that callgrind never counts writing .pyc files)."""
    execute(make(sample), ctx.src, ctx.timeout)
    log(f"callgrind: {shlex.join(make(['FILE...']))}")
    return instructions(make(sample), ctx.src, ctx.timeout), instructions(make([ctx.empty]), ctx.src, ctx.timeout)


# ---------------------------------------------------------------- the report


def verdict(ratio: float, target: float) -> str:
    return f"**{ratio:.3f}x** (target <= {target:.2f}x: {'met' if ratio <= target else 'NOT met'})"


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
    source: str  # git_state()

    @classmethod
    def now(cls) -> Start:
        return cls(datetime.now(timezone.utc), load_average(), git_state())


def header(ctx: Context, start: Start) -> list[str]:
    elapsed = datetime.now(timezone.utc) - start.time
    source = git_state()
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
        f"- buffer-lint: {version}, {start.source}{changed}",
        f"- valgrind: {valgrind_version()}",
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


def git_state() -> str:
    """The commit of the checkout the package was measured from, and whether it had changes."""
    git = ["git", "-C", str(HERE.parent)]
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
                wall, cpu = timed([*lint(ctx, "-j1", f"--cache-dir={directory}"), *ctx.files], ctx.src, ctx.timeout)
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
    walls = sorted(timed(argv, ctx.src, ctx.timeout)[0] for _ in range(max(ctx.runs, 5)))
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
        f"- median wall: **{median:.3f} s** (target <= {SMALL_RUN_TARGET} s: "
        f"{'met' if median <= SMALL_RUN_TARGET else 'NOT met'}); all runs: {', '.join(f'{w:.3f}' for w in walls)}",
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
}


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
    if any("callgrind" in stage for stage in stages) and shutil.which("valgrind") is None:
        raise fail("valgrind is not installed; leave the callgrind stages out with --only wall,scaling")
    src = corpus_sources(args.corpus)
    files = python_files(src)
    if not files:
        raise fail(f"no .py files in {src}: {FETCH_HINT}")
    start = Start.now()
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp, "empty.py")
        empty.touch()
        ctx = Context(
            python=sys.executable, src=src, files=tuple(files), runs=args.runs, timeout=args.timeout,
            flake8_sample=args.flake8_sample, check_sample=args.check_sample, empty=str(empty),
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
