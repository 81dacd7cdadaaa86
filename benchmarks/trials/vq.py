"""Vector quantizers (VQ-VAE)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class VectorQuantizer(nn.Module):
    def __init__(self, num_embeddings: int, embedding_dim: int, commitment_cost: float = 0.25):
        super().__init__()
        self.embedding_dim = embedding_dim
        self.num_embeddings = num_embeddings
        self.commitment_cost = commitment_cost
        self.embedding = nn.Embedding(num_embeddings, embedding_dim)
        self.embedding.weight.data.uniform_(-1 / num_embeddings, 1 / num_embeddings)

    def forward(self, inputs):
        inputs = inputs.permute(0, 2, 3, 1).contiguous()
        flat_input = inputs.view(-1, self.embedding_dim)
        distances = (torch.sum(flat_input ** 2, dim=1, keepdim=True) + torch.sum(self.embedding.weight ** 2, dim=1)
                     - 2 * torch.matmul(flat_input, self.embedding.weight.t()))
        encoding_indices = torch.argmin(distances, dim=1)
        quantized = self.embedding(encoding_indices).view(inputs.shape)
        e_latent_loss = F.mse_loss(quantized.detach(), inputs)
        q_latent_loss = F.mse_loss(quantized, inputs.detach())
        loss = q_latent_loss + self.commitment_cost * e_latent_loss
        quantized = inputs + (quantized - inputs).detach()
        return loss, quantized.permute(0, 3, 1, 2).contiguous(), encoding_indices


class VectorQuantizerEMA(nn.Module):
    """EMA codebook updated under no_grad (correct)."""

    def __init__(self, num_embeddings, embedding_dim, commitment_cost=0.25, decay=0.99, epsilon=1e-5):
        super().__init__()
        self.embedding_dim = embedding_dim
        self.num_embeddings = num_embeddings
        embed = torch.randn(num_embeddings, embedding_dim)
        self.register_buffer("embed", embed)
        self.register_buffer("cluster_size", torch.zeros(num_embeddings))
        self.register_buffer("embed_avg", embed.clone())
        self.commitment_cost = commitment_cost
        self.decay = decay
        self.epsilon = epsilon

    def forward(self, inputs):
        flat = inputs.reshape(-1, self.embedding_dim)
        dist = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ self.embed.t() + self.embed.pow(2).sum(1)[None]
        embed_ind = dist.argmin(1)
        onehot = F.one_hot(embed_ind, self.num_embeddings).type(flat.dtype)
        quantize = F.embedding(embed_ind, self.embed).view_as(inputs)
        if self.training:
            with torch.no_grad():
                self.cluster_size.data.mul_(self.decay).add_(onehot.sum(0), alpha=1 - self.decay)
                embed_sum = flat.t() @ onehot
                self.embed_avg.data.mul_(self.decay).add_(embed_sum.t(), alpha=1 - self.decay)
                n = self.cluster_size.sum()
                cluster_size = (self.cluster_size + self.epsilon) / (n + self.num_embeddings * self.epsilon) * n
                self.embed.data.copy_(self.embed_avg / cluster_size.unsqueeze(1))
        loss = self.commitment_cost * F.mse_loss(quantize.detach(), inputs)
        quantize = inputs + (quantize - inputs).detach()
        return quantize, loss, embed_ind


class EMACodebook(nn.Module):
    """EMA codebook whose update keeps the graph of the encoder output."""

    def __init__(self, codebook_size: int, dim: int, decay: float = 0.8, eps: float = 1e-5):
        super().__init__()
        self.decay = decay
        self.eps = eps
        self.codebook_size = codebook_size
        self.register_buffer("embed", torch.randn(codebook_size, dim))
        self.register_buffer("cluster_size", torch.zeros(codebook_size))
        self.register_buffer("embed_avg", torch.randn(codebook_size, dim))

    def forward(self, x):
        flatten = x.reshape(-1, x.shape[-1])
        dist = -torch.cdist(flatten, self.embed)
        embed_ind = dist.argmax(dim=-1)
        embed_onehot = F.one_hot(embed_ind, self.codebook_size).type(x.dtype)
        quantize = F.embedding(embed_ind, self.embed)
        if self.training:
            counts = embed_onehot.sum(0)
            self.cluster_size = self.cluster_size * self.decay + counts * (1 - self.decay)  # argmax/one_hot: no history
            embed_sum = flatten.t() @ embed_onehot
            self.embed_avg = self.embed_avg * self.decay + embed_sum.t() * (1 - self.decay)  # expect: BUF007
            n = self.cluster_size.sum()
            smoothed = (self.cluster_size + self.eps) / (n + self.codebook_size * self.eps) * n
            self.embed = self.embed_avg / smoothed.unsqueeze(1)  # expect: BUF007
        return x + (quantize - x).detach(), embed_ind
