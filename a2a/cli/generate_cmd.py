"""`a2a generate OUT_DIR`: write an episode dataset (one .jsonl.gz per split and a manifest)."""

from __future__ import annotations

import argparse

from ..data import DEFAULT_COUNTS, DEFAULT_TASKS, PRESETS, SPLITS, TASK_MIXES, generate_dataset
from ..data.dataset import DEFAULT_EVAL_SCENES, DEFAULT_TRAIN_SCENES, MAX_EPISODE_STEPS
from ..env.config import CORE_MAX_INT, check_int
from .errors import UserError


def register(sub, help_text: str) -> None:
    p = sub.add_parser("generate", help=help_text, description=__doc__)
    p.add_argument("out_dir", help="directory to write (created if missing)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--preset", choices=sorted(PRESETS), default="default",
                   help="default, or easy: small open apartments without clutter, K <= 1, 10 steps "
                        "(quick learning checks)")
    p.add_argument("--tasks", choices=list(TASK_MIXES), default=None,
                   help=f"task mix (default: the preset's; {DEFAULT_TASKS} for the default preset, single for easy): "
                        "single = single-object fetch only (the original benchmark); "
                        "mixed = a quarter clean-clutter and preference-reasoning episodes "
                        "(the paper's full task set); "
                        "multi = multi-object only; clean_clutter or preference_reasoning = that task only")
    p.add_argument("--max-steps", type=int, default=None,
                   help="step limit per episode (default: the preset's; an episode gets at least its oracle's "
                        "length, a multi-object one three times that)")
    p.add_argument("--train-scenes", type=int, default=DEFAULT_TRAIN_SCENES,
                   help=f"distinct apartments behind train (and unseen tasks) (default {DEFAULT_TRAIN_SCENES})")
    p.add_argument("--eval-scenes", type=int, default=DEFAULT_EVAL_SCENES,
                   help="distinct apartments behind each unseen-scenes split")
    for split in SPLITS:
        p.add_argument(f"--{split.replace('_', '-')}", type=int, default=DEFAULT_COUNTS[split], metavar="N",
                       help=f"episodes in {split} (default {DEFAULT_COUNTS[split]})")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    counts = {s: getattr(args, s) for s in SPLITS}
    try:
        # named by their flags here (generate_dataset checks the same, by its argument names)
        for split in SPLITS:
            check_int(counts[split], f"--{split.replace('_', '-')}", 0, CORE_MAX_INT)
        if args.max_steps is not None:
            check_int(args.max_steps, "--max-steps", 1, MAX_EPISODE_STEPS)
        check_int(args.train_scenes, "--train-scenes", 1, CORE_MAX_INT)
        check_int(args.eval_scenes, "--eval-scenes", 1, CORE_MAX_INT)
        info = generate_dataset(args.out_dir, counts, seed=args.seed, max_steps=args.max_steps,
                                train_scenes=args.train_scenes, eval_scenes=args.eval_scenes, preset=args.preset,
                                tasks=args.tasks)
    except (ValueError, OSError) as e:
        raise UserError(str(e)) from None
    for split in SPLITS:
        if info.counts[split]:
            ks = ", ".join(f"K={k}: {n}" for k, n in info.k_histogram.get(split, {}).items())
            tasks = ", ".join(f"{t}: {n}" for t, n in info.task_histogram.get(split, {}).items())
            print(f"{split:20s} {info.counts[split]:6d} episodes  ({ks}; {tasks})  {info.path(split)}")
    return 0
