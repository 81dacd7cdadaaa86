"""The settings that change what is reported and how it is fixed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

BufferStyle = Literal["register_buffer", "nn.Buffer"]


@dataclass(frozen=True)
class Settings:
    module_bases: frozenset[str] = frozenset()  # dotted names of extra nn.Module base classes
    persistent: bool = False  # BUF001's fix keeps the tensor out of state_dict() unless set
    buffer_style: BufferStyle = "register_buffer"
