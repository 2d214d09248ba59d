"""Throughput of the whole PPO loop (run: `pytest bench/test_train_throughput.py -s`).

- CPU: the tiny policy, 16 and 64 envs x 32 steps per update, with 1 torch thread (`a2a train` on a 2-core
  CPU) and with every core (`OMP_NUM_THREADS=<cores> a2a train` on an idle machine): env steps per second of
  collect + update, the share of each, and where one more
  (profiled) update spends its time.
- GPU (skipped visibly without one): the LLaVA-OneVision-0.5B architecture (Qwen2-0.5B LLM,
  SigLIP-so400m at 384 px; random weights, built from configs) in 4-bit NF4 with 64 envs.
"""

from __future__ import annotations

import cProfile
import inspect
import os
import pstats
import time

import pytest
import torch

from a2a import _core
from a2a.rl.config import PPOConfig
from a2a.rl.distributed import DistInfo
from a2a.rl.ppo import ppo_update
from a2a.rl.rollout import RolloutCollector


def loop_rate(record, policy, episodes, num_envs: int, steps: int, updates: int, pipeline: bool,
              profile: bool = False, env_threads: int = 1):
    """Env steps per second of each update (collect + PPO update; the samples), the run's totals and, with
    `profile`, the shares of one more update's time (profile_update; after the timed ones, not in them)."""
    fs = int(min(max(policy.encoder.image.size, 64), 512))
    core = _core.BatchedEnv(episodes, num_envs=num_envs, batch_size=num_envs // 2 if pipeline else num_envs,
                            width=fs, height=fs, sampling="random", num_threads=env_threads)
    gen = torch.Generator(device=policy.device).manual_seed(0)
    col = RolloutCollector(core, policy, pipeline=pipeline, generator=gen)
    opt = torch.optim.AdamW(policy.trainable_parameters(), lr=1e-4)
    cfg = PPOConfig(num_envs=num_envs, rollout_steps=steps, epochs=2, minibatches=4, pipeline=pipeline)
    col.collect(steps)  # warm-up: tries, caches
    t_collect = t_update = 0.0
    env_steps = 0
    per_update = []
    with record.load() as load:
        for _ in range(updates):
            t0 = time.perf_counter()
            ro = col.collect(steps)
            t1 = time.perf_counter()
            ppo_update(policy, opt, ro, cfg, DistInfo(device=policy.device), torch.Generator().manual_seed(0))
            if policy.device.type == "cuda":
                torch.cuda.synchronize()
            t2 = time.perf_counter()
            t_collect += t1 - t0
            t_update += t2 - t1
            env_steps += int(ro.valid.sum())
            per_update.append(int(ro.valid.sum()) / (t2 - t0))
    total = t_collect + t_update
    totals = {"env_steps_per_s": env_steps / total, "collect_share": t_collect / total,
              "update_s": t_update / updates, "collect_s": t_collect / updates}
    if profile:
        totals["profile_shares"] = profile_update(policy, col, opt, cfg, steps)
    return record.samples(per_update, load), totals


def profile_update(policy, col, opt, cfg, steps: int) -> dict:
    """One collect + PPO update under cProfile: the share of its wall time spent in each part, cumulative (a
    part includes what it calls: decoding includes the prompt forward, the update re-scoring and backward).
    cProfile's own overhead weighs most on the Python-heavy parts (decoding). Functions are found by their code
    objects, so a renamed one fails here instead of reading 0."""
    parts = {"collect": type(col).collect, "decoding (act)": type(policy).act,
             "vision tower": type(policy).encode_frames, "PPO update": ppo_update,
             "re-scoring forward": type(policy).score_episodes, "backward": torch.Tensor.backward,
             "optimizer step": type(opt).step}
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    ro = col.collect(steps)
    ppo_update(policy, opt, ro, cfg, DistInfo(device=policy.device), torch.Generator().manual_seed(0))
    prof.disable()
    total = time.perf_counter() - t0
    stats = pstats.Stats(prof).stats  # (file, first line, function) -> (calls, ..., cumulative s, callers)
    shares = {}
    for label, fn in parts.items():
        code = inspect.unwrap(fn).__code__
        shares[label] = stats[(code.co_filename, code.co_firstlineno, code.co_name)][3] / total
    # the core's calls are C functions: cProfile names them "<built-in method a2a._core...>"
    shares["env core"] = sum(row[3] for (file, _, name), row in stats.items()
                             if file == "~" and "a2a._core" in name) / total
    assert all(v > 0 for v in shares.values()), shares
    return {k: round(v, 3) for k, v in shares.items()}


