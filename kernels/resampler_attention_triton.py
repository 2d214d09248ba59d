"""Triton Perceiver-style resampler attention: a few learned latents attend over every token of a frame.

Forward: one program per (latent block, frame, head) streams the frame's keys and values once in
``BLOCK_N`` chunks with an online (flash-attention style) softmax in base 2, and saves the
natural-log logsumexp of the scaled scores for the backward pass.

Backward: one program per (latent block, frame, head) recomputes ``P = exp(S - lse)`` chunk by
chunk, writes that chunk's ``dK``/``dV`` directly (no atomics: with ``Lq <= BLOCK_M`` one program
owns all of a frame-head's keys; with more latent blocks each writes a float32 partial that is
summed afterwards) and accumulates ``dQ`` in registers. A ``q`` shared by all frames (stride 0
over frames) gets float32 per-frame ``dQ`` partials summed over frames — deterministic.

``Lq`` is tiny (e.g. 4 latents), so the kernel is bound by reading K and V: ``BLOCK_M`` is padded
to 16 only because ``tl.dot`` needs it; padded rows and keys past ``T`` are masked.

Imported lazily (it imports triton); ``TRITON_INTERPRET`` is read when this module is imported.
"""

from __future__ import annotations

import math

import torch
import triton
import triton.language as tl

from ._backend import device_guard, new_empty, triton_interpreting

INTERPRETED: bool = triton_interpreting()
_LOG2E = 1.4426950408889634


@triton.jit
def _dot(a, b, PRECISION: tl.constexpr, UPCAST: tl.constexpr):
    # UPCAST is set only under TRITON_INTERPRET: the interpreter multiplies bfloat16 operands' raw
    # bit patterns in tl.dot (triton-lang/triton#11584, "not supported yet"), so it gets float32.
    if UPCAST:
        return tl.dot(a.to(tl.float32), b.to(tl.float32), input_precision="ieee")
    else:
        return tl.dot(a, b, input_precision=PRECISION)



@triton.jit
def _resampler_fwd_kernel(
    q_ptr, k_ptr, v_ptr, o_ptr, lse_ptr,
    qk_scale,
    NH, LQ, T, D,
    sq_f, sq_h, sq_m, sq_d,
    sk_f, sk_h, sk_t, sk_d,
    sv_f, sv_h, sv_t, sv_d,
    so_f, so_h, so_m, so_d,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr, PRECISION: tl.constexpr,
    UPCAST: tl.constexpr,
):
    pid_m = tl.program_id(0)
    pid_fh = tl.program_id(1)
    f = (pid_fh // NH).to(tl.int64)
    h = (pid_fh % NH).to(tl.int64)
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, BLOCK_D)
    mask_m = offs_m < LQ
    mask_d = offs_d < D

    q = tl.load(q_ptr + f * sq_f + h * sq_h + offs_m[:, None] * sq_m + offs_d[None, :] * sq_d,
                mask=mask_m[:, None] & mask_d[None, :], other=0.0)
    k_base = k_ptr + f * sk_f + h * sk_h
    v_base = v_ptr + f * sv_f + h * sv_h

    m_i = tl.full((BLOCK_M,), float("-inf"), dtype=tl.float32)
    l_i = tl.zeros((BLOCK_M,), dtype=tl.float32)
    acc = tl.zeros((BLOCK_M, BLOCK_D), dtype=tl.float32)
    for start in range(0, T, BLOCK_N):
        n = start + offs_n
        mask_n = n < T
        kv_mask = mask_n[:, None] & mask_d[None, :]
        k = tl.load(k_base + n[:, None] * sk_t + offs_d[None, :] * sk_d, mask=kv_mask, other=0.0)
        s = _dot(q, tl.trans(k), PRECISION, UPCAST) * qk_scale  # log2 units
        s = tl.where(mask_n[None, :], s, float("-inf"))
        m_new = tl.maximum(m_i, tl.max(s, 1))
        alpha = tl.exp2(m_i - m_new)
        p = tl.exp2(s - m_new[:, None])
        l_i = l_i * alpha + tl.sum(p, 1)
        v = tl.load(v_base + n[:, None] * sv_t + offs_d[None, :] * sv_d, mask=kv_mask, other=0.0)
        acc = acc * alpha[:, None] + _dot(p.to(v.dtype), v, PRECISION, UPCAST)
        m_i = m_new

    acc = acc / l_i[:, None]
    tl.store(o_ptr + f * so_f + h * so_h + offs_m[:, None] * so_m + offs_d[None, :] * so_d,
             acc.to(o_ptr.dtype.element_ty), mask=mask_m[:, None] & mask_d[None, :])
    lse = (m_i + tl.log2(l_i)) * 0.6931471805599453
    tl.store(lse_ptr + pid_fh.to(tl.int64) * LQ + offs_m, lse, mask=mask_m)


