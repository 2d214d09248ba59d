"""Policy benchmarks: tokens per step, act/train latency against history length, memory.

    pytest bench/test_policy.py -s -k "not memory"          # latency + tokens vs history (tiny LLM)
    A2A_BENCH_05B=1 pytest bench/test_policy.py -k memory   # + memory at LLaVA-OneVision-0.5B shapes

Compression 4 tokens per frame (the paper's Perceiver resampler, and 2x2 bilinear pooling) against
LLaVA-OneVision's own video pooling, 196 tokens per frame (27x27 SigLIP patches at 384 px -> 14x14).
The model here has LLaVA-OneVision's vision geometry (384 px, patch 14) and a small random LLM
(hidden 256, 4 layers): on CPU it shows how cost scales with the sequence, not a GPU's numbers. On a
GPU the same cases run on CUDA (device "auto"), with bf16; the memory case then reports
torch.cuda.max_memory_allocated as well.

Phases: "act" = one policy step for a batch of envs without grad (prompt forward + trie-constrained
decoding with the KV cache); "train" = score() of the same batch, forward + backward (a PPO
minibatch). Every case appends a row to bench/results/policy.jsonl (conftest `record`: min/median/max
of its repeats and the machine's load).

Memory cases run in a subprocess each (peak RSS is per process): `python bench/test_policy.py
--memory SPEC QUANT DTYPE` prints one JSON object.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")

BATCH = 4
HISTORIES = (0, 4, 8, 16, 32)
COMPRESSIONS = {  # name -> PolicyConfig fields
    "resampler4": {"compression": "resampler", "resampler_latents": 4},
    "pool2x2": {"compression": "pool", "pool_size": 2},
    "llava_ov196": {"compression": "pool", "pool_size": 0},  # ceil(27 / 2)^2 = 196
}
MAX_HISTORY_196 = 16  # longer 196-token histories need > 10 GB for CPU attention at this batch


def _bench_spec():
    from a2a.policy.tiny import TinySpec

    return TinySpec(image_size=384, patch_size=14, vision_hidden=64, vision_layers=1, vision_heads=4,
                    hidden=256, layers=4, heads=8, kv_heads=2, intermediate=768)


def _specs():
    from a2a.policy.tiny import LLAVA_OV_05B_SHAPES, TinySpec

    return {"tiny": TinySpec(), "bench": _bench_spec(), "llava_ov_05b_shapes": LLAVA_OV_05B_SHAPES}


@pytest.fixture(scope="module")
def bench_dir(tmp_path_factory):
    from a2a.policy.tiny import init_tiny

    return str(init_tiny(tmp_path_factory.mktemp("bench_llava"), _bench_spec()))


@pytest.fixture(scope="module")
def scene():
    from a2a import _core

    eps = _core.EpisodeSet.generate("train", BATCH, seed=0)
    env = _core.BatchedEnv(eps, num_envs=BATCH, width=128, height=128, autoreset="disabled")
    batch = env.reset()
    frames = np.array(batch.frames[:, -1])
    return {"frames": frames, "vocabs": [env.valid_actions(i) for i in range(BATCH)],
            "instructions": [s.decode() for s in batch.instruction.tolist()]}


_POLICIES: dict = {}


def _policy(path: str, name: str):
    from a2a.policy import A2APolicy, PolicyConfig

    if name not in _POLICIES:
        _POLICIES.clear()
        _POLICIES[name] = A2APolicy.from_pretrained(path, PolicyConfig(lora_r=8, **COMPRESSIONS[name])).eval()
    return _POLICIES[name]


def _inputs(policy, scene, history: int):
    from a2a.policy import EpisodeHistory

    frames = policy.encode_frames(scene["frames"])
    rng = np.random.default_rng(0)
    out = []
    for i in range(BATCH):
        h = EpisodeHistory(scene["instructions"][i])
        for t in range(history):
            h.observe(frames[(i + t) % BATCH], "Answer: Yes." if t % 3 == 1 else "")
            v = scene["vocabs"][i]
            h.record(v[int(rng.integers(len(v)))])
        out.append(h.observe(frames[i]))
    return out


def _sync(policy) -> None:
    if policy.device.type == "cuda":
        torch.cuda.synchronize()


@pytest.mark.parametrize("phase", ["act", "train"])
@pytest.mark.parametrize("history", HISTORIES)
@pytest.mark.parametrize("compression", list(COMPRESSIONS))
def test_step_latency(record, bench_dir, scene, compression, history, phase):
    if compression == "llava_ov196" and history > MAX_HISTORY_196:
        pytest.skip(f"196 tokens/frame beyond {MAX_HISTORY_196} past steps does not fit this CPU bench")
    policy = _policy(bench_dir, compression)
    inputs = _inputs(policy, scene, history)
    vocabs = scene["vocabs"]
    batch = policy.build(inputs)
    tokens = batch.prompt_lengths.tolist()
    gen = torch.Generator(device=policy.device).manual_seed(0)
    saved = {"bytes": 0}

    if phase == "act":
        def step():
            policy.act(inputs, vocabs, sample=True, generator=gen)
            _sync(policy)
    else:
        actions = policy.act(inputs, vocabs, sample=True, generator=gen).actions

        def pack(t):
            saved["bytes"] += t.numel() * t.element_size()
            return t

        def step():
            saved["bytes"] = 0
            policy.zero_grad(set_to_none=True)
            with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
                sc = policy.score(inputs, actions, vocabs)
                loss = -(sc.logprobs.mean()) + sc.values.pow(2).mean()
            loss.backward()
            _sync(policy)

    samples = record.time(step, repeats=3 if max(tokens) > 1500 else 5)
    record("policy", f"step_latency[{compression}-{history}-{phase}]", samples, "s", better="lower",
           params={"compression": compression, "past_steps": history, "phase": phase, "torch_threads": torch.get_num_threads()},
           tokens_per_frame=policy.tokens_per_frame,
           batch=BATCH, prompt_tokens_mean=float(np.mean(tokens)), prompt_tokens_max=int(max(tokens)),
           device=str(policy.device), dtype=str(policy.compute_dtype), attn=policy.attn_implementation,
           saved_activation_bytes=saved["bytes"] if phase == "train" else None)
    print(f"\n{compression}, {history} past steps, {phase}: {samples.median * 1e3:,.0f} ms "
          f"({float(np.mean(tokens)):.0f} prompt tokens; load {samples.load_1min:.2f})")


@pytest.mark.parametrize("method", ["score_per_step", "score_episodes"])
def test_ppo_scoring_of_an_episode(record, bench_dir, scene, method):
    """Re-scoring all 16 steps of 4 episodes for PPO: score() of every step's prompt (64 rows) against
    score_episodes() (one forward of each episode's last prompt; same numbers)."""
    from a2a.policy import EpisodeHistory

    policy = _policy(bench_dir, "resampler4")
    steps = 16
    last = _inputs(policy, scene, steps - 1)
    hists = [EpisodeHistory(inp.instruction, list(inp.steps[:-1])) for inp in last]
    for h, v in zip(hists, scene["vocabs"]):
        h.observe(last[0].steps[-1].frame)
        h.record(v[0])
    vocabs = scene["vocabs"]

    def step():
        policy.zero_grad(set_to_none=True)
        if method == "score_per_step":
            inputs = [h.input_at(t) for h in hists for t in range(steps)]
            acts = [h.steps[t].action for h in hists for t in range(steps)]
            sc = policy.score(inputs, acts, [v for v in vocabs for _ in range(steps)])
        else:
            sc = policy.score_episodes(hists, vocabs)
        (-(sc.logprobs.mean()) + sc.values.pow(2).mean()).backward()
        _sync(policy)

    samples = record.time(step, repeats=3)
    record("policy", f"ppo_scoring[{method}]", samples, "s", better="lower", params={"method": method},
           episodes=len(hists), steps=steps, device=str(policy.device), torch_threads=torch.get_num_threads())


@pytest.mark.parametrize("reuse_kv", [False, True], ids=["recompute", "reuse_kv"])
def test_agent_steps_kv_reuse(record, bench_dir, reuse_kv):
    """An acting loop (MLLMAgent over the core, 4 envs, 24 steps, resampler 4 tokens/frame): every step
    re-encodes the whole prompt, or (reuse_kv) each env's cached keys/values from the previous step
    are reused and only the new tokens run through the LLM. Same actions either way (tests)."""
    from a2a import _core
    from a2a.policy.agent import MLLMAgent

    policy = _policy(bench_dir, "resampler4")
    eps = _core.EpisodeSet.generate("train", BATCH, seed=1, max_steps=64)
    steps = 24

    class Access:
        def __init__(self, core):
            self.core = core

        def valid_actions(self, env_id):
            return self.core.valid_actions(env_id)

    def run():
        from a2a.eval.agent import AgentObservation

        core = _core.BatchedEnv(eps, num_envs=BATCH, width=128, height=128, autoreset="disabled")
        agent = MLLMAgent(policy, sample=True, seed=0, reuse_kv=reuse_kv)
        policy.prefix_cache.clear()
        b = core.reset()
        agent.reset(range(BATCH))
        for _ in range(steps):
            dec = lambda a: tuple(x.decode() for x in a.tolist())  # noqa: E731
            obs = AgentObservation(env_ids=np.asarray(b.env_id), first=np.asarray(b.first),
                                   image=np.asarray(b.frames[:, -1]), history=None, history_len=None,
                                   instruction=dec(b.instruction), last_action=dec(b.last_action),
                                   answer=dec(b.answer), invalid=np.asarray(b.invalid), step=np.asarray(b.step))
            b = core.step(agent.act(obs, Access(core)))

    samples = record.time(run, repeats=3, warmup=0)
    record("policy", f"agent_steps[{'reuse_kv' if reuse_kv else 'recompute'}]", samples, "s", better="lower",
           params={"reuse_kv": reuse_kv}, envs=BATCH, steps=steps, per_step_s=samples.median / steps,
           reused_tokens=policy.prefix_cache.reused_tokens, device=str(policy.device),
           torch_threads=torch.get_num_threads())


def test_frame_encode_once(record, bench_dir, scene):
    """The frozen tower runs once per frame (then cached): its cost per frame at 384 px / patch 14."""
    policy = _policy(bench_dir, "resampler4")
    frames = scene["frames"]
    samples = record.time(lambda: policy.encode_frames(frames), repeats=5)
    record("policy", "frame_encode", samples, "s", better="lower", frames=len(frames),
           per_frame_s=samples.median / len(frames), device=str(policy.device),
           note="tiny tower (hidden 64, 1 layer) at SigLIP geometry; the real so400m tower costs far more")


# ---- memory per configuration (one subprocess each) -----------------------------------------------

MEMORY_CONFIGS = [
    ("tiny", "none", "float32"), ("tiny", "nf4", "float32"),
    ("bench", "none", "float32"), ("bench", "nf4", "float32"),
    ("llava_ov_05b_shapes", "none", "float32"), ("llava_ov_05b_shapes", "none", "bfloat16"),
    ("llava_ov_05b_shapes", "nf4", "float32"), ("llava_ov_05b_shapes", "nf4", "bfloat16"),
]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure_memory(spec_name: str, quant: str, dtype: str, ckpt_root: str) -> dict:
    """Load the policy (resampler, LoRA r=16), act for 4 envs with 8 past steps, one train step."""
    from a2a import _core
    from a2a.policy import A2APolicy, EpisodeHistory, PolicyConfig
    from a2a.policy.tiny import init_tiny

    base_rss = _rss_mb()
    path = Path(ckpt_root) / spec_name
    if not (path / "config.json").is_file():
        store = torch.bfloat16 if spec_name == "llava_ov_05b_shapes" else torch.float32
        init_tiny(path, _specs()[spec_name], dtype=store)
        return {"built": str(path)}
    t0 = time.perf_counter()
    policy = A2APolicy.from_pretrained(str(path), PolicyConfig(quantization=quant, dtype=dtype, lora_r=16))
    load_s = time.perf_counter() - t0
    after_load = _rss_mb()
    eps = _core.EpisodeSet.generate("train", 4, seed=0)
    env = _core.BatchedEnv(eps, num_envs=4, width=128, height=128, autoreset="disabled")
    b = env.reset()
    frames = policy.encode_frames(np.array(b.frames[:, -1]))
    vocabs = [env.valid_actions(i) for i in range(4)]
    inputs = []
    for i in range(4):
        h = EpisodeHistory(b.instruction[i].decode())
        for t in range(8):
            h.observe(frames[(i + t) % 4], "")
            h.record(vocabs[i][t])
        inputs.append(h.observe(frames[i]))
    cuda = policy.device.type == "cuda"
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    policy.eval()
    t0 = time.perf_counter()
    out = policy.act(inputs, vocabs, sample=True)
    act_s = time.perf_counter() - t0
    after_act = _rss_mb()
    policy.train()
    t0 = time.perf_counter()
    sc = policy.score(inputs, out.actions, vocabs)
    (-(sc.logprobs.mean()) + sc.values.pow(2).mean()).backward()
    train_s = time.perf_counter() - t0
    res = {
        "spec": spec_name, "quantization": quant, "dtype": dtype, "device": str(policy.device),
        "parameters_bytes": policy.memory_footprint(), "parameters_total_mb": sum(policy.memory_footprint().values()) / 2**20,
        "trainable_params": sum(p.numel() for p in policy.trainable_parameters()),
        "rss_mb": {"baseline": base_rss, "after_load": after_load, "after_act": after_act, "peak": _rss_mb()},
        "prompt_tokens_mean": float(policy.build(inputs).prompt_lengths.float().mean()),
        "load_s": load_s, "act_s": act_s, "train_step_s": train_s,
    }
    if cuda:
        res["cuda_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return res


@pytest.mark.parametrize("spec_name,quant,dtype", MEMORY_CONFIGS, ids=["-".join(c) for c in MEMORY_CONFIGS])
def test_memory(record, tmp_path_factory, spec_name, quant, dtype):
    if spec_name == "llava_ov_05b_shapes" and os.environ.get("A2A_BENCH_05B", "0") != "1":
        pytest.skip("LLaVA-OneVision-0.5B shapes need ~12 GB RAM and minutes: set A2A_BENCH_05B=1")
    root = os.environ.get("A2A_BENCH_CKPT") or str(tmp_path_factory.getbasetemp() / "memory_ckpts")
    cmd = [sys.executable, __file__, "--memory", spec_name, quant, dtype, root]

    def run() -> dict:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout.strip().splitlines()[-1])

    run()  # builds the checkpoint when it is missing (else a warm-up: page cache)
    runs = []
    with record.load() as load:
        for _ in range(3):
            runs.append(run())
    samples = record.samples([r["rss_mb"]["peak"] for r in runs], load)
    record("policy", f"memory[{spec_name}-{quant}-{dtype}]", samples, "MB peak RSS", better="lower",
           params={"spec": spec_name, "quantization": quant, "dtype": dtype},
           command=" ".join(["python", "bench/test_policy.py", *cmd[2:6], "CKPT_DIR"]), **runs[-1])


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--memory":
        print(json.dumps(measure_memory(*sys.argv[2:6])))
    else:
        sys.exit("usage: python bench/test_policy.py --memory SPEC QUANT DTYPE CKPT_ROOT")
