from torch import nn

from .base import BaseBlock
from .heads import Detect
from .layers import Bottleneck, MaskedMixer, PositionalBlock


class Neck(nn.Module):
    def __init__(self, c: int = 64):
        super().__init__()
        self.blocks = [PositionalBlock(c), Bottleneck(c)]  # expect: BUF006

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x


class DetectionModel(nn.Module):
    def __init__(self, ch=3, nc=80, anchors=((10, 13, 16, 30, 33, 23), (30, 61, 62, 45, 59, 119))):
        super().__init__()
        self.backbone = nn.Sequential(BaseBlock(ch, 32, 3, 2), Bottleneck(32), BaseBlock(32, 64, 3, 2))
        self.neck = Neck(64)
        self.stages = [self.backbone[0], self.backbone[1]]
        self.mixer = MaskedMixer(16, 64)
        self.model = nn.Sequential(Detect(nc, anchors, ch=(64, 64)))

    def _apply(self, fn):
        self = super()._apply(fn)
        m = self.model[-1]
        if isinstance(m, Detect):
            m.stride = fn(m.stride)
            m.grid = list(map(fn, m.grid))
            if isinstance(m.anchor_grid, list):
                m.anchor_grid = list(map(fn, m.anchor_grid))
        return self

    def forward(self, x):
        x = self.backbone(x)
        x = self.neck(x)
        return self.model([x, x])


class FrozenBackboneModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = BaseBlock(3, 16, 3)
        self.head = Detect(1, ((10, 13, 16, 30),), ch=(16,), strides=(8,))
        self.backbone.requires_grad = False  # expect: BUF005

    def forward(self, x):
        return self.head([self.backbone(x)])
