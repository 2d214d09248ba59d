"""Frozen frame encoding: uint8 RGB frames -> per-frame feature grids, computed once per frame.

Preprocessing follows LLaVA-OneVision's video path: resize to the tower's square input size
(bilinear, antialiased), rescale to [0, 1], normalise with the processor's mean/std. The tower's
selected hidden layer (config.vision_feature_layer; "full" keeps every patch token) is reshaped to
its patch grid; with a frozen projector the projector is applied here too (so the per-frame cache
holds LLM-space features and nothing frozen runs again).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class ImageConfig:
    size: int
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)


def load_image_config(path: str, default_size: int) -> ImageConfig:
    """Mean/std from the checkpoint's preprocessor_config.json if there is one; the input size is the
    vision tower's (frames are resized to it)."""
    cfg_file = None
    if os.path.isdir(path):
        f = os.path.join(path, "preprocessor_config.json")
        cfg_file = f if os.path.exists(f) else None
    else:
        try:
            from transformers.utils import cached_file

            cfg_file = cached_file(path, "preprocessor_config.json", _raise_exceptions_for_missing_entries=False)
        except Exception:  # noqa: BLE001 - no processor config in the cache: defaults
            cfg_file = None
    if not cfg_file:
        return ImageConfig(default_size)
    with open(cfg_file) as fh:
        d = json.load(fh)
    mean = tuple(float(x) for x in d.get("image_mean", (0.5, 0.5, 0.5)))
    std = tuple(float(x) for x in d.get("image_std", (0.5, 0.5, 0.5)))
    return ImageConfig(default_size, mean, std)  # type: ignore[arg-type]


class FrameEncoder(nn.Module):
    mean: torch.Tensor  # buffers registered in __init__
    std: torch.Tensor
    """Holds the frozen vision tower (and, unless it is trained, the projector)."""

    def __init__(self, vision_tower: nn.Module, image: ImageConfig, *, feature_layer: int = -1,
                 select_strategy: str = "full", projector: nn.Module | None = None):
        super().__init__()
        self.vision_tower = vision_tower
        self.projector = projector
        self.image = image
        self.feature_layer = feature_layer
        self.select_strategy = select_strategy
        dev = next(vision_tower.parameters()).device  # buffers live with the tower (moved with it by .to())
        self.register_buffer("mean", torch.tensor(image.mean, device=dev).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(image.std, device=dev).view(1, 3, 1, 1), persistent=False)

    @property
    def device(self) -> torch.device:
        return next(self.vision_tower.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.vision_tower.parameters()).dtype

    def preprocess(self, images: np.ndarray | torch.Tensor) -> torch.Tensor:
        """uint8 [n, h, w, 3] -> normalised float [n, 3, S, S] on the tower's device and dtype."""
        x = torch.as_tensor(np.ascontiguousarray(images) if isinstance(images, np.ndarray) else images)
        if x.dim() != 4 or x.shape[-1] != 3 or x.dtype != torch.uint8:
            raise ValueError(f"frames must be uint8 [n, h, w, 3], got {x.dtype} {tuple(x.shape)}")
        x = x.to(self.device, non_blocking=True).permute(0, 3, 1, 2).float().div_(255.0)
        S = self.image.size
        if x.shape[-2:] != (S, S):
            x = F.interpolate(x, size=(S, S), mode="bilinear", align_corners=False, antialias=True).clamp_(0.0, 1.0)
        x = (x - self.mean.to(x.device)) / self.std.to(x.device)
        return x.to(self.dtype)

    @torch.no_grad()
    def forward(self, images: np.ndarray | torch.Tensor) -> torch.Tensor:
        """uint8 [n, h, w, 3] -> features [n, g, g, C] (C: the projector's output when it is frozen,
        else the tower's hidden size)."""
        px = self.preprocess(images)
        want_hidden = self.feature_layer != -1
        out = self.vision_tower(px, output_hidden_states=want_hidden, return_dict=True)
        feats = out.hidden_states[self.feature_layer] if want_hidden else out.last_hidden_state
        if self.select_strategy == "default":
            feats = feats[:, 1:]
        if self.projector is not None:
            feats = self.projector(feats)
        n, T, C = feats.shape
        g = int(math.isqrt(T))
        if g * g != T:
            raise ValueError(f"vision tower returned {T} tokens per frame, not a square patch grid")
        return feats.reshape(n, g, g, C)
