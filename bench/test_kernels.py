"""Benchmarks of a2a.kernels (pytest-benchmark): Triton vs eager reference vs torch.compile (vs SDPA).

GPU run (training sizes: 64 envs x 32 frames of 27x27x1152 bf16 SigLIP features; a 4-latent,
8-head resampler over 729 tokens, D = 1152 / 8 = 144):

    pytest bench/test_kernels.py

Every case reports the median, p10 and p90 of ``rounds`` timed calls after warm-up (wall clock around
call + ``torch.cuda.synchronize()``), the achieved bandwidth (ideal bytes read + written / median)
and, in the same run, the GPU's copy bandwidth (a large ``dst.copy_(src)``) so bandwidth is also
given as a fraction of copy. Speedups against the eager reference, ``torch.compile`` of it and
(resampler) ``scaled_dot_product_attention`` are computed per case. Results are appended, one JSON
object per line, to ``bench/kernels_results/history.jsonl`` (device, commit, date), or to
``$A2A_BENCH_HISTORY``. Targets (reported as met/missed, enforced only with ``A2A_BENCH_ENFORCE=1``):
pooling and pool-and-pack >= 70% of copy bandwidth and >= 3x eager; resampler >= 2x eager and no
slower than SDPA.

Without a GPU the module is skipped. CPU smoke of the code path (tiny shapes, Triton interpreter):

    A2A_BENCH_SMALL=1 pytest bench/test_kernels.py --benchmark-disable

(smoke runs write no history unless ``A2A_BENCH_HISTORY`` names a file; ``A2A_BENCH_COMPILE=0``
skips the torch.compile variants.)
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

SMALL = os.environ.get("A2A_BENCH_SMALL", "0") == "1"
HAS_CUDA = torch.cuda.is_available()
if SMALL and not HAS_CUDA:
    # must be set before the first backend="triton" call defines the kernels
    os.environ.setdefault("TRITON_INTERPRET", "1")

from a2a.kernels import (  # noqa: E402
    frame_pool,
    frame_pool_reference,
    llava_onevision_pool_size,
    pool_and_pack,
    pool_and_pack_reference,
    resampler_attention,
    resampler_attention_reference,
)

pytestmark = pytest.mark.skipif(
    not HAS_CUDA and not SMALL,
    reason="kernel benchmarks need a CUDA GPU (A2A_BENCH_SMALL=1 runs a CPU smoke of the bench code "
    "under the Triton interpreter; add --benchmark-disable)",
)

DEVICE = "cuda" if HAS_CUDA else "cpu"
DTYPE = torch.bfloat16
COMPILE = os.environ.get("A2A_BENCH_COMPILE", "1") != "0"
ENFORCE = os.environ.get("A2A_BENCH_ENFORCE", "0") == "1"
REPO = Path(__file__).resolve().parents[1]
DEFAULT_HISTORY = REPO / "bench" / "kernels_results" / "history.jsonl"

if SMALL:
    ENVS, FRAMES, GRID, C = 1, 2, 27, 64
    HEADS, LATENTS = 2, 4
    ROUNDS, WARMUP = 3, 1
    COPY_ELEMS = 1 << 20
else:
    ENVS, FRAMES, GRID, C = 64, 32, 27, 1152
    HEADS, LATENTS = 8, 4
    ROUNDS, WARMUP = 30, 5
    COPY_ELEMS = 1 << 30  # 2 GiB of bf16 per side
N_FRAMES = ENVS * FRAMES
POOL = llava_onevision_pool_size(GRID)  # (14, 14)
TOKENS = GRID * GRID
HEAD_DIM = C // HEADS
TEXT_GAP, PREFIX = 8, 64  # text tokens between frames / before the first frame in the policy input

TARGETS = {  # per bench: minimum fraction of copy bandwidth and minimum speedups of the Triton kernel
    "frame_pool_fwd": {"frac_of_copy": 0.70, "speedup_vs_eager": 3.0},
    "frame_pool_fwd_bwd": {"frac_of_copy": 0.70, "speedup_vs_eager": 3.0},
    "pool_and_pack": {"frac_of_copy": 0.70, "speedup_vs_eager": 3.0},
    "resampler_fwd": {"speedup_vs_eager": 2.0, "speedup_vs_sdpa": 1.0},
    "resampler_fwd_bwd": {"speedup_vs_eager": 2.0, "speedup_vs_sdpa": 1.0},
}

_RECORDS: list[dict] = []


# --------------------------------------------------------------------------- helpers


def _sync() -> None:
    if HAS_CUDA:
        torch.cuda.synchronize()


def _quantile(data: list[float], q: float) -> float:
    s = sorted(data)
    pos = q * (len(s) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def _measure(benchmark, fn: Callable[[], object], *, bench: str, case: str, impl: str, nbytes: int) -> None:
    """Time ``fn`` (+ sync) with pytest-benchmark and keep a record for the summary/history."""

    def timed():
        fn()
        _sync()

    for _ in range(WARMUP):  # explicit warm-up (compilation, autotuning, allocator) before timing
        timed()
    benchmark.extra_info.update(bench=bench, case=case, impl=impl, bytes=nbytes)
    benchmark.pedantic(timed, rounds=ROUNDS, warmup_rounds=1, iterations=1)
    data = list(benchmark.stats.stats.data) if getattr(benchmark, "stats", None) else []
    rec = {"bench": bench, "case": case, "impl": impl, "bytes": nbytes, "rounds": len(data)}
    if data:
        med = statistics.median(data)
        rec.update(median_s=med, p10_s=_quantile(data, 0.1), p90_s=_quantile(data, 0.9), min_s=min(data),
                   max_s=max(data), gbps=nbytes / med / 1e9)
        benchmark.extra_info["gbps"] = rec["gbps"]
    _RECORDS.append(rec)


def _maybe_compile(fn: Callable) -> Callable:
    if not COMPILE:
        pytest.skip("torch.compile variants disabled (A2A_BENCH_COMPILE=0)")
    return torch.compile(fn, dynamic=False)


def _nbytes(*tensors: torch.Tensor) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def _close(a: torch.Tensor, b: torch.Tensor) -> None:
    torch.testing.assert_close(a.float(), b.float(), atol=3e-2, rtol=3e-2)


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _device_name() -> str:
    if HAS_CUDA:
        return torch.cuda.get_device_name()
    return f"cpu {platform.machine()} (TRITON_INTERPRET={os.environ.get('TRITON_INTERPRET', '0')})"


def _finalize(records: list[dict]) -> list[dict]:
    """Ratios within this run: bandwidth / copy bandwidth, speedups of each impl over the baselines."""
    copy = next((r for r in records if r["bench"] == "copy" and "gbps" in r), None)
    by_case: dict[tuple[str, str], dict[str, dict]] = {}
    for r in records:
        by_case.setdefault((r["bench"], r["case"]), {})[r["impl"]] = r
    for r in records:
        if "median_s" not in r or r["bench"] == "copy":
            continue
        if copy:
            r["copy_gbps"] = copy["gbps"]
            r["frac_of_copy"] = r["gbps"] / copy["gbps"]
        peers = by_case[(r["bench"], r["case"])]
        for base in ("eager", "compile", "sdpa"):
            if base in peers and "median_s" in peers[base] and base != r["impl"]:
                r[f"speedup_vs_{base}"] = peers[base]["median_s"] / r["median_s"]
        if r["impl"] == "triton" and r["bench"] in TARGETS:
            checks = {k: (r.get(k), v) for k, v in TARGETS[r["bench"]].items()}
            r["targets"] = {k: {"value": got, "min": want, "met": got is not None and got >= want}
                            for k, (got, want) in checks.items()}
    return records


@pytest.fixture(scope="module", autouse=True)
def _history(request, record):
    with record.load() as load:  # the shared recording helper (bench/conftest.py): provenance and load
        yield
    if not _RECORDS:
        return
    records = _finalize(_RECORDS)
    header = {
        "date": record.stamp,
        **record.provenance,
        "machine": record.machine,
        "load_1min": round(load.load_1min, 2),
        "others_busy_cores": load.others_busy_cores,
        "kernels_dirty": bool(_git("status", "--porcelain", "--", "kernels", "bench/test_kernels.py")),
        "device": _device_name(),
        "torch": torch.__version__,
        "triton": _triton_version(),
        "small": SMALL,
        "dtype": str(DTYPE).removeprefix("torch."),
        "shapes": {"envs": ENVS, "frames": FRAMES, "grid": GRID, "channels": C, "pool": list(POOL),
                   "heads": HEADS, "latents": LATENTS, "tokens": TOKENS, "head_dim": HEAD_DIM},
    }
    tr = request.config.pluginmanager.getplugin("terminalreporter")
    lines = [_format(r) for r in records]
    timed = any("median_s" in r for r in records)
    env_path = os.environ.get("A2A_BENCH_HISTORY")
    if env_path:
        path: Path | None = Path(env_path)
    elif HAS_CUDA and not SMALL and timed:
        path = DEFAULT_HISTORY
    else:
        path = None
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as fh:
            for r in records:
                fh.write(json.dumps({**header, **r}, sort_keys=True) + "\n")
        lines.append(f"appended {len(records)} records to {path}")
    else:
        lines.append("history not written (smoke run or no timings; set A2A_BENCH_HISTORY=path to force)")
    if tr is not None:
        capman = request.config.pluginmanager.getplugin("capturemanager")
        with capman.global_and_fixture_disabled() if capman else contextlib.nullcontext():
            tr.write_line("")
            tr.write_sep("-", f"a2a.kernels bench on {header['device']} @ {header['commit'][:10]}")
            for line in lines:
                tr.write_line(line)
    if ENFORCE:
        missed = [f"{r['bench']}/{k}" for r in records for k, t in r.get("targets", {}).items() if not t["met"]]
        assert not missed, f"performance targets missed: {missed}"


def _triton_version() -> str:
    try:
        import triton

        return triton.__version__
    except ImportError:
        return "absent"


def _format(r: dict) -> str:
    head = f"{r['bench']:<18} {r['case']:<30} {r['impl']:<16}"
    if "median_s" not in r:
        return head + " (not timed: --benchmark-disable)"
    out = (f"{head} median {r['median_s'] * 1e3:9.3f} ms  p10 {r['p10_s'] * 1e3:9.3f}  p90 {r['p90_s'] * 1e3:9.3f}"
           f"  {r['gbps']:8.1f} GB/s")
    if "frac_of_copy" in r:
        out += f"  {100 * r['frac_of_copy']:5.1f}% of copy"
    for base in ("eager", "compile", "sdpa"):
        if f"speedup_vs_{base}" in r:
            out += f"  x{r[f'speedup_vs_{base}']:.2f} vs {base}"
    for k, t in r.get("targets", {}).items():
        out += f"  [{k} >= {t['min']}: {'met' if t['met'] else 'MISSED'}]"
    return out


# --------------------------------------------------------------------------- inputs


def _frames(requires_grad: bool = False) -> torch.Tensor:
    g = torch.Generator(device=DEVICE).manual_seed(0)
    x = torch.randn(N_FRAMES, GRID, GRID, C, device=DEVICE, dtype=DTYPE, generator=g)
    return x.requires_grad_(requires_grad)


def _policy_buffer() -> tuple[torch.Tensor, torch.Tensor, int]:
    """Interleaved policy input [envs, L, C] and the start row of every frame's pooled tokens."""
    p = POOL[0] * POOL[1]
    seq = PREFIX + FRAMES * (p + TEXT_GAP)
    dest = torch.zeros(ENVS, seq, C, device=DEVICE, dtype=DTYPE)
    env = torch.arange(ENVS, device=DEVICE).repeat_interleave(FRAMES)
    slot = torch.arange(FRAMES, device=DEVICE).repeat(ENVS)
    rows = (env * seq + PREFIX + slot * (p + TEXT_GAP)).to(torch.int64)
    return dest, rows, p


