"""`a2a render`: write what the robot sees during an episode as PNG files, so a person can look.

Without --actions, a privileged script plays the episode (ask where it is and where it goes, then
fetch; for a multi-object task, ask where each target goes, then fetch them one by one); frames, the
actions and the user's answers are written to OUT_DIR with an index.txt.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .. import _core
from ..data import load_split
from ..env.config import EnvConfig


def scripted_actions(episode: dict) -> list[str]:
    """A privileged fetch plan for an episode (the oracle baseline plans properly; this is for looking)."""
    w = episode["world"]
    if episode["task"] != "fetch":
        from ..baselines.oracle import fetch_plan

        asks = [f"ask(where should i put the {w['objects'][o]['description']}?)" for o, _ in episode["targets"]]
        return asks + fetch_plan(w, [tuple(t) for t in episode["targets"]])
    target = w["objects"][episode["target"]]
    src = w["receptacles"][target["receptacle"]]
    goal = next(r for r in w["receptacles"] if r["name"] == episode["goal"])
    acts = ["ask(where is it?)", "ask(where should i put it?)", f"navigate({src['name']})"]
    if not src["open"]:
        acts.append(f"open({src['name']})")
    acts += [f"pick({target['description']})", f"navigate({goal['name']})"]
    if not goal["open"]:
        acts.append(f"open({goal['name']})")
    acts.append(f"place({goal['name']})")
    return acts


def register(sub, help_text: str) -> None:
    p = sub.add_parser("render", help=help_text, description=__doc__)
    p.add_argument("out_dir")
    p.add_argument("--split", default="train", help="split name or episode file")
    p.add_argument("--dataset", default=None, help="dataset directory (default: the built-in dataset)")
    p.add_argument("--episode", type=int, default=0, help="episode index in the split")
    p.add_argument("--size", type=int, default=256, help="frame size in pixels (64..512)")
    p.add_argument("--marks", action="store_true", help="draw Set-of-Marks numbers on visible objects")
    p.add_argument("--actions", nargs="*", default=None, help="actions to take instead of the scripted plan")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from PIL import Image

    if not 64 <= args.size <= 512:
        raise SystemExit("--size must be in [64, 512]")
    episodes = load_split(args.split, args.dataset)
    if not 0 <= args.episode < len(episodes):
        raise SystemExit(f"--episode must be in [0, {len(episodes)})")
    ep = episodes[args.episode]
    env = EnvConfig(frame_size=args.size, set_of_marks=args.marks, autoreset="disabled").make_core(episodes, 1)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    batch = env.reset([0], [args.episode])
    lines = [f"episode {ep['id']}: {ep['instruction']}  (K={ep['K']}, {ep['ambiguity']})"]
    Image.fromarray(np.asarray(batch.frames[0, -1])).save(out / "000_start.png")
    actions = args.actions if args.actions is not None else scripted_actions(ep)
    for t, action in enumerate(actions, start=1):
        batch = env.step([action])
        name = f"{t:03d}.png"
        Image.fromarray(np.asarray(batch.frames[0, -1])).save(out / name)
        answer = batch.answer[0].decode()
        reason = _core.invalid_reasons()[int(batch.invalid_reason[0])]
        lines.append(f"{name}  {action}" + (f"  -> {answer}" if answer else "") + (f"  [invalid: {reason}]" if reason else "")
                     + f"  reward {float(batch.reward[0]):+.2f}")
        if batch.terminated[0] or batch.truncated[0]:
            lines.append("success" if batch.success[0] else "episode ended without success")
            break
    (out / "index.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"frames written to {out}")
    return 0
