"""The registry of rules, in code order."""

from __future__ import annotations

from buffer_lint.rules import (
    buf001_unregistered_tensor,
    buf002_frozen_parameter,
    buf003_parameter_frozen_after_creation,
    buf004_register_returns_none,
    buf005_requires_grad_on_module,
    buf006_unregistered_container,
    buf007_buffer_update_keeps_graph,
    buf008_register_existing_attribute,
)
from buffer_lint.rules.base import Rule

RULES: tuple[Rule, ...] = (
    buf001_unregistered_tensor.RULE,
    buf002_frozen_parameter.RULE,
    buf003_parameter_frozen_after_creation.RULE,
    buf004_register_returns_none.RULE,
    buf005_requires_grad_on_module.RULE,
    buf006_unregistered_container.RULE,
    buf007_buffer_update_keeps_graph.RULE,
    buf008_register_existing_attribute.RULE,
)
RULES_BY_CODE = {rule.code: rule for rule in RULES}