def _attention_inputs(requires_grad: bool = False):
    g = torch.Generator(device=DEVICE).manual_seed(0)
    q = torch.randn(HEADS, LATENTS, HEAD_DIM, device=DEVICE, dtype=DTYPE, generator=g)
    k = torch.randn(N_FRAMES, HEADS, TOKENS, HEAD_DIM, device=DEVICE, dtype=DTYPE, generator=g)
    v = torch.randn(N_FRAMES, HEADS, TOKENS, HEAD_DIM, device=DEVICE, dtype=DTYPE, generator=g)
    return [t.requires_grad_(requires_grad) for t in (q, k, v)]


def _sdpa(q, k, v, scale=None):
    return torch.nn.functional.scaled_dot_product_attention(
        q.unsqueeze(0).expand(k.shape[0], *q.shape), k, v, scale=scale)


@pytest.fixture(autouse=True)
def _free_memory():
    yield
    if HAS_CUDA:
        torch.cuda.empty_cache()


# --------------------------------------------------------------------------- benches


def test_copy_bandwidth(benchmark):
    src = torch.randn(COPY_ELEMS, device=DEVICE).to(DTYPE)
    dst = torch.empty_like(src)
    _measure(benchmark, lambda: dst.copy_(src), bench="copy", case=f"{COPY_ELEMS}x{src.element_size()}B",
             impl="copy", nbytes=2 * _nbytes(src))


