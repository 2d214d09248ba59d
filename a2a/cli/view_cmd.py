"""`a2a view RUN_DIR`: static HTML pages of a run's episodes (views, actions, questions, answers,
rewards) and an index, viewable offline. Views come from frames saved with `a2a eval --save-frames`,
or are re-rendered by replaying the recorded actions."""

from __future__ import annotations

import argparse
from pathlib import Path

from .errors import UserError


def register(sub, help_text: str) -> None:
    p = sub.add_parser("view", help=help_text, description=__doc__)
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--out", default=None, metavar="DIR", help="output directory (default: RUN_DIR/view)")
    p.add_argument("--max-episodes", type=int, default=50, help="pages for the first N episodes (default 50)")
    p.add_argument("--no-replay", action="store_true", help="do not re-render views that were not saved")
    p.add_argument("--size", type=int, default=128, help="size of re-rendered views (default 128)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..eval.records import RecordError
    from ..eval.run_dir import RUN_FILE, runs_inside
    from ..eval.viewer import ViewConfig, build_view

    inside = [] if (Path(args.run_dir) / RUN_FILE).exists() else runs_inside(args.run_dir)
    if inside:  # e.g. a training run: its evaluations are below it
        raise UserError(f"{args.run_dir}: not an evaluation run directory (no {RUN_FILE}); the evaluation runs inside "
                        f"it: {', '.join(str(p) for p in inside)}")
    try:
        build_view(args.run_dir, args.out, ViewConfig(max_episodes=args.max_episodes, replay=not args.no_replay,
                                                      frame_size=args.size))
    except (FileNotFoundError, ValueError, RecordError) as e:
        raise UserError(str(e)) from None
    return 0
