"""Fixed convolution filters used for augmentation and losses."""
import torch
import torch.nn.functional as F
from torch import Tensor, nn


class GaussianBlur(nn.Module):
    def __init__(self, kernel_size: int = 5, sigma: float = 1.0, channels: int = 3):
        super().__init__()
        self.channels = channels
        self.padding = kernel_size // 2
        self.kernel = self._gaussian_kernel(kernel_size, sigma).repeat(channels, 1, 1, 1)  # expect: BUF001

    @staticmethod
    def _gaussian_kernel(size: int, sigma: float) -> Tensor:
        coords = torch.arange(size, dtype=torch.float32) - size // 2
        g = torch.exp(-(coords ** 2) / (2 * sigma ** 2))
        g = g / g.sum()
        return (g[:, None] * g[None, :])[None, None]

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.kernel, padding=self.padding, groups=self.channels)


class SobelEdges(nn.Module):
    def __init__(self):
        super().__init__()
        kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
        kernel = torch.stack([kx, kx.t()]).unsqueeze(1)
        self.register_buffer("kernel", kernel)

    def forward(self, x: Tensor) -> Tensor:
        g = F.conv2d(x.mean(1, keepdim=True), self.kernel, padding=1)
        return torch.sqrt((g ** 2).sum(1, keepdim=True) + 1e-6)


class LaplacianLoss(nn.Module):
    def __init__(self):
        super().__init__()
        kernel = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]).view(1, 1, 3, 3)
        self.weight = nn.Parameter(kernel, requires_grad=False)  # expect: BUF002

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        lp = F.conv2d(pred, self.weight, padding=1)
        lt = F.conv2d(target, self.weight, padding=1)
        return F.l1_loss(lp, lt)


class FixedConv(nn.Conv2d):
    """A Conv2d whose weight is frozen to a box filter: the name belongs to the base class."""

    def __init__(self, channels: int, k: int = 3):
        super().__init__(channels, channels, k, padding=k // 2, groups=channels, bias=False)
        self.weight = nn.Parameter(torch.full((channels, 1, k, k), 1.0 / (k * k)), requires_grad=False)
