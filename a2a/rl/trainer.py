"""`a2a train`: behavior cloning then online PPO of the MLLM policy on the batched core, top to bottom.

    setup (ranks, seeds, model, envs, judge, optimizer) -> resume? -> for each update:
        phase: behavior cloning (imitate an expert agent) until its updates or its minutes are spent,
               then PPO until its updates or the run's minutes are spent
        collect a rollout (the expert or the policy acts, envs step, the judge scores questions)
        update (BC: log-likelihood of the expert's actions; PPO: GAE, clipped losses), gradients of the
               trainable weights all-reduced across ranks
        log, checkpoint (atomic), evaluate now and then through the evaluation runner
    -> the final policy, evaluated beside its starting points and the scripted agents (comparison.py)
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .. import _core
from ..env.config import EnvConfig
from ..eval.run_dir import run_lock
from .checkpoint import latest_checkpoint, load_counters, load_optimizer, rng_state, save_checkpoint, set_rng_state
from .comparison import REFERENCES, Row, evaluate_policy, evaluate_reference, metric
from .config import TrainConfig
from .distributed import (
    DistInfo,
    barrier,
    broadcast_parameters,
    init_distributed,
    mean_across_ranks,
    replica_checksums,
    shutdown,
)
from .metrics import MetricsLogger
from .ppo import ppo_update
from .rollout import RolloutCollector, episode_metrics
from .sft import AgentExpert, bc_update, check_takeover

REWARD_TERMS = list(_core.reward_terms())
START_DIR = "start"  # the policy at update 0 and after behavior cloning, kept for the comparison
# the top-level entries a training run writes (llm_*: the LLM judge's and user's caches; hidden names: temporary
# files of atomic writes, and the like); anything else in a directory that holds no run means it is not one
RUN_ENTRIES = frozenset({"train_config.json", "base_model", ".base_model.tmp", "checkpoints", "metrics.jsonl",
                         "metrics.csv", "tensorboard", START_DIR, "eval", "policy", "replicas.json", "final_eval.json",
                         "learning_curve.png", "report"})


def foreign_entries(run_dir: Path) -> list[str]:
    """Entries at the top of `run_dir` that no training run writes (none: a new directory or a run's)."""
    if not run_dir.is_dir():
        return []
    return sorted(p.name for p in run_dir.iterdir()
                  if p.name not in RUN_ENTRIES and not p.name.startswith(("llm_", ".")))


# What a resumed run may change: how long it runs (budgets: a budget not given keeps the run's own), how it
# checkpoints and logs, and where it runs and reaches its services; every other setting is part of what it trains,
# or of the comparison it resumes (evaluations are resumed by folder), and must stay the run's (train_config.json).
RESUME_BUDGETS = ("minutes", "sft_minutes", "sft_updates", "ppo.updates")
RESUME_MAY_CHANGE = frozenset(RESUME_BUDGETS) | {"run_dir", "ppo.pipeline", "checkpoint_every", "keep_checkpoints",
                                                  "device", "num_threads", "llm_base_url", "llm_api_key_env",
                                                  "llm_timeout_s", "llm_concurrency", "tensorboard", "progress"}
RESUME_PATHS = ("model", "dataset", "split")  # equal when they name the same existing file or folder


class ResumeConflict(ValueError):
    """A resume asked to train with other settings than the run began with."""


def _settings(cfg: dict) -> dict:
    """A config as train_config.json holds it, nested settings one level up ("ppo.lr", "rewards.success")."""
    flat = {}
    for k, v in cfg.items():
        if k in ("ppo", "rewards", "policy") and isinstance(v, dict):
            flat.update({f"{k}.{kk}": vv for kk, vv in v.items()})
        else:
            flat[k] = v
    return flat


def _same_path(a, b) -> bool:
    return isinstance(a, str) and isinstance(b, str) and Path(a).exists() and Path(b).exists() \
        and Path(a).resolve() == Path(b).resolve()


def resume_config(run_dir: Path, cfg: TrainConfig, given: set[str] | None = None) -> TrainConfig:
    """The config a resume of the run in `run_dir` trains with: `cfg`, whose budgets (RESUME_BUDGETS) not named in
    `given` (None: all given) are the run's own from train_config.json. Raises ResumeConflict naming every other
    setting that differs from those the run began with, outside RESUME_MAY_CHANGE (a setting its record predates
    counts as what it meant then), or a record that cannot be read."""
    path = run_dir / "train_config.json"
    try:
        saved = json.loads(path.read_text())
    except FileNotFoundError:
        return cfg  # killed before its first update was logged: nothing was trained to contradict
    except (ValueError, UnicodeDecodeError) as e:
        raise ResumeConflict(f"{path}: unreadable ({e}); start a new --run-dir") from None
    if not isinstance(saved, dict):
        raise ResumeConflict(f"{path}: not a training configuration; start a new --run-dir")
    if "from_scratch" not in saved:  # before the flag, no --model meant a random tiny model in the run
        saved["from_scratch"] = saved.get("model") is None
    saved.setdefault("sft_minutes", None)  # before the cloning phase had a time budget of its own
    record = _settings(saved)
    try:  # without this a resume would fall back to the defaults, against the run's continued clock
        for name in RESUME_BUDGETS:
            if given is not None and name.split(".")[-1] not in given and name in record:
                cfg = (replace(cfg, ppo=replace(cfg.ppo, updates=record[name])) if name == "ppo.updates"
                       else replace(cfg, **{name: record[name]}))
    except (ValueError, TypeError) as e:
        raise ResumeConflict(f"{path}: a budget the run recorded is not valid ({e}); give it on the command "
                             "line") from None
    now = _settings(json.loads(json.dumps(cfg.to_dict(), default=str)))
    defaults = _settings(json.loads(json.dumps(TrainConfig(run_dir=cfg.run_dir).to_dict(), default=str)))
    before = {**defaults, **record}
    diffs = [f"{k} (the run: {before.get(k)!r}, now {v!r})" for k, v in now.items()
             if k not in RESUME_MAY_CHANGE and before.get(k) != v
             and not (k in RESUME_PATHS and _same_path(before.get(k), v))]
    if diffs:
        raise ResumeConflict(f"refusing to resume {run_dir} with other settings than it began with: "
                             f"{'; '.join(diffs)}. Pass the run's own (its train_config.json), or start a new "
                             "--run-dir")
    return cfg


@dataclass
class TrainResult:
    run_dir: Path
    updates: int
    env_steps: int
    final_eval: dict | None
    policy_dir: Path
    final_eval_dir: Path | None = None
    comparison: list[Row] = field(default_factory=list)  # this policy, its starting points, scripted agents
    curve: Path | None = None                             # the learning-curve PNG


def _seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _base_model(cfg: TrainConfig, info: DistInfo, run_dir: Path) -> str:
    """The checkpoint to start from: --model, the shipped tiny policy, or (from_scratch) a random tiny
    model built once in the run directory."""
    if cfg.model:
        return cfg.model
    if not cfg.from_scratch:
        from ..policy.pretrained import shipped_tiny

        return str(shipped_tiny())
    path = run_dir / "base_model"
    if info.is_main and not (path / "config.json").exists():
        import shutil

        from ..policy.tiny import init_tiny

        shutil.rmtree(path, ignore_errors=True)  # init_tiny writes in one piece; this is an older run's leftover
        init_tiny(path)
    barrier(info)
    return str(path)


def _start_description(cfg: TrainConfig) -> str:
    if cfg.model:
        return "its start: the policy at update 0 (--model)"
    if cfg.from_scratch:
        return "its start: the policy at update 0 (a random tiny model)"
    from ..policy.pretrained import pretraining_record, shipped_tiny

    rec = pretraining_record(shipped_tiny()) or {}
    expert = rec.get("config", {}).get("expert", "?")  # from its PRETRAINING.json, not assumed
    return (f"its start: the tiny policy shipped with a2a, behavior-cloned from {expert} "
            f"({rec.get('env_steps', '?')} env steps, no PPO)")


def _load_policy(cfg: TrainConfig, path: str, info: DistInfo):
    from ..policy.loading import load_for_run

    device = str(info.device) if cfg.device == "auto" else cfg.device
    return load_for_run(path, {"seed": cfg.seed, **cfg.policy, "device": device})


def _judge(cfg: TrainConfig, run_dir: Path, num_envs: int, weight: float, env_user=None):
    if cfg.judge != "llm":
        return None
    from ..llm import JudgeConfig, LLMClient, LLMJudge
    from .question_reward import LLMQuestionReward

    client = LLMClient(cfg.judge_llm_config(cache_path=str(run_dir / "llm_cache.sqlite")))
    client.check()  # fail at startup, not in the middle of a rollout, if the endpoint is unreachable
    return LLMQuestionReward(LLMJudge(client, JudgeConfig(fallback="oracle", json_mode=cfg.llm_json_mode)), num_envs,
                             weight, dialogues=env_user.dialogues if env_user is not None else None)


def _flat_eval(summary: dict) -> dict:
    return {f"eval/{k}": v for k in ("SR", "ARS", "QR") if (v := metric(summary, k)) is not None}


def _agree(flag: bool, info: DistInfo) -> bool:
    """True on every rank if it is True on any (time budgets are read per rank; ranks must act alike)."""
    if info.world_size == 1:
        return flag
    import torch.distributed as dist

    t = torch.tensor([1.0 if flag else 0.0])
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def budget_note(cfg: TrainConfig) -> str | None:
    """One line when the run's budgets can leave PPO no time: behavior cloning may run until --sft-minutes, and
    the run stops at --minutes (a user who shortens --minutes alone would otherwise get no PPO without a word)."""
    if not (cfg.sft_updates and cfg.ppo.updates and cfg.minutes is not None and cfg.sft_minutes is not None):
        return None
    if cfg.sft_minutes < cfg.minutes:
        return None
    return (f"note: --sft-minutes {cfg.sft_minutes:g} is not below --minutes {cfg.minutes:g}: behavior cloning can "
            f"take the whole run and leave PPO no update (give --sft-minutes below --minutes for PPO)")


class Clock:
    """The run's wall clock (continued across resumes) and its budgets."""

    def __init__(self, cfg: TrainConfig, elapsed: float):
        self.t0 = time.perf_counter() - elapsed
        self.minutes, self.sft_minutes = cfg.minutes, cfg.sft_minutes

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def over(self) -> bool:
        return self.minutes is not None and self.elapsed >= 60 * self.minutes

    def sft_over(self) -> bool:
        return self.sft_minutes is not None and self.elapsed >= 60 * self.sft_minutes


class Progress:
    """The progress bar, in the unit that stops the run: minutes under a time budget, else updates;
    live SR and return over the phase's last 100 training episodes (not counting its first update's)."""

    def __init__(self, cfg: TrainConfig, clock: Clock, start: int, enabled: bool, first_phase: str):
        from tqdm import tqdm

        self.by_time = cfg.minutes is not None
        self.clock = clock
        self.cloned_actor = "expert+policy " if cfg.sft_dagger else "expert "  # who acts while cloning
        total = round(cfg.minutes, 2) if cfg.minutes is not None else cfg.total_updates
        initial = min(round(clock.elapsed / 60, 2), total) if self.by_time else start
        self.bar = tqdm(total=total, initial=initial, unit="min" if self.by_time else "update", disable=not enabled,
                        desc=self.describe(first_phase),
                        bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} min{postfix}" if self.by_time else None)
        self.recent: deque = deque(maxlen=100)
        self.phase = ""

    def step(self, phase: str, update: int, m: dict, episodes: list[dict]) -> None:
        if phase != self.phase:  # a new phase: its own episodes only, from its second update on (as the curve:
            self.recent.clear()  # the first update's rollout ends only its shortest episodes, curves.training_points)
            self.phase = phase
        else:
            self.recent.extend(episodes)
        self.bar.set_description(self.describe(phase))
        post = {"update": update, "steps/s": f"{m['steps_per_s']:.0f}"}
        if self.recent:  # while cloning, the episodes are the expert's (with DAgger, partly the policy's)
            who = self.cloned_actor if phase == "sft" else ""
            post[who + "SR"] = f"{np.mean([e['success'] for e in self.recent]):.2f}"
            post[who + "return"] = f"{np.mean([e['return'] for e in self.recent]):.1f}"
        self.bar.set_postfix(post)
        if self.by_time:
            self.bar.update(min(round(self.clock.elapsed / 60, 2), self.bar.total) - self.bar.n)
        else:
            self.bar.update(1)

    def write(self, line: str) -> None:
        """A line above the bar (the bar is redrawn below it)."""
        self.bar.write(line)

    @staticmethod
    def describe(phase: str) -> str:
        return "behavior cloning" if phase == "sft" else "PPO"

    def close(self) -> None:
        self.bar.close()


def train(cfg: TrainConfig) -> TrainResult:
    info = init_distributed(cfg.device)
    run_dir = Path(cfg.run_dir)
    if not info.is_main:
        return _train(cfg, info, run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    with run_lock(run_dir, "training run", "--run-dir"):  # a second `a2a train` into it is refused, not interleaved
        return _train(cfg, info, run_dir)


def _train(cfg: TrainConfig, info: DistInfo, run_dir: Path) -> TrainResult:
    if latest_checkpoint(run_dir) is not None:
        resume_config(run_dir, cfg)  # refused before anything is built
    barrier(info)
    env_threads = cfg.num_threads
    if info.device.type == "cpu" and "OMP_NUM_THREADS" not in os.environ:
        # Half of this rank's share of the CPUs (launchers other than torchrun leave OMP_NUM_THREADS unset) for torch,
        # the rest for the envs. All of them are faster on an otherwise idle machine (bench/test_train_throughput.py)
        # but slower when another job holds a core (small torch ops' threads then wait on each other); a user who
        # owns the machine sets OMP_NUM_THREADS (docs/training.md).
        cores = max(1, (os.cpu_count() or 1) // info.local_world_size)
        torch.set_num_threads(max(1, cores // 2))
        env_threads = env_threads or max(1, cores - torch.get_num_threads())
    ppo = cfg.ppo
    _seed(cfg.seed * 7919 + info.rank)

    # ---- model, data, envs, judge, optimizer ----
    policy = _load_policy(cfg, _base_model(cfg, info, run_dir), info)
    frame_size = cfg.frame_size or int(min(max(policy.encoder.image.size, 64), 512))
    from ..data import load_split

    episodes = load_split(cfg.split, cfg.dataset)
    check_takeover(cfg, episodes)
    rewards = cfg.effective_rewards()
    params = policy.trainable_parameters()
    optimizer = torch.optim.AdamW(params, lr=ppo.lr, weight_decay=ppo.weight_decay)
    generator = torch.Generator(device=policy.device).manual_seed(cfg.seed * 7919 + info.rank)
    cpu_generator = torch.Generator().manual_seed(cfg.seed * 104729 + info.rank)

    # ---- resume ----
    start = 0
    counters: dict[str, Any] = {"env_steps": 0, "wall_s": 0.0, "sft_done": None}
    ckpt = latest_checkpoint(run_dir)
    if ckpt is not None:
        if info.is_main:  # its budgets may have grown: the record says what the run now goes on with
            (run_dir / "train_config.json").write_text(json.dumps(cfg.to_dict(), indent=2, default=str) + "\n")
        counters = {"sft_done": None, **load_counters(ckpt)}
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
            if cfg.compare:  # the starting point, for the final comparison
                policy.save_trainable(run_dir / START_DIR / "initial")
    sft_done = 0 if cfg.sft_updates == 0 else counters["sft_done"]  # BC updates done once cloning ended

    num_envs = ppo.num_envs
    # Episodes are drawn at random per env; the stream is reseeded on resume so nothing repeats.
    env_cfg = EnvConfig(frame_size=frame_size, num_threads=env_threads, rewards=rewards, autoreset="next_step",
                        sampling="random", seed=cfg.seed * 1_000_003 + info.rank * 7_919 + start)
    core = env_cfg.make_core(episodes, num_envs, batch_size=num_envs // 2 if ppo.pipeline else num_envs)
    env_user = cfg.user_spec().build(core, num_envs, cache_path=str(run_dir / f"llm_user_cache_rank{info.rank}.sqlite"))
    question_reward = _judge(cfg, run_dir, num_envs, rewards.useful_question, env_user)  # one dialogue record
    collector = RolloutCollector(core, policy, pipeline=bool(ppo.pipeline), generator=generator,
                                 question_reward=question_reward, user=env_user,
                                 seed=cfg.seed * 1_000_003 + info.rank + 17 * start)
    # Rows after the checkpoint (all of them without one) are logged again by this run: none twice.
    extra = ("reward/useful_question_oracle", "judge/agreement", "judge/kappa") + tuple(question_reward.stats()) \
        if question_reward is not None else ()
    extra += tuple(env_user.stats()) if env_user is not None else ()
    logger = MetricsLogger(run_dir, resume_from_update=start, tensorboard=cfg.tensorboard,
                           extra_columns=extra) if info.is_main else None

    # ---- the loop ----
    note = budget_note(cfg)
    if note and info.is_main and sft_done is None:  # said while cloning can still run
        print(note)
    clock = Clock(cfg, float(counters.get("wall_s", 0.0)))
    bar = Progress(cfg, clock, start, cfg.progress and info.is_main,
                   "sft" if sft_done is None and start < cfg.sft_updates and not clock.sft_over() else "ppo")
    expert = AgentExpert(core, cfg.sft_expert) if cfg.sft_updates else None
    update = start
    stopped_by_time = False
    try:
        while True:
            if sft_done is None and _agree(update >= cfg.sft_updates or clock.sft_over(), info):
                sft_done = update  # behavior cloning ends here; PPO starts from this policy
                if info.is_main and cfg.compare:
                    policy.save_trainable(run_dir / START_DIR / "behavior_cloned")
            if sft_done is not None and update - sft_done >= ppo.updates:
                break
            if _agree(clock.over(), info):
                stopped_by_time = True
                break
            update += 1
            t0 = time.perf_counter()
            sft = sft_done is None
            for group in optimizer.param_groups:  # one optimizer (and checkpoint) for both phases
                group["lr"] = cfg.sft_lr if sft else ppo.lr
            if sft:  # warm start: imitate the expert agent
                before = collector.not_imitable
                ro = collector.collect(ppo.rollout_steps, expert=expert, perturb=cfg.sft_perturb, dagger=cfg.sft_dagger)
                if collector.not_imitable and not before and info.is_main:
                    bar.write(f"note: {cfg.sft_expert} took actions this policy cannot take (a scene_text policy "
                              "picks only what is in view); they are not imitated (sft/imitated_rate in the "
                              "metrics: the share of steps trained on)")
                stats = {"phase": "sft", **bc_update(policy, optimizer, ro, cfg.sft_epochs, cfg.sft_minibatches,
                                                     ppo.max_grad_norm, info, cpu_generator, ppo.gamma, ppo.vf_coef,
                                                     cfg.sft_balance)}
            else:
                ro = collector.collect(ppo.rollout_steps)
                stats = {"phase": "ppo", **ppo_update(policy, optimizer, ro, ppo, info, cpu_generator)}
            m = {**stats, **episode_metrics(ro.episodes)}
            valid = ro.valid
            m["reward/total"] = float(ro.rewards[valid].mean()) if valid.any() else 0.0
            for k, name in enumerate(REWARD_TERMS):
                m[f"reward/{name}"] = float(ro.terms[..., k][valid].mean()) if valid.any() else 0.0
            for key, flag in (("rollout/invalid_rate", ro.invalid), ("rollout/ask_rate", ro.asked)):
                m[key] = float(flag[valid].float().mean()) if valid.any() else 0.0
            asked = ro.asked & valid
            m["rollout/useful_rate"] = float(ro.useful[asked].float().mean()) if asked.any() else float("nan")
            if question_reward is not None:
                m.update(question_reward.stats())
            if env_user is not None:
                m.update(env_user.stats())
            m["env_steps"] = int(valid.sum())
            phase = m.pop("phase")
            m = mean_across_ranks(m, info)
            m["phase"] = phase
            counters["env_steps"] = int(counters["env_steps"]) + int(m["env_steps"])
            counters["wall_s"] = clock.elapsed
            counters["sft_done"] = sft_done
            m.update(update=update, env_steps=counters["env_steps"], wall_s=counters["wall_s"],
                     steps_per_s=m["env_steps"] / max(time.perf_counter() - t0, 1e-9))
            if cfg.eval_every and update % cfg.eval_every == 0 and info.is_main:
                m.update(_flat_eval(evaluate_policy(policy, cfg, run_dir / "eval" / f"update_{update:06d}", frame_size,
                                                    label="mllm")))
            if logger:
                logger.log(m)
            bar.step(phase, update, m, ro.episodes)
            if update % cfg.checkpoint_every == 0:
                _checkpoint(run_dir, update, counters, policy, optimizer, generator, cpu_generator, info,
                            cfg.keep_checkpoints)
    finally:
        bar.close()
        if logger:
            logger.close()
        if question_reward is not None:
            question_reward.close()
        if env_user is not None:
            env_user.close()
    if sft_done is None:  # the budget ran out while cloning: the whole run was behavior cloning
        counters["sft_done"] = sft_done = update
    if update > start and update % cfg.checkpoint_every:
        _checkpoint(run_dir, update, counters, policy, optimizer, generator, cpu_generator, info, cfg.keep_checkpoints)
    if stopped_by_time and info.is_main:
        print(f"time budget of {cfg.minutes:g} min reached after update {update} "
              f"({sft_done} of behavior cloning, {update - sft_done} of PPO)")

    # ---- final policy, evaluation, comparison ----
    checksums = replica_checksums(params, info)  # raises if the ranks' weights diverged
    policy_dir = run_dir / "policy"
    result = TrainResult(run_dir, update, int(counters["env_steps"]), None, policy_dir)
    if info.is_main:
        (run_dir / "replicas.json").write_text(json.dumps({"world_size": info.world_size,
                                                           "checksums": checksums}) + "\n")
        policy.save_trainable(policy_dir)  # A2APolicy.from_pretrained(policy_dir) reloads base + trained weights
        if cfg.eval_episodes:
            _final_evaluation(cfg, policy, run_dir, update, sft_done, frame_size, result)
        from .curves import plot_learning_curve

        result.curve = plot_learning_curve(run_dir, run_dir / "learning_curve.png",
                                           {r.label: r.summary for r in result.comparison})
    barrier(info)
    shutdown(info)
    return result


def _final_evaluation(cfg: TrainConfig, policy, run_dir: Path, update: int, sft_done: int, frame_size: int,
                      result: TrainResult) -> None:
    # Named by update: a resumed run that trained further evaluates its new policy afresh, while an
    # evaluation killed midway (same update, same policy) resumes.
    final_dir = run_dir / "eval" / f"update_{update:06d}"
    variants = (f" (DAgger {cfg.sft_dagger:g})" if cfg.sft_dagger else "") + \
        (f" (verbs balanced, {cfg.sft_balance:g})" if cfg.sft_balance else "")
    phases = (f"{sft_done} updates of behavior cloning from {cfg.sft_expert}{variants}, " if sft_done else "") + \
        f"{update - sft_done} updates of PPO ({cfg.reward_set} reward)"
    result.final_eval = evaluate_policy(policy, cfg, final_dir, frame_size, label="this policy")
    result.final_eval_dir = final_dir
    (run_dir / "final_eval.json").write_text(json.dumps({"update": update, "eval_dir": str(final_dir),
                                                          **_flat_eval(result.final_eval)}, indent=2) + "\n")
    rows = [Row("this policy", phases, final_dir, result.final_eval)]
    if cfg.compare:
        trained = {n: p.detach().clone() for n, p in policy.named_trainable_parameters()}
        starts = [("initial", _start_description(cfg))]
        if sft_done and update > sft_done:
            starts.append(("behavior_cloned", f"PPO's start: after {sft_done} updates of behavior cloning"))
        for name, what in starts:
            if (run_dir / START_DIR / name).exists():
                policy.load_trainable(run_dir / START_DIR / name)
                d = run_dir / "eval" / name
                rows.append(Row(name.replace("_", " "), what, d,
                                evaluate_policy(policy, cfg, d, frame_size, label=name)))
        with torch.no_grad():  # back to the trained weights
            for n, p in policy.named_trainable_parameters():
                p.copy_(trained[n])
        for agent, what in REFERENCES:
            d = run_dir / "eval" / agent
            rows.append(Row(agent, what, d, evaluate_reference(agent, cfg, d)))
    result.comparison = rows


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
