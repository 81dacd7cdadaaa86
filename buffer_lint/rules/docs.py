"""Rule documentation rendered from the rules themselves: ``buffer-lint rule``, docs/rules and the README table."""

from __future__ import annotations

from collections.abc import Iterable

from buffer_lint.rules.base import Rule


def render_rule(rule: Rule) -> str:
    """A rule's documentation as Markdown, in ruff's sections."""
    return (
        f"# {rule.name} ({rule.code})\n\n{rule.summary[0].upper()}{rule.summary[1:]}.\n\n"
        f"## What it does\n{rule.what_it_does}\n\n"
        f"## Why is this bad?\n{rule.why_is_this_bad}\n\n"
        f"## Example\n```python\n{rule.example}```\n\n"
        f"## Use instead\n```python\n{rule.use_instead}```\n\n"
        f"## Fix safety\n{rule.fix_safety}\n"
    )


def rule_table(rules: Iterable[Rule]) -> str:
    rows = ["| code | name | reports | fix | fix safety |", "|---|---|---|---|---|"]
    for rule in rules:
        link = f"[{rule.code}](docs/rules/{rule.code}.md)"
        rows.append(
            f"| {link} | {rule.name} | {rule.summary} | {rule.fix_title or 'none'} | {rule.fix_applicability or '-'} |"
        )
    return "\n".join(rows) + "\n"
