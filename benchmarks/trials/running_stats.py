"""Running statistics and recurrent state kept in buffers."""
import torch
import torch.nn as nn


class RunningNorm(nn.Module):
    def __init__(self, num_features: int, momentum: float = 0.1, eps: float = 1e-5):
        super().__init__()
        self.momentum = momentum
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x):
        if self.training:
            mean = x.mean(0)
            var = x.var(0, unbiased=False)
            self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mean  # expect: BUF007
            self.running_var.mul_(1 - self.momentum).add_(self.momentum * var)  # expect: BUF007
        else:
            mean, var = self.running_mean, self.running_var
        return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias


class RunningNormDetached(nn.Module):
    def __init__(self, num_features: int, momentum: float = 0.1):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, x):
        if self.training:
            mean = x.mean(0)
            var = x.var(0)
            self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mean.detach()
            with torch.no_grad():
                self.running_var.lerp_(var, self.momentum)
            self.num_batches_tracked += 1
            return (x - mean) / (var + 1e-5).sqrt()
        return (x - self.running_mean) / (self.running_var + 1e-5).sqrt()


class FeatureStats(nn.Module):
    """Tracks the mean of an encoder's output for a centering loss (DINO-style)."""

    def __init__(self, encoder: nn.Module, out_dim: int, center_momentum: float = 0.9):
        super().__init__()
        self.encoder = encoder
        self.center_momentum = center_momentum
        self.register_buffer("center", torch.zeros(1, out_dim))

    def forward(self, x):
        out = self.encoder(x)
        batch_center = out.mean(dim=0, keepdim=True)
        self.center = self.center * self.center_momentum + batch_center * (1 - self.center_momentum)  # expect: BUF007
        return out - self.center

    @torch.no_grad()
    def update_center(self, teacher_output):
        batch_center = torch.sum(teacher_output, dim=0, keepdim=True) / len(teacher_output)
        self.center = self.center * self.center_momentum + batch_center * (1 - self.center_momentum)


class StatefulLSTM(nn.Module):
    """Truncated BPTT language model that keeps its hidden state between batches."""

    def __init__(self, vocab: int, hidden: int, batch_size: int):
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.rnn = nn.GRU(hidden, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)
        self.register_buffer("hidden", torch.zeros(1, batch_size, hidden))

    def forward(self, tokens):
        out, self.hidden = self.rnn(self.embed(tokens), self.hidden)  # expect: BUF007
        return self.head(out)


class StatefulLSTMDetached(nn.Module):
    def __init__(self, vocab: int, hidden: int, batch_size: int):
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.rnn = nn.GRU(hidden, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)
        self.register_buffer("hidden", torch.zeros(1, batch_size, hidden))

    def forward(self, tokens):
        out, hidden = self.rnn(self.embed(tokens), self.hidden)
        self.hidden = hidden.detach()
        return self.head(out)


class StepCounter(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("step", torch.zeros((), dtype=torch.long))

    def forward(self, x):
        self.step += 1
        return x
