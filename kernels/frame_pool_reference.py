"""Canonical pure-torch reference for frame pooling (channels-last frames).

``bilinear`` is exactly LLaVA-OneVision's video pooling
(``LlavaOnevisionModel.apply_pooling``: ``nn.functional.interpolate(x.permute(0, 3, 1, 2),
size=..., mode="bilinear")``, i.e. ``align_corners=False``); ``avg`` is
``nn.functional.adaptive_avg_pool2d``. Differentiable through autograd.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def frame_pool_reference(x: torch.Tensor, out_size: tuple[int, int], mode: str = "bilinear") -> torch.Tensor:
    """x [frames, H, W, C] -> [frames, k1, k2, C] (contiguous), same dtype as x."""
    nchw = x.permute(0, 3, 1, 2)
    k1, k2 = out_size
    if mode == "bilinear":
        y = F.interpolate(nchw, size=(k1, k2), mode="bilinear", align_corners=False)
    elif mode == "avg":
        y = F.adaptive_avg_pool2d(nchw, (k1, k2))
    else:
        raise ValueError(f"unknown mode {mode!r}; choose one of 'bilinear', 'avg'")
    return y.permute(0, 2, 3, 1).contiguous()