@triton.jit
def _resampler_bwd_kernel(
    q_ptr, k_ptr, v_ptr, o_ptr, do_ptr, lse_ptr, dq_ptr, dk_ptr, dv_ptr,
    scale, qk_scale,
    NH, LQ, T, D,
    sq_f, sq_h, sq_m, sq_d,
    sk_f, sk_h, sk_t, sk_d,
    sv_f, sv_h, sv_t, sv_d,
    so_f, so_h, so_m, so_d,
    sdo_f, sdo_h, sdo_m, sdo_d,
    sdq_f, sdq_h, sdq_m, sdq_d,
    sdk_b, sdk_f, sdk_h, sdk_t, sdk_d,
    sdv_b, sdv_f, sdv_h, sdv_t, sdv_d,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr, PRECISION: tl.constexpr,
    UPCAST: tl.constexpr,
):
    pid_m = tl.program_id(0)
    pid_fh = tl.program_id(1)
    f = (pid_fh // NH).to(tl.int64)
    h = (pid_fh % NH).to(tl.int64)
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, BLOCK_D)
    mask_m = offs_m < LQ
    mask_d = offs_d < D
    md_mask = mask_m[:, None] & mask_d[None, :]

    q = tl.load(q_ptr + f * sq_f + h * sq_h + offs_m[:, None] * sq_m + offs_d[None, :] * sq_d,
                mask=md_mask, other=0.0)
    do = tl.load(do_ptr + f * sdo_f + h * sdo_h + offs_m[:, None] * sdo_m + offs_d[None, :] * sdo_d,
                 mask=md_mask, other=0.0)
    o = tl.load(o_ptr + f * so_f + h * so_h + offs_m[:, None] * so_m + offs_d[None, :] * so_d,
                mask=md_mask, other=0.0)
    delta = tl.sum(do.to(tl.float32) * o.to(tl.float32), 1)
    lse2 = tl.load(lse_ptr + pid_fh.to(tl.int64) * LQ + offs_m, mask=mask_m, other=0.0) * 1.4426950408889634

    k_base = k_ptr + f * sk_f + h * sk_h
    v_base = v_ptr + f * sv_f + h * sv_h
    dk_base = dk_ptr + pid_m.to(tl.int64) * sdk_b + f * sdk_f + h * sdk_h
    dv_base = dv_ptr + pid_m.to(tl.int64) * sdv_b + f * sdv_f + h * sdv_h
    dq = tl.zeros((BLOCK_M, BLOCK_D), dtype=tl.float32)
    for start in range(0, T, BLOCK_N):
        n = start + offs_n
        mask_n = n < T
        kv_mask = mask_n[:, None] & mask_d[None, :]
        k = tl.load(k_base + n[:, None] * sk_t + offs_d[None, :] * sk_d, mask=kv_mask, other=0.0)
        v = tl.load(v_base + n[:, None] * sv_t + offs_d[None, :] * sv_d, mask=kv_mask, other=0.0)
        s = _dot(q, tl.trans(k), PRECISION, UPCAST) * qk_scale
        p = tl.exp2(s - lse2[:, None])
        p = tl.where(mask_m[:, None] & mask_n[None, :], p, 0.0)
        dv = _dot(tl.trans(p.to(do.dtype)), do, PRECISION, UPCAST)
        dp = _dot(do, tl.trans(v), PRECISION, UPCAST)
        ds = p * (dp - delta[:, None])
        dk = _dot(tl.trans(ds.to(q.dtype)), q, PRECISION, UPCAST) * scale
        dq += _dot(ds.to(k.dtype), k, PRECISION, UPCAST)
        tl.store(dk_base + n[:, None] * sdk_t + offs_d[None, :] * sdk_d,
                 dk.to(dk_ptr.dtype.element_ty), mask=kv_mask)
        tl.store(dv_base + n[:, None] * sdv_t + offs_d[None, :] * sdv_d,
                 dv.to(dv_ptr.dtype.element_ty), mask=kv_mask)

    dq = dq * scale
    tl.store(dq_ptr + f * sdq_f + h * sdq_h + offs_m[:, None] * sdq_m + offs_d[None, :] * sdq_d,
             dq.to(dq_ptr.dtype.element_ty), mask=md_mask)


def _next_pow2(n: int) -> int:
    return 1 << max(0, (int(n) - 1).bit_length())


def pick_blocks(lq: int, d: int, dtype: torch.dtype, *, backward: bool) -> tuple[int, int, int, int, int]:
    """(BLOCK_M, BLOCK_N, BLOCK_D, num_warps, num_stages).

    Chosen from sm_90 ahead-of-time compiles (registers, spills, shared memory per CTA; no GPU
    timing yet): keep K/V chunks pipelined with several CTAs per SM and no register spills for
    16/32-bit inputs up to D=128 and for 16-bit inputs up to D=256 (D=144 pads to 256).
    """
    block_m = min(64, max(16, _next_pow2(lq)))
    block_d = max(16, _next_pow2(d))
    if INTERPRETED:
        return block_m, 128, block_d, 4, 1
    wide = block_d >= 256
    half = dtype in (torch.float16, torch.bfloat16)
    # more latents than BLOCK_M -> several latent blocks (backward sums float32 dK/dV partials)
    block_m = min(block_m, (64 if not wide else 32) if half else (32 if not wide else 16))
    if not backward:
        if half:
            block_n, warps, stages = (32, 4, 3) if wide else (64, 4, 3)
        else:
            block_n, warps, stages = (16, 4, 2) if wide else (32, 8, 2)
    elif half:
        block_n, warps, stages = (16, 4, 2) if wide else (32, 4, 2)
    else:
        block_n, warps, stages = (16, 8, 1) if wide else (16, 4, 1)
    if block_m >= 32 and (wide or not half):
        warps = 8
    return block_m, block_n, block_d, warps, stages


