"""frame_pool: Triton forward and backward against the torch reference (and transformers' pooling)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from a2a.kernels import POOL_MODES, frame_pool, frame_pool_reference, llava_onevision_pool_size
from a2a.kernels._pool_tables import dense_matrix

# (frames, H, W, C, (k1, k2)): odd grids, odd C, up- and down-sampling, 1x1 output
SHAPES = [
    (1, 27, 27, 1152, (14, 14)),  # LLaVA-OneVision frame (384 px SigLIP, 27x27 patches, C=1152)
    (3, 27, 27, 96, (14, 14)),
    (3, 13, 9, 7, (5, 4)),
    (1, 13, 9, 1, (2, 3)),
    (3, 5, 7, 7, (9, 11)),  # upsampling
    (3, 13, 9, 7, (1, 1)),  # global average: 117-tap windows (looped, not unrolled)
]
DTYPES = [torch.float32, torch.bfloat16, torch.float16]
LAYOUTS = ["contiguous", "permuted", "sliced"]
# elementwise tolerances against a float32 reference; bf16 allows one ulp (the interpreter's
# float32 -> bf16 cast truncates) on values up to ~4
TOL = {
    torch.float32: dict(atol=2e-5, rtol=2e-5),
    torch.float16: dict(atol=3e-3, rtol=3e-3),
    torch.bfloat16: dict(atol=2e-2, rtol=2e-2),
}


def make_frames(shape, layout: str, dtype: torch.dtype, device: str, seed: int = 0) -> torch.Tensor:
    frames, h, w, c = shape
    g = torch.Generator().manual_seed(seed)

    def rand(*size):  # cast/move the storage first: .to() of a strided view would make it contiguous
        return torch.randn(*size, generator=g).to(device=device, dtype=dtype)

    if layout == "contiguous":
        x = rand(frames, h, w, c)
    elif layout == "permuted":  # NCHW storage seen as NHWC: channels are the strided axis
        x = rand(frames, c, h, w).permute(0, 2, 3, 1)
    elif layout == "sliced":  # every other frame, an inner window of a larger grid, every other channel
        x = rand(2 * frames, h + 2, w + 3, 2 * c)[::2, 1 : h + 1, 2 : w + 2, ::2]
    else:
        raise AssertionError(layout)
    if layout == "sliced" or (layout == "permuted" and c > 1):  # (C=1 permuted is still contiguous)
        assert not x.is_contiguous()
    return x


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("mode", POOL_MODES)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s[:4])) + f"-{s[4][0]}x{s[4][1]}")
def test_frame_pool_matches_reference(device, shape, mode, dtype, layout):
    *xs, out_size = shape
    x = make_frames(xs, layout, dtype, device).requires_grad_()
    y = frame_pool(x, out_size, mode, backend="triton")
    assert y.shape == (xs[0], *out_size, xs[3]) and y.dtype == dtype and y.is_contiguous()

    # reference in float32 on the same (rounded) values
    x_ref = x.detach().float().cpu().requires_grad_()
    y_ref = frame_pool_reference(x_ref, out_size, mode)
    torch.testing.assert_close(y.float().cpu(), y_ref, **TOL[dtype])

    # gradient through the Triton backward kernel, with a non-contiguous upstream gradient
    g = torch.randn(xs[0], out_size[1], out_size[0], xs[3], generator=torch.Generator().manual_seed(1))
    g = g.to(device=device, dtype=dtype).transpose(1, 2)
    (gx,) = torch.autograd.grad(y, x, g)
    (gx_ref,) = torch.autograd.grad(y_ref, x_ref, g.float().cpu())
    assert gx.shape == x.shape and gx.dtype == dtype
    torch.testing.assert_close(gx.float().cpu(), gx_ref, **TOL[dtype])


@pytest.mark.parametrize("mode", POOL_MODES)
def test_frame_pool_small_tiles_and_broadcast_grad(device, mode):
    """Tiles that span frames and several channel blocks; a stride-0 upstream gradient (y.sum())."""
    from a2a.kernels.frame_pool_triton import frame_pool_triton

    x = make_frames((3, 13, 9, 40), "sliced", torch.float32, device).requires_grad_()
    y = frame_pool_triton(x, (5, 4), mode, blocks=(8, 16))  # 60 pixels in 8-pixel tiles; C=40 in 3 blocks
    y.sum().backward()
    x_ref = x.detach().cpu().requires_grad_()
    y_ref = frame_pool_reference(x_ref, (5, 4), mode)
    y_ref.sum().backward()
    torch.testing.assert_close(y.cpu(), y_ref, **TOL[torch.float32])
    torch.testing.assert_close(x.grad.cpu(), x_ref.grad, **TOL[torch.float32])


def test_frame_pool_gradcheck_float64_reference_path(device):
    """The Triton gradient is the exact adjoint: <pool(x), g> == <x, pool^T(g)> (float32, random g)."""
    x = make_frames((2, 11, 7, 5), "contiguous", torch.float32, device).requires_grad_()
    y = frame_pool(x, (6, 3), "bilinear", backend="triton")
    g = torch.randn_like(y)
    (gx,) = torch.autograd.grad(y, x, g)
    lhs = (y.double() * g.double()).sum()
    rhs = (x.detach().double() * gx.double()).sum()
    torch.testing.assert_close(lhs, rhs, atol=1e-4, rtol=1e-5)


def test_frame_pool_empty_frames(device):
    x = torch.zeros(0, 27, 27, 8, device=device, requires_grad=True)
    y = frame_pool(x, (14, 14), backend="triton")
    assert y.shape == (0, 14, 14, 8)
    y.sum().backward()
    assert x.grad.shape == x.shape


@pytest.mark.parametrize("n_in,n_out", [(27, 14), (13, 7), (9, 5), (5, 9), (7, 1), (1, 4), (64, 27)])
def test_bilinear_weights_bit_exact_with_torch(n_in, n_out):
    """Our tap tables reproduce ATen's bilinear weights bit for bit (one-hot probe of interpolate)."""
    eye = torch.eye(n_in).reshape(n_in, 1, n_in, 1)
    probed = F.interpolate(eye, size=(n_out, 1), mode="bilinear")[:, 0, :, 0].T
    assert torch.equal(probed.double(), dense_matrix("bilinear", n_in, n_out))


