"""Rotary embeddings written with plain tensor attributes and typed helpers."""
from typing import Optional, Tuple

import torch
from torch import Tensor, nn


class RotaryEmbedding(nn.Module):
    def __init__(self, dim: int, max_seq_len: int = 4096, base: float = 10000.0):
        super().__init__()
        self.dim = dim
        self.inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))  # expect: BUF001
        self.cos_cached, self.sin_cached = self._build_cache(max_seq_len)  # expect: BUF001, BUF001

    def _build_cache(self, seq_len: int) -> Tuple[Tensor, Tensor]:
        t = torch.arange(seq_len, dtype=self.inv_freq.dtype)
        freqs = torch.einsum("i,j->ij", t, self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos(), emb.sin()

    def forward(self, q: Tensor, k: Tensor) -> Tuple[Tensor, Tensor]:
        n = q.shape[-2]
        cos, sin = self.cos_cached[:n], self.sin_cached[:n]
        q1, q2 = q.chunk(2, dim=-1)
        k1, k2 = k.chunk(2, dim=-1)
        q = q * cos + torch.cat((-q2, q1), dim=-1) * sin
        k = k * cos + torch.cat((-k2, k1), dim=-1) * sin
        return q, k


class PartialRotary(nn.Module):
    """Frequencies from a method annotated -> Tensor."""

    def __init__(self, head_dim: int, rotary_pct: float = 0.25, base: int = 10000):
        super().__init__()
        self.rotary_dim = int(head_dim * rotary_pct)
        self.freqs = self._compute_inv_freq(self.rotary_dim, base)  # expect: BUF001

    @staticmethod
    def _compute_inv_freq(dim: int, base: int) -> Tensor:
        return 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))

    def forward(self, positions: Tensor) -> Tensor:
        return positions[:, None].float() * self.freqs[None, :]


class CachedRotary(nn.Module):
    """Optional[Tensor] caches, filled from the input in forward (correct)."""

    def __init__(self, dim: int, base: float = 10000.0):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)
        self.seq_len_cached: int = 0
        self.cos_cached: Optional[Tensor] = None
        self.sin_cached: Optional[Tensor] = None

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        seq_len = x.shape[1]
        if seq_len > self.seq_len_cached or self.cos_cached is None or self.cos_cached.device != x.device:
            self.seq_len_cached = seq_len
            t = torch.arange(seq_len, device=x.device, dtype=self.inv_freq.dtype)
            freqs = torch.outer(t, self.inv_freq)
            self.cos_cached = freqs.cos().to(x.dtype)
            self.sin_cached = freqs.sin().to(x.dtype)
        return self.cos_cached[:seq_len], self.sin_cached[:seq_len]


class XPosRotary(nn.Module):
    """Rotary with xPos decay; the scale table is an Optional[Tensor] argument stored as is."""

    def __init__(self, dim: int, scale: Optional[Tensor] = None, scale_base: int = 512):
        super().__init__()
        if scale is None:
            scale = (torch.arange(0, dim, 2) + 0.4 * dim) / (1.4 * dim)
        self.scale = scale  # expect: BUF001
        self.scale_base = scale_base
        self.register_buffer("inv_freq", 1.0 / (10000 ** (torch.arange(0, dim, 2).float() / dim)))

    def forward(self, seq_len: int) -> Tensor:
        t = torch.arange(seq_len, device=self.inv_freq.device).type_as(self.inv_freq)
        power = (t - seq_len // 2) / self.scale_base
        return self.scale.to(t.device) ** power[:, None]
