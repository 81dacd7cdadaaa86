"""[tool.buffer-lint] in pyproject.toml: every key, every override, every bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import locations, run, run_cli

MODEL = """\
import torch
from torch import nn
from mylib import Layer


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.mask = torch.ones(3)
        self.w = nn.Parameter(torch.ones(3), requires_grad=False)


class L(Layer):
    def __init__(self):
        super().__init__()
        self.t = torch.ones(1)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "model.py").write_text(MODEL)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_model.py").write_text(MODEL)
    return tmp_path


def configure(project: Path, body: str) -> None:
    (project / "pyproject.toml").write_text(f"[project]\nname = 'x'\n\n[tool.buffer-lint]\n{body}\n")


def codes(project: Path, *args: str, cwd: Path | None = None) -> set[str]:
    result = run_cli(["check", *args], cwd=cwd or project)
    assert result.returncode in (0, 1), result.stderr
    return {f"{loc.split(':')[0]}:{loc.rsplit(' ', 1)[1]}" for loc in locations(result.stdout)}


ALL = {f"{f}:{c}" for f in ("pkg/model.py", "tests/test_model.py") for c in ("BUF001", "BUF002")}


def test_no_configuration(project: Path) -> None:
    assert codes(project) == ALL


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('select = ["BUF002"]', {"pkg/model.py:BUF002", "tests/test_model.py:BUF002"}),
        ('ignore = ["BUF002"]', {"pkg/model.py:BUF001", "tests/test_model.py:BUF001"}),
        ('select = ["BUF001"]\nextend-select = ["BUF002"]', ALL),
        ('exclude = ["tests"]', {"pkg/model.py:BUF001", "pkg/model.py:BUF002"}),
        ('extend-exclude = ["pkg/model.py"]', {"tests/test_model.py:BUF001", "tests/test_model.py:BUF002"}),
        (
            '[tool.buffer-lint.per-file-ignores]\n"tests/*" = ["BUF001"]\n"model.py" = ["BUF002"]',
            {"pkg/model.py:BUF001", "tests/test_model.py:BUF002"},
        ),
        ('module-bases = ["mylib.Layer"]', ALL | {"pkg/model.py:BUF001", "tests/test_model.py:BUF001"}),
    ],
    ids=["select", "ignore", "extend-select", "exclude", "extend-exclude", "per-file-ignores", "module-bases"],
)
def test_each_key(project: Path, body: str, expected: set[str]) -> None:
    configure(project, body)
    assert codes(project) == expected


def test_module_bases_finds_the_layer(project: Path) -> None:
    configure(project, 'module-bases = ["mylib.Layer"]')
    output = run_cli(["check", "pkg"], cwd=project).stdout
    assert "pkg/model.py:16:9: BUF001" in output


def test_persistent_and_buffer_style(project: Path) -> None:
    configure(project, 'persistent = true\nbuffer-style = "nn.Buffer"')
    run_cli(["check", "--fix", "--unsafe-fixes", "pkg"], cwd=project)
    text = (project / "pkg" / "model.py").read_text()
    assert "self.mask = nn.Buffer(torch.ones(3))\n" in text
    assert "self.w = nn.Buffer(torch.ones(3))\n" in text


def test_persistent_makes_buf001_unsafe(project: Path) -> None:
    configure(project, "persistent = true")
    result = run_cli(["check", "pkg"], cwd=project)
    assert "No fixes available (2 hidden fixes can be enabled with the `--unsafe-fixes` option)." in result.stdout


@pytest.mark.parametrize(
    ("body", "flags", "expected"),
    [
        ('select = ["BUF002"]', ["--select", "BUF001"], {"pkg/model.py:BUF001"}),
        ('ignore = ["BUF001"]', ["--ignore", "BUF002"], {"pkg/model.py:BUF001"}),
        ('select = ["BUF001"]', ["--extend-select", "BUF002"], {"pkg/model.py:BUF001", "pkg/model.py:BUF002"}),
        ('exclude = ["pkg"]', ["--exclude", "tests"], {"pkg/model.py:BUF001", "pkg/model.py:BUF002"}),
        (
            'module-bases = ["other.Base"]',
            ["--module-bases", "mylib.Layer"],
            {"pkg/model.py:BUF001", "pkg/model.py:BUF002"},
        ),
    ],
    ids=["select", "ignore", "extend-select", "exclude", "module-bases"],
)
def test_flags_override_the_configuration(project: Path, body: str, flags: list[str], expected: set[str]) -> None:
    configure(project, body)
    assert codes(project, *flags, "pkg") == expected


def test_flag_overrides_persistent_and_style(project: Path) -> None:
    configure(project, 'buffer-style = "nn.Buffer"')
    run_cli(
        [
            "check",
            "--fix",
            "--buffer-style",
            "register_buffer",
            "--persistent",
            "--unsafe-fixes",
            "--select",
            "BUF001",
            "pkg",
        ],
        cwd=project,
    )
    assert 'self.register_buffer("mask", torch.ones(3))\n' in (project / "pkg" / "model.py").read_text()


