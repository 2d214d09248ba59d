"""Throughput of the environment core (run: `pytest bench/test_env_throughput.py`).

- steps/s without rendering for N in {1, 16, 64, 256}; target >= 1,000,000 at N=256 on 2 cores
- steps/s with RGB rendering for N in {1, 16, 64, 256} x frame sizes {64, 128, 256}; target >= 20,000 at 128 px
- renderer frames/s (every step re-renders) and multi-frame packing bandwidth (history 8)
- engine overhead against EnvPool: a trivial a2a env on the same batched manager beside EnvPool's
  CartPole, same number of envs and threads, in the same run; the ratio must be >= 1

Actions are a fixed, realistic mix (navigation between receptacles, questions, picks, places,
opening) precomputed as a numpy bytes array, as a trainer would pass them.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from a2a import _core

CYCLE = 32  # steps per benchmark round


@pytest.fixture(scope="module")
def episodes():
    return _core.EpisodeSet.generate("train", 512, seed=0)


def action_mix(env, n_envs: int, cycle: int = CYCLE, navigate_share: float = 0.5, width: int = 64) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    steps = []
    for t in range(cycle):
        row = []
        for i in range(n_envs):
            vocab = env.valid_actions(i)
            navs = [a for a in vocab if a.startswith("navigate(")]
            u = rng.random()
            if u < navigate_share:
                a = navs[rng.integers(len(navs))]
            elif u < navigate_share + 0.2:
                a = "ask(where is it?)"
            else:
                a = vocab[rng.integers(len(vocab))]
            row.append(a.encode())
        steps.append(np.array(row, dtype=f"S{width}"))
    return steps


def run_cycle(env, actions):
    for a in actions:
        env.step(a)


def measure(benchmark, env, actions, n_envs, rounds):
    run_cycle(env, actions)  # warm-up
    benchmark.pedantic(run_cycle, args=(env, actions), rounds=rounds, iterations=1, warmup_rounds=1)
    return n_envs * len(actions) / benchmark.stats["median"]


THREADS = min(2, os.cpu_count() or 1)


@pytest.mark.parametrize("n_envs", [1, 16, 64, 256])
def test_steps_unrendered(benchmark, record, episodes, n_envs):
    env = _core.BatchedEnv(episodes, num_envs=n_envs, width=0, height=0, num_threads=1)
    env.reset()
    sps = measure(benchmark, env, action_mix(env, n_envs), n_envs, rounds=20)
    benchmark.extra_info["steps_per_s"] = sps
    record("env", "steps_unrendered", n_envs=n_envs, threads=1, steps_per_s=sps,
           target=1_000_000 if n_envs == 256 else None)
    print(f"\nunrendered N={n_envs}: {sps:,.0f} steps/s")


@pytest.mark.parametrize("size", [64, 128, 256])
@pytest.mark.parametrize("n_envs", [1, 16, 64, 256])
def test_steps_rendered(benchmark, record, episodes, n_envs, size):
    env = _core.BatchedEnv(episodes, num_envs=n_envs, width=size, height=size, num_threads=THREADS)
    env.reset()
    sps = measure(benchmark, env, action_mix(env, n_envs), n_envs, rounds=5 if n_envs * size >= 16384 else 10)
    benchmark.extra_info["steps_per_s"] = sps
    record("env", "steps_rendered", n_envs=n_envs, size=size, threads=THREADS, steps_per_s=sps,
           target=20_000 if size == 128 else None)
    print(f"\nrendered {size}px N={n_envs}: {sps:,.0f} steps/s")


@pytest.mark.parametrize("size", [64, 128, 256])
def test_renderer_frames_per_second(benchmark, record, episodes, size):
    n = 64
    env = _core.BatchedEnv(episodes, num_envs=n, width=size, height=size, num_threads=1)
    env.reset()
    fps = measure(benchmark, env, action_mix(env, n, navigate_share=1.0), n, rounds=5)
    benchmark.extra_info["frames_per_s"] = fps
    record("env", "renderer_fps", size=size, threads=1, frames_per_s=fps)
    print(f"\nrenderer {size}px: {fps:,.0f} frames/s (one thread, every step re-renders)")


def test_packing_bandwidth(benchmark, record, episodes):
    n, size, history = 64, 128, 8
    env = _core.BatchedEnv(episodes, num_envs=n, width=size, height=size, history=history, num_threads=THREADS)
    env.reset()
    asks = [np.array([b"ask(where is it?)"] * n, dtype="S64")] * CYCLE  # the view never changes: pure packing
    sps = measure(benchmark, env, asks, n, rounds=10)
    gbps = sps * history * size * size * 3 / 1e9
    benchmark.extra_info["GB_per_s"] = gbps
    record("env", "packing_bandwidth", n_envs=n, size=size, history=history, threads=THREADS, steps_per_s=sps, GB_per_s=gbps)
    print(f"\npacking [N={n}, H={history}, {size}px]: {gbps:.2f} GB/s of frames written")


def test_engine_overhead_vs_envpool(record):
    envpool = pytest.importorskip("envpool", reason="install the bench extra: pip install 'a2a[bench]'")
    n = 256
    results = {}
    for threads in sorted({1, THREADS}):
        ep = envpool.make_gym("CartPole-v1", num_envs=n, batch_size=n, num_threads=threads, seed=0)
        ep.reset()
        int_actions = np.zeros(n, dtype=np.int32)
        ours = _core.NullBatchedEnv(num_envs=n, num_threads=threads, episode_length=200)
        ours.reset()
        text_actions = np.array([b"noop()"] * n, dtype="S8")

        def rate(step, arg, seconds=1.0):
            for _ in range(50):
                step(arg)
            best = 0.0
            for _ in range(5):  # best of 5 short windows: robust to a noisy neighbour
                k, t0 = 0, time.perf_counter()
                while time.perf_counter() - t0 < seconds / 5:
                    step(arg)
                    k += 1
                best = max(best, k * n / (time.perf_counter() - t0))
            return best

        def a2a_step(actions):  # materialise what a trainer reads, as EnvPool's step does
            b = ours.step(actions)
            return b.reward, b.terminated, b.truncated, b.step

        envpool_sps = rate(ep.step, int_actions)
        a2a_sps = rate(a2a_step, text_actions)
        results[threads] = (a2a_sps, envpool_sps)
        record("env", "engine_overhead_vs_envpool", n_envs=n, threads=threads, a2a_steps_per_s=a2a_sps,
               envpool_steps_per_s=envpool_sps, ratio=a2a_sps / envpool_sps, envpool_version=envpool.__version__)
        print(f"\n{threads} thread(s): a2a null env {a2a_sps:,.0f} steps/s, EnvPool CartPole {envpool_sps:,.0f} "
              f"steps/s, ratio {a2a_sps / envpool_sps:.2f}")
    for threads, (ours_sps, theirs) in results.items():
        assert ours_sps >= theirs, f"{threads} thread(s): a2a engine slower than EnvPool ({ours_sps:,.0f} < {theirs:,.0f})"
