"""Canonical pure-torch reference for pool-and-pack.

Pools every frame (see :mod:`.frame_pool_reference`) and scatters frame ``f``'s ``k1*k2`` tokens
(row-major) into rows ``rows[f] .. rows[f] + k1*k2 - 1`` of ``dest.view(-1, C)``. Works on any
strided ``dest`` (flat row ``r`` is ``dest[r // L, r % L]``); autograd-tracked like any in-place
index assignment.
"""

from __future__ import annotations

import torch

from .frame_pool_reference import frame_pool_reference


def pool_and_pack_reference(
    x: torch.Tensor, out_size: tuple[int, int], dest: torch.Tensor, rows: torch.Tensor, mode: str = "bilinear"
) -> None:
    frames, _, _, channels = x.shape
    k1, k2 = out_size
    tokens = frame_pool_reference(x, (k1, k2), mode).reshape(frames * k1 * k2, channels)
    flat = (rows.to(device=dest.device, dtype=torch.int64)[:, None]
            + torch.arange(k1 * k2, device=dest.device, dtype=torch.int64)[None, :]).reshape(-1)
    seq = dest.shape[1]
    dest[flat // seq, flat % seq] = tokens.to(dest.dtype)
