import torch
from torch import Tensor, nn

from .base import BaseBlock, make_causal_mask
from .utils import make_divisible, sinusoid_table


class Bottleneck(BaseBlock):
    def __init__(self, c: int, shortcut: bool = True):
        super().__init__(c, make_divisible(c))
        self.cv2 = BaseBlock(make_divisible(c), c, 3)
        self.add = shortcut

    def forward(self, x: Tensor) -> Tensor:
        y = self.cv2(super().forward(x))
        return x + y if self.add else y


class PositionalBlock(BaseBlock):
    def __init__(self, c: int, length: int = 64):
        super().__init__(c, c)
        self.pos = sinusoid_table(length, c)  # expect: BUF001

    def forward(self, x: Tensor) -> Tensor:
        b, c, h, w = x.shape
        return super().forward(x) + self.pos[: h * w].t().reshape(1, c, h, w)


class ScaledBlock(BaseBlock):
    def setup(self) -> None:
        self.gamma = torch.ones(1, self.bn.num_features, 1, 1) * 1e-2  # expect: BUF001


class MaskedMixer(nn.Module):
    def __init__(self, tokens: int, dim: int):
        super().__init__()
        self.proj = nn.Linear(tokens, tokens)
        self.mask = make_causal_mask(tokens)  # expect: BUF001
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: Tensor) -> Tensor:
        w = self.proj.weight.masked_fill(~self.mask, 0.0)
        return self.norm(x + torch.einsum("st,btd->bsd", w, x))
