"""`a2a train`: online PPO of the MLLM policy on the batched core, top to bottom.

    setup (ranks, seeds, model, envs, judge, optimizer) -> resume? -> for each update:
        collect a rollout (policy acts, envs step, the judge scores questions in the background)
        PPO update (GAE, clipped losses, gradients of the trainable weights all-reduced)
        log, checkpoint (atomic), evaluate now and then through the evaluation runner
"""

from __future__ import annotations

import json
import os
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from .. import _core
from ..env.config import EnvConfig
from .checkpoint import latest_checkpoint, load_counters, load_optimizer, rng_state, save_checkpoint, set_rng_state
from .config import TrainConfig
from .distributed import (DistInfo, barrier, broadcast_parameters, init_distributed, mean_across_ranks,
                          replica_checksums, shutdown)
from .metrics import MetricsLogger
from .ppo import ppo_update
from .rollout import RolloutCollector, episode_metrics
from .sft import AgentExpert, bc_update

REWARD_TERMS = list(_core.reward_terms())


@dataclass
class TrainResult:
    run_dir: Path
    updates: int
    env_steps: int
    final_eval: dict | None
    policy_dir: Path
    final_eval_dir: Path | None = None


def _seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _base_model(cfg: TrainConfig, info: DistInfo, run_dir: Path) -> str:
    """The checkpoint to start from: --model, or a tiny model built once in the run directory."""
    if cfg.model:
        return cfg.model
    path = run_dir / "base_model"
    if info.is_main and not (path / "config.json").exists():
        import shutil

        from ..policy.tiny import init_tiny

        # Built aside and renamed: a start killed midway leaves no half-built model to load next time.
        tmp = run_dir / ".base_model.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        init_tiny(tmp)
        shutil.rmtree(path, ignore_errors=True)
        os.replace(tmp, path)
    barrier(info)
    return str(path)


def _load_policy(cfg: TrainConfig, path: str, info: DistInfo):
    from ..policy.loading import load_for_run

    device = str(info.device) if cfg.device == "auto" else cfg.device
    return load_for_run(path, {"seed": cfg.seed, **cfg.policy, "device": device})


def _judge(cfg: TrainConfig, run_dir: Path, num_envs: int, weight: float):
    if cfg.judge != "llm":
        return None
    from ..llm import JudgeConfig, LLMClient, LLMConfig, LLMJudge
    from .question_reward import LLMQuestionReward

    client = LLMClient(LLMConfig(base_url=cfg.llm_base_url, model=cfg.llm_model, api_key_env=cfg.llm_api_key_env,
                                 cache_path=str(run_dir / "llm_cache.sqlite")))
    client.check()  # fail at startup, not in the middle of a rollout, if the endpoint is unreachable
    return LLMQuestionReward(LLMJudge(client, JudgeConfig(fallback="oracle")), num_envs, weight)


def evaluate_policy(policy, cfg: TrainConfig, out_dir: Path, frame_size: int, episodes: int | None = None) -> dict:
    """Greedy evaluation of the current policy through the evaluation runner (records + summary)."""
    from ..eval.runner import EvalConfig, RunnerConfig, evaluate
    from ..policy.agent import MLLMAgent

    agent = MLLMAgent(policy, sample=False)
    n = episodes if episodes is not None else cfg.eval_episodes
    ecfg = EvalConfig(agent="mllm", split=cfg.eval_split, dataset=cfg.dataset, episodes=n, out=str(out_dir),
                      resume=(out_dir / "run.json").exists(), label="mllm",
                      runner=RunnerConfig(num_envs=min(16, n), budget_delta=cfg.rewards.budget_delta,
                                          frame_size=frame_size, seed=cfg.seed),
                      user=cfg.user_spec(), progress=cfg.progress, agent_options={"model": "(training)"})
    res = evaluate(ecfg, agent=agent, log=lambda s: None)
    policy.eval()
    return res.summary


def _flat_eval(summary: dict) -> dict:
    overall = summary.get("overall", {})
    out = {}
    for k in ("SR", "ARS", "QR"):
        v = overall.get(k)
        if isinstance(v, dict):
            v = v.get("value")
        if isinstance(v, (int, float)):
            out[f"eval/{k}"] = float(v)
    return out


