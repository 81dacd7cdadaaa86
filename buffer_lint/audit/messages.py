"""The audit's messages, worded as the static rules word theirs: what is wrong, what breaks, what to write."""

from __future__ import annotations

PLAIN_TENSOR = (  # BUF001
    "tensor attribute '{name}' is not registered: it stays on the CPU after .to()/.cuda() "
    'and is not in state_dict(); use self.register_buffer("{name}", ..., persistent=False)'
)
FROZEN_PARAMETER = (  # BUF002
    "parameter '{name}' is created with requires_grad=False: a constant disguised as a weight, "
    "it still reaches parameters(), the optimizer and DDP/FSDP; "
    'use self.register_buffer("{name}", ...)'
)
CONTAINER = {  # BUF006, by the kind of what the container holds
    "modules": (
        "{container} of modules '{name}' is not registered: its modules are invisible to .to(), "
        "parameters() (the optimizer never trains them) and state_dict(); use nn.{registered}(...)"
    ),
    "parameters": (
        "{container} of parameters '{name}' is not registered: they are missing from parameters() "
        "(the optimizer never trains them), .to() and state_dict(); use nn.{registered}(...)"
    ),
    "tensors": (
        "{container} of tensors '{name}' is not registered: the tensors stay on the CPU after .to() "
        "and are not in state_dict(); register each with self.register_buffer(...), or stack them into one buffer"
    ),
}
# (kind, is a dict) -> the registering container of torch.nn
REGISTERED = {
    ("modules", False): "ModuleList",
    ("modules", True): "ModuleDict",
    ("parameters", False): "ParameterList",
    ("parameters", True): "ParameterDict",
}
