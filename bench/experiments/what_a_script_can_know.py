"""What a non-privileged agent can know before it asks "where is it?", on the train split.

    python bench/experiments/what_a_script_can_know.py --out bench/results/default_benchmark/what_a_script_can_know.md

greedy-explore asks "where is it?" whenever the instruction names no receptacle; in an episode with one object
that fits the instruction (K = 0, or K from the goal alone) that question is needless and costs ARS. This
counts, per episode, what the instruction says (a receptacle, a room, or neither), how many of the scene's
object descriptions fit it (the inventory an agent can read from its action list: `pick(<description>)`,
one entry per distinct description) and, from privileged state, how many objects really fit and where.
Identical twins share one description, so a lone object and a pair of twins read the same; only looking at
every receptacle tells them apart, and the table gives how many receptacles that is. Train split only
(never a test split); nothing here is tuned.
"""

from __future__ import annotations

import argparse
import statistics
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from a2a import _core
from a2a.baselines.instruction import Vocabulary, parse_instruction
from a2a.data import load_split
from runs import measured_commit  # bench/experiments/runs.py (the script's own folder is on sys.path)


def fits(p, words: list[str]) -> bool:
    cat = p.category.split()
    return (words[-len(cat):] == cat and (p.color is None or p.color in words)
            and (p.size is None or p.size in words))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="bench/results/default_benchmark/what_a_script_can_know.md")
    ap.add_argument("--episodes", type=int, default=4000, help="first episodes of the train split")
    args = ap.parse_args()
    episodes = load_split("train")
    n = min(args.episodes, len(episodes))
    env = _core.BatchedEnv(episodes, num_envs=1, batch_size=1, width=0, height=0, num_threads=1)
    rows: dict[tuple[str, str], Counter] = defaultdict(Counter)
    receptacles = []
    for k in range(n):
        env.reset(np.array([0]), np.array([k]))
        state = env.privileged_state(0)
        if state["task"] != "fetch":
            continue
        vocab = Vocabulary.from_actions(env.valid_actions(0))
        p = parse_instruction(state["instruction"], vocab)
        objects = state["world"]["objects"]
        receptacles.append(len(state["world"]["receptacles"]))
        fitting = [o for o in objects if fits(p, o["description"].split())]
        inventory = [d for d in vocab.objects if fits(p, d.split())]
        said = "a receptacle" if p.source_receptacle else ("a room" if p.source_room else "neither")
        row = rows[(said, "1" if len(inventory) == 1 else "2+")]
        row["episodes"] += 1
        row["K=0"] += state["K"] == 0
        row["one object fits"] += len(fitting) == 1
        row["identical twins"] += len(fitting) > len({o["description"] for o in fitting})
        row["K"] += state["K"]
    total = sum(r["episodes"] for r in rows.values())
    lines = [
        "# What a non-privileged agent can know before asking \"where is it?\" (train split)", "",
        f"`python bench/experiments/what_a_script_can_know.py --out {args.out} --episodes {args.episodes}`; "
        f"commit {measured_commit()}; {total} fetch episodes of the built-in train split.", "",
        "Inventory: the scene's object descriptions that fit the instruction, as `pick(...)` lists them (one per "
        "distinct description). One object fits: privileged count; in those episodes asking \"where is it?\" is "
        "needless. Identical twins: two objects with one description, told apart only by where they are.", "",
        "| source named | inventory fits | episodes | one object fits | identical twins | K = 0 | mean K |",
        "|---|---|---|---|---|---|---|",
    ]
    for (said, inv), r in sorted(rows.items()):
        e = r["episodes"]
        lines.append(f"| {said} | {inv} | {e} | {100 * r['one object fits'] / e:.0f}% | "
                     f"{100 * r['identical twins'] / e:.0f}% | {100 * r['K=0'] / e:.0f}% | {r['K'] / e:.2f} |")
    lines += ["", f"Receptacles per apartment: {min(receptacles)}–{max(receptacles)} "
              f"(median {statistics.median(receptacles):g}) for a 40-step floor per episode.", ""]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
