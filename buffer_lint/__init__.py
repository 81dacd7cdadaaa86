"""buffer-lint: finds tensors that should be buffers in PyTorch modules, and fixes them."""

__version__ = "0.1.0"
