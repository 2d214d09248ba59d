"""Per-axis tap tables for separable 2-D pooling (pure torch, host side).

Both pooling modes are separable: ``out[i, j] = sum_t sum_s Wh[i, t] * Ww[j, s] * x[h0[i] + t, w0[j] + s]``
where each output index ``i`` reads a short *contiguous* window of input indices starting at
``h0[i]`` with ``count[i] <= taps`` entries. The gradient has the same form with the roles of
input and output swapped (each input index is read by a contiguous range of outputs, because the
window bounds are monotone), so ONE Triton gather kernel serves forward, backward and pool-and-pack;
only the tables differ. Tables are tiny (``n * taps`` floats) and cached per device.

Bilinear weights replicate ``torch.nn.functional.interpolate(..., mode="bilinear",
align_corners=False)`` called with ``size=`` (no ``scale_factor``), computed in float32 exactly as
ATen's ``area_pixel_compute_scale`` / ``area_pixel_compute_source_index`` do:
``scale = in / out``, ``src = max(fma(scale, dst + 0.5, -0.5), 0)``, ``i0 = int(src)``,
``i1 = i0 + (i0 < in - 1)``, ``lambda1 = src - i0``, ``lambda0 = 1 - lambda1``.
Average weights replicate ``adaptive_avg_pool2d``: window ``[floor(i*in/out), ceil((i+1)*in/out))``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

import torch

MODES: tuple[str, ...] = ("bilinear", "avg")


@dataclass(frozen=True)
class AxisTaps:
    """Gather description for one axis: output index ``o`` reads inputs ``start[o] + t``,
    ``t < count[o] <= taps``, with weight ``weight[o, t]``."""

    start: torch.Tensor  # int32 [n_out]
    count: torch.Tensor  # int32 [n_out]
    weight: torch.Tensor  # float32 [n_out, taps]
    taps: int

    def to(self, device: torch.device) -> AxisTaps:
        return AxisTaps(self.start.to(device), self.count.to(device), self.weight.to(device), self.taps)


def _bilinear_pairs(n_in: int, n_out: int) -> list[list[tuple[int, float]]]:
    f32 = torch.float32
    scale = torch.tensor(n_in, dtype=f32) / torch.tensor(n_out, dtype=f32)
    dst = torch.arange(n_out, dtype=f32)
    # ATen evaluates ``scale * (dst + 0.5) - 0.5`` as one fused multiply-add (the compilers contract
    # it on CPU and CUDA): exact product and sum, one rounding to float32. float64 holds the
    # product of two float32 exactly, so this reproduces the fma bit for bit.
    src = (scale.double() * (dst + 0.5).double() - 0.5).to(f32)
    src = torch.where(src < 0, torch.zeros_like(src), src)
    i0 = src.to(torch.int64)  # truncation == floor since src >= 0
    lam1 = src - i0.to(f32)
    lam0 = 1.0 - lam1
    pairs: list[list[tuple[int, float]]] = []
    for o in range(n_out):
        a = int(i0[o])
        b = a + 1 if a < n_in - 1 else a
        if b == a:  # both taps hit the same input: merge them (weights sum to 1)
            pairs.append([(a, float(lam0[o] + lam1[o]))])
        else:
            pairs.append([(a, float(lam0[o])), (b, float(lam1[o]))])
    return pairs


def _avg_pairs(n_in: int, n_out: int) -> list[list[tuple[int, float]]]:
    pairs: list[list[tuple[int, float]]] = []
    for o in range(n_out):
        lo = (o * n_in) // n_out
        hi = -((-(o + 1) * n_in) // n_out)  # ceil((o + 1) * n_in / n_out)
        w = float(torch.tensor(1.0, dtype=torch.float32) / (hi - lo))
        pairs.append([(i, w) for i in range(lo, hi)])
    return pairs


def _pack(rows: list[list[tuple[int, float]]]) -> AxisTaps:
    taps = max(1, max((len(r) for r in rows), default=1))
    n = len(rows)
    start = torch.zeros(n, dtype=torch.int32)
    count = torch.zeros(n, dtype=torch.int32)
    weight = torch.zeros(n, taps, dtype=torch.float32)
    for o, r in enumerate(rows):
        if not r:
            continue
        idx = [i for i, _ in r]
        if idx != list(range(idx[0], idx[0] + len(idx))):
            raise AssertionError(f"non-contiguous tap window {idx}")  # cannot happen: monotone windows
        start[o] = idx[0]
        count[o] = len(idx)
        weight[o, : len(r)] = torch.tensor([w for _, w in r], dtype=torch.float32)
    return AxisTaps(start, count, weight, taps)


@lru_cache(maxsize=256)
def _cpu_tables(mode: str, n_in: int, n_out: int) -> tuple[AxisTaps, AxisTaps]:
    if mode == "bilinear":
        fwd = _bilinear_pairs(n_in, n_out)
    elif mode == "avg":
        fwd = _avg_pairs(n_in, n_out)
    else:  # validated by the caller; keep the error explicit anyway
        raise ValueError(f"unknown mode {mode!r}; choose one of {MODES}")
    # transpose: input index i is read by outputs o with weight w
    bwd: list[list[tuple[int, float]]] = [[] for _ in range(n_in)]
    for o, r in enumerate(fwd):
        for i, w in r:
            bwd[i].append((o, w))
    return _pack(fwd), _pack(bwd)


_device_cache: dict[tuple[str, int, int, str], tuple[AxisTaps, AxisTaps]] = {}
_lock = threading.Lock()


def axis_taps(mode: str, n_in: int, n_out: int, device: torch.device) -> tuple[AxisTaps, AxisTaps]:
    """(forward taps, backward taps) for one axis, resident on ``device`` (cached)."""
    key = (mode, n_in, n_out, str(device))
    hit = _device_cache.get(key)
    if hit is not None:
        return hit
    fwd, bwd = _cpu_tables(mode, n_in, n_out)
    value = (fwd.to(device), bwd.to(device))
    with _lock:
        _device_cache.setdefault(key, value)
    return _device_cache[key]


def dense_matrix(mode: str, n_in: int, n_out: int) -> torch.Tensor:
    """The [n_out, n_in] float64 interpolation matrix (for tests and documentation)."""
    fwd, _ = _cpu_tables(mode, n_in, n_out)
    m = torch.zeros(n_out, n_in, dtype=torch.float64)
    for o in range(n_out):
        for t in range(int(fwd.count[o])):
            m[o, int(fwd.start[o]) + t] += float(fwd.weight[o, t])
    return m
