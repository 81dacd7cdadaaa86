"""The flake8 plugin's own behaviour: a light import, and the project's summaries kept on disk where
flake8 runs (flake8 then reads the other files' bases and helpers from there, not from their source)."""

from __future__ import annotations

import argparse
import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from buffer_lint import flake8_plugin
from buffer_lint.settings import Settings, options
from tests.helpers import PROJECTS, summarised_files

NET = Path("src/shapes/models/net.py")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "bases"
    shutil.copytree(PROJECTS / "bases", copy)
    monkeypatch.chdir(copy)
    monkeypatch.setattr(flake8_plugin.Plugin, "projects", {})  # a new flake8 process
    return copy


def parse_options(no_cache: bool = False) -> None:
    given = {f"buffer_lint_{option.key}".replace("-", "_"): None for option in options(Settings)}
    flake8_plugin.Plugin.parse_options(argparse.Namespace(**given, buffer_lint_no_cache=no_cache))


def codes(path: Path) -> list[tuple[int, str]]:
    source = path.read_text(encoding="utf-8")
    plugin = flake8_plugin.Plugin(ast.parse(source), source.splitlines(keepends=True), str(path))
    return [(line, message.split()[0]) for line, _, message, _ in plugin.run()]


def test_importing_the_plugin_loads_no_analysis() -> None:
    # flake8 imports every installed plugin at start, also for runs that never reach a Python file
    code = (
        "import sys, buffer_lint.flake8_plugin\n"
        "heavy = [m for m in sys.modules if m.startswith(('buffer_lint.analysis', 'buffer_lint.rules', "
        "'buffer_lint.engine', 'buffer_lint.cache'))]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_summaries_are_kept_where_flake8_runs_and_read_back(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parse_options()
    found = codes(NET)
    cache = project / ".buffer_lint_cache"
    assert found and list((cache / "summaries").glob("*.json"))  # net.py's bases, summarised once
    assert (cache / ".gitignore").read_text().endswith("*\n") and (cache / "CACHEDIR.TAG").is_file()
    computed = summarised_files(monkeypatch)
    monkeypatch.setattr(flake8_plugin.Plugin, "projects", {})  # the next flake8 run
    assert codes(NET) == found and computed == []


def test_no_cache_option_writes_nothing(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parse_options(no_cache=True)
    computed = summarised_files(monkeypatch)
    assert codes(NET)
    assert computed and not (project / ".buffer_lint_cache").exists()
