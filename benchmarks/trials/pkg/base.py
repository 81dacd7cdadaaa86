import torch
from torch import Tensor, nn


def make_causal_mask(size: int) -> Tensor:
    return torch.tril(torch.ones(size, size, dtype=torch.bool))


class BaseBlock(nn.Module):
    """Conv-BN-act, the base of every block in the package."""

    def __init__(self, c_in: int, c_out: int, k: int = 1, s: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c_out)
        self.act = nn.SiLU()
        self.setup()

    def setup(self) -> None:
        """Hook for subclasses."""

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.bn(self.conv(x)))