POOL_IMPLS = ["triton", "eager", "compile"]


@pytest.mark.parametrize("impl", POOL_IMPLS)
@pytest.mark.parametrize("mode", ["bilinear", "avg"])
def test_frame_pool_fwd(benchmark, mode, impl):
    x = _frames()
    out_numel = N_FRAMES * POOL[0] * POOL[1] * C
    nbytes = _nbytes(x) + out_numel * x.element_size()
    if impl == "triton":
        fn = lambda: frame_pool(x, POOL, mode, backend="triton")  # noqa: E731
        _close(fn(), frame_pool(x, POOL, mode, backend="torch"))
    elif impl == "eager":
        fn = lambda: frame_pool(x, POOL, mode, backend="torch")  # noqa: E731
    else:
        compiled = _maybe_compile(lambda t: frame_pool_reference(t, POOL, mode))
        fn = lambda: compiled(x)  # noqa: E731
    _measure(benchmark, fn, bench="frame_pool_fwd", case=f"{mode} {GRID}x{GRID}->{POOL[0]}x{POOL[1]}",
             impl=impl, nbytes=nbytes)


@pytest.mark.parametrize("impl", POOL_IMPLS)
def test_frame_pool_fwd_bwd(benchmark, impl):
    x = _frames(requires_grad=True)
    grad = torch.randn(N_FRAMES, *POOL, C, device=DEVICE, dtype=DTYPE)
    # forward reads x, writes y; backward reads dy, writes dx
    nbytes = 2 * (_nbytes(x) + _nbytes(grad))
    if impl == "compile":
        compiled = _maybe_compile(lambda t: frame_pool_reference(t, POOL, "bilinear"))
        op = compiled
    else:
        op = lambda t: frame_pool(t, POOL, "bilinear", backend="torch" if impl == "eager" else "triton")  # noqa: E731

    def fn():
        return torch.autograd.grad(op(x), x, grad)

    if impl == "triton":
        ref = torch.autograd.grad(frame_pool(x, POOL, "bilinear"), x, grad)[0]
        _close(fn()[0], ref)
    _measure(benchmark, fn, bench="frame_pool_fwd_bwd", case=f"bilinear {GRID}x{GRID}->{POOL[0]}x{POOL[1]}",
             impl=impl, nbytes=nbytes)


