"""Samplers and schedulers that are not nn.Module: nothing here may be reported."""
from dataclasses import dataclass, field

import numpy as np
import torch


class DDPMScheduler:
    def __init__(self, num_train_timesteps: int = 1000, beta_start: float = 0.0001, beta_end: float = 0.02):
        self.betas = torch.linspace(beta_start, beta_end, num_train_timesteps, dtype=torch.float32)
        self.alphas = 1.0 - self.betas
        self.alphas_cumprod = torch.cumprod(self.alphas, dim=0)
        self.one = torch.tensor(1.0)
        self.timesteps = torch.from_numpy(np.arange(0, num_train_timesteps)[::-1].copy())

    def add_noise(self, original_samples, noise, timesteps):
        alphas_cumprod = self.alphas_cumprod.to(device=original_samples.device, dtype=original_samples.dtype)
        timesteps = timesteps.to(original_samples.device)
        sqrt_alpha_prod = alphas_cumprod[timesteps] ** 0.5
        sqrt_one_minus_alpha_prod = (1 - alphas_cumprod[timesteps]) ** 0.5
        while len(sqrt_alpha_prod.shape) < len(original_samples.shape):
            sqrt_alpha_prod = sqrt_alpha_prod.unsqueeze(-1)
            sqrt_one_minus_alpha_prod = sqrt_one_minus_alpha_prod.unsqueeze(-1)
        return sqrt_alpha_prod * original_samples + sqrt_one_minus_alpha_prod * noise


class DDIMSampler(object):
    def __init__(self, model, schedule="linear"):
        super().__init__()
        self.model = model
        self.ddpm_num_timesteps = 1000
        self.schedule = schedule

    def register_buffer(self, name, attr):
        if isinstance(attr, torch.Tensor):
            if attr.device != torch.device("cuda"):
                attr = attr.to(torch.device("cuda"))
        setattr(self, name, attr)

    def make_schedule(self, ddim_num_steps, ddim_eta=0.0):
        c = self.ddpm_num_timesteps // ddim_num_steps
        self.ddim_timesteps = np.asarray(list(range(0, self.ddpm_num_timesteps, c))) + 1
        alphas_cumprod = self.model.alphas_cumprod
        self.register_buffer("alphas_cumprod", alphas_cumprod.clone().detach().float())
        self.register_buffer("sqrt_alphas_cumprod", torch.sqrt(alphas_cumprod.cpu()))
        self.ddim_alphas = torch.tensor(alphas_cumprod.cpu()[self.ddim_timesteps])


@dataclass
class SchedulerState:
    common: torch.Tensor = field(default_factory=lambda: torch.zeros(1))
    init_noise_sigma: float = 1.0
    timesteps: torch.Tensor = field(default_factory=lambda: torch.arange(1000))


class KarrasSigmas:
    def __init__(self, n: int, sigma_min: float = 0.002, sigma_max: float = 80.0, rho: float = 7.0):
        ramp = torch.linspace(0, 1, n)
        min_inv_rho = sigma_min ** (1 / rho)
        max_inv_rho = sigma_max ** (1 / rho)
        self.sigmas = (max_inv_rho + ramp * (min_inv_rho - max_inv_rho)) ** rho

    def __len__(self):
        return len(self.sigmas)
