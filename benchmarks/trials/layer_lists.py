"""Lists and dicts of layers."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, dim: int, mlp_ratio: float = 4.0):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, int(dim * mlp_ratio))
        self.fc2 = nn.Linear(int(dim * mlp_ratio), dim)

    def forward(self, x):
        return x + self.fc2(F.gelu(self.fc1(self.norm(x))))


class MLP(nn.Module):
    def __init__(self, in_dim: int, hidden: int, out_dim: int, num_layers: int = 3):
        super().__init__()
        dims = [in_dim] + [hidden] * (num_layers - 1)
        self.layers = [nn.Linear(d_in, d_out) for d_in, d_out in zip(dims, dims[1:] + [out_dim])]  # expect: BUF006
        self.num_layers = num_layers

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < self.num_layers - 1:
                x = F.relu(x)
        return x


class Mixer(nn.Module):
    def __init__(self, dim: int, depth: int):
        super().__init__()
        self.blocks = [Block(dim) for _ in range(depth)]  # expect: BUF006
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)


class MultiTaskHeads(nn.Module):
    def __init__(self, dim: int, num_classes: int):
        super().__init__()
        self.trunk = nn.Linear(dim, dim)
        self.heads = {  # expect: BUF006
            "cls": nn.Linear(dim, num_classes),
            "box": nn.Linear(dim, 4),
            "obj": nn.Linear(dim, 1),
        }

    def forward(self, x):
        h = F.relu(self.trunk(x))
        return {name: head(h) for name, head in self.heads.items()}


class LayerScales(nn.Module):
    def __init__(self, dim: int, depth: int, init_values: float = 1e-5):
        super().__init__()
        self.gammas = [nn.Parameter(init_values * torch.ones(dim)) for _ in range(depth)]  # expect: BUF006
        self.blocks = nn.ModuleList([Block(dim) for _ in range(depth)])

    def forward(self, x):
        for g, blk in zip(self.gammas, self.blocks):
            x = x + g * blk(x)
        return x


class ResNetStages(nn.Module):
    """Aliases of registered stages, and plain lists of numbers (correct)."""

    def __init__(self, widths=(64, 128, 256, 512)):
        super().__init__()
        self.widths = list(widths)
        self.strides = [1, 2, 2, 2]
        self.layer1 = nn.Conv2d(3, widths[0], 3, padding=1)
        self.layer2 = nn.Conv2d(widths[0], widths[1], 3, 2, 1)
        self.layer3 = nn.Conv2d(widths[1], widths[2], 3, 2, 1)
        self.layer4 = nn.Conv2d(widths[2], widths[3], 3, 2, 1)
        self.stages = [self.layer1, self.layer2, self.layer3, self.layer4]

    def forward(self, x):
        feats = []
        for stage in self.stages:
            x = F.relu(stage(x))
            feats.append(x)
        return feats


class RegisteredInLoop(nn.Module):
    def __init__(self, dim: int, depth: int):
        super().__init__()
        self.blocks = [Block(dim) for _ in range(depth)]
        for i, blk in enumerate(self.blocks):
            self.add_module(f"block{i}", blk)

    def forward(self, x):
        for blk in self.blocks:
            x = blk(x)
        return x


class UNetLike(nn.Module):
    def __init__(self, channels=(32, 64, 128)):
        super().__init__()
        self.downs = nn.ModuleList()
        self.ups = nn.ModuleList()
        c_prev = 3
        for c in channels:
            self.downs.append(nn.Conv2d(c_prev, c, 3, 2, 1))
            c_prev = c
        for c in reversed(channels[:-1]):
            self.ups.append(nn.ConvTranspose2d(c_prev, c, 4, 2, 1))
            c_prev = c
        self.skips = []

    def forward(self, x):
        self.skips = []
        for down in self.downs:
            x = F.relu(down(x))
            self.skips.append(x)
        for up, skip in zip(self.ups, reversed(self.skips[:-1])):
            x = F.relu(up(x)) + skip
        return x


class ConvTowers(nn.Module):
    def __init__(self, in_ch: int, num_levels: int = 3):
        super().__init__()
        self.towers = nn.ModuleDict({f"p{i}": nn.Conv2d(in_ch, in_ch, 3, padding=1) for i in range(num_levels)})
        self.out_channels = {f"p{i}": in_ch for i in range(num_levels)}

    def forward(self, feats):
        return {k: self.towers[k](v) for k, v in feats.items()}
