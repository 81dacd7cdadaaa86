"""Shared by the tests: fixture discovery, expected findings, and running the real commands."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import pytest

    from buffer_lint.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
BIN = Path(sys.executable).parent
# A module with one BUF001 (safe fix) and one BUF002 (unsafe fix), for the command-line tests.
BAD = """\
import torch
from torch import nn


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.mask = torch.ones(3)
        self.w = nn.Parameter(torch.ones(3), requires_grad=False)
"""
# Markers, on the line a finding is reported on: the code and the 1-based column, as the CLI prints them.
# "# error: BUF001:9" marks a finding that `buffer-lint check --fix --unsafe-fixes` leaves, "# fixed: BUF001:9"
# one that it fixes; several: "# error: BUF001:9, BUF006:9". A note may follow: "# error: BUF001:9 (why)".
EXPECTED = re.compile(r"#\s*(?P<kind>error|fixed):")
MARKER_ITEMS = re.compile(
    r"\s*(?P<items>[A-Z]+[0-9]+:[1-9][0-9]*(?:\s*,\s*[A-Z]+[0-9]+:[1-9][0-9]*)*)(?=\s*(?:$|#|\())"
)
# "# buffer-lint: --option value" on a fixture's first line: the settings it is checked with.
OPTIONS = re.compile(r"^# buffer-lint:(?P<options>.*)$")
FIXED_SUFFIX = ".fixed.py"


class MarkerError(ValueError):
    """A marker the tests cannot read: test data to correct."""


PROJECTS = FIXTURES / "projects"  # fixtures of several files: checked together by tests/test_projects.py


def fixture_files() -> list[Path]:
    """The one-file fixtures, without their expected fixes (``<name>.fixed.py``)."""
    return sorted(p for p in FIXTURES.rglob("*.py") if not p.name.endswith(FIXED_SUFFIX) and PROJECTS not in p.parents)


def fixed_file(path: Path) -> Path:
    """Where a fixture's expected fix (``--fix --unsafe-fixes``) lies, when it has one."""
    return path.with_suffix(FIXED_SUFFIX)


def fixed_pairs() -> list[tuple[Path, Path]]:
    return [(p, fixed_file(p)) for p in fixture_files() if fixed_file(p).exists()]


def markers(path: Path, kind: str) -> Counter[tuple[int, int, str]]:
    """(line, 1-based column, code) of each ``# <kind>: CODE:COL`` marker in the file. Raises MarkerError
    for a marker that is not a list of CODE:COL (a code without its column, say)."""
    found: Counter[tuple[int, int, str]] = Counter()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        for marker in EXPECTED.finditer(line):
            items = MARKER_ITEMS.match(line, marker.end())
            if items is None:
                raise MarkerError(
                    f"{path}:{number}: a marker is '# error: CODE:COLUMN' or '# fixed: CODE:COLUMN' (1-based column, "
                    f"as the CLI prints it; several separated by commas), not {line[marker.start() :].strip()!r}"
                )
            if marker.group("kind") == kind:
                for item in items.group("items").split(","):
                    code, column = item.strip().split(":")
                    found[(number, int(column), code)] += 1
    return found


def expected_findings(path: Path) -> Counter[tuple[int, int, str]]:
    """(line, 1-based column, code) of the findings the file should have as it is: in a fixture, those marked
    ``error`` and ``fixed``; in a ``.fixed.py``, those marked ``error`` (its ``fixed`` markers are the
    fixture's comments, carried onto the lines the fix changed)."""
    if path.name.endswith(FIXED_SUFFIX):
        return markers(path, "error")
    return markers(path, "error") + markers(path, "fixed")


class Located(Protocol):
    line: int
    col: int  # 0-based, in characters
    code: str


def finding_key(finding: Located) -> tuple[int, int, str]:
    """A finding as a marker writes it: line, 1-based column, code."""
    return (finding.line, finding.col + 1, finding.code)


def fixture_options(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as file:
        match = OPTIONS.match(file.readline().rstrip("\n"))
    return match.group("options").split() if match else []


def fixture_settings(path: Path) -> Settings:
    """The settings a fixture is checked and fixed with: the CLI's, given the options on its first line."""
    from buffer_lint.cli import build_parser, configuration_from_args

    args = build_parser().parse_args(["check", *fixture_options(path), str(path)])
    return configuration_from_args(args).settings


def run(command: list[str], cwd: Path = ROOT, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """Run one of the venv's commands (buffer-lint, flake8, ...) for real."""
    executable = str(BIN / command[0]) if (BIN / command[0]).exists() else command[0]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    result = subprocess.run([executable, *command[1:]], cwd=cwd, input=stdin, capture_output=True, env=env, timeout=600)
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode("utf-8"), result.stderr.decode("utf-8")
    )


def run_cli(args: Sequence[str], cwd: Path = ROOT, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """``buffer-lint ARGS`` in this process: what ``run(["buffer-lint", *ARGS])`` does, without a process start.

    ``buffer_lint.cli.main`` runs in ``cwd`` (restored afterwards) with ``stdin`` as its standard input; what it
    writes to its standard output and error, as text or as bytes through ``.buffer``, comes back decoded from UTF-8.
    argparse's ``SystemExit`` becomes the return code; any other exception propagates and fails the test (a real
    process would print a traceback and exit 1)."""
    from buffer_lint.cli import main

    def stream(data: bytes = b"", errors: str = "strict") -> io.TextIOWrapper:
        return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors=errors, newline="\n", write_through=True)

    saved = (sys.stdin, sys.stdout, sys.stderr, Path.cwd())
    sys.stdin, sys.stdout, sys.stderr = stream(stdin or b""), stream(), stream(errors="backslashreplace")
    out, err = sys.stdout, sys.stderr
    try:
        os.chdir(cwd)
        try:
            returncode = main(list(args))
        except SystemExit as exit_:
            if exit_.code is None or isinstance(exit_.code, int):
                returncode = exit_.code or 0
            else:  # as the interpreter does: the message on stderr, status 1
                print(exit_.code, file=sys.stderr)
                returncode = 1
        out.flush()
        err.flush()
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved[:3]
        os.chdir(saved[3])
    return subprocess.CompletedProcess(
        ["buffer-lint", *args], returncode, out.buffer.getvalue().decode("utf-8"), err.buffer.getvalue().decode("utf-8")
    )


def locations(output: str) -> set[str]:
    """``path:line:col: CODE`` of each finding line in flake8's or buffer-lint's text output."""
    return set(location_counts(output))


def location_counts(output: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for line in output.splitlines():
        match = re.match(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+[0-9]+) ", line)
        if match:
            path = os.path.normpath(match.group("path"))
            found[f"{path}:{match.group('line')}:{match.group('col')}: {match.group('code')}"] += 1
    return found


def analysed_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the runner analyses from now on (its cache misses), as displayed."""
    from buffer_lint import runner

    analysed: list[str] = []
    real = runner._check_source

    def counting(display: str, *args: object) -> object:
        analysed.append(display)
        return real(display, *args)

    monkeypatch.setattr(runner, "_check_source", counting)
    return analysed


def summarised_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files summarised from their source from now on (not read back from disk)."""
    from buffer_lint.analysis import summaries

    computed: list[str] = []
    real = summaries._summarize

    def counting(path: Path, *args: object) -> object:
        computed.append(path.name)
        return real(path, *args)

    monkeypatch.setattr(summaries, "_summarize", counting)
    return computed
