"""What each rule claims happens at run time, shown with torch on the fixtures, before and after the fix."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="the runtime proofs need torch (pip install -e '.[test]')")

from tests.helpers import FIXTURES  # noqa: E402
from tests.test_runtime_proof import import_fixture  # noqa: E402


def load(rule: str, fixed: bool = False):  # noqa: ANN201
    suffix = ".fixed.py" if fixed else ".py"
    return import_fixture(FIXTURES / rule / f"basic{suffix}", f"rule_{rule}_{'fixed' if fixed else 'original'}")


def train_steps(model: torch.nn.Module, steps: int = 3) -> None:
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01)
    for _ in range(steps):
        optimizer.zero_grad()
        model(torch.randn(4, 8)).sum().backward()
        optimizer.step()


def test_buf007_buffer_update_breaks_the_second_backward_and_detach_fixes_it() -> None:
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        train_steps(load("buf007").EMA())
    model = load("buf007", fixed=True).EMA()
    train_steps(model, steps=5)
    assert model.running.grad_fn is None and model.steps.item() == 5


def test_buf007_seed_accumulator_keeps_the_graph_alive() -> None:
    original = import_fixture(FIXTURES / "seeds" / "seed_003_what_are_buffers.py", "seed3")
    fixed = import_fixture(FIXTURES / "seeds" / "seed_003_what_are_buffers.fixed.py", "seed3_fixed")
    x = torch.randn(10, requires_grad=True)
    accumulator = original.Accumulator()
    accumulator(x)
    assert accumulator.sum.grad_fn is not None  # the buffer now holds a graph
    repaired = fixed.Accumulator()
    for _ in range(3):
        repaired(torch.randn(10, requires_grad=True))
    assert repaired.sum.grad_fn is None


def test_buf008_register_after_assignment_raises_key_error() -> None:
    module = load("buf008")
    with pytest.raises(KeyError, match="attribute 'window' already exists"):
        module.Window()
    with pytest.raises(KeyError, match="attribute 'cache' already exists"):
        module.ViaHelper()


def test_buf005_assignment_freezes_nothing_and_the_fix_freezes() -> None:
    before, after = load("buf005").Classifier(), load("buf005", fixed=True).Classifier()
    assert all(p.requires_grad for p in before.backbone.parameters())
    assert not any(p.requires_grad for p in after.backbone.parameters())
    assert not any(p.requires_grad for p in load("buf005", fixed=True).FreezesItself().parameters())


def test_buf006_plain_lists_hide_parameters_and_the_fix_registers_them() -> None:
    before, after = load("buf006").MLP(), load("buf006", fixed=True).MLP()
    assert len(list(before.parameters())) == 0
    # 3 Linear layers (weight, bias), 2 heads (weight, bias), 3 scales, 1 named parameter
    assert len(list(after.parameters())) == 3 * 2 + 2 * 2 + 3 + 1
    after.to("meta")
    assert all(p.device.type == "meta" for p in after.parameters())
    torch.manual_seed(0)
    x = torch.randn(2, 8)
    torch.testing.assert_close(load("buf006", fixed=True).MLP()(x).shape, before(x).shape)
