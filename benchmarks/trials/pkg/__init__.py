"""A small detector package: base blocks, layers, a YOLO-style head and the owner model."""
from .base import BaseBlock, make_causal_mask
from .model import DetectionModel

__all__ = ["BaseBlock", "DetectionModel", "make_causal_mask"]
