"""Public entry points: validate once, then dispatch to the chosen backend.

Both backends see identical validation, so a wrong call fails the same way with either. The
backend is an explicit argument, never a symbol swapped at import time; ``backend="triton"``
imports triton (and the kernel modules) lazily on first use.
"""

from __future__ import annotations

import math

import torch

from ._backend import (
    check_backend,
    check_choice,
    check_same_device,
    check_tensor,
    check_triton_device,
    device_guard,
    out_size_pair,
    triton_module,
)
from ._pool_tables import MODES
from .frame_pool_reference import frame_pool_reference
from .pool_pack_reference import pool_and_pack_reference
from .resampler_attention_reference import resampler_attention_reference


def llava_onevision_pool_size(grid: int) -> tuple[int, int]:
    """Pooled grid of LLaVA-OneVision's video frames: ``ceil(grid / 2)`` per side (27 -> 14)."""
    if isinstance(grid, bool) or not isinstance(grid, int) or grid < 1:
        raise ValueError(f"grid must be a positive int, got {grid!r}")
    side = math.ceil(grid / 2)
    return side, side


def _check_frames(x: object) -> torch.Tensor:
    x = check_tensor("x", x, dims=4)
    frames, height, width, channels = x.shape
    if height < 1 or width < 1:
        raise ValueError(f"x must be [frames, H, W, C] with H, W >= 1, got shape {tuple(x.shape)}")
    return x


def frame_pool(x: torch.Tensor, out_size: tuple[int, int], mode: str = "bilinear",
               backend: str = "torch") -> torch.Tensor:
    """Pool channels-last frame features ``x`` [frames, H, W, C] to [frames, k1, k2, C].

    ``mode="bilinear"`` is LLaVA-OneVision's video pooling (``interpolate(..., mode="bilinear")``,
    ``align_corners=False``); ``mode="avg"`` is ``adaptive_avg_pool2d``. Any grid, any C, any strides;
    the result is contiguous, in x's dtype, and differentiable with either backend.
    """
    backend = check_backend(backend)
    mode = check_choice("mode", mode, MODES)
    x = _check_frames(x)
    k = out_size_pair(out_size)
    if backend == "torch":
        return frame_pool_reference(x, k, mode)
    mod = triton_module("frame_pool_triton")
    check_triton_device(x.device, mod.INTERPRETED)
    with device_guard(x.device):
        return mod.frame_pool_triton(x, k, mode)


def _check_rows(rows: object, frames: int, tokens: int, n_rows: int) -> torch.Tensor:
    if not isinstance(rows, torch.Tensor):
        raise ValueError(f"rows must be an int64 torch.Tensor, got {type(rows).__name__}")
    if rows.dtype != torch.int64:
        raise ValueError(f"rows must be int64, got {rows.dtype}")
    if rows.dim() != 1 or rows.shape[0] != frames:
        raise ValueError(f"rows must have shape [frames] = [{frames}], got {tuple(rows.shape)}")
    if frames == 0:
        return rows
    # one host sync: range check and no two frames overlapping (a race for the kernel)
    lo_bad = rows < 0
    hi_bad = rows > n_rows - tokens
    sorted_rows = torch.sort(rows).values
    overlap = (sorted_rows[1:] - sorted_rows[:-1]) < tokens
    flags = torch.stack([lo_bad.any(), hi_bad.any(), overlap.any()]).tolist()
    if flags[0] or flags[1]:
        bad = rows[lo_bad | hi_bad][:4].tolist()
        raise ValueError(
            f"rows out of bounds: each frame writes {tokens} rows starting at rows[f], which must lie in "
            f"[0, {n_rows - tokens}] for dest with {n_rows} rows; offending starts: {bad}"
        )
    if flags[2]:
        raise ValueError(f"rows overlap: frames' {tokens}-row ranges must be disjoint")
    return rows


