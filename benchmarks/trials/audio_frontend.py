"""Audio front ends: STFT window and mel filterbank."""
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def mel_filterbank(sr: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float = None) -> np.ndarray:
    fmax = fmax or sr / 2

    def hz_to_mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def mel_to_hz(m):
        return 700.0 * (10 ** (m / 2595.0) - 1.0)

    mels = np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2)
    bins = np.floor((n_fft + 1) * mel_to_hz(mels) / sr).astype(int)
    fb = np.zeros((n_mels, n_fft // 2 + 1), dtype=np.float32)
    for m in range(1, n_mels + 1):
        for k in range(bins[m - 1], bins[m]):
            fb[m - 1, k] = (k - bins[m - 1]) / max(bins[m] - bins[m - 1], 1)
        for k in range(bins[m], bins[m + 1]):
            fb[m - 1, k] = (bins[m + 1] - k) / max(bins[m + 1] - bins[m], 1)
    return fb


class MelSpectrogram(nn.Module):
    def __init__(self, sr=22050, n_fft=1024, hop_length=256, win_length=1024, n_mels=80):
        super().__init__()
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.win_length = win_length
        self.window = torch.hann_window(win_length)  # expect: BUF001
        self.mel_basis = torch.from_numpy(mel_filterbank(sr, n_fft, n_mels)).float()  # expect: BUF001

    def forward(self, audio):
        pad = (self.n_fft - self.hop_length) // 2
        audio = F.pad(audio.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
        spec = torch.stft(audio, self.n_fft, hop_length=self.hop_length, win_length=self.win_length,
                          window=self.window.to(audio.device), center=False, return_complex=True)
        spec = spec.abs()
        return torch.log(torch.clamp(torch.matmul(self.mel_basis.to(audio.device), spec), min=1e-5))


class STFT(nn.Module):
    def __init__(self, n_fft: int = 512, hop_length: int = 128, window_fn=torch.hann_window):
        super().__init__()
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.window_fn = window_fn
        self.register_buffer("window", window_fn(n_fft), persistent=False)

    def forward(self, x):
        return torch.stft(x, self.n_fft, self.hop_length, window=self.window, return_complex=True)


class PreEmphasis(nn.Module):
    def __init__(self, coef: float = 0.97):
        super().__init__()
        self.coef = coef
        self.register_buffer("flipped_filter", torch.FloatTensor([-self.coef, 1.0]).unsqueeze(0).unsqueeze(0))

    def forward(self, x):
        x = F.pad(x.unsqueeze(1), (1, 0), "reflect")
        return F.conv1d(x, self.flipped_filter).squeeze(1)


class SincConv(nn.Module):
    """SincNet: learnable band edges, fixed window."""

    def __init__(self, out_channels: int = 80, kernel_size: int = 251, sample_rate: int = 16000):
        super().__init__()
        self.kernel_size = kernel_size
        low_hz, high_hz = 30.0, sample_rate / 2 - 80.0
        mel = np.linspace(2595 * np.log10(1 + low_hz / 700), 2595 * np.log10(1 + high_hz / 700), out_channels + 1)
        hz = 700 * (10 ** (mel / 2595) - 1)
        self.low_hz_ = nn.Parameter(torch.Tensor(hz[:-1]).view(-1, 1))
        self.band_hz_ = nn.Parameter(torch.Tensor(np.diff(hz)).view(-1, 1))
        n_lin = torch.linspace(0, (kernel_size / 2) - 1, steps=int(kernel_size / 2))
        self.window_ = 0.54 - 0.46 * torch.cos(2 * math.pi * n_lin / kernel_size)  # expect: BUF001
        n = (kernel_size - 1) / 2.0
        self.n_ = 2 * math.pi * torch.arange(-n, 0).view(1, -1) / sample_rate  # expect: BUF001

    def forward(self, waveforms):
        self.n_ = self.n_.to(waveforms.device)
        self.window_ = self.window_.to(waveforms.device)
        low = 50 + torch.abs(self.low_hz_)
        high = torch.clamp(low + 50 + torch.abs(self.band_hz_), 50, 8000)
        band = (high - low)[:, 0]
        f_low = torch.matmul(low, self.n_)
        f_high = torch.matmul(high, self.n_)
        bp_left = ((torch.sin(f_high) - torch.sin(f_low)) / (self.n_ / 2)) * self.window_
        bp_center = 2 * band.view(-1, 1)
        bp_right = torch.flip(bp_left, dims=[1])
        band_pass = torch.cat([bp_left, bp_center, bp_right], dim=1) / (2 * band[:, None])
        filters = band_pass.view(80, 1, self.kernel_size)
        return F.conv1d(waveforms, filters, padding=self.kernel_size // 2)
