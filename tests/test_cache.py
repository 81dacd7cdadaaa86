"""The result cache: reused while nothing that matters changed, rebuilt when anything did."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from buffer_lint import cache as cache_module
from buffer_lint import cli, runner
from tests.helpers import BIN

MODEL = """\
import torch
from torch import nn
from mylib import Layer


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.mask = torch.ones(3)


class L(Layer):
    def __init__(self):
        super().__init__()
        self.t = torch.ones(1)
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "model.py").write_text(MODEL)
    (tmp_path / "other.py").write_text(MODEL)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the files actually analysed (cache misses), checked or fixed."""
    calls: list[int] = []
    real = runner._check_source

    def counting(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "_check_source", counting)
    return calls


def run_check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = cli.main(["check", "-j1", *args])
    return code, capsys.readouterr().out


def test_warm_run_reuses_results_and_prints_the_same(project: Path, checks: list[int], capsys) -> None:
    cold = run_check(capsys)
    assert len(checks) == 2
    warm = run_check(capsys)
    assert warm == cold and len(checks) == 2
    directory = project / ".buffer_lint_cache"
    assert (directory / ".gitignore").read_text().endswith("*\n")
    assert (directory / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")


def test_an_edit_invalidates_the_file(project: Path, checks: list[int], capsys) -> None:
    run_check(capsys)
    (project / "model.py").write_text(MODEL.replace("self.mask = torch.ones(3)", "pass"))
    code, out = run_check(capsys)
    assert len(checks) == 3  # only the edited file again
    assert "model.py" not in out and "other.py:9:9: BUF001" in out


def test_a_touch_without_change_is_still_a_hit(project: Path, checks: list[int], capsys) -> None:
    run_check(capsys)
    stat = (project / "model.py").stat()
    os.utime(project / "model.py", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    run_check(capsys)
    assert len(checks) == 2


def test_a_same_size_same_mtime_edit_is_caught_by_the_hash_only_when_mtime_moves(project: Path, checks, capsys) -> None:
    run_check(capsys)
    path = project / "model.py"
    stat = path.stat()
    path.write_text(MODEL.replace("torch.ones(3)", "torch.ones(4)"))  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    run_check(capsys)
    assert len(checks) == 3


@pytest.mark.parametrize(
    "flags",
    [["--module-bases", "mylib.Layer"], ["--persistent"], ["--buffer-style", "nn.Buffer"], ["--select", "BUF001"]],
    ids=["module-bases", "persistent", "buffer-style", "selection"],
)
def test_settings_changes_invalidate(project: Path, checks: list[int], capsys, flags: list[str]) -> None:
    run_check(capsys)
    run_check(capsys, *flags)
    assert len(checks) == 4


def test_module_bases_change_changes_the_findings(project: Path, capsys) -> None:
    run_check(capsys)
    _, out = run_check(capsys, "--module-bases", "mylib.Layer")
    assert "model.py:15:9: BUF001" in out


def test_a_new_version_invalidates(project: Path, checks: list[int], capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    run_check(capsys)
    monkeypatch.setattr(cache_module, "__version__", "99.0.0")
    run_check(capsys)
    assert len(checks) == 4


@pytest.mark.parametrize("content", ["{not json", '{"version": "0.1.0", "files": []}', "[]", '{"files": {"x": 1}}'])
def test_corrupt_or_foreign_cache_files_are_survived_and_rewritten(project: Path, capsys, content: str) -> None:
    cold = run_check(capsys)
    for file in (project / ".buffer_lint_cache").glob("*.json"):
        file.write_text(content)
    assert run_check(capsys) == cold
    for file in (project / ".buffer_lint_cache").glob("*.json"):
        assert json.loads(file.read_text())["files"]


def test_a_corrupt_entry_is_a_miss(project: Path, checks: list[int], capsys) -> None:
    cold = run_check(capsys)
    file = next((project / ".buffer_lint_cache").glob("*.json"))
    data = json.loads(file.read_text())
    for entry in data["files"].values():
        entry["findings"] = [{"code": "BUF001"}]
    file.write_text(json.dumps(data))
    assert run_check(capsys) == cold and len(checks) == 4


def test_no_cache_and_cache_dir(project: Path, capsys, tmp_path_factory) -> None:
    run_check(capsys, "--no-cache")
    assert not (project / ".buffer_lint_cache").exists()
    elsewhere = tmp_path_factory.mktemp("cache")
    run_check(capsys, "--cache-dir", str(elsewhere))
    assert list(elsewhere.glob("*.json")) and not (project / ".buffer_lint_cache").exists()


def test_fix_does_not_trust_a_cached_fixable_result(project: Path, checks: list[int], capsys) -> None:
    assert run_check(capsys)[0] == 1 and len(checks) == 2
    assert run_check(capsys, "--fix")[0] == 0  # the cached findings had fixes: both files fixed
    assert len(checks) == 4  # both analysed again to be fixed, not answered from the cache
    assert 'self.register_buffer("mask"' in (project / "model.py").read_text()
    assert run_check(capsys) == (0, "All checks passed!\n") and len(checks) == 4  # the fixed files were cached


# Subprocesses by nature: six runs at once, each its own process, writing one cache folder.
def test_concurrent_runs_never_corrupt_the_cache(project: Path) -> None:
    for index in range(30):
        (project / f"m{index}.py").write_text(MODEL)
    runs = [
        subprocess.Popen(
            [str(BIN / "buffer-lint"), "check", "-q", "-j1", *(["--select", "BUF001"] if i % 2 else [])],
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in range(6)
    ]
    for process in runs:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 1 and err == b""
    for file in (project / ".buffer_lint_cache").glob("*.json"):
        assert len(json.loads(file.read_text())["files"]) == 32
    assert not list((project / ".buffer_lint_cache").glob(".tmp-*"))


# Subprocesses: -j2 starts a process pool, which is kept out of the test process.
def test_parallel_output_is_identical_to_serial(project: Path) -> None:
    for index in range(40):
        (project / f"m{index:02}.py").write_text(MODEL if index % 3 else "x = (\n")
    serial = subprocess.run([str(BIN / "buffer-lint"), "check", "-j1", "--no-cache"], cwd=project, capture_output=True)
    parallel = subprocess.run(
        [str(BIN / "buffer-lint"), "check", "-j2", "--no-cache"], cwd=project, capture_output=True
    )
    assert serial.returncode == parallel.returncode == 1
    assert parallel.stdout == serial.stdout and b"E999" in serial.stdout


def test_jobs_must_be_positive(project: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["check", "-j", "0"])
    assert exit_info.value.code == 2
    assert "expected a positive number, got '0'" in capsys.readouterr().err


VERBOSE = r"buffer-lint: checked (\d+) of (\d+) files \((\d+) from the cache\) in \d+\.\d\d s\n"


def test_verbose_says_how_many_files_came_from_the_cache(project: Path, capsys) -> None:
    import re

    cli.main(["check", "-j1", "-v"])
    assert re.fullmatch(VERBOSE, capsys.readouterr().err).groups() == ("2", "2", "0")
    (project / "other.py").write_text(MODEL + "# edited\n")
    cli.main(["check", "-j1", "-v", "-q"])
    assert re.fullmatch(VERBOSE, capsys.readouterr().err).groups() == ("1", "2", "1")


def test_a_file_replaced_with_the_same_size_and_mtime_is_checked_again(
    project: Path, checks: list[int], capsys
) -> None:
    cold = run_check(capsys)
    path = project / "model.py"
    stat = path.stat()
    replacement = project / "replacement.tmp"
    replacement.write_text(MODEL.replace("torch.ones(3)", "torch.ones(4)"))  # same size: an editor's atomic save
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(replacement, path)
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    run_check(capsys)
    assert len(checks) == 3 and cold[0] == 1  # the new inode sent model.py to its content hash, which differs
