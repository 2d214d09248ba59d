"""Triton frame pooling: separable tap-gather kernel, forward and backward.

One kernel, :func:`_tap_gather_kernel`, computes

    out_row(g)[c] = sum_{t<TAPS_H, s<TAPS_W} wh[i, t] * ww[j, s] * src[f, h0[i] + t, w0[j] + s, c]

for every global output pixel ``g = f * P + (i * K2 + j)`` (``P = K1 * K2``), reading ``src``
through arbitrary strides and writing each output element exactly once (no atomics, deterministic).
With the forward tap tables it is the pooling forward; with the transposed tables (see
:mod:`._pool_tables`) it is the exact gradient; with a ``rows`` index map it writes the pooled
tokens straight into rows of a ``[B, L, C]`` embedding buffer (:mod:`.pool_pack_triton`).

Tiles are ``BLOCK_P`` consecutive global output pixels (they may span frames, so no tile is wasted
on a ragged ``P``) by ``BLOCK_C`` channels; channels are the contiguous axis of channels-last
features, so every tap load is a coalesced ``BLOCK_C``-wide row segment. Accumulation is float32.

Imported lazily (it imports triton); ``TRITON_INTERPRET`` is read when this module is imported.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from triton import knobs

from ._backend import new_empty
from ._pool_tables import AxisTaps, axis_taps

#: whether the kernels below were defined for Triton's CPU interpreter
INTERPRETED: bool = bool(knobs.runtime.interpret)


@triton.jit
def _tap_gather_kernel(
    src_ptr, out_ptr, rows_ptr,
    hs_ptr, hc_ptr, hw_ptr, ws_ptr, wc_ptr, ww_ptr,
    n_pix, P, K2, C, L, n_rows,
    s_f, s_h, s_w, s_c,
    o_b, o_l, o_c,
    HAS_ROWS: tl.constexpr, TAPS_H: tl.constexpr, TAPS_W: tl.constexpr,
    BLOCK_P: tl.constexpr, BLOCK_C: tl.constexpr,
):
    pid_p = tl.program_id(0)
    pid_c = tl.program_id(1)
    g = pid_p.to(tl.int64) * BLOCK_P + tl.arange(0, BLOCK_P)  # global output pixel
    offs_c = pid_c * BLOCK_C + tl.arange(0, BLOCK_C)
    mask_p = g < n_pix
    mask_c = offs_c < C
    f = g // P
    p = g - f * P
    oi = (p // K2).to(tl.int32)
    oj = (p - (p // K2) * K2).to(tl.int32)

    h0 = tl.load(hs_ptr + oi, mask=mask_p, other=0)
    hn = tl.load(hc_ptr + oi, mask=mask_p, other=0)
    w0 = tl.load(ws_ptr + oj, mask=mask_p, other=0)
    wn = tl.load(wc_ptr + oj, mask=mask_p, other=0)

    pix_base = f * s_f  # int64 [BLOCK_P]
    c_off = offs_c.to(tl.int64)[None, :] * s_c
    acc = tl.zeros((BLOCK_P, BLOCK_C), dtype=tl.float32)
    for th in tl.static_range(TAPS_H):
        wh = tl.load(hw_ptr + oi * TAPS_H + th, mask=mask_p, other=0.0)
        ok_h = mask_p & (th < hn)
        row_base = pix_base + (h0 + th).to(tl.int64) * s_h
        for tw in tl.static_range(TAPS_W):
            wv = tl.load(ww_ptr + oj * TAPS_W + tw, mask=mask_p, other=0.0)
            ok = ok_h & (tw < wn)
            off = row_base + (w0 + tw).to(tl.int64) * s_w
            v = tl.load(src_ptr + (off[:, None] + c_off), mask=ok[:, None] & mask_c[None, :], other=0.0)
            acc += (wh * wv)[:, None] * v.to(tl.float32)

    if HAS_ROWS:
        r = tl.load(rows_ptr + f, mask=mask_p, other=0) + p
    else:
        r = g
    # bounds are validated on the host; this mask only guarantees memory safety when they are not
    ok_r = mask_p & (r >= 0) & (r < n_rows)
    b = r // L
    dst = b * o_b + (r - b * L) * o_l
    tl.store(out_ptr + (dst[:, None] + offs_c.to(tl.int64)[None, :] * o_c),
             acc.to(out_ptr.dtype.element_ty), mask=ok_r[:, None] & mask_c[None, :])


def _next_pow2(n: int) -> int:
    return 1 << max(0, (int(n) - 1).bit_length())


def pick_blocks(n_pix: int, channels: int) -> tuple[int, int, int]:
    """(BLOCK_P, BLOCK_C, num_warps). Large blocks under the interpreter (it pays per program)."""
    if INTERPRETED:
        block_c = min(_next_pow2(channels), 4096)
        block_p = max(1, min(_next_pow2(n_pix), (1 << 18) // block_c))
        return block_p, block_c, 4
    # GPU: 2048-element tiles of 128-channel rows (256 B bf16 segments), 4 warps; 1152 = 9 * 128.
    block_c = min(_next_pow2(channels), 128)
    block_p = max(1, min(_next_pow2(n_pix), 2048 // block_c))
    return block_p, block_c, 4


def launch_tap_gather(
    src: torch.Tensor,
    out: torch.Tensor,
    th: AxisTaps,
    tw: AxisTaps,
    n_out_h: int,
    n_out_w: int,
    *,
    rows: torch.Tensor | None = None,
    blocks: tuple[int, int] | None = None,
) -> None:
    """Run the gather for all frames of ``src`` [F, *, *, C] into ``out`` viewed as [B, L, C].

    Without ``rows`` the output pixel ``g`` lands on flat row ``g`` of ``out`` (``out`` must hold
    ``F * n_out_h * n_out_w`` rows); with ``rows`` frame ``f``'s pixels start at row ``rows[f]``.
    """
    frames, _, _, channels = src.shape
    P = n_out_h * n_out_w
    n_pix = frames * P
    if n_pix == 0 or channels == 0:
        return
    seq = out.shape[1]
    n_rows = out.shape[0] * seq
    block_p, block_c, warps = pick_blocks(n_pix, channels)
    if blocks is not None:
        block_p, block_c = blocks
    grid = (triton.cdiv(n_pix, block_p), triton.cdiv(channels, block_c))
    _tap_gather_kernel[grid](
        src, out, rows if rows is not None else th.start,
        th.start, th.count, th.weight, tw.start, tw.count, tw.weight,
        n_pix, P, n_out_w, channels, seq, n_rows,
        *src.stride(),
        *out.stride(),
        HAS_ROWS=rows is not None, TAPS_H=th.taps, TAPS_W=tw.taps,
        BLOCK_P=block_p, BLOCK_C=block_c, num_warps=warps,
    )


class FramePoolFunction(torch.autograd.Function):
    """Autograd wrapper: Triton forward, Triton backward (same kernel, transposed tables)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, out_size: tuple[int, int], mode: str,
                blocks: tuple[int, int] | None = None) -> torch.Tensor:
        frames, height, width, channels = x.shape
        k1, k2 = out_size
        fh, bh = axis_taps(mode, height, k1, x.device)
        fw, bw = axis_taps(mode, width, k2, x.device)
        out = new_empty((frames, k1, k2, channels), device=x.device, dtype=x.dtype)
        launch_tap_gather(x, out.view(frames, k1 * k2, channels), fh, fw, k1, k2, blocks=blocks)
        ctx.in_hw = (height, width)
        ctx.bwd_taps = (bh, bw)
        ctx.blocks = blocks
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_out: torch.Tensor):
        height, width = ctx.in_hw
        bh, bw = ctx.bwd_taps
        frames, _, _, channels = grad_out.shape
        grad_x = new_empty((frames, height, width, channels), device=grad_out.device, dtype=grad_out.dtype)
        launch_tap_gather(grad_out, grad_x.view(frames, height * width, channels), bh, bw, height, width,
                          blocks=ctx.blocks)
        return grad_x, None, None, None


def frame_pool_triton(x: torch.Tensor, out_size: tuple[int, int], mode: str,
                      blocks: tuple[int, int] | None = None) -> torch.Tensor:
    """Validated inputs only (see :func:`a2a.kernels.frame_pool`). ``blocks`` overrides tiling (tests)."""
    return FramePoolFunction.apply(x, tuple(out_size), mode, blocks)
