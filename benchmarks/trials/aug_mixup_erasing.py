"""GPU-side augmentation modules (correct code)."""
import math
import random

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class Mixup(nn.Module):
    def __init__(self, alpha: float = 0.2, num_classes: int = 1000, label_smoothing: float = 0.1):
        super().__init__()
        self.num_classes = num_classes
        self.label_smoothing = label_smoothing
        self.beta = torch.distributions.Beta(torch.tensor([alpha]), torch.tensor([alpha]))

    def forward(self, x, target):
        lam = float(self.beta.sample())
        index = torch.randperm(x.size(0), device=x.device)
        x = lam * x + (1 - lam) * x[index]
        y = F.one_hot(target, self.num_classes).float()
        y = y * (1 - self.label_smoothing) + self.label_smoothing / self.num_classes
        return x, lam * y + (1 - lam) * y[index]


class CutMix(nn.Module):
    def __init__(self, alpha: float = 1.0, p: float = 0.5):
        super().__init__()
        self.alpha = alpha
        self.p = p

    def forward(self, x, y):
        if random.random() > self.p:
            return x, y, y, 1.0
        lam = np.random.beta(self.alpha, self.alpha)
        index = torch.randperm(x.size(0), device=x.device)
        _, _, h, w = x.shape
        cut = math.sqrt(1.0 - lam)
        ch, cw = int(h * cut), int(w * cut)
        cy, cx = np.random.randint(h), np.random.randint(w)
        y1, y2 = np.clip(cy - ch // 2, 0, h), np.clip(cy + ch // 2, 0, h)
        x1, x2 = np.clip(cx - cw // 2, 0, w), np.clip(cx + cw // 2, 0, w)
        x[:, :, y1:y2, x1:x2] = x[index, :, y1:y2, x1:x2]
        lam = 1 - ((x2 - x1) * (y2 - y1) / (w * h))
        return x, y, y[index], lam


class RandomErasing(nn.Module):
    def __init__(self, probability=0.25, min_area=0.02, max_area=1 / 3, min_aspect=0.3, mode="pixel"):
        super().__init__()
        self.probability = probability
        self.min_area = min_area
        self.max_area = max_area
        self.log_aspect_ratio = (math.log(min_aspect), math.log(1 / min_aspect))
        self.mode = mode

    def _erase(self, img, chan, img_h, img_w, dtype):
        if random.random() > self.probability:
            return
        area = img_h * img_w
        for _ in range(10):
            target_area = random.uniform(self.min_area, self.max_area) * area
            aspect_ratio = math.exp(random.uniform(*self.log_aspect_ratio))
            h = int(round(math.sqrt(target_area * aspect_ratio)))
            w = int(round(math.sqrt(target_area / aspect_ratio)))
            if w < img_w and h < img_h:
                top = random.randint(0, img_h - h)
                left = random.randint(0, img_w - w)
                img[:, top:top + h, left:left + w] = torch.empty(
                    (chan, h, w), dtype=dtype, device=img.device).normal_()
                break

    def forward(self, x):
        batch_size, chan, img_h, img_w = x.size()
        for i in range(batch_size):
            self._erase(x[i], chan, img_h, img_w, x.dtype)
        return x


class Cutout:
    """A torchvision transform (not a module) holding a tensor: nothing to report."""

    def __init__(self, n_holes: int, length: int):
        self.n_holes = n_holes
        self.length = length
        self.fill = torch.zeros(1)

    def __call__(self, img):
        h, w = img.size(1), img.size(2)
        mask = np.ones((h, w), np.float32)
        for _ in range(self.n_holes):
            y, x = np.random.randint(h), np.random.randint(w)
            y1, y2 = max(0, y - self.length // 2), y + self.length // 2
            x1, x2 = max(0, x - self.length // 2), x + self.length // 2
            mask[y1:y2, x1:x2] = 0
        return img * torch.from_numpy(mask).expand_as(img)
