"""What a rule is: its documentation, in ruff's sections, and its check over one class's facts.

A rule is a module ``rules/bufNNN_<name>.py``: its docstring is its documentation, and it
defines ``check(cls, settings)``, ``FIX_TITLE``, ``FIX_AVAILABILITY`` and ``FIX_APPLICABILITY``.
The code and the name come from the file name; the engine stamps the code on each finding.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, NamedTuple

from buffer_lint.findings import Applicability, Fix, FixAvailability

if TYPE_CHECKING:
    from buffer_lint.analysis.facts import ClassFacts
    from buffer_lint.settings import Settings

SECTIONS = (
    "What it does",
    "Why is this bad?",
    "Known problems",
    "Example",
    "Use instead",
    "Options",
    "Fix safety",
    "References",
)
RULE_MODULE = re.compile(r"^(?P<code>buf\d{3})_(?P<name>[a-z0-9_]+)$")
_SECTION = re.compile(r"^## (.+)$", re.M)
_CODE_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


class Violation(NamedTuple):
    """What a rule reports: the statement to change, why, and the fix (the engine adds the code)."""

    statement: ast.stmt
    message: str
    fix: Fix | None = None


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str  # the docstring's first line, without its full stop
    sections: dict[str, str]  # section title -> Markdown text, in SECTIONS order
    fix_title: str  # what the fix writes ("" when there is none)
    fix_availability: FixAvailability
    fix_applicability: Applicability | None  # the usual applicability; "Fix safety" tells the exceptions
    check: Callable[[ClassFacts, Settings], Iterator[Violation]]

    @classmethod
    def from_module(cls, module: ModuleType) -> Rule:
        match = RULE_MODULE.match(module.__name__.rsplit(".", 1)[-1])
        if match is None or not module.__doc__:
            raise ValueError(f"{module.__name__}: not a rule module (bufNNN_<name>.py with a docstring)")
        summary, _, body = module.__doc__.partition("\n")
        return cls(
            code=match["code"].upper(),
            name=match["name"].replace("_", "-"),
            summary=summary.rstrip("."),
            sections=_sections(module.__name__, body),
            fix_title=module.FIX_TITLE,
            fix_availability=module.FIX_AVAILABILITY,
            fix_applicability=module.FIX_APPLICABILITY,
            check=module.check,
        )

    @property
    def example(self) -> str:
        return _code_block(self.sections["Example"])

    @property
    def use_instead(self) -> str:
        return _code_block(self.sections["Use instead"])

    @property
    def options(self) -> list[str]:
        """The settings the rule reads, as listed under "Options" (``- `persistent```)."""
        return re.findall(r"^- `([a-z-]+)`", self.sections["Options"], re.M)


def _sections(module: str, body: str) -> dict[str, str]:
    parts = _SECTION.split(body)[1:]
    sections = {title: text.strip() for title, text in zip(parts[::2], parts[1::2])}
    if tuple(sections) != SECTIONS:
        raise ValueError(f"{module}: the docstring's sections must be {', '.join(SECTIONS)}; got {', '.join(sections)}")
    return sections


def _code_block(text: str) -> str:
    match = _CODE_BLOCK.search(text)
    return match.group(1) if match else ""
