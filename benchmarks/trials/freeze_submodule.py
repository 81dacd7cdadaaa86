"""Freezing submodules, right and wrong."""
import torch
from torch import nn


class Encoder(nn.Module):
    def __init__(self, dim: int = 256):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(3, 64, 3, 2, 1), nn.ReLU(), nn.Conv2d(64, dim, 3, 2, 1))

    def forward(self, x):
        return self.net(x).mean((2, 3))


class LinearProbe(nn.Module):
    def __init__(self, num_classes: int, dim: int = 256):
        super().__init__()
        self.encoder = Encoder(dim)
        self.classifier = nn.Linear(dim, num_classes)
        self.encoder.requires_grad = False  # expect: BUF005

    def forward(self, x):
        with torch.no_grad():
            feats = self.encoder(x)
        return self.classifier(feats)


class FineTuner(nn.Module):
    def __init__(self, num_classes: int, dim: int = 256):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, dim, 3, 2, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(dim, num_classes)

    def freeze_backbone(self):
        self.backbone.requires_grad = False  # expect: BUF005

    def unfreeze_backbone(self):
        self.backbone.requires_grad_(True)

    def forward(self, x):
        return self.head(self.backbone(x))


class TeacherStudent(nn.Module):
    def __init__(self, teacher: nn.Module, student: nn.Module):
        super().__init__()
        self.teacher = teacher
        self.student = student
        for p in self.teacher.parameters():
            p.requires_grad = False
        self.teacher.eval()

    def forward(self, x):
        with torch.no_grad():
            t = self.teacher(x)
        return self.student(x), t


class AdapterModel(nn.Module):
    def __init__(self, base: nn.Module, dim: int):
        super().__init__()
        self.base = base
        self.base.requires_grad_(False)
        self.adapter = nn.Sequential(nn.Linear(dim, dim // 4), nn.GELU(), nn.Linear(dim // 4, dim))
        self.gate = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        h = self.base(x)
        return h + self.gate.tanh() * self.adapter(h)
