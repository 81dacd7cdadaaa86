"""The rule registry: every ``bufNNN_<name>.py`` module of this package is a rule, in code order."""

from __future__ import annotations

import importlib
import pkgutil

from buffer_lint import rules
from buffer_lint.rules.base import RULE_MODULE, Rule


def _discover() -> tuple[Rule, ...]:
    names = sorted(info.name for info in pkgutil.iter_modules(rules.__path__) if RULE_MODULE.match(info.name))
    return tuple(Rule.from_module(importlib.import_module(f"{rules.__name__}.{name}")) for name in names)


RULES: tuple[Rule, ...] = _discover()
RULES_BY_CODE = {rule.code: rule for rule in RULES}