def pool_and_pack(x: torch.Tensor, out_size: tuple[int, int], dest: torch.Tensor, rows: torch.Tensor,
                  mode: str = "bilinear", backend: str = "torch", *, check_rows: bool = True) -> None:
    """Pool every frame of ``x`` and write its ``k1*k2`` tokens (row-major) into ``dest`` in place.

    ``dest`` [B, L, C] has x's dtype and device; ``rows`` int64 [frames] gives, for frame ``f``, the
    flat row of ``dest.view(-1, C)`` where its tokens start. By default rows are bounds- and
    overlap-checked (one host sync); ``check_rows=False`` skips that for a hot loop whose rows are
    known good -- the Triton kernel still never writes outside ``dest``, but overlapping frames then
    race. The Triton backend is forward only: it raises if x requires grad under autograd.
    """
    backend = check_backend(backend)
    mode = check_choice("mode", mode, MODES)
    x = _check_frames(x)
    k1, k2 = out_size_pair(out_size)
    dest = check_tensor("dest", dest, dims=3)
    frames, _, _, channels = x.shape
    if dest.dtype != x.dtype:
        raise ValueError(f"dest dtype {dest.dtype} must match x dtype {x.dtype}")
    if dest.shape[2] != channels:
        raise ValueError(f"dest must be [B, L, C={channels}], got shape {tuple(dest.shape)}")
    if isinstance(rows, torch.Tensor) and rows.device != dest.device:
        raise ValueError(f"rows must be on dest's device {dest.device}, got {rows.device}")
    check_same_device(x=x, dest=dest)
    if check_rows:
        rows = _check_rows(rows, frames, k1 * k2, dest.shape[0] * dest.shape[1])
    elif not isinstance(rows, torch.Tensor) or rows.dtype != torch.int64 or tuple(rows.shape) != (frames,):
        raise ValueError(f"rows must be an int64 tensor of shape [frames] = [{frames}]")
    if backend == "torch":
        pool_and_pack_reference(x, (k1, k2), dest, rows, mode)
        return
    if torch.is_grad_enabled() and (x.requires_grad or dest.requires_grad):
        raise ValueError(
            "pool_and_pack(backend='triton') is forward only; call it under torch.no_grad() (the vision "
            "tower is frozen) or use frame_pool(..., backend='triton'), which is differentiable"
        )
    mod = triton_module("pool_pack_triton")
    check_triton_device(x.device, mod.INTERPRETED)
    with device_guard(x.device):
        mod.pool_and_pack_triton(x, (k1, k2), dest, rows, mode)


def _check_attention(q: object, k: object, v: object, scale: object) -> float | None:
    q = check_tensor("q", q, dims=(3, 4))
    k = check_tensor("k", k, dims=4)
    v = check_tensor("v", v, dims=4)
    if not (q.dtype == k.dtype == v.dtype):
        raise ValueError(f"q, k, v must share one dtype, got {q.dtype}, {k.dtype}, {v.dtype}")
    check_same_device(q=q, k=k, v=v)
    if k.shape != v.shape:
        raise ValueError(f"k and v must have the same shape [F, nH, T, D], got {tuple(k.shape)} and {tuple(v.shape)}")
    frames, heads, tokens, dim = k.shape
    if tokens < 1 or dim < 1:
        raise ValueError(f"k, v need T >= 1 tokens and D >= 1, got shape {tuple(k.shape)}")
    if q.dim() == 3:
        if q.shape[0] != heads or q.shape[2] != dim:
            raise ValueError(f"shared q must be [nH={heads}, Lq, D={dim}], got {tuple(q.shape)}")
    elif q.shape[0] != frames or q.shape[1] != heads or q.shape[3] != dim:
        raise ValueError(f"per-frame q must be [F={frames}, nH={heads}, Lq, D={dim}], got {tuple(q.shape)}")
    if scale is None:
        return None
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not math.isfinite(scale):
        raise ValueError(f"scale must be a finite float or None, got {scale!r}")
    return float(scale)


def resampler_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float | None = None,
                        backend: str = "torch") -> torch.Tensor:
    """Latents ``q`` ([nH, Lq, D] shared by all frames, or [F, nH, Lq, D]) attend over each frame's
    tokens ``k``, ``v`` [F, nH, T, D]: ``softmax(q k^T * scale) v`` -> [F, nH, Lq, D], with
    ``scale`` defaulting to ``D ** -0.5``. Differentiable in q, k, v with either backend (a shared q
    receives the gradient summed over frames).
    """
    backend = check_backend(backend)
    scale = _check_attention(q, k, v, scale)
    if backend == "torch":
        return resampler_attention_reference(q, k, v, scale)
    mod = triton_module("resampler_attention_triton")
    check_triton_device(q.device, mod.INTERPRETED)
    with device_guard(q.device):
        return mod.resampler_attention_triton(q, k, v, scale)
