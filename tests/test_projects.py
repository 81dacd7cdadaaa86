"""Project-wide facts: bases, helpers and ``_apply`` owners in other files of the project.

Each folder of ``fixtures/projects/`` is a small project checked as a whole; its expected findings
are written on the lines, as in the one-file fixtures."""

from __future__ import annotations

import importlib
import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers import (
    PROJECTS,
    analysed_files,
    expected_findings,
    location_counts,
    markers,
    run,
    run_cli,
    summarised_files,
)

CASES = sorted(p for p in PROJECTS.iterdir() if p.is_dir())


def expected(project: Path) -> Counter[str]:
    found: Counter[str] = Counter()
    for path in sorted(project.rglob("*.py")):
        for (line, column, code), count in expected_findings(path).items():
            found[f"{path.relative_to(project)}:{line}:{column}: {code}"] += count
    return found


@pytest.mark.parametrize("project", CASES, ids=lambda p: p.name)
def test_project_findings(project: Path) -> None:
    result = run_cli(["check", "--no-cache", "-j1", "--isolated", "."], cwd=project)
    assert location_counts(result.stdout) == expected(project), result.stdout + result.stderr


# flake8 is a separate process by nature; one run covers every project.
def test_flake8_finds_the_same_with_the_project(tmp_path: Path) -> None:
    for project in CASES:
        copy = shutil.copytree(project, tmp_path / project.name)  # flake8 keeps summaries where it runs
        result = run(["flake8", "--select", "BUF", "."], cwd=copy)
        assert location_counts(result.stdout) == expected(project), result.stdout + result.stderr
        assert list((copy / ".buffer_lint_cache" / "summaries").glob("*.json"))


def test_editing_a_base_in_another_file_rechecks_its_subclasses(tmp_path: Path) -> None:
    project = tmp_path / "bases"
    shutil.copytree(PROJECTS / "bases", project)
    layers = project / "src" / "shapes" / "layers.py"
    net = "src/shapes/models/net.py"

    def findings() -> set[str]:
        result = run_cli(["check", "-j1", "--isolated", "--select", "BUF001", "."], cwd=project)
        return {location.split(":")[0] + ":" + location.split(":")[1] for location in location_counts(result.stdout)}

    assert f"{net}:13" in findings()  # cold: Net derives from nn.Module through layers.Base
    original = layers.read_text()
    layers.write_text(original.replace("class Base(nn.Module):", "class Base:"))
    assert not {f"{net}:13", f"{net}:14", f"{net}:16"} & findings()  # the base changed: Net is no module now
    layers.write_text(original)
    assert f"{net}:13" in findings()


def test_editing_a_helper_in_another_file_rechecks_its_callers(tmp_path: Path) -> None:
    project = tmp_path / "bases"
    shutil.copytree(PROJECTS / "bases", project)
    layers = project / "src" / "shapes" / "layers.py"

    def count() -> int:
        result = run_cli(["check", "-j1", "--isolated", "."], cwd=project)
        return len(location_counts(result.stdout))

    assert count() == 4
    layers.write_text(layers.read_text().replace("    return [n]\n", "    return torch.zeros(n)\n"))
    assert count() == 5  # not_a_tensor() now returns a tensor: self.sizes is reported


def test_an_edit_that_changes_nothing_others_see_keeps_their_cached_results(tmp_path: Path, monkeypatch) -> None:
    project = tmp_path / "bases"
    shutil.copytree(PROJECTS / "bases", project)
    layers = project / "src" / "shapes" / "layers.py"
    run_cli(["check", "-j1", "--isolated", "."], cwd=project)
    analysed = analysed_files(monkeypatch)
    layers.write_text(layers.read_text() + "# a comment\n")
    run_cli(["check", "-j1", "--isolated", "."], cwd=project)
    assert analysed == ["src/shapes/layers.py"]  # net.py's cached result still holds: layers says the same


APPLY = "    def _apply(self, fn, recurse=True):\n        return super()._apply(fn, recurse)\n"


@pytest.mark.parametrize(
    ("body", "net_rechecked", "net_line_13"),
    [
        ("    unrelated = None\n", False, "BUF001 [*]"),  # no class of net.py asks for that name
        ("    mask = None\n", True, "BUF001 tensor"),  # Net assigns self.mask: registering it would raise
        (APPLY, True, None),  # Base moves its subclasses' tensors itself
    ],
    ids=["unrelated-name", "name-a-subclass-assigns", "apply-override"],
)
def test_a_name_added_to_a_base_rechecks_the_subclasses_that_asked_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, net_rechecked: bool, net_line_13: str | None
) -> None:
    project = tmp_path / "bases"
    shutil.copytree(PROJECTS / "bases", project)
    layers = project / "src" / "shapes" / "layers.py"
    run_cli(["check", "-j1", "--isolated", "."], cwd=project)
    analysed = analysed_files(monkeypatch)
    layers.write_text(layers.read_text().replace("class Base(nn.Module):\n", "class Base(nn.Module):\n" + body))
    output = run_cli(["check", "-j1", "--isolated", "."], cwd=project).stdout
    assert ("src/shapes/models/net.py" in analysed) == net_rechecked, analysed
    line_13 = next((line for line in output.splitlines() if line.startswith("src/shapes/models/net.py:13:")), None)
    assert (line_13.split(": ", 1)[1][: len(net_line_13)] if line_13 else None) == net_line_13, output


