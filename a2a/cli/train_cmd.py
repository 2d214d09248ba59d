"""`a2a train`: behavior cloning then PPO of the MLLM policy (the main job).

With no arguments it continues the tiny policy shipped with a2a (a2a/pretrained/tiny, itself behavior-cloned
from greedy-explore; `a2a model info` shows what it knows; no download), clones the non-privileged scripted
agent greedy-explore for 3 minutes, trains it with PPO and the exact oracle judge for 1 more (on CPU), then
evaluates it on val_unseen_scenes beside its starting points, no-ask, greedy-explore and the oracle, on the
same episodes, and prints the table and where the run, its report and its learning curve are. With --model
PATH it starts from a real LLaVA-OneVision checkpoint (or a saved a2a policy); with --judge llm --base-url URL
--llm-model NAME the useful-question reward comes from an LLM judge over an OpenAI-compatible endpoint, and
with --user llm an LLM user answers the policy's questions. Multi-GPU: `torchrun --nproc-per-node G -m
a2a.cli.main train ...`.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

from .config_args import add_config_args, config_values
from .errors import UserError
from .llm_args import add_llm_args


def register(sub, help_text: str) -> None:
    from ..env.config import RewardWeights
    from ..rl.config import PPOConfig, TrainConfig

    p = sub.add_parser("train", help=help_text, description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_argument_group("run")
    g.add_argument("--run-dir", default=None, help="output directory (default: runs/train-<time>)")
    g.add_argument("--resume", action="store_true", help="continue the run in --run-dir from its last checkpoint")
    add_config_args(g, TrainConfig, only=("minutes", "seed", "device", "frame_size", "num_threads", "tensorboard"))
    g = p.add_argument_group("model (architecture flags apply to a base checkpoint; a saved policy keeps its own)")
    add_config_args(g, TrainConfig, only=("model", "from_scratch"))
    g.add_argument("--quantization", choices=("none", "nf4"), default=None, help="nf4: 4-bit LLM (bitsandbytes)")
    g.add_argument("--compression", choices=("resampler", "pool"), default=None, help="frame compression adapter")
    g.add_argument("--backend", choices=("torch", "triton"), default=None, help="compression kernels")
    g.add_argument("--max-past-steps", type=int, default=None,
                   help="past steps kept in the prompt (default: the policy's; whole episodes let PPO re-score "
                        "each episode in one forward)")
    g.add_argument("--scene-text", action=argparse.BooleanOptionalAction, default=None,
                   help="the prompt also reads the scene as text: its places and objects (the action vocabulary) and, "
                        "every step, its number, where the robot stands, what it holds, the objects in view (and "
                        "where else each was seen), the places not looked into yet and the dialogue so far "
                        "(docs/policy.md; default: the policy's setting, off)")
    g.add_argument("--kind-first", action=argparse.BooleanOptionalAction, default=None,
                   help="the policy reads objects and writes picks kind first (`pick(hat large black)`; the env "
                        "still gets `pick(large black hat)`; docs/policy.md; default: the policy's setting, off)")
    g.add_argument("--candidates", action=argparse.BooleanOptionalAction, default=None,
                   help="with --scene-text, every step also names the objects that fit the instruction and the answers "
                        "so far (`Candidates:`; docs/policy.md; default: the policy's setting, off)")
    g.add_argument("--finetune-llm", action=argparse.BooleanOptionalAction, default=None,
                   help="train every LLM weight instead of LoRA adapters (default: on without --model, i.e. for the "
                        "tiny policy, whose LLM is small enough to train whole)")
    g = p.add_argument_group("data, evaluation and rewards")
    add_config_args(g, TrainConfig, only=("split", "dataset", "eval_split", "eval_episodes", "eval_every", "compare",
                                          "reward_set", "judge"))
    g.add_argument("--budget-delta", type=int, default=RewardWeights().budget_delta,
                   help="question budget B = K + delta")
    g.add_argument("--reward", action="append", default=[], metavar="TERM=WEIGHT",
                   help="a reward term's weight (repeatable); terms and defaults: " +
                        ", ".join(f"{k}={v:g}" for k, v in RewardWeights().as_dict().items() if k != "budget_delta"))
    add_llm_args(g, "the LLM judge and the LLM user", judge=True)
    g = p.add_argument_group("behavior cloning (before PPO)")
    add_config_args(g, TrainConfig, only=("sft_updates", "sft_minutes", "sft_lr", "sft_epochs", "sft_minibatches",
                                          "sft_perturb", "sft_dagger", "sft_balance", "sft_expert"))
    g = p.add_argument_group("PPO")
    add_config_args(g, PPOConfig)
    add_config_args(g, TrainConfig, only=("checkpoint_every", "keep_checkpoints"))
    p.set_defaults(func=run)


def _reward_weights(args: argparse.Namespace):
    from ..env.config import RewardWeights

    weights = {}
    for item in args.reward:
        name, sep, value = item.partition("=")
        if not sep or name.strip() not in RewardWeights.__dataclass_fields__ or name.strip() == "budget_delta":
            raise ValueError(f"--reward {item!r}: expected TERM=WEIGHT with TERM one of "
                             f"{', '.join(f for f in RewardWeights.__dataclass_fields__ if f != 'budget_delta')}")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"--reward {item!r}: {value!r} is not a number") from None
    return RewardWeights(budget_delta=args.budget_delta, **weights)


def config_from_args(args: argparse.Namespace):
    from ..rl.config import PPOConfig, TrainConfig

    run_dir = args.run_dir or str(Path("runs") / f"train-{time.strftime('%Y%m%d-%H%M%S')}")
    policy = {k: v for k, v in (("quantization", args.quantization), ("compression", args.compression),
                                ("backend", args.backend), ("max_past_steps", args.max_past_steps),
                                ("finetune_llm", args.finetune_llm), ("scene_text", args.scene_text),
                                ("kind_first", args.kind_first), ("candidates", args.candidates)) if v is not None}
    if args.model is None:
        policy.setdefault("finetune_llm", True)  # a tiny LLM trains whole: LoRA alone learns far slower
    values = config_values(args, TrainConfig)
    return TrainConfig(**{**values, "run_dir": run_dir, "rewards": _reward_weights(args), "user": args.user,
                          "llm_base_url": args.base_url, "llm_model": args.llm_model,
                          "llm_api_key_env": args.api_key_env, "llm_timeout_s": args.llm_timeout,
                          "llm_concurrency": args.llm_concurrency, "llm_json_mode": args.llm_json_mode == "on",
                          "ppo": PPOConfig(**config_values(args, PPOConfig)),
                          "policy": policy})


def _check_splits(cfg) -> None:
    """A mistyped split fails now in one line, not in a traceback after a model is built (or, for the
    evaluation split, after the whole training)."""
    from ..data import load_split
    from ..rl.sft import check_takeover

    try:
        for split in dict.fromkeys([cfg.split] + ([cfg.eval_split] if cfg.eval_episodes else [])):
            episodes = load_split(split, cfg.dataset)
            if split == cfg.split:
                check_takeover(cfg, episodes)
    except (ValueError, OSError) as e:
        raise UserError(str(e)) from None


def run(args: argparse.Namespace) -> int:
    from ..data import EpisodeFileError, ManifestError
    from ..llm import LLMCacheError, LLMUnavailableError
    from ..policy.loading import ModelPathError, check_model_path
    from ..rl import train
    from ..rl.checkpoint import latest_checkpoint
    from ..rl.distributed import LaunchError, launcher_env
    from ..rl.metrics import MetricsError, logged_updates
    from ..rl.storage import RunWriteError
    from ..rl.trainer import foreign_entries, resume_config

    try:
        launcher = launcher_env()  # RANK, WORLD_SIZE, ... checked before anything is built
        cfg = config_from_args(args)
        if cfg.model:
            check_model_path(cfg.model)  # before a run directory exists
    except ValueError as e:
        raise UserError(str(e)) from None
    _check_splits(cfg)
    run_dir = Path(cfg.run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise UserError(f"--run-dir {run_dir} exists and is not a directory")
    try:  # a run dir holds a run once an update was logged; a failed start leaves nothing that blocks a retry
        holds_run = latest_checkpoint(run_dir) is not None or logged_updates(run_dir) > 0
    except MetricsError as e:
        raise UserError(str(e)) from None
    if args.resume and not holds_run:
        raise UserError(f"nothing to resume in {run_dir} (no update was logged yet); start it without --resume")
    if holds_run and not args.resume:
        raise UserError(f"{run_dir} holds a run; pass --resume to continue it or choose another --run-dir")
    if holds_run and latest_checkpoint(run_dir) is None and launcher.rank == 0:
        # updates were logged but no checkpoint kept them (a full disk before the first one, a copied folder)
        print(f"a2a train: no checkpoint in {run_dir}: the run starts over from update 1 (the updates it "
              "logged are rewritten)", file=sys.stderr)
    if holds_run:
        try:  # the options typed (None, as from a Namespace built elsewhere: all of them)
            cfg = resume_config(run_dir, cfg, getattr(args, "explicit", None))
        except ValueError as e:
            raise UserError(str(e)) from None
    foreign = [] if holds_run else foreign_entries(run_dir)  # a run's folder may gain the user's files (a log)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise UserError(f"--run-dir {run_dir} holds files a training run does not write ({shown}); "
                        f"choose a new or empty --run-dir")
    from ..eval.run_dir import ResumeError

    try:
        result = train(cfg)
    except (LLMUnavailableError, LLMCacheError, RunWriteError, MetricsError, EpisodeFileError, ManifestError,
            FileNotFoundError, ModelPathError, LaunchError, ResumeError) as e:
        raise UserError(str(e)) from None
    if launcher.rank != 0:
        return 0  # torchrun: rank 0 reports
    print(f"\nrun:        {result.run_dir}")
    print(f"updates:    {result.updates}  env steps: {result.env_steps}")
    print(f"metrics:    {result.run_dir / 'metrics.csv'}" + (
        f"  (TensorBoard: {result.run_dir / 'tensorboard'})" if cfg.tensorboard else ""))
    if result.curve is not None:
        print(f"curve:      {result.curve}")
    print(f"policy:     {result.policy_dir}  (a2a eval --agent mllm --model {shlex.quote(str(result.policy_dir))} ...)")
    if result.final_eval is not None:
        from ..eval.report import write_report
        from ..rl.comparison import table

        dirs = [str(r.eval_dir) for r in result.comparison] or [str(result.final_eval_dir)]
        curve = [(result.curve, "Learning curve (training episodes)")] if result.curve else []
        path, _ = write_report(dirs, result.run_dir / "report", plots=True, figures=curve)
        print()
        print(table(result.comparison or [], cfg.eval_split, cfg.eval_episodes) if result.comparison else
              f"evaluation: {cfg.eval_split}, {cfg.eval_episodes} episodes, SR {result.final_eval['overall']['SR']}")
        print(f"report:     {path}")
    return 0