@pytest.mark.parametrize("impl", ["triton", "triton-unchecked", "eager", "compile"])
def test_pool_and_pack(benchmark, impl):
    x = _frames()
    dest, rows, p = _policy_buffer()
    nbytes = _nbytes(x) + N_FRAMES * p * C * x.element_size() + _nbytes(rows)
    if impl.startswith("triton"):
        check = impl == "triton"
        fn = lambda: pool_and_pack(x, POOL, dest, rows, "bilinear", backend="triton", check_rows=check)  # noqa: E731
        fn()
        expected = torch.zeros_like(dest)
        pool_and_pack(x, POOL, expected, rows, "bilinear", backend="torch")
        _close(dest, expected)
    elif impl == "eager":
        fn = lambda: pool_and_pack(x, POOL, dest, rows, "bilinear", backend="torch")  # noqa: E731
    else:
        compiled = _maybe_compile(lambda t, d, r: pool_and_pack_reference(t, POOL, d, r, "bilinear"))
        fn = lambda: compiled(x, dest, rows)  # noqa: E731
    _measure(benchmark, fn, bench="pool_and_pack", case=f"bilinear {N_FRAMES} frames->{ENVS}x{dest.shape[1]}",
             impl=impl, nbytes=nbytes)


ATTN_IMPLS = ["triton", "eager", "compile", "sdpa"]


