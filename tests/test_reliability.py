"""Never lose an edit, never stop the run: hostile input, edits made while the tool runs, crashes."""

from __future__ import annotations

import ast
import io
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from buffer_lint import runner
from tests.helpers import BAD, BIN, run_cli

FIXED_LINE = 'self.register_buffer("mask", torch.ones(3), persistent=False)'


def deep_sum(terms: int) -> str:
    """A module whose __init__ assigns a sum of ``terms`` tensors: valid Python, deep trees."""
    total = " + ".join(["torch.ones(3)"] * terms)
    header = "import torch\nfrom torch import nn\n\n\nclass M(nn.Module):\n"
    return header + f"    def __init__(self):\n        super().__init__()\n        self.mask = {total}\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "bad.py").write_text(BAD)
    return tmp_path


def test_a_deep_expression_is_analysed(project: Path) -> None:
    (project / "deep.py").write_text(deep_sum(1500))
    result = run_cli(["check", "--no-cache", "-j1"], cwd=project)
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    assert "deep.py:8:9: BUF001" in result.stdout and "bad.py:8:9: BUF001" in result.stdout


def test_a_deep_expression_is_fixed_or_left_with_a_note(project: Path) -> None:
    (project / "deep.py").write_text(deep_sum(1500))
    result = run_cli(["check", "--no-cache", "-j1", "--fix"], cwd=project)
    assert "Traceback" not in result.stderr
    assert FIXED_LINE in (project / "bad.py").read_text()
    deep = (project / "deep.py").read_text()
    ast.parse(deep)
    assert 'register_buffer("mask"' in deep or "deep.py" in result.stderr


def test_an_internal_error_is_one_line_exit_2_and_the_run_goes_on(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "boom.py").write_text(BAD)
    real = runner.check_source

    def explode(source: bytes, *args: object) -> object:
        if b"boom" in source:
            raise ValueError("boom")
        return real(source, *args)

    monkeypatch.setattr(runner, "check_source", explode)
    (project / "boom.py").write_text(BAD + "# boom\n")
    result = run_cli(["check", "--no-cache", "-j1"], cwd=project)
    assert result.returncode == 2
    assert "bad.py:8:9: BUF001" in result.stdout
    errors = [line for line in result.stderr.splitlines() if "boom.py" in line]
    assert errors == ["buffer-lint: error: boom.py: internal error: ValueError: boom"]
    assert "Traceback" not in result.stderr


