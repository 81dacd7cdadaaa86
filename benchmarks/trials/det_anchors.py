"""Anchor generation and an FCOS-style head."""
import math
from typing import List, Sequence

import torch
from torch import Tensor, nn


class AnchorGenerator(nn.Module):
    def __init__(self, sizes=((128, 256, 512),), aspect_ratios=((0.5, 1.0, 2.0),)):
        super().__init__()
        self.sizes = sizes
        self.aspect_ratios = aspect_ratios
        self.cell_anchors = [  # expect: BUF006
            self.generate_anchors(size, aspect_ratio) for size, aspect_ratio in zip(sizes, aspect_ratios)
        ]

    def generate_anchors(self, scales: Sequence[int], aspect_ratios: Sequence[float],
                         dtype: torch.dtype = torch.float32, device: torch.device = torch.device("cpu")) -> Tensor:
        scales = torch.as_tensor(scales, dtype=dtype, device=device)
        aspect_ratios = torch.as_tensor(aspect_ratios, dtype=dtype, device=device)
        h_ratios = torch.sqrt(aspect_ratios)
        w_ratios = 1 / h_ratios
        ws = (w_ratios[:, None] * scales[None, :]).view(-1)
        hs = (h_ratios[:, None] * scales[None, :]).view(-1)
        base_anchors = torch.stack([-ws, -hs, ws, hs], dim=1) / 2
        return base_anchors.round()

    def grid_anchors(self, grid_sizes: List[List[int]], strides: List[List[Tensor]]) -> List[Tensor]:
        anchors = []
        for size, stride, base_anchors in zip(grid_sizes, strides, self.cell_anchors):
            grid_height, grid_width = size
            stride_height, stride_width = stride
            device = base_anchors.device
            shifts_x = torch.arange(0, grid_width, dtype=torch.int32, device=device) * stride_width
            shifts_y = torch.arange(0, grid_height, dtype=torch.int32, device=device) * stride_height
            shift_y, shift_x = torch.meshgrid(shifts_y, shifts_x, indexing="ij")
            shifts = torch.stack((shift_x.reshape(-1), shift_y.reshape(-1), shift_x.reshape(-1), shift_y.reshape(-1)),
                                 dim=1)
            anchors.append((shifts.view(-1, 1, 4) + base_anchors.view(1, -1, 4)).reshape(-1, 4))
        return anchors


class Scale(nn.Module):
    def __init__(self, scale: float = 1.0):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(scale, dtype=torch.float))

    def forward(self, x: Tensor) -> Tensor:
        return x * self.scale


class FCOSHead(nn.Module):
    def __init__(self, in_channels: int, num_classes: int, strides=(8, 16, 32, 64, 128), num_convs: int = 4):
        super().__init__()
        self.strides = strides
        cls_tower, bbox_tower = [], []
        for _ in range(num_convs):
            cls_tower += [nn.Conv2d(in_channels, in_channels, 3, padding=1), nn.GroupNorm(32, in_channels), nn.ReLU()]
            bbox_tower += [nn.Conv2d(in_channels, in_channels, 3, padding=1), nn.GroupNorm(32, in_channels), nn.ReLU()]
        self.cls_tower = nn.Sequential(*cls_tower)
        self.bbox_tower = nn.Sequential(*bbox_tower)
        self.cls_logits = nn.Conv2d(in_channels, num_classes, 3, padding=1)
        self.bbox_pred = nn.Conv2d(in_channels, 4, 3, padding=1)
        self.centerness = nn.Conv2d(in_channels, 1, 3, padding=1)
        self.scales = nn.ModuleList([Scale(1.0) for _ in strides])
        prior_prob = 0.01
        nn.init.constant_(self.cls_logits.bias, -math.log((1 - prior_prob) / prior_prob))

    def forward(self, features: List[Tensor]):
        logits, bbox_reg, centerness = [], [], []
        for level, feature in enumerate(features):
            cls_feat = self.cls_tower(feature)
            box_feat = self.bbox_tower(feature)
            logits.append(self.cls_logits(cls_feat))
            centerness.append(self.centerness(box_feat))
            bbox_reg.append(torch.exp(self.scales[level](self.bbox_pred(box_feat))) * self.strides[level])
        return logits, bbox_reg, centerness


class PointGenerator(nn.Module):
    def __init__(self, strides: Sequence[int] = (8, 16, 32), offset: float = 0.5):
        super().__init__()
        self.offset = offset
        self.strides = torch.tensor(strides, dtype=torch.float32)  # expect: BUF001

    def forward(self, feats: List[Tensor]) -> List[Tensor]:
        points = []
        for i, f in enumerate(feats):
            h, w = f.shape[-2:]
            ys = (torch.arange(h, device=f.device) + self.offset) * self.strides[i]
            xs = (torch.arange(w, device=f.device) + self.offset) * self.strides[i]
            yy, xx = torch.meshgrid(ys, xs, indexing="ij")
            points.append(torch.stack([xx, yy], -1).view(-1, 2))
        return points
