"""lucidrains-style Gaussian diffusion: every schedule tensor is a buffer (correct code)."""
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn


def linear_beta_schedule(timesteps):
    scale = 1000 / timesteps
    return torch.linspace(scale * 0.0001, scale * 0.02, timesteps, dtype=torch.float64)


class GaussianDiffusion(nn.Module):
    def __init__(self, model, *, image_size, timesteps=1000, objective="pred_noise", min_snr_gamma=5):
        super().__init__()
        self.model = model
        self.channels = 3
        self.image_size = image_size
        self.objective = objective

        betas = linear_beta_schedule(timesteps)
        alphas = 1.0 - betas
        alphas_cumprod = torch.cumprod(alphas, dim=0)
        alphas_cumprod_prev = F.pad(alphas_cumprod[:-1], (1, 0), value=1.0)

        (timesteps,) = betas.shape
        self.num_timesteps = int(timesteps)

        register_buffer = partial(self.register_buffer, persistent=True)

        def reg(name, val):
            return register_buffer(name, val.to(torch.float32))

        reg("betas", betas)
        reg("alphas_cumprod", alphas_cumprod)
        reg("alphas_cumprod_prev", alphas_cumprod_prev)
        reg("sqrt_alphas_cumprod", torch.sqrt(alphas_cumprod))
        reg("sqrt_one_minus_alphas_cumprod", torch.sqrt(1.0 - alphas_cumprod))
        posterior_variance = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)
        reg("posterior_variance", posterior_variance)
        reg("posterior_log_variance_clipped", torch.log(posterior_variance.clamp(min=1e-20)))

        snr = alphas_cumprod / (1 - alphas_cumprod)
        maybe_clipped_snr = snr.clone()
        if min_snr_gamma is not None:
            maybe_clipped_snr.clamp_(max=min_snr_gamma)
        reg("loss_weight", maybe_clipped_snr / snr)

    def forward(self, img):
        b = img.shape[0]
        t = torch.randint(0, self.num_timesteps, (b,), device=img.device).long()
        noise = torch.randn_like(img)
        a = self.sqrt_alphas_cumprod[t].view(b, 1, 1, 1)
        s = self.sqrt_one_minus_alphas_cumprod[t].view(b, 1, 1, 1)
        out = self.model(a * img + s * noise, t)
        loss = F.mse_loss(out, noise, reduction="none").mean(dim=(1, 2, 3))
        return (loss * self.loss_weight[t]).mean()


class NoiseScheduleBuffers(nn.Module):
    def __init__(self, num_steps: int = 1000):
        super().__init__()
        betas = torch.linspace(1e-4, 0.02, num_steps)
        self.register_buffer("betas", betas)
        self.register_buffer("alphas_cumprod", torch.cumprod(1.0 - betas, 0))
        self.alphas_cumprod_np = self.alphas_cumprod.cpu().numpy()

    def forward(self, t):
        return self.alphas_cumprod[t]