@pytest.mark.parametrize("threads", ["1", "all"])  # "all": a thread per CPU
@pytest.mark.parametrize("num_envs", [16, 64])
def test_ppo_loop_tiny_cpu(record, tmp_path, num_envs, threads):
    from a2a.policy import A2APolicy, PolicyConfig
    from a2a.policy.tiny import init_tiny

    # "all": torch and the env core each use every CPU (they take turns; a2a/rl/trainer.py explains the default)
    n = 1 if threads == "1" else (os.cpu_count() or 1)
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        path = init_tiny(tmp_path / "tiny")
        # The whole episode in the prompt (as the paper): PPO re-scores each episode segment in one forward.
        policy = A2APolicy.from_pretrained(path, PolicyConfig(device="cpu", max_past_steps=40, finetune_llm=True))
        episodes = _core.EpisodeSet.generate("train", 400, seed=0)
        samples, r = loop_rate(record, policy, episodes, num_envs=num_envs, steps=32, updates=3, pipeline=False,
                               profile=True, env_threads=n)
    finally:
        torch.set_num_threads(before)
    record("train", "ppo_loop_tiny_cpu", samples, "env steps/s",
           params={"num_envs": num_envs, "rollout_steps": 32, "torch_threads": n}, torch_threads=n, **r)
    print(f"\ntiny policy, CPU, {num_envs} envs, {n} torch threads: {r['env_steps_per_s']:.1f} env steps/s "
          f"(collect {r['collect_s']:.1f} s, update {r['update_s']:.1f} s per update of {num_envs * 32} steps); one profiled update: "
          + ", ".join(f"{k} {100 * v:.1f}%" for k, v in r["profile_shares"].items()))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (LLaVA-OneVision-0.5B architecture in 4-bit)")
def test_ppo_loop_llava_ov_05b_4bit_gpu(record, tmp_path):
    from a2a.policy import A2APolicy, PolicyConfig
    from a2a.policy.tiny import TinySpec, init_tiny

    # The 0.5B architecture: Qwen2-0.5B (896 wide, 24 layers, 14 heads, 2 KV heads, 4864 MLP, 151,936 vocab)
    # and SigLIP-so400m (1152 wide, 27 layers, 16 heads, 4304 MLP, 384 px, patch 14 -> 27 x 27).
    spec = TinySpec(image_size=384, patch_size=14, vision_hidden=1152, vision_layers=27, vision_heads=16,
                    vision_intermediate=4304, hidden=896, layers=24, heads=14, kv_heads=2, intermediate=4864,
                    model_vocab=151936)
    path = init_tiny(tmp_path / "ov05b", spec)
    policy = A2APolicy.from_pretrained(path, PolicyConfig(device="cuda", quantization="nf4", max_past_steps=16))
    episodes = _core.EpisodeSet.generate("train", 1000, seed=0)
    samples, r = loop_rate(record, policy, episodes, num_envs=64, steps=32, updates=3, pipeline=True)
    record("train", "ppo_loop_llava_ov_05b_nf4_gpu", samples, "env steps/s", params={"num_envs": 64, "rollout_steps": 32},
           peak_memory_gb=torch.cuda.max_memory_allocated() / 2**30, **r)
    print(f"\nLLaVA-OV-0.5B architecture, 4-bit, {torch.cuda.get_device_name(0)}: {r['env_steps_per_s']:.0f} env steps/s")
