"""The layers of docs/architecture.md hold: no import from a layer above, no cycle, one registry."""

from __future__ import annotations

from scripts.import_layers import ARCHITECTURE, TABLE, graph, table, violations


def test_imports_follow_the_layers_without_cycles() -> None:
    assert violations(graph()) == []


def test_a_violation_is_caught() -> None:
    edges = graph()
    edges["buffer_lint.findings"] = {"buffer_lint.runner"}
    edges["buffer_lint.cache"] = {"buffer_lint.rules.registry"}
    problems = violations(edges)
    assert any("buffer_lint.findings (leaf types) imports buffer_lint.runner" in p for p in problems)
    assert any("buffer_lint.cache imports the rule registry" in p for p in problems)
    assert any(p.startswith("import cycle: ") for p in problems)


def test_the_architecture_table_is_current() -> None:
    match = TABLE.search(ARCHITECTURE.read_text(encoding="utf-8"))
    assert match is not None and match.group(2) == table(graph()), "run python scripts/import_layers.py"
