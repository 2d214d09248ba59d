"""`a2a train`: PPO of the MLLM policy (the main job).

With no arguments it trains a tiny policy (built in the run directory, no download) on the built-in
dataset on CPU for a few minutes with the exact oracle judge, evaluates it, and prints where the run
and its report are. With --model PATH it starts from a real LLaVA-OneVision checkpoint (or a saved
a2a policy); with --judge llm --base-url URL --llm-model NAME the useful-question reward comes from
an LLM judge over an OpenAI-compatible endpoint, and with --user llm an LLM user answers the
policy's questions. Multi-GPU: `torchrun --nproc-per-node G -m a2a.cli.main train ...`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .llm_args import add_llm_args


def register(sub, help_text: str) -> None:
    p = sub.add_parser("train", help=help_text, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_argument_group("run")
    g.add_argument("--run-dir", default=None, help="output directory (default: runs/train-<time>)")
    g.add_argument("--resume", action="store_true", help="continue the run in --run-dir from its last checkpoint")
    g.add_argument("--minutes", type=float, default=4.0, help="wall-clock budget; 0 = none (default 4)")
    g.add_argument("--updates", type=int, default=1000, help="PPO updates (default 1000; the time budget may stop earlier)")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--device", default="auto", help="auto | cpu | cuda")
    g.add_argument("--env-threads", type=int, default=0, help="threads of the batched core (0: automatic)")
    g.add_argument("--no-tensorboard", action="store_true")
    g = p.add_argument_group("model")
    g.add_argument("--model", default=None, help="LLaVA-OneVision checkpoint or saved a2a policy (default: a tiny model)")
    g.add_argument("--quantization", choices=("none", "nf4"), default=None, help="nf4: 4-bit LLM (bitsandbytes)")
    g.add_argument("--compression", choices=("resampler", "pool"), default=None)
    g.add_argument("--backend", choices=("torch", "triton"), default=None, help="compression kernels")
    g.add_argument("--max-past-steps", type=int, default=None,
                   help="past steps kept in the prompt (default: the policy's; whole episodes let PPO re-score "
                        "each episode in one forward)")
    g.add_argument("--finetune-llm", action="store_true",
                   help="train every LLM weight instead of LoRA adapters (the default for the tiny model, which is random)")
    g = p.add_argument_group("data and rewards")
    g.add_argument("--split", default="train", help="training split or episode file")
    g.add_argument("--dataset", default=None, help="dataset directory (default: the built-in dataset)")
    g.add_argument("--eval-split", default="val_unseen_scenes")
    g.add_argument("--eval-episodes", type=int, default=100)
    g.add_argument("--eval-every", type=int, default=0, help="updates between evaluations (0: at the end only)")
    g.add_argument("--budget-delta", type=int, default=0, help="question budget B = K + delta")
    g.add_argument("--reward-set", choices=("full", "success+subgoal", "success"), default="full",
                   help="the paper's reward ablation (penalties are kept in every set)")
    g.add_argument("--judge", choices=("oracle", "llm"), default="oracle")
    add_llm_args(g, "the LLM judge and the LLM user")
    g = p.add_argument_group("PPO")
    g.add_argument("--num-envs", type=int, default=16, help="environments per rank")
    g.add_argument("--rollout-steps", type=int, default=32)
    g.add_argument("--epochs", type=int, default=2)
    g.add_argument("--minibatches", type=int, default=4)
    g.add_argument("--lr", type=float, default=3e-4)
    g.add_argument("--ent-coef", type=float, default=0.01)
    g.add_argument("--kl-coef", type=float, default=0.0, help="KL to the frozen reference (adapters disabled)")
    g.add_argument("--checkpoint-every", type=int, default=10)
    g.add_argument("--sft-updates", type=int, default=0,
                   help="behavior-cloning updates on the oracle's actions before PPO (the paper's SFT baseline / warm start)")
    g.add_argument("--sft-lr", type=float, default=3e-3)
    g.add_argument("--sft-expert", default="oracle",
                   help="agent imitated by behavior cloning: oracle (privileged) or greedy-explore (sees what the policy sees)")
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace):
    from ..env.config import RewardWeights
    from ..rl.config import PPOConfig, TrainConfig

    run_dir = args.run_dir or str(Path("runs") / f"train-{time.strftime('%Y%m%d-%H%M%S')}")
    policy = {k: v for k, v in (("quantization", args.quantization), ("compression", args.compression),
                                ("backend", args.backend), ("max_past_steps", args.max_past_steps)) if v is not None}
    if args.finetune_llm:
        policy["finetune_llm"] = True
    if args.model is None:
        policy.setdefault("finetune_llm", True)  # it is randomly initialised: LoRA alone learns far slower
    return TrainConfig(
        run_dir=run_dir, model=args.model, split=args.split, dataset=args.dataset, eval_split=args.eval_split,
        eval_episodes=args.eval_episodes, eval_every=args.eval_every, checkpoint_every=args.checkpoint_every,
        minutes=args.minutes or None, seed=args.seed, device=args.device, num_threads=args.env_threads,
        rewards=RewardWeights(budget_delta=args.budget_delta), reward_set=args.reward_set, judge=args.judge,
        user=args.user, llm_base_url=args.base_url, llm_model=args.llm_model, llm_api_key_env=args.api_key_env,
        ppo=PPOConfig(num_envs=args.num_envs, rollout_steps=args.rollout_steps, updates=args.updates, epochs=args.epochs,
                      minibatches=args.minibatches, lr=args.lr, ent_coef=args.ent_coef, kl_coef=args.kl_coef),
        policy=policy, tensorboard=not args.no_tensorboard, sft_updates=args.sft_updates, sft_lr=args.sft_lr,
        sft_expert=args.sft_expert)


def run(args: argparse.Namespace) -> int:
    from ..data import EpisodeFileError, ManifestError
    from ..llm import LLMUnavailableError
    from ..rl import train
    from ..rl.checkpoint import latest_checkpoint
    from ..rl.metrics import MetricsError, logged_updates
    from ..rl.storage import RunWriteError

    def fail(msg) -> int:
        print(f"a2a train: error: {msg}", file=sys.stderr)
        return 2

    try:
        cfg = config_from_args(args)
    except ValueError as e:
        return fail(e)
    run_dir = Path(cfg.run_dir)
    try:  # a run dir holds a run once an update was logged; a failed start leaves nothing that blocks a retry
        holds_run = latest_checkpoint(run_dir) is not None or logged_updates(run_dir) > 0
    except MetricsError as e:
        return fail(e)
    if args.resume and not holds_run:
        return fail(f"nothing to resume in {run_dir} (no update was logged yet); start it without --resume")
    if holds_run and not args.resume:
        return fail(f"{run_dir} holds a run; pass --resume to continue it or choose another --run-dir")
    try:
        result = train(cfg)
    except (LLMUnavailableError, RunWriteError, MetricsError, EpisodeFileError, ManifestError, FileNotFoundError) as e:
        return fail(e)
    if int(os.environ.get("RANK", "0")) != 0:
        return 0  # torchrun: rank 0 reports
    print(f"\nrun:        {result.run_dir}")
    print(f"updates:    {result.updates}  env steps: {result.env_steps}")
    print(f"metrics:    {result.run_dir / 'metrics.csv'}  (TensorBoard: {result.run_dir / 'tensorboard'})")
    print(f"policy:     {result.policy_dir}  (a2a eval --agent mllm --model {result.policy_dir} ...)")
    if result.final_eval is not None:
        from ..eval.report import write_report

        path, table = write_report([str(result.final_eval_dir)], result.run_dir / "report", plots=True)
        print(f"evaluation: {cfg.eval_split}, {cfg.eval_episodes} episodes")
        print(table)
        print(f"report:     {path}")
    return 0
