"""resampler_attention: Triton flash-style forward and backward against the torch reference."""

from __future__ import annotations

import pytest
import torch

from a2a.kernels import resampler_attention, resampler_attention_reference

# (frames, heads, latents Lq, tokens T, head dim D)
SHAPES = [
    (3, 2, 4, 729, 24),  # 27x27 tokens per frame, 4 latents
    (1, 8, 4, 196, 16),  # pooled 14x14 tokens, 8 heads
    (3, 3, 4, 729, 144),  # C=1152 split over 8 heads -> D=144 (not a power of two)
    (3, 1, 70, 50, 7),  # more latents than one block: partial dK/dV summed over latent blocks
    (1, 2, 1, 1, 1),  # one token, D=1
]
DTYPES = [torch.float32, torch.bfloat16, torch.float16]
# max |err| / max |expected| against a float32 reference on the same rounded inputs
TOL = {torch.float32: 2e-5, torch.float16: 4e-3, torch.bfloat16: 3e-2}


def make_inputs(shape, shared: bool, layout: str, dtype, device, seed: int = 0):
    frames, heads, lq, tokens, dim = shape
    g = torch.Generator().manual_seed(seed)

    def rand(*size):  # cast/move the storage first so views stay strided
        return torch.randn(*size, generator=g).to(device=device, dtype=dtype)

    if layout == "contiguous":
        q = rand(heads, lq, dim) if shared else rand(frames, heads, lq, dim)
        k, v = rand(frames, heads, tokens, dim), rand(frames, heads, tokens, dim)
    else:  # as they come out of a projection: [F, T, nH, D] viewed as [F, nH, T, D]; k, v interleaved
        q = rand(lq, heads, dim).transpose(0, 1) if shared else rand(frames, lq, heads, dim).transpose(1, 2)
        kv = rand(frames, tokens, heads, 2, dim)
        k, v = kv[..., 0, :].transpose(1, 2), kv[..., 1, :].transpose(1, 2)
        assert not k.is_contiguous() or tokens == 1 or heads == 1
    return q, k, v


def scaled_err(actual: torch.Tensor, expected: torch.Tensor) -> float:
    assert torch.isfinite(actual).all(), "non-finite values (an unwritten, NaN-poisoned element?)"
    return ((actual.float().cpu() - expected).abs().max() / expected.abs().max().clamp_min(1e-6)).item()


def check_against_reference(q, k, v, scale, dtype, blocks=None):
    from a2a.kernels.resampler_attention_triton import resampler_attention_triton

    leaves = [t.detach().requires_grad_() for t in (q, k, v)]
    if blocks is None:
        out = resampler_attention(*leaves, scale=scale, backend="triton")
    else:
        out = resampler_attention_triton(*leaves, scale, blocks=blocks)
    assert out.shape == (k.shape[0], k.shape[1], q.shape[-2], k.shape[3]) and out.dtype == dtype
    grad = torch.randn(out.shape, generator=torch.Generator().manual_seed(11)).to(out.device, dtype)
    grads = torch.autograd.grad(out, leaves, grad)

    ref_leaves = [t.detach().float().cpu().requires_grad_() for t in (q, k, v)]
    ref = resampler_attention_reference(*ref_leaves, scale=scale)
    ref_grads = torch.autograd.grad(ref, ref_leaves, grad.float().cpu())

    errors = {"out": scaled_err(out, ref)}
    for name, got, exp, leaf in zip("qkv", grads, ref_grads, leaves):
        assert got.shape == leaf.shape and got.dtype == dtype
        errors[f"d{name}"] = scaled_err(got, exp)
    assert max(errors.values()) <= TOL[dtype], errors


@pytest.mark.parametrize("layout", ["contiguous", "strided"])
@pytest.mark.parametrize("shared", [True, False], ids=["q-shared", "q-per-frame"])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "F{}-H{}-Lq{}-T{}-D{}".format(*s))
def test_resampler_attention_matches_reference(device, shape, dtype, shared, layout):
    q, k, v = make_inputs(shape, shared, layout, dtype, device)
    check_against_reference(q, k, v, None, dtype)


@pytest.mark.parametrize("shared", [True, False], ids=["q-shared", "q-per-frame"])
def test_small_blocks_many_key_chunks(device, shared):
    """16-key chunks over T=50 (ragged last chunk) and 16-latent blocks over Lq=20 (two blocks)."""
    q, k, v = make_inputs((2, 2, 20, 50, 24), shared, "strided", torch.float32, device)
    check_against_reference(q, k, v, None, torch.float32, blocks=(16, 16))


@pytest.mark.parametrize("scale", [0.05, 3.0])
def test_explicit_scale_and_large_logits(device, scale):
    """A large scale (logits ~ +-100) must stay finite: the online softmax rescales, never overflows."""
    q, k, v = make_inputs((2, 2, 4, 196, 32), True, "contiguous", torch.float32, device)
    check_against_reference(q, k, v, scale, torch.float32)


def test_shared_q_grad_is_sum_over_frames(device):
    q, k, v = make_inputs((3, 2, 4, 64, 16), True, "contiguous", torch.float32, device)
    q = q.requires_grad_()
    resampler_attention(q, k, v, backend="triton").sum().backward()
    per_frame = []
    for f in range(3):
        qf = q.detach().clone().requires_grad_()
        resampler_attention(qf, k[f : f + 1], v[f : f + 1], backend="triton").sum().backward()
        per_frame.append(qf.grad)
    torch.testing.assert_close(q.grad, sum(per_frame), atol=1e-5, rtol=1e-5)


def test_default_scale_is_inverse_sqrt_dim():
    q, k, v = make_inputs((2, 2, 4, 9, 16), False, "contiguous", torch.float32, "cpu")
    torch.testing.assert_close(resampler_attention(q, k, v), resampler_attention(q, k, v, scale=0.25))
    expected = torch.nn.functional.scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(resampler_attention(q, k, v), expected, atol=1e-6, rtol=1e-5)
