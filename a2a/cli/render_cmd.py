"""`a2a render`: write what the robot sees during an episode as PNG files, so a person can look.

Without --actions, a privileged script plays the episode (ask where it is and where it goes, then
fetch; for a multi-object task, ask where each target goes, then fetch them one by one); frames, the
actions, the user's answers and each step's reward with the terms behind it (and whether a question
was useful) are written to OUT_DIR with an index.txt.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np

from .. import _core
from ..data import load_split
from ..env.config import EnvConfig
from ..eval.reward_text import step_why, terms_text
from .errors import UserError
from .eval_cmd import SPLIT_HELP


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
    p.add_argument("out_dir", help="folder for the PNGs and index.txt (an earlier render's frames there, those its "
                                   "index.txt lists, are replaced)")
    p.add_argument("--split", default="train", help=f"{SPLIT_HELP} (default: train)")
    p.add_argument("--dataset", default=None, help="dataset directory (default: the built-in dataset)")
    p.add_argument("--episode", type=int, default=0, help="episode index in the split (default: 0)")
    p.add_argument("--size", type=int, default=256, help="frame size in pixels (64..512)")
    p.add_argument("--marks", action="store_true", help="draw Set-of-Marks numbers on visible objects")
    p.add_argument("--actions", nargs="*", default=None, help="actions to take instead of the scripted plan")
    p.set_defaults(func=run)


def _remove_earlier_render(out: Path) -> None:
    """The frames an earlier render wrote into `out` (those its index.txt lists): the new index.txt would not list
    them. Nothing else in the folder is touched."""
    index = out / "index.txt"
    if not index.is_file():
        return
    first_words = (line.split(maxsplit=1)[0] for line in index.read_text(errors="replace").splitlines() if line.strip())
    names = {"000_start.png"} | {w for w in first_words if re.fullmatch(r"\d{3}\.png", w)}
    for name in names:
        (out / name).unlink(missing_ok=True)


def run(args: argparse.Namespace) -> int:
    from PIL import Image

    if not 64 <= args.size <= 512:
        raise UserError(f"--size must be in [64, 512], got {args.size}")
    try:
        episodes = load_split(args.split, args.dataset)
    except (ValueError, OSError) as e:
        raise UserError(str(e)) from None
    if not 0 <= args.episode < len(episodes):
        raise UserError(f"--episode must be in [0, {len(episodes)}) for split {args.split!r}, got {args.episode}")
    ep = episodes[args.episode]
    env = EnvConfig(frame_size=args.size, set_of_marks=args.marks, autoreset="disabled").make_core(episodes, 1)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _remove_earlier_render(out)
    batch = env.reset([0], [args.episode])
    lines = [f"episode {ep['id']}: {ep['instruction']}  (K={ep['K']}, {ep['ambiguity']})",
             "each step: the view after it, the action, the user's answer, then its reward = the sum of the terms "
             "that fired, and why"]
    Image.fromarray(np.asarray(batch.frames[0, -1])).save(out / "000_start.png")
    actions = args.actions if args.actions is not None else scripted_actions(ep)
    term_names = _core.reward_terms()
    for t, action in enumerate(actions, start=1):
        batch = env.step([action])
        name = f"{t:03d}.png"
        Image.fromarray(np.asarray(batch.frames[0, -1])).save(out / name)
        answer = batch.answer[0].decode()
        reason = _core.invalid_reasons()[int(batch.invalid_reason[0])]
        terms = dict(zip(term_names, batch.reward_terms[0].tolist()))
        why = step_why(terms, bool(batch.asked[0]), bool(batch.useful[0]), reason)
        lines.append(f"{name}  {action}" + (f"  -> {answer}" if answer else ""))
        lines.append(f"         reward {float(batch.reward[0]):+.2f} = {terms_text(terms) or '0'}"
                     + (f"  ({why})" if why else ""))
        if batch.terminated[0] or batch.truncated[0]:
            lines.append("success" if batch.success[0] else "episode ended without success")
            break
    (out / "index.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"frames written to {out}")
    return 0