def train(cfg: TrainConfig) -> TrainResult:
    info = init_distributed(cfg.device)
    run_dir = Path(cfg.run_dir)
    if info.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
    barrier(info)
    env_threads = cfg.num_threads
    if info.device.type == "cpu" and "OMP_NUM_THREADS" not in os.environ:
        # Small torch ops slow down many-fold when their threads fight the env threads for cores.
        cores = os.cpu_count() or 1
        torch.set_num_threads(max(1, cores // 2))
        env_threads = env_threads or max(1, cores - torch.get_num_threads())
    ppo = cfg.ppo
    _seed(cfg.seed * 7919 + info.rank)

    # ---- model, data, envs, judge, optimizer ----
    policy = _load_policy(cfg, _base_model(cfg, info, run_dir), info)
    frame_size = cfg.frame_size or int(min(max(policy.encoder.image.size, 64), 512))
    from ..data import load_split

    episodes = load_split(cfg.split, cfg.dataset)
    rewards = cfg.effective_rewards()
    params = policy.trainable_parameters()
    optimizer = torch.optim.AdamW(params, lr=ppo.lr, weight_decay=ppo.weight_decay)
    generator = torch.Generator(device=policy.device).manual_seed(cfg.seed * 7919 + info.rank)
    cpu_generator = torch.Generator().manual_seed(cfg.seed * 104729 + info.rank)

    # ---- resume ----
    start, counters = 0, {"env_steps": 0, "wall_s": 0.0}
    ckpt = latest_checkpoint(run_dir)
    if ckpt is not None:
        counters = load_counters(ckpt)
        start = int(counters.pop("update"))
        policy.load_trainable(ckpt / "policy")
        load_optimizer(ckpt, optimizer)
        rng_file = ckpt / f"rng_rank{info.rank}.pt"
        if rng_file.exists():
            state = torch.load(rng_file, weights_only=False)
            set_rng_state(state)
            generator.set_state(state["generator"])
            cpu_generator.set_state(state["cpu_generator"])
        if info.is_main:
            print(f"resuming {run_dir} after update {start} ({counters['env_steps']} env steps)")
    else:
        broadcast_parameters(params, info)
        if info.is_main:
            (run_dir / "train_config.json").write_text(json.dumps(cfg.to_dict(), indent=2, default=str) + "\n")
    total_updates = cfg.sft_updates + ppo.updates  # behavior cloning first, then PPO
    if start >= total_updates and info.is_main:
        print(f"{run_dir}: already trained for {start} updates")

    num_envs = ppo.num_envs
    # Episodes are drawn at random per env; the stream is reseeded on resume so nothing repeats.
    env_cfg = EnvConfig(frame_size=frame_size, num_threads=env_threads, rewards=rewards, autoreset="next_step",
                        sampling="random", seed=cfg.seed * 1_000_003 + info.rank * 7_919 + start)
    core = env_cfg.make_core(episodes, num_envs, batch_size=num_envs // 2 if ppo.pipeline else num_envs)
    question_reward = _judge(cfg, run_dir, num_envs, rewards.useful_question)
    env_user = cfg.user_spec().build(core, num_envs, cache_path=str(run_dir / f"llm_user_cache_rank{info.rank}.sqlite"))
    collector = RolloutCollector(core, policy, pipeline=ppo.pipeline, generator=generator,
                                 question_reward=question_reward, user=env_user)
    # Rows after the checkpoint (all of them without one) are logged again by this run: none twice.
    logger = MetricsLogger(run_dir, resume_from_update=start, tensorboard=cfg.tensorboard) \
        if info.is_main else None

    # ---- the loop ----
    from tqdm import tqdm

    t_start = time.perf_counter() - float(counters.get("wall_s", 0.0))
    deadline = None if cfg.minutes is None else time.perf_counter() + 60 * cfg.minutes
    desc = "train" if cfg.minutes is None else f"train (stops after {cfg.minutes:g} min)"
    bar = tqdm(total=total_updates, initial=start, desc=desc, unit="update", disable=not (cfg.progress and info.is_main))
    expert = AgentExpert(core, cfg.sft_expert) if cfg.sft_updates else None
    update = start
    try:
        while update < total_updates:
            update += 1
            t0 = time.perf_counter()
            sft = update <= cfg.sft_updates
            for group in optimizer.param_groups:  # one optimizer (and checkpoint) for both phases
                group["lr"] = cfg.sft_lr if sft else ppo.lr
            if sft:  # warm start: imitate the expert agent
                ro = collector.collect(ppo.rollout_steps, expert=expert)
                stats = {"phase": "sft", **bc_update(policy, optimizer, ro, ppo.epochs, ppo.minibatches,
                                                     ppo.max_grad_norm, info, cpu_generator)}
            else:
                ro = collector.collect(ppo.rollout_steps)
                stats = {"phase": "ppo", **ppo_update(policy, optimizer, ro, ppo, info, cpu_generator)}
            steps = int(ro.valid.sum())
            m = {**stats, **episode_metrics(ro.episodes)}
            valid = ro.valid
            m["reward/total"] = float(ro.rewards[valid].mean()) if valid.any() else 0.0
            for k, name in enumerate(REWARD_TERMS):
                m[f"reward/{name}"] = float(ro.terms[..., k][valid].mean()) if valid.any() else 0.0
            for key, flag in (("rollout/invalid_rate", ro.invalid), ("rollout/ask_rate", ro.asked)):
                m[key] = float(flag[valid].float().mean()) if valid.any() else 0.0
            m["rollout/useful_rate"] = float(ro.useful[ro.asked & valid].float().mean()) if (ro.asked & valid).any() else float("nan")
            if question_reward is not None:
                m.update(question_reward.stats())
            if env_user is not None:
                m.update(env_user.stats())
            m["env_steps"] = steps
            phase = m.pop("phase")
            m = mean_across_ranks(m, info)
            m["phase"] = phase
            counters["env_steps"] = int(counters["env_steps"]) + int(m["env_steps"])
            counters["wall_s"] = time.perf_counter() - t_start
            m.update(update=update, env_steps=counters["env_steps"], wall_s=counters["wall_s"],
                     steps_per_s=m["env_steps"] / max(time.perf_counter() - t0, 1e-9))
            if cfg.eval_every and update % cfg.eval_every == 0 and update < total_updates and info.is_main:
                m.update(_flat_eval(evaluate_policy(policy, cfg, run_dir / "eval" / f"update_{update:06d}", frame_size)))
            if logger:
                logger.log(m)
            bar.update(1)
            bar.set_postfix(steps_s=f"{m['steps_per_s']:.0f}", SR=f"{m.get('episode/success_rate', float('nan')):.2f}",
                            ret=f"{m.get('episode/return', float('nan')):.2f}")
            out_of_time = deadline is not None and time.perf_counter() > deadline
            if update % cfg.checkpoint_every == 0 or update == total_updates or out_of_time:
                _checkpoint(run_dir, update, counters, policy, optimizer, generator, cpu_generator, info, cfg.keep_checkpoints)
            if out_of_time:
                if info.is_main:
                    print(f"\ntime budget of {cfg.minutes} min reached after update {update}")
                break
    finally:
        bar.close()
        if logger:
            logger.close()
        if question_reward is not None:
            question_reward.close()
        if env_user is not None:
            env_user.close()

    # ---- final policy and evaluation ----
    checksums = replica_checksums(params, info)  # raises if the ranks' weights diverged
    policy_dir = run_dir / "policy"
    final_eval = None
    if info.is_main:
        (run_dir / "replicas.json").write_text(json.dumps({"world_size": info.world_size, "checksums": checksums}) + "\n")
        policy.save_trainable(policy_dir)  # A2APolicy.from_pretrained(policy_dir) reloads base + trained weights
        if cfg.eval_episodes:
            # Named by update: a resumed run that trained further evaluates its new policy afresh,
            # while an evaluation killed midway (same update, same policy) resumes.
            final_dir = run_dir / "eval" / f"update_{update:06d}"
            final_eval = evaluate_policy(policy, cfg, final_dir, frame_size)
            (run_dir / "final_eval.json").write_text(json.dumps({"update": update, "eval_dir": str(final_dir),
                                                                  **_flat_eval(final_eval)}, indent=2) + "\n")
    barrier(info)
    shutdown(info)
    return TrainResult(run_dir, update, int(counters["env_steps"]), final_eval, policy_dir,
                       run_dir / "eval" / f"update_{update:06d}" if final_eval is not None else None)


def _checkpoint(run_dir, update, counters, policy, optimizer, generator, cpu_generator, info, keep) -> None:
    state = {**rng_state(), "generator": generator.get_state(), "cpu_generator": cpu_generator.get_state()}
    if info.world_size > 1:
        import torch.distributed as dist

        states: list = [None] * info.world_size
        dist.all_gather_object(states, state)
        rngs = dict(enumerate(states))
    else:
        rngs = {0: state}
    if info.is_main:
        save_checkpoint(run_dir, update, {k: v for k, v in counters.items() if k != "update"}, policy.save_trainable,
                        optimizer, rngs, keep=keep)
    barrier(info)
