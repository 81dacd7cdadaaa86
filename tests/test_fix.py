"""``--fix`` as a user runs it, and the properties that make it safe to run on a whole repository."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from buffer_lint.engine import check_source
from buffer_lint.fix.apply import fix_source
from buffer_lint.rules.registry import RULES
from buffer_lint.settings import Settings
from tests.helpers import BAD, FIXTURES, run, run_cli

SAFE_FIXED = BAD.replace("self.mask = torch.ones(3)", 'self.register_buffer("mask", torch.ones(3), persistent=False)')
ALL_FIXED = SAFE_FIXED.replace(
    "self.w = nn.Parameter(torch.ones(3), requires_grad=False)", 'self.register_buffer("w", torch.ones(3))'
)


def fix(project: Path, *args: str, stdin: bytes | None = None):
    return run_cli(["check", *args], cwd=project, stdin=stdin)


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "model.py"
    path.write_text(BAD)
    return path


def test_fix_applies_safe_fixes_only(bad: Path) -> None:
    result = fix(bad.parent, "--fix")
    assert bad.read_text() == SAFE_FIXED
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "model.py:9:9: BUF002 parameter 'w' is created with requires_grad=False: a constant disguised as a weight, "
        'it still reaches parameters(), the optimizer and DDP/FSDP; use self.register_buffer("w", ...)',
        "Found 2 errors (1 fixed, 1 remaining).",
        "1 hidden fix can be enabled with the `--unsafe-fixes` option.",
    ]


def test_unsafe_fixes(bad: Path) -> None:
    result = fix(bad.parent, "--fix", "--unsafe-fixes", "--show-fixes")
    assert bad.read_text() == ALL_FIXED
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "Fixed 2 errors:",
        "- model.py:",
        "    1 \u00d7 BUF001 (unregistered-tensor)",
        "    1 \u00d7 BUF002 (frozen-parameter)",
        "Found 2 errors (2 fixed, 0 remaining).",
    ]


def test_fix_subcommand_is_check_fix(bad: Path) -> None:
    run_cli(["fix", "--unsafe-fixes"], cwd=bad.parent)
    assert bad.read_text() == ALL_FIXED


def test_unsafe_fixes_without_fix_marks_them(bad: Path) -> None:
    result = fix(bad.parent, "--unsafe-fixes")
    assert bad.read_text() == BAD
    assert "BUF002 [*]" in result.stdout
    assert "[*] 2 fixable with the `--fix --unsafe-fixes` option." in result.stdout


def test_diff_writes_nothing_and_exits_1(bad: Path) -> None:
    result = fix(bad.parent, "--diff")
    assert bad.read_text() == BAD
    assert result.returncode == 1
    assert result.stdout.startswith("--- a/model.py\n+++ b/model.py\n@@ ")
    assert '+        self.register_buffer("mask", torch.ones(3), persistent=False)' in result.stdout
    assert "self.w" not in "".join(line for line in result.stdout.splitlines() if line.startswith("+"))
    assert "Would fix 1 error." in result.stderr


def test_diff_reports_what_is_left_at_the_positions_of_the_unchanged_file(tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    multi_line = "        self.mask = torch.ones(\n            3\n        )\n"
    path.write_text(BAD.replace("        self.mask = torch.ones(3)\n", multi_line))
    result = fix(tmp_path, "--diff")
    assert "model.py:11:9: BUF002" in result.stderr  # line 11 in the file as it is (9 after the fix)


def test_diff_without_changes_exits_0(tmp_path: Path) -> None:
    (tmp_path / "clean.py").write_text("x = 1\n")
    result = fix(tmp_path, "--diff")
    assert (result.returncode, result.stdout) == (0, "")


def test_stdin_fix_writes_the_fixed_source_to_stdout(bad: Path) -> None:
    result = fix(bad.parent, "--fix", "-", "--stdin-filename", "model.py", stdin=BAD.encode())
    assert result.stdout == SAFE_FIXED
    assert "model.py:9:9: BUF002" in result.stderr


def test_fixing_is_idempotent(bad: Path) -> None:
    fix(bad.parent, "--fix", "--unsafe-fixes")
    first = bad.read_bytes()
    second = fix(bad.parent, "--fix", "--unsafe-fixes")
    assert bad.read_bytes() == first and second.returncode == 0 and second.stdout == "All checks passed!\n"


def test_files_without_fixes_are_not_rewritten(tmp_path: Path) -> None:
    clean = tmp_path / "clean.py"
    clean.write_text("import torch\n")
    unfixable = tmp_path / "unfixable.py"
    unfixable.write_bytes((FIXTURES / "buf001" / "unfixable.py").read_bytes())
    before = {p: os.stat(p).st_mtime_ns for p in (clean, unfixable)}
    result = fix(tmp_path, "--fix", "--unsafe-fixes")
    assert result.returncode == 1
    assert {p: os.stat(p).st_mtime_ns for p in before} == before


# A fresh interpreter (a subprocess): libcst is already in this one's sys.modules.
def test_libcst_is_only_imported_for_files_with_fixes(tmp_path: Path) -> None:
    (tmp_path / "unfixable.py").write_bytes((FIXTURES / "buf001" / "unfixable.py").read_bytes())
    program = (
        "import sys\nfrom buffer_lint.cli import main\n"
        "code = main(['check', '--fix', '--unsafe-fixes', '-q', '.'])\n"
        "print(code, 'libcst' in sys.modules)\n"
    )
    assert run(["python", "-c", program], cwd=tmp_path).stdout.splitlines()[-1] == "1 False"


def test_mode_crlf_and_encoding_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    source = ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + BAD).replace("\n", "\r\n").encode("latin-1")
    path.write_bytes(source)
    path.chmod(0o750)
    fix(tmp_path, "--fix")
    fixed = path.read_bytes()
    assert fixed == ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + SAFE_FIXED).replace("\n", "\r\n").encode("latin-1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o750
    assert sorted(p.name for p in tmp_path.iterdir()) == [".buffer_lint_cache", "model.py"]  # no temporary file left


def test_bom_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    path.write_bytes(b"\xef\xbb\xbf" + BAD.encode())
    fix(tmp_path, "--fix")
    assert path.read_bytes() == b"\xef\xbb\xbf" + SAFE_FIXED.encode()


def test_fixes_on_one_line_do_not_corrupt_it() -> None:
    source = BAD.replace(
        "        self.w = nn.Parameter(torch.ones(3), requires_grad=False)\n",
        "        self.p = nn.Parameter(torch.ones(3)); self.p.requires_grad = False; self.q = torch.zeros(2)\n",
    )
    outcome = fix_source(source.encode(), Settings(), RULES, unsafe=True)
    assert outcome.error is None
    assert outcome.source.decode().splitlines()[8] == (
        '        self.register_buffer("p", torch.ones(3)); self.register_buffer("q", torch.zeros(2), persistent=False)'
    )
    assert sorted(f.code for f in outcome.fixed) == ["BUF001", "BUF001", "BUF003"]


def test_a_fix_that_breaks_the_code_leaves_the_file_untouched(
    bad: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from buffer_lint import cli
    from buffer_lint.fix import transform

    monkeypatch.setattr(transform, "fix_text", lambda text, edits: text + "\n)(\n")
    monkeypatch.chdir(bad.parent)
    code = cli.main(["check", "--fix", "model.py"])
    assert code == 2
    assert bad.read_text() == BAD
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "buffer-lint: error: model.py: a fix produced invalid code (unmatched ')'), so the file was left unchanged"
    ]


def test_a_file_libcst_cannot_parse_is_left_untouched(bad: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import libcst

    from buffer_lint import cli
    from buffer_lint.fix import transform

    def refuse(text: str, edits: object) -> str:
        return libcst.parse_module("def (")

    monkeypatch.setattr(transform, "fix_text", refuse)
    monkeypatch.chdir(bad.parent)
    assert cli.main(["check", "--fix", "model.py"]) == 2
    assert bad.read_text() == BAD
    assert "libcst cannot parse the file, so it was left unchanged" in capsys.readouterr().err


def test_write_failure_is_one_line(bad: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from buffer_lint import cli
    from buffer_lint import writing

    def fail(path: Path, data: bytes, **options: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(writing, "write_atomically", fail)
    monkeypatch.chdir(bad.parent)
    assert cli.main(["check", "--fix", "model.py"]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "buffer-lint: error: model.py: cannot write the fixed file: Permission denied"
    )


def test_persistent_and_nn_buffer_style(tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    path.write_text(BAD)
    fix(tmp_path, "--fix", "--persistent", "--unsafe-fixes", "--select", "BUF001")
    assert 'self.register_buffer("mask", torch.ones(3))' in path.read_text()
    path.write_text(BAD)
    fix(tmp_path, "--fix", "--unsafe-fixes", "--buffer-style", "nn.Buffer")
    assert path.read_text() == BAD.replace(
        "self.mask = torch.ones(3)", "self.mask = nn.Buffer(torch.ones(3), persistent=False)"
    ).replace("nn.Parameter(torch.ones(3), requires_grad=False)", "nn.Buffer(torch.ones(3))")


def test_nn_buffer_style_adds_the_import(tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    path.write_text(
        '"""Doc."""\nimport torch\n\n\nclass M(torch.nn.Module):\n'
        "    def __init__(self):\n        super().__init__()\n        self.m = torch.ones(1)\n"
    )
    fix(tmp_path, "--fix", "--buffer-style", "nn.Buffer")
    assert "self.m = torch.nn.Buffer(torch.ones(1), persistent=False)" in path.read_text()
    path.write_text(
        "from torch import ones\nfrom torch.nn import Module\n\n\nclass M(Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.m = ones(1)\n"
    )
    fix(tmp_path, "--fix", "--buffer-style", "nn.Buffer")
    assert path.read_text() == (
        "from torch import ones\nfrom torch.nn import Module\nfrom torch import nn\n\n\nclass M(Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.m = nn.Buffer(ones(1), persistent=False)\n"
    )


# libcst's own command line, for real (a subprocess), as a user runs the codemod.
def test_libcst_codemod_command(tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    path.write_text(BAD)
    result = run(
        [
            "python",
            "-m",
            "libcst.tool",
            "codemod",
            "-x",
            "buffer_lint.fix.codemod.FixBuffers",
            "--no-format",
            "--unsafe-fixes",
            str(path),
        ],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert path.read_text() == ALL_FIXED


def test_buf001_fix_is_unsafe_in_a_transformers_model() -> None:
    source = (FIXTURES / "buf001" / "basic.py").read_bytes()
    findings = check_source(source, Settings(), RULES).findings
    by_line = {f.line: f for f in findings}
    transformers_line = next(n for n, line in enumerate(source.decode().splitlines(), 1) if "prefix_tokens" in line)
    assert by_line[transformers_line].fix.applicability == "unsafe"
    assert by_line[13].fix.applicability == "safe"  # the causal mask, in a plain nn.Module


TRANSFORMERS_PARTS = """\
import torch
from torch import nn
from transformers import PreTrainedModel


