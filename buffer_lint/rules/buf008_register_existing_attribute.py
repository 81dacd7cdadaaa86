"""BUF008 register-existing-attribute."""

from __future__ import annotations

from collections.abc import Iterator

from buffer_lint.analysis.classes import ClassFacts
from buffer_lint.rules.base import Finding, Rule
from buffer_lint.settings import Settings

MESSAGE = (
    '{method}("{name}") after self.{name} was assigned a plain value: raises KeyError '
    "\"attribute '{name}' already exists\" when the module is built; register first "
    '(self.{method}("{name}", None)) and assign after, or drop the earlier assignment'
)


def check(cls: ClassFacts, settings: Settings) -> Iterator[Finding]:
    for registration in cls.registrations:
        if registration.after_plain_value and registration.kind in ("buffer", "parameter"):
            message = MESSAGE.format(method=registration.method_name, name=registration.name)
            yield Finding.at(registration.site.statement, "BUF008", message)


RULE = Rule(
    code="BUF008",
    name="register-existing-attribute",
    summary="register_buffer/register_parameter of a name already assigned a plain value",
    what_it_does=(
        'Checks for `register_buffer("<name>", ...)` or `register_parameter("<name>", ...)` '
        "in `__init__` (or a method it calls) after `self.<name>` was assigned a plain value "
        "(a tensor, None, a number, a list...) on the way there."
    ),
    why_is_this_bad=(
        "`register_buffer` refuses a name that already exists as a plain attribute: building the "
        "module raises `KeyError: \"attribute '<name>' already exists\"`."
    ),
    example="""\
import torch
from torch import nn


class Window(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.window = torch.hann_window(16)
        self.register_buffer("window", torch.hann_window(16))
""",
    use_instead="""\
import torch
from torch import nn


class Window(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("window", torch.hann_window(16))
""",
    fix_safety="No fix: which of the two statements to keep is the author's decision.",
    fix_title="",
    fix_applicability=None,
    check=check,
)