@pytest.mark.parametrize("n_in,n_out", [(27, 14), (13, 5), (5, 9)])
def test_avg_weights_match_adaptive_avg_pool(n_in, n_out):
    eye = torch.eye(n_in, dtype=torch.float64).reshape(n_in, 1, n_in, 1)
    probed = F.adaptive_avg_pool2d(eye, (n_out, 1))[:, 0, :, 0].T
    torch.testing.assert_close(probed, dense_matrix("avg", n_in, n_out), atol=1e-7, rtol=1e-6)


def test_llava_onevision_pool_size():
    assert llava_onevision_pool_size(27) == (14, 14)
    assert llava_onevision_pool_size(24) == (12, 12)
    assert llava_onevision_pool_size(1) == (1, 1)
    with pytest.raises(ValueError, match="positive int"):
        llava_onevision_pool_size(0)


@pytest.mark.parametrize("rows", [False, True], ids=["frames", "rows"])
def test_int64_offset_path(device, rows):
    """The int64-offset variant (frames of >= 2**31 elements) computes the same thing."""
    from a2a.kernels._pool_tables import axis_taps
    from a2a.kernels.frame_pool_triton import launch_tap_gather

    x = make_frames((3, 13, 9, 7), "sliced", torch.float32, device)
    fh, _ = axis_taps("bilinear", 13, 5, x.device)
    fw, _ = axis_taps("bilinear", 9, 4, x.device)
    out = torch.full((3, 20, 7), float("nan"), device=device)
    row_map = torch.tensor([40, 0, 20], dtype=torch.int64, device=device) if rows else None
    dest = torch.full((2, 40, 7), float("nan"), device=device) if rows else out
    launch_tap_gather(x, dest, fh, fw, 5, 4, rows=row_map, force_i64=True)
    expected = frame_pool_reference(x.cpu(), (5, 4), "bilinear").reshape(3, 20, 7)
    got = dest.reshape(-1, 7)[row_map[:, None] + torch.arange(20, device=device)] if rows else out
    torch.testing.assert_close(got.cpu(), expected, **TOL[torch.float32])
