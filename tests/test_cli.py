"""``buffer-lint check`` as a user runs it: output, selection, exit codes and error paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import BAD, ROOT, locations, run, run_cli

CLEAN = "import torch\n\nx = torch.ones(3)\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "bad.py").write_text(BAD)
    (tmp_path / "clean.py").write_text(CLEAN)
    return tmp_path


def check(project: Path, *args: str, stdin: bytes | None = None):
    return run_cli(["check", *args], cwd=project, stdin=stdin)


def test_reports_findings_sorted_with_summary_and_exit_1(project: Path) -> None:
    # The installed `buffer-lint` script for real, once: the entry point, and output as a process writes it.
    result = run(["buffer-lint", "check"], cwd=project)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("bad.py:8:9: BUF001 [*] tensor attribute 'mask' is not registered")
    assert lines[1].startswith("bad.py:9:9: BUF002 parameter 'w'")
    assert lines[2:] == [
        "Found 2 errors.",
        "[*] 1 fixable with the `--fix` option (1 hidden fix can be enabled with the `--unsafe-fixes` option).",
    ]
    assert result.stderr == ""


def test_clean_run_says_all_checks_passed_and_exits_0(project: Path) -> None:
    result = check(project, "clean.py")
    assert (result.returncode, result.stdout, result.stderr) == (0, "All checks passed!\n", "")


def test_exit_zero(project: Path) -> None:
    result = check(project, "--exit-zero")
    assert result.returncode == 0 and "Found 2 errors." in result.stdout


@pytest.mark.parametrize(
    ("args", "codes"),
    [
        (["--select", "BUF001"], {"BUF001"}),
        (["--select", "BUF002,BUF001"], {"BUF001", "BUF002"}),
        (["--ignore", "BUF001"], {"BUF002"}),
        (["--select", "BUF001", "--extend-select", "BUF002"], {"BUF001", "BUF002"}),
        (["--ignore", "BUF", "--select", "BUF002"], {"BUF002"}),  # the more specific selector wins
        (["--select", "BUF", "--ignore", "BUF00"], set()),
        (["--select", "ALL", "--ignore", "BUF002"], {"BUF001"}),
    ],
)
def test_selection_by_prefix(project: Path, args: list[str], codes: set[str]) -> None:
    result = check(project, *args)
    assert {loc.rsplit(" ", 1)[1] for loc in locations(result.stdout)} == codes
    assert result.returncode == (1 if codes else 0)


def test_unknown_selector_is_a_usage_error(project: Path) -> None:
    result = check(project, "--select", "XYZ1")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("buffer-lint: error: invalid select selector 'XYZ1'")
    assert "Traceback" not in result.stderr


def test_bad_option_exits_2(project: Path) -> None:
    result = check(project, "--no-such-option")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_statistics(project: Path) -> None:
    result = check(project, "--statistics")
    assert result.stdout.splitlines()[:3] == [
        "1\tBUF001\t[*] unregistered-tensor",
        "1\tBUF002\tfrozen-parameter",
        "Found 2 errors.",
    ]


def test_quiet_prints_findings_only(project: Path) -> None:
    result = check(project, "-q")
    assert len(result.stdout.splitlines()) == 2 and "Found" not in result.stdout


def test_stdin_with_filename(project: Path) -> None:
    result = check(project, "-", "--stdin-filename", "pkg/model.py", stdin=BAD.encode())
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith("pkg/model.py:8:9: BUF001")


def test_syntax_error_is_reported_and_the_run_goes_on(project: Path) -> None:
    (project / "broken.py").write_text("class M(:\n    pass\n")
    result = check(project)
    assert result.returncode == 1
    assert "broken.py:1:9: E999 SyntaxError: invalid syntax" in result.stdout
    assert "bad.py:8:9: BUF001" in result.stdout
    assert "Found 3 errors." in result.stdout and "Traceback" not in result.stderr


def test_null_bytes_are_a_syntax_error(project: Path) -> None:
    (project / "nul.py").write_bytes(b"x = 1\x00\n")
    result = check(project, "nul.py")
    assert result.returncode == 1 and "nul.py:1:1: E999" in result.stdout


def test_undecodable_file_gets_one_line(project: Path) -> None:
    (project / "latin.py").write_bytes(b"x = '\xe9'\n")
    result = check(project, "latin.py")
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith("latin.py:1:1: E902 SyntaxError: ")
    assert "Traceback" not in result.stderr


def test_coding_cookie_is_honoured(project: Path) -> None:
    source = "# -*- coding: latin-1 -*-\n" + BAD.replace("super().__init__()", "super().__init__()  # caf\xe9")
    (project / "cookie.py").write_bytes(source.encode("latin-1"))
    result = check(project, "cookie.py")
    assert "cookie.py:9:9: BUF001" in locations(result.stdout)


def test_missing_and_unreadable_paths_get_one_line(project: Path) -> None:
    os.symlink(project / "nowhere.py", project / "dangling.py")
    result = check(project, "missing.py", "dangling.py", "bad.py")
    assert result.returncode == 1
    assert "missing.py:1:1: E902 FileNotFoundError: No such file or directory" in result.stdout
    assert "dangling.py:1:1: E902 FileNotFoundError" in result.stdout
    assert "bad.py:8:9: BUF001" in result.stdout
    assert "Traceback" not in result.stderr


def test_directory_given_as_unreadable_file(project: Path) -> None:
    (project / "pkg.py").mkdir()
    result = check(project, "pkg.py")
    assert result.returncode == 0  # a folder is walked, even when named like a file


def test_gitignore_and_exclude(project: Path) -> None:
    (project / ".git").mkdir()
    (project / ".gitignore").write_text("generated/\n")
    for folder in ("generated", "vendor", "src"):
        (project / folder).mkdir()
        (project / folder / "model.py").write_text(BAD)
    (project / "venv").mkdir()
    (project / "venv" / "model.py").write_text(BAD)
    result = check(project, "--exclude", "vendor", "--select", "BUF001")
    assert {loc.split(":")[0] for loc in locations(result.stdout)} == {"bad.py", "src/model.py"}
    unignored = check(project, "--no-respect-gitignore", "--select", "BUF001")
    assert "generated/model.py" in {loc.split(":")[0] for loc in locations(unignored.stdout)}


def test_explicit_file_is_checked_even_if_ignored(project: Path) -> None:
    (project / ".git").mkdir()
    (project / ".gitignore").write_text("bad.py\n")
    assert check(project).returncode == 0
    assert check(project, "bad.py").returncode == 1


def test_python_dash_m(project: Path) -> None:
    # For real: `python -m buffer_lint` is a process start by definition.
    result = run(["python", "-m", "buffer_lint", "check", "bad.py"], cwd=project)
    assert result.returncode == 1 and "BUF001" in result.stdout


def test_paths_are_printed_relative_to_the_working_directory(project: Path) -> None:
    result = check(project, str(project / "bad.py"))
    assert result.stdout.startswith("bad.py:8:9:")


def test_rule_command_prints_documentation() -> None:
    result = run_cli(["rule", "BUF001"], cwd=ROOT)
    assert result.returncode == 0
    for section in (
        "# unregistered-tensor (BUF001)",
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
        "## Fix safety",
    ):
        assert section in result.stdout
    unknown = run_cli(["rule", "XYZ123"], cwd=ROOT)
    assert unknown.returncode == 2 and "unknown rule code 'XYZ123'" in unknown.stderr
