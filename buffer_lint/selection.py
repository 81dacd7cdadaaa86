"""Rule selection by code prefix, resolved like ruff: the most specific selector wins."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from buffer_lint.rules import RULES
from buffer_lint.rules.base import Rule

DEFAULT_SELECT = ("BUF",)
# Problems with a file itself are always reported, whatever is selected.
FILE_ERROR_CODES = ("E902", "E999")


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
        if code in FILE_ERROR_CODES:
            return True
        on = _longest_match(code, (*self.select, *self.extend_select))
        off = _longest_match(code, self.ignore)
        return on > off

    def rules(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in RULES if self.enables(rule.code))


def validate_selector(selector: str, option: str) -> None:
    if selector != "ALL" and not any(rule.code.startswith(selector) for rule in RULES):
        codes = ", ".join(rule.code for rule in RULES)
        raise SelectorError(f"invalid {option} selector {selector!r}: expected ALL or a prefix of {codes}")


def _longest_match(code: str, selectors: Iterable[str]) -> int:
    """Length of the longest selector matching ``code``; -1 for none. ALL counts as length 0."""
    lengths = [0 if s == "ALL" else len(s) for s in selectors if s == "ALL" or code.startswith(s)]
    return max(lengths, default=-1)


def split_codes(values: Sequence[str] | None) -> tuple[str, ...]:
    """``["BUF001,BUF002", "BUF3"]`` -> each code once, upper-cased, in order."""
    codes: list[str] = []
    for value in values or ():
        for code in value.replace(" ", ",").split(","):
            if code and code.upper() not in codes:
                codes.append(code.strip().upper())
    return tuple(codes)
