"""Triton fused pool-and-pack: pooled frame tokens written straight into the embedding buffer.

Same tap-gather kernel as :mod:`.frame_pool_triton`, with the output addressed through the ``rows``
index map: frame features are read once and the pooled tokens written once, with no intermediate
tensor. Forward only (the vision tower is frozen and pooling has no parameters).

Imported lazily (it imports triton).
"""

from __future__ import annotations

import torch

from ._pool_tables import axis_taps
from .frame_pool_triton import INTERPRETED, launch_tap_gather

__all__ = ["INTERPRETED", "pool_and_pack_triton"]


def pool_and_pack_triton(x: torch.Tensor, out_size: tuple[int, int], dest: torch.Tensor, rows: torch.Tensor,
                         mode: str, blocks: tuple[int, int] | None = None) -> None:
    """Validated inputs only (see :func:`a2a.kernels.pool_and_pack`); ``rows`` int64 on dest's device."""
    _, height, width, _ = x.shape
    k1, k2 = out_size
    fh, _ = axis_taps(mode, height, k1, x.device)
    fw, _ = axis_taps(mode, width, k2, x.device)
    launch_tap_gather(x, dest, fh, fw, k1, k2, rows=rows, blocks=blocks)
