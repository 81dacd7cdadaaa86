"""The pytest plugin, run on small test files with pytester: ``--buffer-audit``, its error mode, the fixture."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

pytest.importorskip("torch", reason="the runtime audit needs torch (pip install -e '.[test]')")

pytest_plugins = ["pytester"]
PLUGIN_MODULE = "buffer_lint.audit.pytest_plugin"


def _installed() -> bool:
    """Whether the pytest11 entry point loads the plugin already (then ``-p`` would register it twice)."""
    found = entry_points()
    group = found.select(group="pytest11") if hasattr(found, "select") else found.get("pytest11", [])
    return any(point.value == PLUGIN_MODULE for point in group)


PLUGIN = () if _installed() else ("-p", PLUGIN_MODULE)

MODELS = """
import torch
from torch import nn


class Clean(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mask", torch.ones(2, 2))


class Faulty(nn.Module):
    def __init__(self):
        super().__init__()
        self.mask = torch.ones(2, 2)


def test_clean():
    assert Clean().mask.shape == (2, 2)


def test_faulty():
    model = Faulty()
    assert model.mask.shape == (2, 2)


def test_no_model():
    assert True
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_models=MODELS)
    return pytester


def test_report_mode_lists_findings_per_test(suite: pytest.Pytester) -> None:
    result = suite.runpytest(*PLUGIN, "--buffer-audit")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*= buffer audit =*",
            "test_models.py::test_faulty",
            "  test_models.py:14:9: BUF001 tensor attribute 'mask' is not registered*",
            "2 models audited: 1 findings in 1 tests",
        ]
    )
    assert "test_models.py::test_clean" not in result.stdout.str()


def test_error_mode_fails_the_tests_that_built_an_offending_model(suite: pytest.Pytester) -> None:
    result = suite.runpytest(*PLUGIN, "--buffer-audit=error")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*buffer audit: unregistered state in the models built:*", "FAILED *test_faulty*"])


def test_the_fixture_checks_one_model_without_the_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fixture=MODELS.split("\n\ndef test_clean")[0]
        + """

def test_clean(buffer_audit):
    buffer_audit(Clean())


def test_faulty(buffer_audit):
    buffer_audit(Faulty())
"""
    )
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*buffer audit of Faulty:*", "*BUF001 tensor attribute 'mask'*"])
    assert "= buffer audit =" not in result.stdout.str()


def test_without_the_option_nothing_is_patched(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_untouched="""
from pathlib import Path

from torch import nn


def test_untouched(request):
    for method in (nn.Module.__setattr__, nn.Module.__init__):
        assert Path(method.__code__.co_filename).parts[-3:] == ("nn", "modules", "module.py")
    assert not request.config.pluginmanager.has_plugin("buffer-audit-session")
"""
    )
    pytester.runpytest(*PLUGIN).assert_outcomes(passed=1)


def test_the_session_restores_torch_when_it_ends(suite: pytest.Pytester) -> None:
    from torch import nn

    original = nn.Module.__setattr__, nn.Module.__init__
    suite.runpytest(*PLUGIN, "--buffer-audit").assert_outcomes(passed=3)
    assert (nn.Module.__setattr__, nn.Module.__init__) == original
