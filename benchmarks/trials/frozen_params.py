"""Frozen parameters: constants disguised as weights, and real freeze schedules."""
import math

import numpy as np
import torch
import torch.nn as nn


def get_2d_sincos_pos_embed(embed_dim, grid_size, cls_token=False):
    grid_h = np.arange(grid_size, dtype=np.float32)
    grid = np.meshgrid(grid_h, grid_h)
    grid = np.stack(grid, axis=0).reshape([2, 1, grid_size, grid_size])
    omega = 1.0 / 10000 ** (np.arange(embed_dim // 4, dtype=np.float64) / (embed_dim / 4.0))
    out_h = np.einsum("m,d->md", grid[0].reshape(-1), omega)
    out_w = np.einsum("m,d->md", grid[1].reshape(-1), omega)
    emb = np.concatenate([np.sin(out_h), np.cos(out_h), np.sin(out_w), np.cos(out_w)], axis=1)
    if cls_token:
        emb = np.concatenate([np.zeros([1, embed_dim]), emb], axis=0)
    return emb


class MaskedAutoencoderEncoder(nn.Module):
    def __init__(self, img_size=224, patch_size=16, embed_dim=768):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, embed_dim, patch_size, patch_size)
        self.num_patches = (img_size // patch_size) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        num_pos = self.num_patches + 1
        self.pos_embed = nn.Parameter(torch.zeros(1, num_pos, embed_dim), requires_grad=False)  # expect: BUF002
        self.initialize_weights()

    def initialize_weights(self):
        pos_embed = get_2d_sincos_pos_embed(self.pos_embed.shape[-1], int(self.num_patches ** 0.5), cls_token=True)
        self.pos_embed.data.copy_(torch.from_numpy(pos_embed).float().unsqueeze(0))
        torch.nn.init.normal_(self.cls_token, std=0.02)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = x + self.pos_embed[:, 1:, :]
        cls = (self.cls_token + self.pos_embed[:, :1, :]).expand(x.shape[0], -1, -1)
        return torch.cat((cls, x), dim=1)


class PromptLearner(nn.Module):
    """Prompts frozen for the first epochs, unfrozen by the training loop."""

    def __init__(self, n_ctx: int = 16, dim: int = 512):
        super().__init__()
        self.ctx = nn.Parameter(torch.randn(n_ctx, dim) * 0.02, requires_grad=False)

    def unfreeze(self):
        self.ctx.requires_grad_(True)

    def forward(self, x):
        return torch.cat([self.ctx.unsqueeze(0).expand(x.shape[0], -1, -1), x], dim=1)


class ScaledResidual(nn.Module):
    def __init__(self, dim: int, init_scale: float = 1.0):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.scale = nn.Parameter(torch.full((dim,), init_scale))
        self.scale.requires_grad = False  # expect: BUF003

    def forward(self, x):
        return x + self.scale * self.fc(x)


class LoRALinear(nn.Linear):
    """loralib-style: the pretrained weight of the base class is frozen (correct)."""

    def __init__(self, in_features: int, out_features: int, r: int = 8, lora_alpha: int = 16):
        super().__init__(in_features, out_features)
        self.r = r
        self.lora_A = nn.Parameter(self.weight.new_zeros((r, in_features)))
        self.lora_B = nn.Parameter(self.weight.new_zeros((out_features, r)))
        self.scaling = lora_alpha / r
        self.weight.requires_grad = False
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))

    def forward(self, x):
        return super().forward(x) + (x @ self.lora_A.t() @ self.lora_B.t()) * self.scaling


class DCTBasis(nn.Module):
    def __init__(self, n: int = 8):
        super().__init__()
        k = torch.arange(n, dtype=torch.float32)
        basis = torch.cos(math.pi / n * (k[None, :] + 0.5) * k[:, None])
        self.basis = nn.Parameter(basis, False)  # expect: BUF002

    def forward(self, x):
        return x @ self.basis.t()


class GradualUnfreeze(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.temperature = nn.Parameter(torch.ones(1) * 0.07, requires_grad=False)
        self.proj = nn.Linear(dim, dim)

    def set_trainable(self, flag: bool):
        self.temperature.requires_grad = flag

    def forward(self, x):
        return self.proj(x) / self.temperature
