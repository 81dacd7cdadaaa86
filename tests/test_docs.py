"""Rule documentation comes from one source, and its examples are themselves tested."""

from __future__ import annotations

import pytest

from buffer_lint.engine import check_source
from buffer_lint.rules import RULES
from buffer_lint.rules.base import Rule
from buffer_lint.settings import Settings
from tests.helpers import ROOT, run


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_example_is_reported_and_use_instead_is_clean(rule: Rule) -> None:
    bad = check_source(rule.example.encode(), Settings()).findings
    assert [f.code for f in bad] == [rule.code]
    assert check_source(rule.use_instead.encode(), Settings()).findings == []


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_message_says_what_breaks_and_what_to_write(rule: Rule) -> None:
    message = check_source(rule.example.encode(), Settings()).findings[0].message
    assert ":" in message and ";" in message  # what is wrong: what breaks; what to write instead
    assert "(" in message.rsplit(";", 1)[1]  # names the call to write


def test_readme_table_and_rule_pages_are_up_to_date() -> None:
    result = run(["python", "scripts/generate_docs.py", "--check"], cwd=ROOT)
    assert result.returncode == 0, result.stdout


def test_rule_all_lists_every_rule() -> None:
    output = run(["buffer-lint", "rule", "--all"], cwd=ROOT).stdout
    assert [line.split("(")[1].rstrip(")") for line in output.splitlines() if line.startswith("# ")] == [
        rule.code for rule in RULES
    ]