class Table(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = torch.ones(4)


class Embeddings(nn.Module):
    def __init__(self):
        super().__init__()
        self.tables = nn.ModuleList([Table() for _ in range(2)])
        self.mask = torch.ones(4)


class Model(PreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.embeddings = Embeddings()


class Elsewhere(nn.Module):
    def __init__(self):
        super().__init__()
        self.mask = torch.ones(4)
"""


def test_a_module_a_transformers_model_builds_gets_an_unsafe_fix() -> None:
    # from_pretrained re-creates the non-persistent buffers of every submodule and refills them only
    # through the model's _init_weights: a part of the model is as unsafe to fix as the model itself
    findings = check_source(TRANSFORMERS_PARTS.encode(), Settings(), RULES).findings
    applicability = {f.line: f.fix.applicability for f in findings if f.fix}
    assert applicability == {9: "unsafe", 16: "unsafe", 28: "safe"}


def test_a_module_toggle_that_does_not_freeze_is_not_said_to_freeze() -> None:
    source = (
        "from torch import nn\n\n\nclass M(nn.Module):\n    def __init__(self, freeze=False):\n"
        "        super().__init__()\n        self.head = nn.Linear(2, 2)\n"
        "        self.head.requires_grad = not freeze\n        self.requires_grad = True\n"
    )
    messages = [f.message for f in check_source(source.encode(), Settings(), RULES).findings]
    assert len(messages) == 2 and not any("freezes" in m for m in messages), messages
    assert all("changes nothing: its parameters still keep their setting" in m for m in messages)