def test_summaries_are_kept_on_disk_and_reused(tmp_path: Path, monkeypatch) -> None:
    project = tmp_path / "bases"
    shutil.copytree(PROJECTS / "bases", project)
    run_cli(["check", "-j1", "--isolated", "."], cwd=project)
    stored = list((project / ".buffer_lint_cache" / "summaries").glob("*.json"))
    assert stored  # the files other files read, summarised once
    computed = summarised_files(monkeypatch)
    monkeypatch.setattr("buffer_lint.runner._PROJECTS", {})  # a new process: nothing in memory
    (project / "src" / "shapes" / "models" / "net.py").write_text(
        (project / "src" / "shapes" / "models" / "net.py").read_text() + "# edited\n"
    )
    result = run_cli(["check", "-j1", "--isolated", "."], cwd=project)
    assert len(location_counts(result.stdout)) == 4 and computed == []  # read back from disk


@pytest.mark.parametrize("project", CASES, ids=lambda p: p.name)
def test_fixing_a_project_fixes_the_marked_lines_and_leaves_the_rest(project: Path, tmp_path: Path) -> None:
    copy = tmp_path / project.name
    shutil.copytree(project, copy)
    fixed_markers = {
        f"{path.relative_to(project)}:{line}:{column}: {code}"
        for path in project.rglob("*.py")
        for (line, column, code) in markers(path, "fixed")
    }
    result = run_cli(["check", "--no-cache", "-j1", "--isolated", "--fix", "--unsafe-fixes", "."], cwd=copy)
    assert result.returncode in (0, 1), result.stderr
    left = run_cli(["check", "--no-cache", "-j1", "--isolated", "."], cwd=copy)
    assert not fixed_markers & set(location_counts(left.stdout))  # what was marked fixed is gone
    assert set(location_counts(left.stdout)) == set(expected(project)) - fixed_markers


def test_a_fixed_project_runs_with_its_tensors_as_buffers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch", reason="the runtime proof of fixes needs torch (pip install -e '.[test]')")
    copy = tmp_path / "bases"
    shutil.copytree(PROJECTS / "bases", copy)
    run_cli(["check", "--no-cache", "-j1", "--isolated", "--fix", "--unsafe-fixes", "."], cwd=copy)
    monkeypatch.syspath_prepend(str(copy / "src"))
    for name in [m for m in sys.modules if m == "shapes" or m.startswith("shapes.")]:
        monkeypatch.delitem(sys.modules, name)
    net_module = importlib.import_module("shapes.models.net")
    net, table = net_module.Net(), net_module.Table()
    assert {"mask", "steps", "doubled"} <= set(dict(net.named_buffers()))
    assert "table" in dict(table.named_buffers())
    moved = net.to("meta")
    assert moved.mask.device.type == "meta" and moved.steps.device.type == "meta"
    assert torch.equal(net_module.Net().mask, torch.ones(4, 4).tril())


def test_another_file_is_read_only_when_an_answer_depends_on_it(tmp_path: Path, monkeypatch) -> None:
    """``self.block = Block()`` and ``low, high = pair(2)`` need nothing from ``blocks.py``: whether Block is
    a module matters only to a rule about that attribute (a toggle, a registration, a container)."""
    project = shutil.copytree(PROJECTS / "instances", tmp_path / "instances")
    computed = summarised_files(monkeypatch)
    result = run_cli(["check", "--no-cache", "-j1", "--isolated", "parts/leaf.py"], cwd=project)
    assert list(location_counts(result.stdout)) == ["parts/leaf.py:15:9: BUF001", "parts/leaf.py:18:9: BUF001"], (
        result.stdout
    )
    assert computed == []
    run_cli(["check", "--no-cache", "-j1", "--isolated", "parts/hf.py"], cwd=project)
    assert computed == []  # finding a transformers model's parts reads no config's file
    result = run_cli(["check", "--no-cache", "-j1", "--isolated", "parts/models.py"], cwd=project)
    assert len(location_counts(result.stdout)) == 4 and computed == ["blocks.py"], result.stdout


def test_a_base_read_late_still_rechecks_its_users(tmp_path: Path) -> None:
    """Block is read while a rule runs (is ``self.block`` a module?): the cached result still depends on it."""
    project = shutil.copytree(PROJECTS / "instances", tmp_path / "instances")
    blocks = project / "parts" / "blocks.py"

    def codes() -> set[str]:
        result = run_cli(["check", "-j1", "--isolated", "parts/models.py"], cwd=project)
        return {location.rsplit(" ", 1)[1] for location in location_counts(result.stdout)}

    assert codes() == {"BUF005", "BUF006", "BUF008"}
    blocks.write_text(blocks.read_text().replace("class Block(nn.Module):", "class Block:"))
    assert codes() == {"BUF008"}  # Block is no module now: no toggle on a module, no list of modules
