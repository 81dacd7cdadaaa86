"""The runtime audit: ``buffer_lint.audit`` on small models, tracing, and ``buffer-lint audit``.

The models live in tests/audit_project/fixtures/audit_models.py, with the lines the audit must
report marked ``# expect: CODE`` (``# expect-frozen: CODE`` with ``frozen=True``).
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="the runtime audit needs torch (pip install -e '.[test]')")
nn = torch.nn

from buffer_lint.audit import audit, to_file_results, tracing  # noqa: E402
from buffer_lint.audit import command, sites  # noqa: E402
from buffer_lint.audit.locate import UNTRACED_NOTE  # noqa: E402

PROJECT = Path(__file__).parent / "audit_project" / "fixtures"
MODELS_FILE = PROJECT / "audit_models.py"
MARKER = re.compile(r"# (expect|expect-frozen): (BUF\d{3})")


@pytest.fixture
def models(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.syspath_prepend(str(PROJECT))
    import audit_models

    return audit_models


def expected(frozen: bool = False) -> set[tuple[int, str]]:
    lines = MODELS_FILE.read_text(encoding="utf-8").splitlines()
    kinds = ("expect", "expect-frozen") if frozen else ("expect",)
    return {(n, m[2]) for n, line in enumerate(lines, 1) for m in [MARKER.search(line)] if m and m[1] in kinds}


def places(findings) -> set[tuple[int, str]]:  # type: ignore[no-untyped-def]
    return {(f.finding.line, f.finding.code) for f in findings}


def test_check_and_the_flake8_plugin_never_import_torch() -> None:
    code = "import buffer_lint.cli, buffer_lint.flake8_plugin, buffer_lint.audit.command, sys; "
    code += "import buffer_lint.audit.pytest_plugin; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_reports_plain_tensors_and_containers_at_the_assigning_lines(models) -> None:  # type: ignore[no-untyped-def]
    with tracing():
        model = models.Faulty()
    findings = audit(model)
    assert places(findings) == expected()
    assert all(f.traced and f.path == str(MODELS_FILE) for f in findings)
    assert {f.attribute for f in findings} == {"mask", "blocks", "tables", "scale"}
    assert {f.owner_class for f in findings} == {"audit_models.Faulty"}


def test_messages_say_what_breaks_and_what_to_write(models) -> None:  # type: ignore[no-untyped-def]
    with tracing():
        by_attribute = {f.attribute: f.finding.message for f in audit(models.Faulty())}
    assert 'register_buffer("mask"' in by_attribute["mask"] and ".to()" in by_attribute["mask"]
    assert by_attribute["blocks"].startswith("list of modules 'blocks'") and "nn.ModuleList" in by_attribute["blocks"]
    assert by_attribute["tables"].startswith("dict of tensors 'tables'")


def test_frozen_parameters_only_when_asked(models) -> None:  # type: ignore[no-untyped-def]
    with tracing():
        model = models.Faulty()
    assert places(audit(model, frozen=True)) == expected(frozen=True)
    assert "BUF002" not in {code for _, code in places(audit(model))}


def test_clean_model(models) -> None:  # type: ignore[no-untyped-def]
    with tracing():
        model = models.Clean()
    assert audit(model) == []


def test_a_place_shared_by_several_modules_is_reported_once(models) -> None:  # type: ignore[no-untyped-def]
    with tracing():
        findings = audit(models.Outer())
    assert places(findings) == expected()
    assert {(f.module_name, f.instances) for f in findings} == {("first", 2)}


def test_modules_that_move_themselves_are_not_audited(models) -> None:  # type: ignore[no-untyped-def]
    with tracing():
        assert audit(models.MovesItself()) == []


def test_weights_recomputed_by_a_norm_hook_are_not_reported() -> None:
    # torch's old weight_norm and spectral_norm keep ``weight`` as a plain tensor that their forward
    # pre-hook recomputes from registered parameters before every call: it follows .to() in effect.
    with pytest.warns(FutureWarning), tracing():
        model = nn.Sequential(nn.utils.weight_norm(nn.Conv1d(2, 2, 3)), nn.utils.spectral_norm(nn.Linear(2, 2)))
    assert audit(model) == []
    model[1].table = torch.ones(2)  # a plain tensor under another name is still reported
    assert {f.attribute for f in audit(model)} == {"table"}


def test_built_on_the_meta_device(models) -> None:  # type: ignore[no-untyped-def]
    with tracing(), torch.device("meta"):
        model = models.Faulty()
    assert places(audit(model)) == expected()


def test_columns_are_characters_at_the_statement(models) -> None:  # type: ignore[no-untyped-def]
    with tracing():
        (finding,) = audit(models.NonAscii())
    line = MODELS_FILE.read_text(encoding="utf-8").splitlines()[finding.finding.line - 1]
    assert finding.finding.col == line.index("self.table")
    assert line[finding.finding.col : finding.finding.end_col] == "self.table = torch.zeros(1)"


def test_outside_tracing_the_class_is_the_location(models) -> None:  # type: ignore[no-untyped-def]
    findings = audit(models.Faulty())
    class_line = MODELS_FILE.read_text(encoding="utf-8").splitlines().index("class Faulty(nn.Module):") + 1
    assert {f.finding.line for f in findings} == {class_line}
    assert all(not f.traced and f.finding.message.endswith(UNTRACED_NOTE) for f in findings)
    assert {f.attribute for f in findings} == {"mask", "blocks", "tables", "scale", "silenced"}


def test_a_module_that_overrides_setattr_is_located_at_its_caller() -> None:
    class Logged(nn.Module):
        def __setattr__(self, name: str, value: object) -> None:
            super().__setattr__(name, value)

        def __init__(self) -> None:
            super().__init__()
            self.table = torch.zeros(1)

    with tracing():
        (finding,) = audit(Logged())
    assert finding.finding.line == Logged.__init__.__code__.co_firstlineno + 2


def test_tracing_patches_only_inside_and_nests() -> None:
    original = nn.Module.__setattr__
    with tracing():
        assert nn.Module.__setattr__ is not original
        with tracing():
            pass
        assert nn.Module.__setattr__ is not original and sites.is_tracing()
    assert nn.Module.__setattr__ is original and not sites.is_tracing()


def test_tracing_from_several_threads_restores_once_all_exit() -> None:
    original = nn.Module.__setattr__
    inside, release = threading.Barrier(3), threading.Event()

    def traced() -> None:
        with tracing():
            inside.wait()
            release.wait()
            nn.Linear(2, 2)

    threads = [threading.Thread(target=traced) for _ in range(2)]
    for thread in threads:
        thread.start()
    inside.wait()
    assert sites.is_tracing()
    release.set()
    for thread in threads:
        thread.join()
    assert nn.Module.__setattr__ is original and not sites.is_tracing()


def test_records_go_with_their_module() -> None:
    with tracing():
        module = nn.Module()
        module.table = torch.zeros(1)
    key = id(module)
    assert sites.site_of(module, "table") is not None
    del module
    gc.collect()
    assert key not in sites._sites


def test_file_results_are_relative_to_the_root(models) -> None:  # type: ignore[no-untyped-def]
    with tracing():
        findings = audit(models.Faulty())
    (result,) = to_file_results(findings, root=str(PROJECT.parent))
    assert result.path == str(Path("fixtures") / "audit_models.py")
    assert [f.line for f in result.findings] == sorted(f.line for f in result.findings)


# ------------------------------------------------------------------ buffer-lint audit


def run_audit(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="buffer-lint")
    command.add_parser(parser.add_subparsers(dest="command"))
    return command.run(parser.parse_args(["audit", *argv]))


@pytest.fixture
def in_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT)
    monkeypatch.syspath_prepend(str(PROJECT))


@pytest.mark.usefixtures("in_project")
def test_command_reports_like_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_audit("audit_models:Faulty") == 1
    out = capsys.readouterr().out
    reported = {(int(m[1]), m[3]) for m in re.finditer(r"^audit_models\.py:(\d+):(\d+): (BUF\d+) ", out, re.M)}
    assert reported == expected()
    assert out.endswith("Found 4 errors.\n")


@pytest.mark.usefixtures("in_project")
def test_command_factory_kwargs_frozen_and_selection(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_audit("audit_models:build_faulty", "--kwargs", '{"size": 2}', "--frozen", "--select", "BUF002") == 1
    assert re.findall(r" (BUF\d+) ", capsys.readouterr().out) == ["BUF002"]
    assert run_audit("audit_models:Faulty", "--ignore", "BUF001,BUF006") == 0
    assert run_audit("audit_models:Faulty", "--exit-zero") == 0
    assert run_audit("audit_models:Clean") == 0


@pytest.mark.usefixtures("in_project")
@pytest.mark.parametrize("output_format", ["json", "github", "sarif"])
def test_command_output_formats(output_format: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_audit("audit_models:Faulty", "--output-format", output_format) == 1
    out = capsys.readouterr().out
    if output_format == "json":
        assert {(d["location"]["row"], d["code"]) for d in json.loads(out)} == expected()
    elif output_format == "github":
        assert out.count("::error ") == len(expected())
    else:
        assert len(json.loads(out)["runs"][0]["results"]) == len(expected())


@pytest.mark.usefixtures("in_project")
@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("audit_models:Missing", "cannot import audit_models:Missing: AttributeError"),
        ("no_such_module:Model", "cannot import no_such_module:Model: ModuleNotFoundError"),
        ("audit_models", "expected TARGET as package.module:callable"),
        ("audit_models:torch.__version__", "audit_models:torch.__version__ is not callable"),
        ("audit_models:not_a_model", "the target returned int, not a torch.nn.Module"),
        ("audit_models:broken", "building on the cpu device failed: RuntimeError: no weights here"),
    ],
)
def test_command_errors_are_one_line(target: str, says: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_audit(target) == 2
    err = capsys.readouterr().err
    last = err.splitlines()[-1]
    assert last.startswith("buffer-lint: error: ") and says in last
    assert "Traceback" not in err


@pytest.mark.usefixtures("in_project")
def test_command_falls_back_to_the_cpu_when_meta_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_audit("audit_models:MetaHostile") == 1
    captured = capsys.readouterr()
    assert "building on the meta device failed" in captured.err and "building on the cpu instead" in captured.err
    assert "'ones'" in captured.out
    assert run_audit("audit_models:MetaHostile", "--device", "meta") == 2


@pytest.mark.usefixtures("in_project")
def test_command_compare(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_audit("audit_models:Faulty", "--compare", "--output-format", "json") == 1
    data = json.loads(capsys.readouterr().out)
    both = {(d["location"]["row"], d["code"]) for d in data["both"]}
    runtime_only = {(d["location"]["row"], d["code"]) for d in data["runtime_only"]}
    assert both | runtime_only == expected() and not both & runtime_only
    static_only = {(d["filename"], d["code"]) for d in data["static_only"]}
    assert ("audit_models.py", "BUF001") in static_only  # the plain tensor of MovesItself/MetaHostile, not built
    assert run_audit("audit_models:Faulty", "--compare") == 1
    out = capsys.readouterr().out
    assert out.startswith("found by both (") and "\nruntime only (" in out and "\nstatic only (" in out
    assert run_audit("audit_models:Faulty", "--compare", "--output-format", "sarif") == 2


def test_compare_reads_bases_in_other_files_as_check_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from buffer_lint.audit.compare import compare
    from buffer_lint.rules.selection import Selection

    package = tmp_path / "cmp_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "base.py").write_text("from torch import nn\n\n\nclass Base(nn.Module):\n    pass\n")
    (package / "model.py").write_text(
        "import torch\n\nfrom .base import Base\n\n\nclass Model(Base):\n    def __init__(self):\n"
        "        super().__init__()\n        self.mask = torch.ones(3)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    from cmp_pkg.model import Model  # type: ignore[import-not-found]

    with tracing():
        model = Model()
    comparison = compare(audit(model), Selection(), frozen=False)
    assert [(f.finding.line, f.finding.code) for f in comparison.both] == [(9, "BUF001")]
    assert comparison.runtime_only == [] and comparison.static_only == []


def test_frozen_weights_of_torch_layers_are_not_reported() -> None:
    # freezing a submodule, or a torch layer's own weight, is no constant disguised as a weight that
    # register_buffer could fix: torch's class creates the parameter, and the name is taken (SPEC: BUF002)
    class FrozenLinear(nn.Linear):
        def __init__(self) -> None:
            super().__init__(2, 2)
            self.weight.requires_grad = False
            self.table = nn.Parameter(torch.zeros(2), requires_grad=False)

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.backbone = nn.Linear(2, 2)
            self.backbone.requires_grad_(False)
            self.head = FrozenLinear()

    with tracing():
        model = Model()
    assert [(f.module_name, f.attribute) for f in audit(model, frozen=True)] == [("head", "table")]


def test_a_frozen_parameter_is_not_said_to_be_created_frozen() -> None:
    # the audit sees requires_grad=False on the built model, not how the parameter got there
    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = nn.Parameter(torch.ones(2))
            self.scale.requires_grad_(False)

    with tracing():
        model = Model()
    (found,) = audit(model, frozen=True)
    assert found.finding.code == "BUF002" and "created" not in found.finding.message, found.finding.message
    assert found.finding.message.startswith("parameter 'scale' does not require grad"), found.finding.message
