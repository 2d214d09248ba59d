"""pool_and_pack: pooled tokens written straight into rows of an interleaved embedding buffer."""

from __future__ import annotations

import pytest
import torch

from a2a.kernels import POOL_MODES, pool_and_pack, pool_and_pack_reference

SHAPES = [
    (3, 27, 27, 96, (14, 14)),
    (1, 27, 27, 1152, (14, 14)),
    (3, 13, 9, 7, (5, 4)),
    (3, 5, 7, 1, (9, 11)),
]
DTYPES = [torch.float32, torch.bfloat16, torch.float16]
TOL = {
    torch.float32: dict(atol=2e-5, rtol=2e-5),
    torch.float16: dict(atol=3e-3, rtol=3e-3),
    torch.bfloat16: dict(atol=2e-2, rtol=2e-2),
}


def interleaved_layout(frames: int, tokens: int, batch: int = 2, gap: int = 3):
    """Rows of an interleaved [B, L] sequence: text gaps between frames, frames not in row order."""
    per_b = -(-frames // batch)
    seq = per_b * (tokens + gap) + gap
    starts = [(f % batch) * seq + gap + (f // batch) * (tokens + gap) for f in range(frames)]
    order = list(reversed(range(frames)))  # frame f goes to the slot of frame frames-1-f
    return batch, seq, torch.tensor([starts[o] for o in order], dtype=torch.int64)


def make_dest(batch: int, seq: int, channels: int, dtype, device, strided: bool) -> torch.Tensor:
    if strided:  # a window of a larger buffer: rows are not contiguous, channels step 2
        big = torch.full((batch + 1, seq + 5, 2 * channels + 3), float("nan"), dtype=dtype, device=device)
        dest = big[1:, 2 : seq + 2, 1 : 2 * channels + 1 : 2]
        assert not dest.is_contiguous()
        return dest
    return torch.full((batch, seq, channels), float("nan"), dtype=dtype, device=device)


@pytest.mark.parametrize("strided", [False, True], ids=["dest-contiguous", "dest-strided"])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("mode", POOL_MODES)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s[:4])) + f"-{s[4][0]}x{s[4][1]}")
def test_pool_and_pack_matches_reference(device, shape, mode, dtype, strided):
    frames, h, w, c, out_size = shape
    tokens = out_size[0] * out_size[1]
    g = torch.Generator().manual_seed(7)
    # x as a permuted view (NCHW storage): the fused kernel must read any strides
    x = torch.randn(frames, c, h, w, generator=g).to(device=device, dtype=dtype).permute(0, 2, 3, 1)
    batch, seq, rows = interleaved_layout(frames, tokens)
    dest = make_dest(batch, seq, c, dtype, device, strided)  # poisoned: NaN everywhere
    pool_and_pack(x, out_size, dest, rows.to(device), mode, backend="triton")

    expected = torch.full((batch, seq, c), float("nan"))
    pool_and_pack_reference(x.float().cpu(), out_size, expected, rows, mode)
    # written rows match; every row not covered by a frame is still NaN (nothing else was touched)
    torch.testing.assert_close(dest.float().cpu(), expected, equal_nan=True, **TOL[dtype])
    assert torch.isnan(expected).sum() == (batch * seq - frames * tokens) * c


def test_pool_and_pack_frame_may_cross_batch_rows(device):
    """rows index dest.view(-1, C): a frame's tokens may continue into the next batch row."""
    x = torch.randn(2, 9, 9, 5, generator=torch.Generator().manual_seed(3)).to(device)
    dest = torch.full((4, 20, 5), float("nan"), device=device)
    rows = torch.tensor([15, 40], dtype=torch.int64, device=device)  # 25 tokens each: 15..39 and 40..64
    pool_and_pack(x, (5, 5), dest, rows, backend="triton")
    expected = torch.full((4, 20, 5), float("nan"))
    pool_and_pack_reference(x.cpu(), (5, 5), expected, rows.cpu(), "bilinear")
    torch.testing.assert_close(dest.cpu(), expected, equal_nan=True, atol=2e-5, rtol=2e-5)


@pytest.mark.parametrize("backend", ["torch", "triton"])
def test_pool_and_pack_equals_frame_pool(device, backend):
    """Packing into a dense [frames, k1*k2, C] buffer equals frame_pool of the same frames."""
    from a2a.kernels import frame_pool

    dev = "cpu" if backend == "torch" else device
    x = torch.randn(3, 13, 9, 7, generator=torch.Generator().manual_seed(5)).to(dev)
    dest = torch.full((3, 20, 7), float("nan"), device=dev)
    rows = torch.arange(3, dtype=torch.int64, device=dev) * 20
    pool_and_pack(x, (5, 4), dest, rows, "avg", backend=backend)
    torch.testing.assert_close(dest, frame_pool(x, (5, 4), "avg", backend=backend).view(3, 20, 7))


