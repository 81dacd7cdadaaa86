"""The real pre-commit runs the hooks from this checkout: check fails, fix rewrites, check passes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import BIN, ROOT, run

BAD = """\
import torch
from torch import nn


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.mask = torch.ones(3)
"""

pytestmark = pytest.mark.skipif(
    not (BIN / "pre-commit").exists() or shutil.which("git") is None,
    reason="pre-commit or git is not installed (pip install -e '.[test]')",
)


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "project"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "test@example.com")
    git(repo, "config", "user.name", "test")
    (repo / "model.py").write_text(BAD)
    git(repo, "add", "model.py")
    return repo


def try_repo(repo: Path, hook: str) -> subprocess.CompletedProcess[str]:
    return run(["pre-commit", "try-repo", str(ROOT), hook, "--files", "model.py"], cwd=repo)


# Slow (about 15 s with pre-commit's cache warm, over a minute cold): pre-commit builds a virtual environment with
# this checkout installed. A real subprocess by nature: it is pre-commit running the hooks of .pre-commit-hooks.yaml.
@pytest.mark.slow
def test_check_fails_fix_rewrites_check_passes(repo: Path) -> None:
    check = try_repo(repo, "buffer-lint")
    assert check.returncode == 1, check.stdout + check.stderr
    assert "model.py:8:9: BUF001 [*] tensor attribute 'mask' is not registered" in check.stdout

    fix = try_repo(repo, "buffer-lint-fix")
    assert fix.returncode == 1, fix.stdout + fix.stderr  # pre-commit fails a hook that changes files
    assert "files were modified by this hook" in fix.stdout
    assert 'self.register_buffer("mask", torch.ones(3), persistent=False)' in (repo / "model.py").read_text()

    git(repo, "add", "model.py")
    again = try_repo(repo, "buffer-lint")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Passed" in again.stdout
