"""Shared by the tests: fixture discovery, expected findings, and running the real commands."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

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
# "# error: BUF001" or "# error: BUF001, BUF001" on the line a finding is reported on.
EXPECTED = re.compile(r"#\s*error:\s*(?P<codes>[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)")
# "# buffer-lint: --option value" on a fixture's first line: the settings it is checked with.
OPTIONS = re.compile(r"^# buffer-lint:(?P<options>.*)$")


def fixture_files() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*.py") if not p.name.endswith(".fixed.py"))


def expected_findings(path: Path) -> Counter[tuple[int, str]]:
    expected: Counter[tuple[int, str]] = Counter()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = EXPECTED.search(line)
        if match:
            for code in match.group("codes").split(","):
                expected[(number, code.strip())] += 1
    return expected


def fixture_options(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as file:
        match = OPTIONS.match(file.readline().rstrip("\n"))
    return match.group("options").split() if match else []


def run(command: list[str], cwd: Path = ROOT, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """Run one of the venv's commands (buffer-lint, flake8, ...) for real."""
    executable = str(BIN / command[0]) if (BIN / command[0]).exists() else command[0]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    result = subprocess.run([executable, *command[1:]], cwd=cwd, input=stdin, capture_output=True, env=env, timeout=600)
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode("utf-8"), result.stderr.decode("utf-8")
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
