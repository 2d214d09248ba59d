"""Throughput of the environment core, as a user's run drives it (run: `pytest bench/test_env_throughput.py -s`,
then `python bench/readme_table.py` to regenerate the README's table).

Every step's actions are drawn from the scene each env is in at that step (scene_actions.py: a seeded
policy-like mix of navigate 40%, ask 25%, pick 15%, open 10%, place 10%), so autoresets change what
the actions name, as in a real run; each result states the share of invalid steps and of steps that
re-rendered the view. Only `step` (with its Python binding) is timed, not drawing the actions.

- steps/s without rendering, N in {1, 16, 64, 256}, 1 and 2 threads; target >= 1,000,000 at N=256 on 2 cores
- steps/s with RGB frames, N in {16, 256} x {64, 128, 256} px, 2 threads; target >= 20,000 at 128 px, N=256
- renderer frames/s: every step navigates to another receptacle, so every step re-renders (checked:
  no invalid step, and the frames do change)
- frame packing bandwidth: history 8, only questions (the view never changes, so no rendering)
- engine overhead against EnvPool's CartPole, like for like: same N, each spreading the batch over a
  pool of 2 threads (a2a's calling thread takes its share, EnvPool's waits for its 2 workers), both
  writing observations into a batch and returning them; a2a's real env (unrendered and 64 px) and its
  null env (trivial dynamics, writes the same observation fields) — each as a ratio to CartPole,
  timed in alternating turns of about 2 ms within the same run so that both see the same load.

Each measurement is repeated 5 times and appended to bench/results/env.jsonl with min/median/max
and the machine's load (conftest.py).
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from scene_actions import SceneActions, SceneTables

from a2a import _core

REPEATS = 5
EPISODES = 512
THREADS = 2  # the targets are for 2 cores


def steps_per_repeat(n_envs: int) -> int:
    return 65536 if n_envs >= 16 else 16384


@pytest.fixture(scope="module")
def episodes():
    return _core.EpisodeSet.generate("train", EPISODES, seed=0)


@pytest.fixture(scope="module")
def tables(episodes):
    return SceneTables(episodes)


def timed_steps(env, actions: SceneActions, calls: int) -> tuple[float, float]:
    """Steps `calls` times with freshly drawn actions; returns the seconds spent inside env.step, in
    wall time and in CPU time of the calling thread."""
    wall = cpu = 0.0
    for _ in range(calls):
        a = actions.draw()
        c0, t0 = time.thread_time(), time.perf_counter()
        b = env.step(a)
        wall += time.perf_counter() - t0
        cpu += time.thread_time() - c0
        actions.observe(b)
    return wall, cpu


def throughput(record, env, actions: SceneActions, n_envs: int):
    """steps/s over REPEATS repeats, after a warm-up that also lets episodes reach their autoresets.
    With one thread, also steps per CPU-second of the stepping thread: what an idle core would give,
    the figure that a loaded machine disturbs least."""
    actions.start(env.reset())
    calls = max(4, steps_per_repeat(n_envs) // n_envs)
    timed_steps(env, actions, max(calls // 4, 50))
    actions.reset_counts()
    cpu_rates = []

    def once() -> float:
        wall, cpu = timed_steps(env, actions, calls)
        cpu_rates.append(n_envs * calls / max(cpu, 1e-9))
        return n_envs * calls / wall

    samples = record.repeat(once, REPEATS, warmup=0)
    extra = {"invalid_share": round(actions.invalid_share, 4), "rerender_share": round(actions.rerender_share, 4)}
    if env.num_threads == 1:
        extra["steps_per_cpu_s"] = float(np.median(cpu_rates))
    return samples, extra


def show(what: str, samples, unit: str, extra: dict | None = None) -> None:
    f = lambda v: f"{v:,.0f}" if v >= 100 else f"{v:.3g}"  # noqa: E731
    tail = "".join(f", {k.replace('_', ' ')} {v:.1%}" if k.endswith("_share") else f", {k.replace('_', ' ')} {f(v)}"
                   for k, v in (extra or {}).items())
    print(f"\n{what}: {f(samples.median)} {unit} (min {f(min(samples.values))}, max {f(max(samples.values))}; "
          f"load {samples.load_1min:.2f}, other processes {samples.others_busy_cores} cores){tail}")


@pytest.mark.parametrize("n_envs,threads", [(1, 1), (16, 1), (64, 1), (256, 1), (16, 2), (256, 2)])
def test_steps_unrendered(record, episodes, tables, n_envs, threads):
    env = _core.BatchedEnv(episodes, num_envs=n_envs, width=0, height=0, num_threads=threads)
    actions = SceneActions(tables, n_envs, seed=0)
    samples, extra = throughput(record, env, actions, n_envs)
    record("env", "steps_unrendered", samples, "steps/s", params={"n_envs": n_envs, "threads": threads},
           target=1_000_000 if (n_envs, threads) == (256, THREADS) else None, **extra)
    show(f"unrendered N={n_envs}, {threads} thread(s)", samples, "steps/s", extra)
    assert 0 < extra["invalid_share"] < 0.5, "the policy-like mix should be mostly valid; its action forms are stale"


@pytest.mark.parametrize("size", [64, 128, 256])
@pytest.mark.parametrize("n_envs", [16, 256])
def test_steps_rendered(record, episodes, tables, n_envs, size):
    env = _core.BatchedEnv(episodes, num_envs=n_envs, width=size, height=size, num_threads=THREADS)
    actions = SceneActions(tables, n_envs, seed=0)
    samples, extra = throughput(record, env, actions, n_envs)
    record("env", "steps_rendered", samples, "steps/s", params={"n_envs": n_envs, "size": size, "threads": THREADS},
           target=20_000 if (n_envs, size) == (256, 128) else None, **extra)
    show(f"rendered {size}px N={n_envs}, {THREADS} threads", samples, "steps/s", extra)


def changed_frame_share(env, tables, n_envs: int, steps: int = 64) -> float:
    """Share of steps whose frame differs from the env's previous frame (rerender mode)."""
    actions = SceneActions(tables, n_envs, seed=1, rerender=True)
    b = env.reset()
    actions.start(b)
    prev = np.array(b.frames)
    changed = 0
    for _ in range(steps):
        b = env.step(actions.draw())
        actions.observe(b)
        cur = np.array(b.frames)
        changed += int((cur != prev).reshape(n_envs, -1).any(axis=1).sum())
        prev = cur
    return changed / (steps * n_envs)


