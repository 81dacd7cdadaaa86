"""Rule documentation rendered from the rules themselves: ``buffer-lint rule``, docs/rules and the README table."""

from __future__ import annotations

from collections.abc import Iterable

from buffer_lint.rules.base import Rule
from buffer_lint.rules.registry import RULES, RULES_BY_CODE
from buffer_lint.settings import ALL_OPTIONS


def render_rule(rule: Rule) -> str:
    """A rule's documentation as Markdown, in ruff's sections."""
    header = (
        f"# {rule.name} ({rule.code})\n\n{rule.summary[0].upper()}{rule.summary[1:]}.\n\n"
        f"Fix is {rule.fix_availability} available.\n"
    )
    body = "".join(f"\n## {title}\n{text}\n" for title, text in rule.sections.items())
    return header + body


def rule_table(rules: Iterable[Rule]) -> str:
    rows = ["| code | name | reports | fix | availability | safety |", "|---|---|---|---|---|---|"]
    for rule in rules:
        link = f"[{rule.code}](docs/rules/{rule.code}.md)"
        rows.append(
            f"| {link} | {rule.name} | {rule.summary} | {rule.fix_title or 'none'} "
            f"| {rule.fix_availability} | {rule.fix_applicability or '-'} |"
        )
    return "\n".join(rows) + "\n"


def unknown_options(rule: Rule) -> list[str]:
    """Options a rule's docs name that no setting declares."""
    declared = {option.key for option in ALL_OPTIONS}
    return [name for name in rule.options if name not in declared]


def explain(code: str | None) -> str | None:
    """``buffer-lint rule CODE``: the rule's documentation; every rule's for None; None for an unknown code."""
    if code is None:
        return "\n\n".join(render_rule(rule) for rule in RULES)
    rule = RULES_BY_CODE.get(code.upper())
    return render_rule(rule) if rule else None


def known_codes() -> str:
    return ", ".join(RULES_BY_CODE)
