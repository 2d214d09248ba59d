"""Triton frame pooling: separable tap-gather kernel, forward and backward.

One kernel, :func:`_tap_gather_kernel`, computes

    out[f, i, j, c] = sum_{t<TAPS_H, s<TAPS_W} wh[i, t] * ww[j, s] * src[f, h0[i] + t, w0[j] + s, c]

for every output pixel ``p = i * K2 + j`` of every frame ``f``, reading ``src`` through arbitrary
strides and writing each output element exactly once (no atomics, deterministic). With the forward
tap tables it is the pooling forward; with the transposed tables (see :mod:`._pool_tables`) it is
the exact gradient; with a ``rows`` index map it writes the pooled tokens straight into rows of a
``[B, L, C]`` embedding buffer (:mod:`.pool_pack_triton`).

A program handles ``BLOCK_P`` pixels of one frame by ``BLOCK_C`` channels: the frame's base
pointers are scalars (int64), in-frame offsets int32 when they fit, and channels -- the contiguous
axis of channels-last features -- are the vectorized axis, so every tap load is a coalesced
``BLOCK_C``-wide row segment (pass channels-last contiguous features for speed; other strides are
correct but gather). Accumulation is float32. Small tap windows (bilinear 2x2, avg 3x3) are
unrolled; large ones (global average) are looped.

Imported lazily (it imports triton); ``TRITON_INTERPRET`` is read when this module is imported.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from ._backend import device_guard, new_empty, triton_interpreting
from ._pool_tables import AxisTaps, axis_taps

#: whether the kernels below were defined for Triton's CPU interpreter
INTERPRETED: bool = triton_interpreting()


@triton.jit
def _tap(acc, src, c_off, hw_ptr, ww_ptr, oi, oj, h0, hn, w0, wn, mask_p, mask_c,
         th, tw, s_h, s_w, TAPS_H: tl.constexpr, TAPS_W: tl.constexpr, I64: tl.constexpr):
    """acc += wh[oi, th] * ww[oj, tw] * src[h0 + th, w0 + tw, :] for one (th, tw) tap."""
    wh = tl.load(hw_ptr + oi * TAPS_H + th, mask=mask_p, other=0.0)
    wv = tl.load(ww_ptr + oj * TAPS_W + tw, mask=mask_p, other=0.0)
    ok = mask_p & (th < hn) & (tw < wn)
    if I64:
        off = (h0 + th).to(tl.int64) * s_h + (w0 + tw).to(tl.int64) * s_w
    else:
        off = (h0 + th) * s_h + (w0 + tw) * s_w
    v = tl.load(src + (off[:, None] + c_off), mask=ok[:, None] & mask_c[None, :], other=0.0)
    return acc + (wh * wv)[:, None] * v.to(tl.float32)


@triton.jit
def _tap_gather_kernel(
    src_ptr, out_ptr, rows_ptr,
    hs_ptr, hc_ptr, hw_ptr, ws_ptr, wc_ptr, ww_ptr,
    P, C, L, n_rows, n_pblocks,
    s_f, s_h, s_w, s_c,
    o_b, o_l, o_c,
    OUT_W: tl.constexpr, HAS_ROWS: tl.constexpr, FLAT_ROWS: tl.constexpr, I64: tl.constexpr,
    TAPS_H: tl.constexpr, TAPS_W: tl.constexpr, BLOCK_P: tl.constexpr, BLOCK_C: tl.constexpr,
):
    # one program: BLOCK_P output pixels of ONE frame x BLOCK_C channels. Frame index and frame
    # base pointers are scalars; in-frame offsets are int32 unless a frame spans >= 2**31 elements.
    pid = tl.program_id(0)
    pid_c = tl.program_id(1)
    f = pid // n_pblocks
    p = (pid - f * n_pblocks) * BLOCK_P + tl.arange(0, BLOCK_P)
    offs_c = pid_c * BLOCK_C + tl.arange(0, BLOCK_C)
    mask_p = p < P
    mask_c = offs_c < C
    oi = p // OUT_W  # constexpr divisor: multiply-shift
    oj = p - oi * OUT_W

    h0 = tl.load(hs_ptr + oi, mask=mask_p, other=0)
    hn = tl.load(hc_ptr + oi, mask=mask_p, other=0)
    w0 = tl.load(ws_ptr + oj, mask=mask_p, other=0)
    wn = tl.load(wc_ptr + oj, mask=mask_p, other=0)

    src = src_ptr + f.to(tl.int64) * s_f
    if I64:
        c_off = offs_c.to(tl.int64)[None, :] * s_c
    else:
        c_off = offs_c[None, :] * s_c
    acc = tl.zeros((BLOCK_P, BLOCK_C), dtype=tl.float32)
    if TAPS_H * TAPS_W <= 16:  # bilinear (2x2), avg with small windows: fully unrolled
        for th in tl.static_range(TAPS_H):
            for tw in tl.static_range(TAPS_W):
                acc = _tap(acc, src, c_off, hw_ptr, ww_ptr, oi, oj, h0, hn, w0, wn, mask_p, mask_c,
                           th, tw, s_h, s_w, TAPS_H, TAPS_W, I64)
    else:  # large windows (e.g. global average): a loop, not thousands of unrolled loads
        for th in range(TAPS_H):
            for tw in range(TAPS_W):
                acc = _tap(acc, src, c_off, hw_ptr, ww_ptr, oi, oj, h0, hn, w0, wn, mask_p, mask_c,
                           th, tw, s_h, s_w, TAPS_H, TAPS_W, I64)

    if I64:
        oc_off = offs_c.to(tl.int64)[None, :] * o_c
    else:
        oc_off = offs_c[None, :] * o_c
    if HAS_ROWS:
        r = tl.load(rows_ptr + f) + p  # int64 flat row of dest.view(-1, C)
        # bounds are validated on the host; this mask only guarantees memory safety when they are not
        ok_r = mask_p & (r >= 0) & (r < n_rows)
        if FLAT_ROWS:  # dest's (B, L) dims flatten: row r sits at r * o_l
            dst = r * o_l
        else:
            b = r // L
            dst = b * o_b + (r - b * L) * o_l
        tl.store(out_ptr + (dst[:, None] + oc_off), acc.to(out_ptr.dtype.element_ty),
                 mask=ok_r[:, None] & mask_c[None, :])
    else:  # out viewed as [frames, P, C]
        out = out_ptr + f.to(tl.int64) * o_b
        if I64:
            dst = p.to(tl.int64) * o_l
        else:
            dst = p * o_l
        tl.store(out + (dst[:, None] + oc_off), acc.to(out_ptr.dtype.element_ty),
                 mask=mask_p[:, None] & mask_c[None, :])


def _next_pow2(n: int) -> int:
    return 1 << max(0, (int(n) - 1).bit_length())


def pick_blocks(pixels: int, channels: int) -> tuple[int, int, int]:
    """(BLOCK_P, BLOCK_C, num_warps) for ``pixels`` output pixels per frame.

    Interpreter: whole frames per program (it pays per program instance). GPU: 128-channel rows
    (256 B of bf16: one 16 B vector per thread and tap) by 8 or 16 pixels, whichever pads the
    frame less (196 = 14*14 -> 8, 729 = 27*27 -> 16), 4 warps. Compiled for sm_90 with the
    launch-time specializations (unit channel stride, 16-divisible strides) this takes 32-48
    registers for bf16 and no spills, so occupancy is not register-limited.
    """
    if INTERPRETED:
        block_c = min(_next_pow2(channels), 4096)
        block_p = max(1, min(_next_pow2(pixels), (1 << 18) // block_c))
        return block_p, block_c, 4
    block_c = min(_next_pow2(channels), 128)
    waste = {bp: -(-pixels // bp) * bp - pixels for bp in (16, 8)}
    block_p = 16 if waste[16] <= waste[8] else 8
    block_p = min(block_p, _next_pow2(pixels))
    return block_p, block_c, 4


def _max_offset(t: torch.Tensor, dims: tuple[int, ...]) -> int:
    return sum((t.shape[d] - 1) * abs(t.stride(d)) for d in dims if t.shape[d] > 0)


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
    force_i64: bool = False,
) -> None:
    """Run the gather for all frames of ``src`` [F, *, *, C] into ``out`` viewed as [B, L, C].

    Without ``rows``, ``out`` is [F, n_out_h * n_out_w, C]; with ``rows`` frame ``f``'s pixels go
    to flat rows ``rows[f] + p`` of ``out`` (any [B, L, C] strides).
    """
    frames, _, _, channels = src.shape
    P = n_out_h * n_out_w
    if frames == 0 or P == 0 or channels == 0:
        return
    seq = out.shape[1]
    n_rows = out.shape[0] * seq
    block_p, block_c, warps = pick_blocks(P, channels)
    if blocks is not None:
        block_p, block_c = blocks
    n_pblocks = triton.cdiv(P, block_p)
    # in-frame offsets (and, without rows, per-frame output offsets) in int32 when they fit
    limit = 2**31 - 1 - max(block_c, block_p)
    i64 = force_i64 or (_max_offset(src, (1, 2, 3)) + block_c * abs(src.stride(3)) >= limit
           or _max_offset(out, (1, 2)) + block_c * abs(out.stride(2)) + block_p * abs(out.stride(1)) >= limit)
    flat_rows = out.shape[0] == 1 or out.stride(0) == seq * out.stride(1)
    grid = (frames * n_pblocks, triton.cdiv(channels, block_c))
    _tap_gather_kernel[grid](
        src, out, rows if rows is not None else th.start,
        th.start, th.count, th.weight, tw.start, tw.count, tw.weight,
        P, channels, seq, n_rows, n_pblocks,
        *src.stride(),
        *out.stride(),
        OUT_W=n_out_w, HAS_ROWS=rows is not None, FLAT_ROWS=flat_rows, I64=i64,
        TAPS_H=th.taps, TAPS_W=tw.taps, BLOCK_P=block_p, BLOCK_C=block_c, num_warps=warps,
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
        with device_guard(grad_out.device):
            launch_tap_gather(grad_out, grad_x.view(frames, height * width, channels), bh, bw, height, width,
                              blocks=ctx.blocks)
        return grad_x, None, None, None


def frame_pool_triton(x: torch.Tensor, out_size: tuple[int, int], mode: str,
                      blocks: tuple[int, int] | None = None) -> torch.Tensor:
    """Validated inputs only (see :func:`a2a.kernels.frame_pool`). ``blocks`` overrides tiling (tests)."""
    return FramePoolFunction.apply(x, tuple(out_size), mode, blocks)
