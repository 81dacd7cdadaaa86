"""``pytest --buffer-audit``: audit every model the tests build; ``--buffer-audit=error`` fails their tests.

Off unless the option is given: then, for the whole session, assignments are traced (the
findings point at the assigning lines) and every ``nn.Module`` a test builds is audited when the
test has run. The ``buffer_audit`` fixture checks one model in any session:
``buffer_audit(model)`` fails the test with the findings unless the model is clean.
torch is imported only when the option or the fixture is used.
"""

from __future__ import annotations

import io
from collections.abc import Generator, Sequence
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, Callable

import pytest

from buffer_lint.report import text as text_report

if TYPE_CHECKING:
    from buffer_lint.audit.core import AuditFinding

PLUGIN_NAME = "buffer-audit-session"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("buffer-lint").addoption(
        "--buffer-audit",
        nargs="?",
        const="report",
        default=None,
        choices=("report", "error"),
        help="audit the nn.Modules each test builds for tensors that do not follow .to(); "
        "report (default) lists them after the run, error also fails the tests that built them",
    )


def pytest_configure(config: pytest.Config) -> None:
    mode = config.getoption("buffer_audit")
    if mode:
        config.pluginmanager.register(AuditSession(mode), PLUGIN_NAME)


@pytest.fixture
def buffer_audit() -> Callable[..., None]:
    """``buffer_audit(model, frozen=False)`` fails the test, showing the findings, unless ``model`` is clean."""

    def check(model: Any, *, frozen: bool = False) -> None:
        from buffer_lint.audit.core import audit

        findings = audit(model, frozen=frozen)
        if findings:
            pytest.fail(f"buffer audit of {type(model).__name__}:\n{format_findings(findings)}", pytrace=False)

    return check


def format_findings(findings: Sequence[AuditFinding]) -> str:
    from buffer_lint.audit.core import to_file_results

    out = io.StringIO()
    text_report.write_findings(to_file_results(findings), out, unsafe=False)
    return out.getvalue()


class AuditSession:
    """Traces for the whole session and audits, after each test, the models that test built."""

    def __init__(self, mode: str) -> None:
        from buffer_lint.audit import core  # before watching: importing it builds an nn.Module
        from buffer_lint.audit.collect import BuiltModules
        from buffer_lint.audit.sites import tracing

        self.mode = mode
        self._core = core
        self.findings: dict[str, list[AuditFinding]] = {}
        self.models = 0
        self._built = BuiltModules()
        self._stack = ExitStack()
        self._stack.enter_context(tracing())
        self._built.start()
        self._stack.callback(self._built.stop)

    def pytest_unconfigure(self) -> None:
        self._stack.close()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self) -> None:
        self._built.take_models()  # forget what was built between tests

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
        outcome = yield
        if call.when != "call":
            return
        findings = self._audit_built()
        if not findings:
            return
        self.findings[item.nodeid] = findings
        report = outcome.get_result()
        if self.mode == "error" and report.passed:
            report.outcome = "failed"
            report.longrepr = f"buffer audit: unregistered state in the models built:\n{format_findings(findings)}"

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.write_sep("=", "buffer audit")
        for nodeid, findings in self.findings.items():
            terminalreporter.write_line(nodeid)
            for line in format_findings(findings).splitlines():
                terminalreporter.write_line(f"  {line}")
        count = sum(len(f) for f in self.findings.values())
        terminalreporter.write_line(
            f"{self.models} models audited: {count} findings in {len(self.findings)} tests"
            if count
            else f"{self.models} models audited: no findings"
        )

    def _audit_built(self) -> list[AuditFinding]:
        models = self._built.take_models()
        self.models += len(models)
        return self._core.merged([finding for model in models for finding in self._core.audit(model)])
