"""Cross-entropy losses with class weights."""
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


class WeightedCrossEntropy(nn.Module):
    def __init__(self, weight: Optional[torch.Tensor] = None, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__()
        self.weight = weight  # expect: BUF001
        self.ignore_index = ignore_index
        self.reduction = reduction

    def forward(self, logits, target):
        return F.cross_entropy(logits, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction)


class ClassBalancedLoss(nn.Module):
    def __init__(self, class_weights: List[float], label_smoothing: float = 0.0):
        super().__init__()
        self.class_weights = torch.tensor(class_weights, dtype=torch.float32)  # expect: BUF001
        self.label_smoothing = label_smoothing

    def forward(self, logits, target):
        return F.cross_entropy(logits, target, weight=self.class_weights, label_smoothing=self.label_smoothing)


class EffectiveNumberLoss(nn.Module):
    """Class-balanced weights from per-class counts (Cui et al.), registered properly."""

    def __init__(self, samples_per_class: List[int], beta: float = 0.9999):
        super().__init__()
        effective_num = 1.0 - torch.pow(beta, torch.tensor(samples_per_class, dtype=torch.float))
        weights = (1.0 - beta) / effective_num
        weights = weights / weights.sum() * len(samples_per_class)
        self.register_buffer("weights", weights)

    def forward(self, logits, target):
        return F.cross_entropy(logits, target, weight=self.weights)


class OhemCrossEntropy(nn.Module):
    def __init__(self, ignore_label=-1, thres=0.7, min_kept=100000, weight=None):
        super(OhemCrossEntropy, self).__init__()
        self.thresh = thres
        self.min_kept = max(1, min_kept)
        self.ignore_label = ignore_label
        self.criterion = nn.CrossEntropyLoss(weight=weight, ignore_index=ignore_label, reduction="none")

    def forward(self, score, target):
        pred = F.softmax(score, dim=1)
        pixel_losses = self.criterion(score, target).contiguous().view(-1)
        mask = target.contiguous().view(-1) != self.ignore_label
        tmp_target = target.clone()
        tmp_target[tmp_target == self.ignore_label] = 0
        pred = pred.gather(1, tmp_target.unsqueeze(1))
        pred, ind = pred.contiguous().view(-1,)[mask].contiguous().sort()
        min_value = pred[min(self.min_kept, pred.numel() - 1)]
        threshold = max(min_value, self.thresh)
        pixel_losses = pixel_losses[mask][ind]
        pixel_losses = pixel_losses[pred < threshold]
        return pixel_losses.mean()


class SegmentationLoss(nn.Module):
    """Weights given as a list in a config, converted when given."""

    def __init__(self, num_classes: int, class_weight: Optional[List[float]] = None, avg_non_ignore: bool = False):
        super().__init__()
        self.num_classes = num_classes
        self.avg_non_ignore = avg_non_ignore
        if class_weight is not None:
            self.register_buffer("class_weight", torch.as_tensor(class_weight, dtype=torch.float32))
        else:
            self.class_weight = None

    def forward(self, logits, target):
        return F.cross_entropy(logits, target, weight=self.class_weight, ignore_index=255)