def test_configuration_is_found_upwards_from_the_checked_path(project: Path) -> None:
    configure(project, 'select = ["BUF002"]')
    assert codes(project, "model.py", cwd=project / "pkg") == {"model.py:BUF002"}


def test_pyproject_without_the_table_is_skipped(project: Path) -> None:
    configure(project, 'select = ["BUF002"]')
    (project / "pkg" / "pyproject.toml").write_text("[project]\nname = 'inner'\n")
    assert codes(project, "model.py", cwd=project / "pkg") == {"model.py:BUF002"}


def test_config_option_and_isolated(project: Path) -> None:
    configure(project, 'select = ["BUF002"]')
    (project / "other.toml").write_text('select = ["BUF001"]\n')
    assert codes(project, "--config", "other.toml", "pkg") == {"pkg/model.py:BUF001"}
    assert codes(project, "--isolated", "pkg") == {"pkg/model.py:BUF001", "pkg/model.py:BUF002"}


def test_show_settings(project: Path) -> None:
    configure(project, 'select = ["BUF002"]\npersistent = true')
    result = run_cli(["check", "--show-settings"], cwd=project)
    assert result.returncode == 0
    assert f"config = {project / 'pyproject.toml'}" in result.stdout
    assert "select = ['BUF002']" in result.stdout and "persistent = true" in result.stdout
    assert "enabled rules = ['BUF002']" in result.stdout


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            'colour = "red"',
            "unknown key 'colour'; allowed: select, ignore, extend-select, exclude, extend-exclude, "
            "per-file-ignores, module-bases, persistent, buffer-style",
        ),
        ('select = "BUF001"', "key 'select' must be a list of strings, got 'BUF001'"),
        ("ignore = [1]", "key 'ignore' must be a list of strings, got [1]"),
        ('select = ["XYZ1"]', "invalid select selector 'XYZ1': expected ALL or a prefix of BUF001"),
        ('persistent = "yes"', "key 'persistent' must be true or false, got 'yes'"),
        ('buffer-style = "Buffer"', "key 'buffer-style' must be 'register_buffer' or 'nn.Buffer', got 'Buffer'"),
        ('per-file-ignores = ["a"]', "key 'per-file-ignores' must be a table of glob = [codes], got ['a']"),
        ('[tool.buffer-lint.per-file-ignores]\n"x.py" = ["NOPE"]', "invalid per-file-ignores selector 'NOPE'"),
        ('module-bases = "mylib.Layer"', "key 'module-bases' must be a list of strings, got 'mylib.Layer'"),
        ("exclude = [true]", "key 'exclude' must be a list of strings, got [True]"),
        ("extend-exclude = 3", "key 'extend-exclude' must be a list of strings, got 3"),
        ('extend-select = ["Q"]', "invalid extend-select selector 'Q'"),
    ],
    ids=[
        "unknown-key",
        "select",
        "ignore",
        "bad-code",
        "persistent",
        "buffer-style",
        "per-file-ignores",
        "per-file-code",
        "module-bases",
        "exclude",
        "extend-exclude",
        "extend-select",
    ],
)
def test_bad_values_give_one_line_and_exit_2(project: Path, body: str, message: str) -> None:
    configure(project, body)
    result = run_cli(["check"], cwd=project)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith(f"buffer-lint: error: {project / 'pyproject.toml'}: [tool.buffer-lint]: ")
    assert message in lines[0]


def test_invalid_toml(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.buffer-lint\nselect = \n")
    result = run_cli(["check"], cwd=project)
    assert result.returncode == 2 and result.stderr.startswith(
        f"buffer-lint: error: {project / 'pyproject.toml'}: invalid TOML"
    )


def test_missing_config_file(project: Path) -> None:
    result = run_cli(["check", "--config", "nope.toml"], cwd=project)
    assert result.returncode == 2
    assert result.stderr.strip() == "buffer-lint: error: nope.toml: cannot read: No such file or directory"


# The two flake8 tests run the real flake8 (a subprocess): flake8 finds the plugin through its entry point and
# reads setup.cfg itself, which is what they check.
def test_flake8_settings_from_setup_cfg(project: Path) -> None:
    (project / "setup.cfg").write_text(
        "[flake8]\nselect = BUF\nbuffer-lint-module-bases = mylib.Layer\nper-file-ignores =\n    tests/*: BUF001\n"
    )
    result = run(["flake8", "pkg", "tests"], cwd=project)
    found = {f"{loc.split(':')[0]}:{loc.rsplit(' ', 1)[1]}" for loc in locations(result.stdout)}
    assert found == {"pkg/model.py:BUF001", "pkg/model.py:BUF002", "tests/test_model.py:BUF002"}
    assert "pkg/model.py:16:9: BUF001" in result.stdout


def test_flake8_rejects_a_bad_buffer_style(project: Path) -> None:
    (project / "setup.cfg").write_text("[flake8]\nbuffer-lint-buffer-style = Buffer\n")
    result = run(["flake8", "--select", "BUF", "pkg"], cwd=project)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == (
        "flake8: buffer-lint-buffer-style must be 'register_buffer' or 'nn.Buffer', got 'Buffer'"
    )