def _attention_op(impl: str) -> Callable:
    if impl == "triton":
        return lambda q, k, v: resampler_attention(q, k, v, backend="triton")
    if impl == "eager":
        return lambda q, k, v: resampler_attention(q, k, v, backend="torch")
    if impl == "sdpa":
        return _sdpa
    return _maybe_compile(resampler_attention_reference)


@pytest.mark.parametrize("impl", ATTN_IMPLS)
def test_resampler_fwd(benchmark, impl):
    q, k, v = _attention_inputs()
    op = _attention_op(impl)
    out_bytes = N_FRAMES * HEADS * LATENTS * HEAD_DIM * q.element_size()
    nbytes = _nbytes(q, k, v) + out_bytes
    if impl == "triton":
        _close(op(q, k, v), resampler_attention_reference(q, k, v))
    _measure(benchmark, lambda: op(q, k, v), bench="resampler_fwd",
             case=f"F{N_FRAMES} H{HEADS} Lq{LATENTS} T{TOKENS} D{HEAD_DIM}", impl=impl, nbytes=nbytes)


@pytest.mark.parametrize("impl", ATTN_IMPLS)
def test_resampler_fwd_bwd(benchmark, impl):
    q, k, v = _attention_inputs(requires_grad=True)
    op = _attention_op(impl)
    grad = torch.randn(N_FRAMES, HEADS, LATENTS, HEAD_DIM, device=DEVICE, dtype=DTYPE)
    # forward: read q, k, v, write o; backward: read q, k, v, o, do, write dq, dk, dv
    nbytes = 3 * _nbytes(q, k, v) + 3 * _nbytes(grad)

    def fn():
        return torch.autograd.grad(op(q, k, v), (q, k, v), grad)

    if impl == "triton":
        ref = torch.autograd.grad(resampler_attention_reference(q, k, v), (q, k, v), grad)
        for a, b in zip(fn(), ref):
            torch.testing.assert_close(a.float(), b.float(), atol=5e-2 * b.abs().max().item(), rtol=5e-2)
    _measure(benchmark, fn, bench="resampler_fwd_bwd",
             case=f"F{N_FRAMES} H{HEADS} Lq{LATENTS} T{TOKENS} D{HEAD_DIM}", impl=impl, nbytes=nbytes)
