"""A non-privileged script that asks fewer needless questions than greedy-explore: look-then-ask.

    python bench/experiments/look_then_ask.py --out bench/results/default_benchmark/look_then_ask
    python bench/experiments/look_then_ask.py --stages clone --seeds 0 1 --out ...   # ~90-110 CPU-minutes a seed (200 updates)

Stages:
  scripts  oracle, greedy-explore and look-then-ask on the first --episodes episodes of the four evaluation
           splits (the same episodes for every row): SR [95% CI] / ARS / QR and the questions asked where none
           is needed (Q_K0). look-then-ask was developed on the validation splits only; the test rows are
           reported, not tuned on.
  clone    behavior cloning of look-then-ask, continued from the shipped greedy-explore clone
           (a2a/pretrained/tiny-recipe), --clone-updates updates per seed, by a policy that reads the scene as
           text (`a2a train --scene-text`, a2a/policy/scene.py: the places and objects of its action vocabulary,
           and every step its number, where it stands, what it holds, the objects in view and where else each was
           seen, the next places not visited and the dialogue, the information look-then-ask decides on;
           without it the clone cannot tell when it has seen the object; its picks are limited to what is in
           view) and so needs only the last CLONE_PAST_STEPS steps in its prompt, evaluated on the four splits beside its start (settings chosen
           before any test number was seen; --no-scene-text: the earlier clone that reads frames only, whole
           episodes, val_unseen_scenes).

Writes results.json and results.md into --out (per row: the commit of the a2a that ran the evaluation, from its
run.json, and the machine load when it was recorded). A finished evaluation in --work is reused only if it ran
the same --episodes; otherwise the script stops (remove it or choose another --work).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from runs import measured_commit, sh, summary_of  # bench/experiments/runs.py (the script's own folder is on sys.path)

SPLITS = ("val_unseen_scenes", "val_unseen_tasks", "test_unseen_scenes", "test_unseen_tasks")
AGENTS = ("oracle", "greedy-explore", "look-then-ask")
STAGES = ("scripts", "clone")
# A scene-text prompt states everything look-then-ask decides on, so a few past steps do; whole 40-step episodes
# (~1,800 tokens) left the decisions that need the history to a 2-layer policy, which did not learn them.
CLONE_PAST_STEPS = 2


def tiny_recipe() -> Path:
    import a2a

    return Path(a2a.__file__).parent / "pretrained" / "tiny-recipe"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="bench/results/default_benchmark/look_then_ask")
    ap.add_argument("--work", default=None, help="scratch directory for runs and evaluations (default: OUT/work)")
    ap.add_argument("--stages", nargs="+", default=["scripts"], choices=STAGES)
    ap.add_argument("--episodes", type=int, default=200, help="first episodes of each split")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--clone-updates", type=int, default=200)
    ap.add_argument("--scene-text", action=argparse.BooleanOptionalAction, default=True,
                    help="the clone reads the scene as text (default: on)")
    args = ap.parse_args()
    out = Path(args.out)
    work = Path(args.work) if args.work else out / "work"
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    log, results_file = out / "log.txt", out / "results.json"
    results: dict = json.loads(results_file.read_text()) if results_file.exists() else {}

    def evaluate(name: str, split: str, agent: str, *extra: str) -> None:
        d = work / "eval" / name.replace(" ", "_") / split
        if not (d / "summary.json").exists():
            sh(["a2a", "eval", "--agent", agent, *extra, "--split", split, "--episodes", str(args.episodes),
                "--out", str(d), *(["--resume"] if d.exists() else [])], log)
        run = json.loads((d / "run.json").read_text())
        if run.get("episodes") != args.episodes:
            raise SystemExit(f"{d} evaluated {run.get('episodes')} episodes, not --episodes {args.episodes}: "
                             "remove it or choose another --work")
        commit = run.get("git_commit")  # the commit that ran it (measured_commit() is today's, not then's)
        commit = commit[:7] + ("-dirty" if commit.endswith("-dirty") else "") if commit else measured_commit()
        results[f"{name} | {split}"] = {**summary_of(d), "commit": commit, "episodes": args.episodes,
                                        "load": os.getloadavg()[0]}
        results_file.write_text(json.dumps(results, indent=2) + "\n")

    if "scripts" in args.stages:
        for split in SPLITS:
            for agent in AGENTS:
                evaluate(agent, split, agent)
    if "clone" in args.stages:
        evaluate("tiny-recipe (start)", "val_unseen_scenes", "mllm", "--model", str(tiny_recipe()))
        text = ["--scene-text", "--max-past-steps", str(CLONE_PAST_STEPS)] if args.scene_text else []
        for s in args.seeds:
            name = "clone of look-then-ask" + (", scene text" if args.scene_text else "")
            run = work / "runs" / (f"clone-text-seed{s}" if args.scene_text else f"clone-seed{s}")
            if not (run / "policy").exists():
                sh(["a2a", "train", "--run-dir", str(run), "--seed", str(300 + s), "--minutes", "0", "--no-tensorboard",
                    "--eval-episodes", "0", "--no-compare", "--checkpoint-every", "25", "--model", str(tiny_recipe()),
                    "--finetune-llm", *text, "--sft-expert", "look-then-ask", "--sft-updates", str(args.clone_updates),
                    "--sft-perturb", "0", "--sft-minutes", "0", "--updates", "0", *(["--resume"] if run.exists() else [])],
                   log)
            for split in SPLITS if args.scene_text else SPLITS[:1]:
                evaluate(f"{name}, seed {s}", split, "mllm", "--model", str(run / "policy"))

    def cell(key: str) -> str:
        r = results.get(key)
        if r is None:
            return "-"
        lo, hi = r["SR_ci"]
        qk0 = "-" if r["Q_K0"] is None else f"{r['Q_K0']:.2f}"
        qr = "-" if r["QR"] is None else f"{r['QR']:.2f}"
        return f"{100 * r['SR']:.1f} [{100 * lo:.0f}-{100 * hi:.0f}] / {100 * r['ARS']:.1f} / {qr} / {qk0}"

    names = list(dict.fromkeys(k.split(" | ")[0] for k in results))
    commits = sorted({r["commit"] for r in results.values()})
    lines = [f"# look-then-ask beside greedy-explore: SR [95% CI] / ARS / QR / Q_K0, first {args.episodes} episodes",
             "", f"`python bench/experiments/look_then_ask.py` (stages: {', '.join(args.stages)}); a2a commit(s) "
             f"{', '.join(commits)}; {os.cpu_count()} CPU cores. Every row of a column on the same episodes. "
             "Q_K0: questions per episode where none is needed (K = 0).", "",
             "| agent | " + " | ".join(SPLITS) + " |", "|---" * (len(SPLITS) + 1) + "|"]
    lines += [f"| {n} | " + " | ".join(cell(f"{n} | {sp}") for sp in SPLITS) + " |" for n in names]
    (out / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
