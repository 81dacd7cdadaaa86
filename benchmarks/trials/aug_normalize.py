"""Input normalisation layers placed at the front of a model."""
from typing import Sequence

import torch
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class Normalize(nn.Module):
    def __init__(self, mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD):
        super().__init__()
        self.mean = torch.tensor(mean).view(1, 3, 1, 1)  # expect: BUF001
        self.std = torch.tensor(std).view(1, 3, 1, 1)  # expect: BUF001

    def forward(self, x):
        return (x - self.mean) / self.std


class NormalizeBuffered(nn.Module):
    def __init__(self, mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", torch.as_tensor(std).view(1, -1, 1, 1), persistent=False)

    def forward(self, x):
        return (x - self.mean) / self.std


class PixelNormalizer(nn.Module):
    def __init__(self, pixel_mean=(123.675, 116.28, 103.53), pixel_std=(58.395, 57.12, 57.375)):
        super().__init__()
        self.pixel_mean = nn.Parameter(torch.Tensor(pixel_mean).view(-1, 1, 1), requires_grad=False)  # expect: BUF002
        self.pixel_std = nn.Parameter(torch.Tensor(pixel_std).view(-1, 1, 1), requires_grad=False)  # expect: BUF002

    def forward(self, images):
        return (images - self.pixel_mean) / self.pixel_std


class Denormalize(nn.Module):
    def __init__(self, mean: torch.Tensor, std: torch.Tensor):
        super().__init__()
        self.mean = mean  # expect: BUF001
        self.std = std  # expect: BUF001

    def forward(self, x):
        return x * self.std[:, None, None] + self.mean[:, None, None]
