"""Rule documentation comes from one source, the rule's own file, and its examples are tested."""

from __future__ import annotations

import types

import pytest

from buffer_lint.cli import main
from buffer_lint.engine import check_source
from buffer_lint.fix.apply import fix_source
from buffer_lint.report.docs import unknown_options
from buffer_lint.rules.base import SECTIONS, Rule
from buffer_lint.rules.registry import RULES
from buffer_lint.settings import Settings
from scripts.generate_docs import stale_files


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_example_is_reported_and_use_instead_is_clean(rule: Rule) -> None:
    bad = check_source(rule.example.encode(), Settings(), RULES).findings
    assert [f.code for f in bad] == [rule.code]
    assert check_source(rule.use_instead.encode(), Settings(), RULES).findings == []


@pytest.mark.parametrize("rule", [r for r in RULES if r.fix_availability != "never"], ids=lambda r: r.code)
def test_fixing_the_example_gives_use_instead(rule: Rule) -> None:
    outcome = fix_source(rule.example.encode(), Settings(), RULES, unsafe=True)
    assert outcome.source.decode() == rule.use_instead
    assert [f.code for f in outcome.fixed] == [rule.code]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_fix_availability_and_applicability_agree_with_the_example(rule: Rule) -> None:
    finding = check_source(rule.example.encode(), Settings(), RULES).findings[0]
    if rule.fix_availability == "never":
        assert finding.fix is None and rule.fix_applicability is None and not rule.fix_title
    else:
        assert finding.fix is not None and finding.fix.applicability == rule.fix_applicability


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_message_says_what_breaks_and_what_to_write(rule: Rule) -> None:
    message = check_source(rule.example.encode(), Settings(), RULES).findings[0].message
    assert ":" in message and ";" in message  # what is wrong: what breaks; what to write instead
    assert "(" in message.rsplit(";", 1)[1]  # names the call to write


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_docs_have_every_section_and_name_real_options(rule: Rule) -> None:
    assert tuple(rule.sections) == SECTIONS
    assert all(rule.sections[title] for title in SECTIONS), "an empty section"
    assert rule.options and unknown_options(rule) == []


def test_a_rule_module_without_the_sections_is_refused() -> None:
    module = types.ModuleType("buffer_lint.rules.buf999_broken")
    module.__doc__ = "broken.\n\n## What it does\nSomething.\n"
    with pytest.raises(ValueError, match="sections must be"):
        Rule.from_module(module)


def test_readme_table_and_rule_pages_are_up_to_date() -> None:
    assert stale_files() == [], "run python scripts/generate_docs.py"


def test_rule_all_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rule", "--all"]) == 0
    output = capsys.readouterr().out
    titles = [line.split("(")[1].rstrip(")") for line in output.splitlines() if line.startswith("# ")]
    assert titles == [rule.code for rule in RULES]


def test_rule_with_an_unknown_code_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rule", "XYZ123"]) == 2
    assert "unknown rule code 'XYZ123'" in capsys.readouterr().err