@pytest.mark.parametrize("size", [64, 128, 256])
def test_renderer_frames_per_second(record, episodes, tables, size):
    n = 64
    env = _core.BatchedEnv(episodes, num_envs=n, width=size, height=size, num_threads=1)
    actions = SceneActions(tables, n, seed=0, rerender=True)
    samples, extra = throughput(record, env, actions, n)
    assert extra["invalid_share"] == 0 and extra["rerender_share"] == 1, extra
    changed = changed_frame_share(env, tables, n)
    assert changed > 0.95, f"only {changed:.1%} of the frames changed although every step moved to another receptacle"
    record("env", "renderer_fps", samples, "frames/s", params={"size": size, "n_envs": n, "threads": 1},
           changed_frame_share=round(changed, 4), **extra)
    show(f"renderer {size}px, 1 thread, every step re-renders", samples, "frames/s", {**extra, "changed_frame_share": changed})


def test_packing_bandwidth(record, episodes):
    n, size, history, calls = 64, 128, 8, 64
    env = _core.BatchedEnv(episodes, num_envs=n, width=size, height=size, history=history, num_threads=THREADS)
    env.reset()
    ask = np.array([b"ask(where is it?)"] * n, dtype="S64")  # the view never changes: packing alone

    def once():
        t0 = time.perf_counter()
        for _ in range(calls):
            env.step(ask)
        return n * calls * history * size * size * 3 / (time.perf_counter() - t0) / 1e9

    samples = record.repeat(once, REPEATS)
    record("env", "packing_bandwidth", samples, "GB/s", params={"n_envs": n, "size": size, "history": history, "threads": THREADS})
    show(f"packing [N={n}, H={history}, {size}px]", samples, "GB/s of frames written")


