"""A fix that stores the caller's own object is unsafe: the caller may pass an nn.Parameter, which
``register_buffer`` would take out of ``parameters()``. Proven with torch."""

from __future__ import annotations

import types

import pytest

from buffer_lint.engine import check_source
from buffer_lint.fix.apply import fix_source
from buffer_lint.rules.registry import RULES
from buffer_lint.settings import Settings

torch = pytest.importorskip("torch", reason="the runtime proof of fix safety needs torch (pip install -e '.[test]')")

SOURCE = b"""\
from typing import Optional

import torch
from torch import Tensor, nn


class Rotation(nn.Module):
    def __init__(self, angle: Optional[Tensor] = None) -> None:
        super().__init__()
        self.angle = angle
"""


def _load(source: bytes) -> type:
    module = types.ModuleType("fix_safety_model")
    exec(compile(source, "fix_safety_model.py", "exec"), module.__dict__)  # noqa: S102 - our own test source
    return module.Rotation


def test_storing_an_argument_is_reported_with_an_unsafe_fix() -> None:
    [finding] = check_source(SOURCE, Settings(), RULES).findings
    assert finding.code == "BUF001" and finding.fix is not None and finding.fix.applicability == "unsafe"


def test_the_safe_fixes_leave_a_callers_parameter_in_parameters() -> None:
    outcome = fix_source(SOURCE, Settings(), RULES, unsafe=False)
    assert outcome.source == SOURCE  # --fix alone does not touch it
    parameter = torch.nn.Parameter(torch.zeros(2))
    model = _load(outcome.source)(parameter)
    assert any(p is parameter for p in model.parameters())


def test_why_the_fix_is_unsafe_a_callers_parameter_would_leave_parameters() -> None:
    outcome = fix_source(SOURCE, Settings(), RULES, unsafe=True)
    assert b'self.register_buffer("angle", angle, persistent=False)' in outcome.source
    parameter = torch.nn.Parameter(torch.zeros(2))
    model = _load(outcome.source)(parameter)
    assert not any(p is parameter for p in model.parameters())  # what --unsafe-fixes warns about
    plain = _load(outcome.source)(torch.zeros(2)).to("meta")
    assert plain.angle.device.type == "meta"  # and what it fixes: a plain tensor now follows .to()