@pytest.mark.parametrize("backend", ["torch", "triton"])
def test_pool_and_pack_rejects_bad_rows(backend):
    x = torch.randn(2, 4, 4, 3)
    dest = torch.zeros(1, 10, 3)

    def call(rows, **kw):
        pool_and_pack(x, (2, 2), kw.get("dest", dest), rows, backend=backend)

    with pytest.raises(ValueError, match="int64"):
        call(torch.tensor([0, 4], dtype=torch.int32))
    with pytest.raises(ValueError, match=r"shape \[frames\]"):
        call(torch.tensor([0, 4, 8]))
    with pytest.raises(ValueError, match="must be an int64 torch.Tensor"):
        call([0, 4])
    with pytest.raises(ValueError, match="out of bounds"):
        call(torch.tensor([-1, 4]))
    with pytest.raises(ValueError, match="out of bounds"):
        call(torch.tensor([0, 7]))  # rows 7..10, dest has 10 rows
    with pytest.raises(ValueError, match="overlap"):
        call(torch.tensor([4, 2]))
    with pytest.raises(ValueError, match="rows must be on dest's device"):
        call(torch.tensor([0, 4], device="meta"))
    assert torch.equal(dest, torch.zeros(1, 10, 3))  # nothing was written by the failed calls
    call(torch.tensor([6, 0]))  # the last legal start is 10 - 4 = 6


@pytest.mark.parametrize("backend", ["torch", "triton"])
def test_pool_and_pack_rejects_bad_dest(backend):
    x = torch.randn(2, 4, 4, 3)
    rows = torch.tensor([0, 4])
    with pytest.raises(ValueError, match="dtype"):
        pool_and_pack(x, (2, 2), torch.zeros(1, 10, 3, dtype=torch.float16), rows, backend=backend)
    with pytest.raises(ValueError, match="C=3"):
        pool_and_pack(x, (2, 2), torch.zeros(1, 10, 4), rows, backend=backend)
    with pytest.raises(ValueError, match="3-D"):
        pool_and_pack(x, (2, 2), torch.zeros(10, 3), rows, backend=backend)
    with pytest.raises(ValueError, match="one device"):
        pool_and_pack(x, (2, 2), torch.zeros(1, 10, 3, device="meta"), rows.to("meta"), backend=backend)


def test_pool_and_pack_triton_is_forward_only(device):
    x = torch.randn(1, 4, 4, 3, device=device, requires_grad=True)
    dest = torch.zeros(1, 4, 3, device=device)
    rows = torch.tensor([0], device=device)
    with pytest.raises(ValueError, match="forward only"):
        pool_and_pack(x, (2, 2), dest, rows, backend="triton")
    with torch.no_grad():
        pool_and_pack(x, (2, 2), dest, rows, backend="triton")
    torch.testing.assert_close(dest[0].view(2, 2, 3), x.detach()[0].view(2, 2, 2, 2, 3).mean((1, 3)))


def test_pool_and_pack_unchecked_rows_never_write_outside_dest(device):
    """check_rows=False skips the host check; out-of-range rows are still masked in the kernel."""
    x = torch.randn(2, 4, 4, 3, device=device)
    dest = torch.full((1, 6, 3), float("nan"), device=device)
    backing = torch.full((3, 6, 3), 7.0, device=device)
    backing[1] = dest[0]
    dest = backing[1:2]  # guard rows around dest in the same storage
    rows = torch.tensor([-2, 4], dtype=torch.int64, device=device)  # rows -2..1 and 4..7 of a 6-row dest
    pool_and_pack(x, (2, 2), dest, rows, backend="triton", check_rows=False)
    assert (backing[0] == 7).all() and (backing[2] == 7).all()
    expected = torch.full((1, 6, 3), float("nan"))
    pooled = x.cpu().view(2, 2, 2, 2, 2, 3).mean((2, 4)).reshape(2, 4, 3)
    expected[0, 0:2] = pooled[0, 2:4]
    expected[0, 4:6] = pooled[1, 0:2]
    torch.testing.assert_close(dest.cpu(), expected, equal_nan=True)
    with pytest.raises(ValueError, match="int64"):
        pool_and_pack(x, (2, 2), dest, rows.int(), backend="triton", check_rows=False)