VARIANTS = {  # a2a side of the EnvPool comparison: (env factory, draws scene actions)
    "real_unrendered": (lambda eps, n: _core.BatchedEnv(eps, num_envs=n, width=0, height=0, num_threads=THREADS), True),
    "real_64px": (lambda eps, n: _core.BatchedEnv(eps, num_envs=n, width=64, height=64, num_threads=THREADS), True),
    "null": (lambda eps, n: _core.NullBatchedEnv(num_envs=n, num_threads=THREADS, episode_length=200), False),
}


@pytest.mark.filterwarnings("ignore:.*precision lowered:UserWarning")  # gymnasium, about CartPole's space
@pytest.mark.parametrize("n_envs", [16, 256])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_engine_overhead_vs_envpool(record, episodes, tables, variant, n_envs):
    envpool = pytest.importorskip("envpool", reason="install the bench extra: pip install 'a2a[bench]'")
    ep = envpool.make_gym("CartPole-v1", num_envs=n_envs, batch_size=n_envs, num_threads=THREADS, seed=0)
    ep.reset()
    cart_actions = np.zeros(n_envs, dtype=np.int32)
    make, scene = VARIANTS[variant]
    ours = make(episodes, n_envs)
    actions = SceneActions(tables, n_envs, seed=0) if scene else None
    noop = np.array([b"noop()"] * n_envs, dtype="S64")
    b = ours.reset()
    if actions:
        actions.start(b)

    def cartpole_step():  # gym-style returns: obs, reward, terminated, truncated, info
        return ep.step(cart_actions)

    def a2a_step(a):  # what a trainer reads back: the observation fields and the step's outcome
        b = ours.step(a)
        return b.frames, b.instruction, b.last_action, b.answer, b.step, b.reward, b.terminated, b.truncated, b

    def timed(step_once, scene_actions: SceneActions | None) -> float:
        a = scene_actions.draw() if scene_actions else noop
        t0 = time.perf_counter()
        out = step_once(a)
        spent = time.perf_counter() - t0
        if scene_actions:
            scene_actions.observe(out[-1])
        return spent

    sides = {"envpool": (lambda _: cartpole_step(), None), "a2a": (a2a_step, actions)}
    # Calls per turn: about 2 ms of each side in turn, so that both see the same load.
    chunk = {k: max(1, int(0.002 / min(timed(*side) for _ in range(20)))) for k, side in sides.items()}
    rates: dict[str, list[float]] = {"a2a": [], "envpool": []}

    def once(seconds: float = 0.5) -> float:
        spent = {k: 0.0 for k in sides}
        calls = {k: 0 for k in sides}
        while sum(spent.values()) < seconds:
            for k, side in sides.items():
                for _ in range(chunk[k]):
                    spent[k] += timed(*side)
                calls[k] += chunk[k]
        for k in sides:
            rates[k].append(calls[k] * n_envs / spent[k])
        return rates["a2a"][-1] / rates["envpool"][-1]

    once()  # warm-up
    for v in rates.values():
        v.clear()
    if actions:
        actions.reset_counts()
    samples = record.repeat(once, REPEATS, warmup=0)
    extra = {"a2a_steps_per_s": float(np.median(rates["a2a"])), "envpool_steps_per_s": float(np.median(rates["envpool"])),
             "envpool_version": envpool.__version__}
    if actions:
        extra["invalid_share"] = round(actions.invalid_share, 4)
    record("env", "engine_vs_envpool", samples, "x CartPole", params={"variant": variant, "n_envs": n_envs, "threads": THREADS},
           target=1.0 if variant == "null" else None, **extra)
    print(f"\n{variant} N={n_envs}, {THREADS} threads each: a2a {extra['a2a_steps_per_s']:,.0f} steps/s, EnvPool CartPole "
          f"{extra['envpool_steps_per_s']:,.0f} steps/s: ratio {samples.median:.2f} (min {min(samples.values):.2f}, "
          f"max {max(samples.values):.2f}; load {samples.load_1min:.2f}, other processes {samples.others_busy_cores} cores)")
