"""A LightningModule classifier."""
import lightning as L
import torch
import torch.nn.functional as F
from torch import nn


class LitClassifier(L.LightningModule):
    def __init__(self, num_classes: int = 10, lr: float = 1e-3, class_counts=None):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 256), nn.ReLU(), nn.Linear(256, num_classes))
        self.example_input_array = torch.zeros(1, 1, 28, 28)
        self.validation_step_outputs = []
        if class_counts is not None:
            counts = torch.as_tensor(class_counts, dtype=torch.float32)
            self.class_weights = counts.sum() / (len(class_counts) * counts)  # expect: BUF001
        else:
            self.class_weights = None

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y, weight=self.class_weights)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        preds = self(x).argmax(-1)
        self.validation_step_outputs.append((preds == y).float().mean())

    def on_validation_epoch_end(self):
        self.log("val_acc", torch.stack(self.validation_step_outputs).mean())
        self.validation_step_outputs.clear()

    def configure_optimizers(self):
        return torch.optim.AdamW(self.parameters(), lr=self.hparams.lr)


class LitAutoEncoder(L.LightningModule):
    def __init__(self, latent: int = 16):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, latent))
        self.decoder = nn.Sequential(nn.Linear(latent, 64), nn.ReLU(), nn.Linear(64, 784))
        self.register_buffer("fixed_noise", torch.randn(16, latent))

    def training_step(self, batch, batch_idx):
        x, _ = batch
        x = x.view(x.size(0), -1)
        return F.mse_loss(self.decoder(self.encoder(x)), x)

    def on_train_epoch_end(self):
        samples = self.decoder(self.fixed_noise)
        self.logger.log_image("samples", [samples.view(-1, 28, 28)])

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-3)