def _precision(dtype: torch.dtype) -> str:
    # fp32 inputs: exact fp32 products (no TF32) so the kernel matches the fp32 reference.
    return "ieee" if dtype == torch.float32 else "tf32"


class ResamplerAttentionFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float,
                blocks: tuple[int, int] | None = None) -> torch.Tensor:
        frames, heads, tokens, dim = k.shape
        shared = q.dim() == 3
        q4 = q.unsqueeze(0).expand(frames, *q.shape) if shared else q
        lq = q4.shape[2]
        out = new_empty((frames, heads, lq, dim), device=q.device, dtype=q.dtype)
        lse = new_empty((frames, heads, lq), device=q.device, dtype=torch.float32)
        block_m, block_n, block_d, warps, stages = pick_blocks(lq, dim, q.dtype, backward=False)
        if blocks is not None:
            block_m, block_n = blocks
        if out.numel():
            grid = (triton.cdiv(lq, block_m), frames * heads)
            _resampler_fwd_kernel[grid](
                q4, k, v, out, lse, scale * _LOG2E,
                heads, lq, tokens, dim,
                *q4.stride(), *k.stride(), *v.stride(), *out.stride(),
                BLOCK_M=block_m, BLOCK_N=block_n, BLOCK_D=block_d, PRECISION=_precision(q.dtype),
                UPCAST=INTERPRETED,
                num_warps=warps, num_stages=stages,
            )
        ctx.save_for_backward(q, k, v, out, lse)
        ctx.scale = scale
        ctx.blocks = blocks
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_out: torch.Tensor):
        q, k, v, out, lse = ctx.saved_tensors
        scale = ctx.scale
        frames, heads, tokens, dim = k.shape
        shared = q.dim() == 3
        q4 = q.unsqueeze(0).expand(frames, *q.shape) if shared else q
        lq = q4.shape[2]
        block_m, block_n, block_d, warps, stages = pick_blocks(lq, dim, q.dtype, backward=True)
        if ctx.blocks is not None:
            block_m, block_n = ctx.blocks
        n_mb = triton.cdiv(lq, block_m) if lq else 1
        dev = q.device
        dq_buf = new_empty((frames, heads, lq, dim), device=dev, dtype=torch.float32 if shared else q.dtype)
        partial_kv = n_mb > 1
        kv_dtype = torch.float32 if partial_kv else k.dtype
        dk_buf = new_empty((n_mb, frames, heads, tokens, dim), device=dev, dtype=kv_dtype)
        dv_buf = new_empty((n_mb, frames, heads, tokens, dim), device=dev, dtype=kv_dtype)
        if lq and frames and heads:
            grid = (n_mb, frames * heads)
            with device_guard(dev):
                _resampler_bwd_kernel[grid](
                    q4, k, v, out, grad_out, lse, dq_buf, dk_buf, dv_buf,
                    scale, scale * _LOG2E,
                    heads, lq, tokens, dim,
                    *q4.stride(), *k.stride(), *v.stride(), *out.stride(), *grad_out.stride(),
                    *dq_buf.stride(), *dk_buf.stride(), *dv_buf.stride(),
                    BLOCK_M=block_m, BLOCK_N=block_n, BLOCK_D=block_d, PRECISION=_precision(q.dtype),
                    UPCAST=INTERPRETED,
                    num_warps=warps, num_stages=stages,
                )
        else:  # nothing to attend with: all gradients are zero
            dq_buf.zero_()
            dk_buf.zero_()
            dv_buf.zero_()
        dq = dq_buf.sum(0).to(q.dtype) if shared else dq_buf
        dk = dk_buf.sum(0).to(k.dtype) if partial_kv else dk_buf[0]
        dv = dv_buf.sum(0).to(v.dtype) if partial_kv else dv_buf[0]
        return dq, dk, dv, None, None


def resampler_attention_triton(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float | None,
                               blocks: tuple[int, int] | None = None) -> torch.Tensor:
    """Validated inputs only (see :func:`a2a.kernels.resampler_attention`). ``blocks`` = (BLOCK_M, BLOCK_N)."""
    if scale is None:
        scale = q.shape[-1] ** -0.5
    if not math.isfinite(scale):
        raise ValueError(f"scale must be finite, got {scale}")
    return ResamplerAttentionFunction.apply(q, k, v, float(scale), blocks)
