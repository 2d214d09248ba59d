"""What a policy holds: bytes per component and a description for logs and run files."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from .model import A2APolicy


def _size(mod: nn.Module | None, trainable: bool | None = None) -> int:
    if mod is None:
        return 0
    total = 0
    for p in mod.parameters():
        if trainable is None or p.requires_grad == trainable:
            total += p.numel() * p.element_size()
            qs = getattr(p, "quant_state", None)  # 4-bit weights: their scales count too
            if qs is not None:
                for t in (getattr(qs, "absmax", None), getattr(getattr(qs, "state2", None), "absmax", None)):
                    if isinstance(t, torch.Tensor):
                        total += t.numel() * t.element_size()
    return total


def memory_footprint(policy: A2APolicy) -> dict[str, int]:
    """Bytes held by parameters and buffers, per component (4-bit weights count as stored)."""
    return {
        "vision_tower": _size(policy.encoder.vision_tower),
        "projector": _size(policy.encoder.projector) + _size(policy.projector),
        "language_model": _size(policy.lm, trainable=False),
        "lm_head": _size(policy.lm_head) if policy.lm_head.weight is not policy.embeddings.weight else 0,
        "lora": _size(policy.lm, trainable=True),
        "adapter": _size(policy.compressor),
        "value_head": _size(policy.value_head),
    }


def describe(policy: A2APolicy) -> dict:
    counts = {
        "trainable": sum(p.numel() for p in policy.trainable_parameters()),
        "total": sum(p.numel() for p in policy.parameters()),
    }
    return {
        "name_or_path": policy.name_or_path, "attn_implementation": policy.attn_implementation,
        "attn_reason": policy.attn_reason, "device": str(policy.device), "dtype": str(policy.compute_dtype),
        "quantized": policy.quantized, "compression": policy.config.compression, "backend": policy.config.backend,
        "tokens_per_frame": policy.tokens_per_frame, "grid": policy.grid, "parameters": counts,
        "memory_bytes": memory_footprint(policy),
    }
