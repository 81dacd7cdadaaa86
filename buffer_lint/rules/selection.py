"""Rule selection by code prefix, resolved like ruff: the most specific selector wins."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from buffer_lint.findings import FILE_ERRORS
from buffer_lint.rules.base import Rule
from buffer_lint.rules.registry import RULES

DEFAULT_SELECT = ("BUF",)


class SelectorError(ValueError):
    pass


@dataclass(frozen=True)
class Selection:
    select: tuple[str, ...] = DEFAULT_SELECT
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for option, selectors in (
            ("select", self.select),
            ("extend-select", self.extend_select),
            ("ignore", self.ignore),
        ):
            for selector in selectors:
                validate_selector(selector, option)

    def enables(self, code: str) -> bool:
        if code in FILE_ERRORS:
            return True  # problems with a file itself are always reported
        on = _longest_match(code, (*self.select, *self.extend_select))
        off = _longest_match(code, self.ignore)
        return on > off

    @cached_property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in RULES if self.enables(rule.code))

    def rules_without(self, ignored: tuple[str, ...]) -> tuple[Rule, ...]:
        """The selected rules, less those whose code starts with one of ``ignored``."""
        return tuple(rule for rule in self.rules if not rule.code.startswith(ignored))


def validate_selector(selector: str, option: str) -> None:
    if selector != "ALL" and not any(rule.code.startswith(selector) for rule in RULES):
        codes = ", ".join(rule.code for rule in RULES)
        raise SelectorError(f"invalid {option} selector {selector!r}: expected ALL or a prefix of {codes}")


def _longest_match(code: str, selectors: Iterable[str]) -> int:
    """Length of the longest selector matching ``code``; -1 for none. ALL counts as length 0."""
    lengths = [0 if s == "ALL" else len(s) for s in selectors if s == "ALL" or code.startswith(s)]
    return max(lengths, default=-1)