def test_the_flake8_plugin_never_raises(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from buffer_lint import flake8_plugin

    def explode(*args: object) -> list[object]:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr("buffer_lint.engine.check_tree", explode)
    plugin = flake8_plugin.Plugin(ast.parse(BAD), BAD.splitlines(keepends=True), "model.py")
    assert list(plugin.run()) == []
    assert "buffer-lint: error: model.py: internal error: RecursionError" in capsys.readouterr().err


def test_an_edit_made_while_fixing_is_kept(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = runner.fix_source
    path = project / "bad.py"

    def fix_while_the_user_types(source: bytes, *args: object) -> object:
        outcome = real(source, *args)
        with path.open("a") as file:
            file.write("# the user's new line\n")
        return outcome

    monkeypatch.setattr(runner, "fix_source", fix_while_the_user_types)
    result = run_cli(["check", "--no-cache", "-j1", "--fix"], cwd=project)
    assert path.read_text() == BAD + "# the user's new line\n"
    assert result.returncode == 1
    assert "buffer-lint: warning: bad.py: changed while it was being fixed; left as it is" in result.stderr


def test_a_file_edited_during_analysis_is_not_cached_stale(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = runner.check_source
    path = project / "bad.py"
    clean = "import torch\n"

    def edit_during_analysis(source: bytes, *args: object) -> object:
        result = real(source, *args)
        if source == BAD.encode():
            path.write_text(clean)
        return result

    monkeypatch.setattr(runner, "check_source", edit_during_analysis)
    assert run_cli(["check", "-j1"], cwd=project).returncode == 1  # the old content's findings
    monkeypatch.setattr(runner, "check_source", real)
    path.write_text(BAD)  # same size and content as analysed, new mtime: a stale stamp would hide nothing here
    assert run_cli(["check", "-j1"], cwd=project).returncode == 1
    path.write_text(clean)
    assert run_cli(["check", "-j1"], cwd=project).returncode == 0


def test_fix_writes_through_a_symlink(project: Path) -> None:
    target = project / "real_model.py"
    target.write_text(BAD)
    (project / "bad.py").unlink()
    (project / "link.py").symlink_to(target)
    run_cli(["check", "--no-cache", "-j1", "--fix", "link.py"], cwd=project)
    assert (project / "link.py").is_symlink()
    assert FIXED_LINE in target.read_text()


def test_fix_keeps_hard_links_owner_and_mode(project: Path) -> None:
    path = project / "bad.py"
    os.link(path, project / "other_name.py")
    os.chmod(path, 0o640)
    if os.geteuid() == 0:
        os.chown(path, 1234, 4321)
    inode = path.stat().st_ino
    run_cli(["check", "--no-cache", "-j1", "--fix", "bad.py"], cwd=project)
    assert FIXED_LINE in (project / "other_name.py").read_text()
    info = path.stat()
    assert info.st_ino == inode and stat.S_IMODE(info.st_mode) == 0o640 and info.st_nlink == 2
    if os.geteuid() == 0:
        assert (info.st_uid, info.st_gid) == (1234, 4321)


def test_fix_keeps_owner_of_a_file_it_replaces(project: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("changing a file's owner needs root")
    path = project / "bad.py"
    os.chown(path, 1234, 4321)
    run_cli(["check", "--no-cache", "-j1", "--fix"], cwd=project)
    assert FIXED_LINE in path.read_text()
    assert (path.stat().st_uid, path.stat().st_gid) == (1234, 4321)


def test_a_read_only_file_is_refused_with_a_warning(project: Path) -> None:
    path = project / "bad.py"
    os.chmod(path, 0o444)
    result = run_cli(["check", "--no-cache", "-j1", "--fix"], cwd=project)
    assert path.read_text() == BAD
    assert result.returncode == 1
    assert "buffer-lint: warning: bad.py: read-only file, not fixed" in result.stderr
    assert "bad.py:8:9: BUF001" in result.stdout


def test_crlf_is_kept_inside_a_rewritten_multi_line_statement(tmp_path: Path) -> None:
    source = (
        "import torch\r\nfrom torch import nn\r\n\r\n\r\nclass M(nn.Module):\r\n    def __init__(self):\r\n"
        "        super().__init__()\r\n        self.w = nn.Parameter(\r\n            torch.ones(3),\r\n"
        "            requires_grad=False,\r\n        )\r\n"
    )
    path = tmp_path / "model.py"
    path.write_bytes(source.encode())
    run_cli(["check", "--no-cache", "-j1", "--fix", "--unsafe-fixes"], cwd=tmp_path)
    fixed = path.read_bytes()
    assert b"register_buffer" in fixed
    assert fixed.count(b"\n") == fixed.count(b"\r\n")


def test_config_of_the_wrong_type_anywhere_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text(BAD)
    for document in ("tool = 1", 'tool = ["x"]', "[tool]\nbuffer-lint = 3"):
        (tmp_path / "pyproject.toml").write_text(document + "\n")
        result = run_cli(["check", "model.py"], cwd=tmp_path)
        lines = result.stderr.splitlines()
        assert result.returncode == 2 and len(lines) == 1 and "Traceback" not in result.stderr, document
        assert lines[0].startswith("buffer-lint: error: ") and "pyproject.toml" in lines[0]


def test_a_clean_run_says_so(tmp_path: Path) -> None:
    (tmp_path / "clean.py").write_text("import torch\n")
    result = run_cli(["check", "--no-cache"], cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "All checks passed!\n")
    assert run_cli(["check", "--no-cache", "-q"], cwd=tmp_path).stdout == ""


def test_diff_prints_only_the_diff_on_stdout(project: Path) -> None:
    result = run_cli(["check", "--no-cache", "--diff"], cwd=project)
    assert result.returncode == 1
    assert result.stdout.startswith("--- a/bad.py\n+++ b/bad.py\n")
    assert "BUF002" not in result.stdout and "Would fix 1 error." in result.stderr
    assert "bad.py:9:9: BUF002" in result.stderr  # what is left, beside the summary


def test_statistics_work_with_json(project: Path) -> None:
    import json

    result = run_cli(["check", "--no-cache", "--statistics", "--output-format", "json"], cwd=project)
    assert json.loads(result.stdout) == [
        {"code": "BUF001", "name": "unregistered-tensor", "count": 1, "fixable": True},
        {"code": "BUF002", "name": "frozen-parameter", "count": 1, "fixable": False},
    ]


def test_pre_commit_hooks_run_serially() -> None:
    hooks = (Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text()
    assert hooks.count("require_serial: true") == 2 and "require_serial: false" not in hooks


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="lists processes through /proc")
def test_killing_the_parent_stops_every_write(tmp_path: Path) -> None:
    for index in range(400):
        (tmp_path / f"model_{index:03}.py").write_text(BAD)
    process = subprocess.Popen(
        [str(BIN / "buffer-lint"), "check", "--fix", "--no-cache", "-j2", "."],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not _children(process.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    workers = _children(process.pid)
    assert workers, "no worker started"
    time.sleep(0.3)
    process.kill()
    process.wait()
    time.sleep(2)
    alive = [pid for pid in workers if Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)]
    assert alive == []
    snapshot = {p.name: p.read_bytes() for p in tmp_path.glob("*.py")}
    time.sleep(1)
    assert snapshot == {p.name: p.read_bytes() for p in tmp_path.glob("*.py")}


def _state(pid: int) -> str:
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_check_never_imports_torch() -> None:
    code = "import buffer_lint.cli, buffer_lint.flake8_plugin, sys; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_after_a_second_and_is_erased() -> None:
    from buffer_lint.report.progress import Progress

    now = [0.0]
    terminal = FakeTerminal()
    progress = Progress(terminal, clock=lambda: now[0])
    progress(1, 10, 0)
    assert terminal.getvalue() == ""  # the first second is silent
    now[0] = 1.5
    progress(5, 10, 1)
    assert terminal.getvalue() == "\rchecked 5/10 files, 1 finding"
    now[0] = 1.55
    progress(6, 10, 1)  # too soon to redraw
    progress.close()
    assert terminal.getvalue().endswith("\r" + " " * len("checked 5/10 files, 1 finding") + "\r")


def test_progress_never_in_pipes_ci_or_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    from buffer_lint.report.progress import progress_for

    monkeypatch.delenv("CI", raising=False)
    assert progress_for(io.StringIO(), quiet=False) is None
    assert progress_for(FakeTerminal(), quiet=True) is None
    assert progress_for(FakeTerminal(), quiet=False) is not None
    monkeypatch.setenv("CI", "true")
    assert progress_for(FakeTerminal(), quiet=False) is None


def test_the_compilers_warnings_about_checked_code_are_not_shown(tmp_path: Path) -> None:
    import warnings

    (tmp_path / "model.py").write_text('import torch\npattern = "\\\\p{L}"\nother = "\\p"\n')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_cli(["check", "--no-cache", "-j1", "--fix"], cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == ""
    assert [str(w.message) for w in caught] == []


def test_checking_a_file_leaves_no_reference_cycles(tmp_path: Path) -> None:
    """The runner collects garbage less often, which is right only while the analysis makes no cycles."""
    import gc

    from buffer_lint.engine import check_source
    from buffer_lint.rules.registry import RULES
    from buffer_lint.settings import Settings

    source = (Path(__file__).parent.parent / "fixtures" / "buf001" / "helpers.py").read_bytes()
    check_source(source, Settings(), RULES)  # warm up imports and caches
    gc.collect()
    gc.disable()
    try:
        check_source(source, Settings(), RULES)
        assert gc.collect() == 0
    finally:
        gc.enable()
