"""The model-free baselines on the full task set, per task type, on both unseen splits.

    python bench/experiments/multi_object_baselines.py --out bench/results/multi_object_baselines

The dataset and the run directories go to --work (default runs/multi_object_baselines, not
committed); results.md and log.txt to --out.

1. generates a `mixed` dataset (`a2a generate --tasks mixed`: a quarter clean-clutter and
   preference-reasoning episodes) with --episodes per test split;
2. evaluates oracle, greedy-explore, no-ask and random on test_unseen_scenes and test_unseen_tasks
   (`a2a eval`, budget delta 0);
3. writes results.md: SR, partial success (PSR), ARS and QR per task type (`a2a report`'s per-task
   table), with the command, machine, load and commit.

Runs are resumable: rerunning skips the evaluations already complete.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from runs import measured_commit, sh  # bench/experiments/runs.py (the script's own folder is on sys.path)

AGENTS = ("oracle", "greedy-explore", "no-ask", "random")
SPLITS = ("test_unseen_scenes", "test_unseen_tasks")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="bench/results/multi_object_baselines")
    ap.add_argument("--work", default="runs/multi_object_baselines", help="dataset and evaluation runs")
    ap.add_argument("--episodes", type=int, default=1000, help="episodes per test split")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = out / "log.txt"
    work = Path(args.work)
    data = work / "data"
    t0 = time.time()
    if not (data / "manifest.json").exists():
        sh(["a2a", "generate", str(data), "--tasks", "mixed", "--seed", str(args.seed), "--train", "0",
            "--val-unseen-scenes", "0", "--val-unseen-tasks", "0", "--test-unseen-scenes", str(args.episodes),
            "--test-unseen-tasks", str(args.episodes)], log)
    runs = []
    for split in SPLITS:
        for agent in AGENTS:
            run = work / "runs" / f"{agent}-{split}"
            done = run / "run.json"
            if not (done.exists() and json.loads(done.read_text()).get("completed")):
                sh(["a2a", "eval", "--agent", agent, "--split", split, "--dataset", str(data), "--out", str(run),
                    "--no-progress", "--bootstrap", "200", "--num-envs", "16"] + (["--resume"] if done.exists() else []), log)
            runs.append(run)
    from a2a.eval.report import load_run, task_table

    loaded = [load_run(r) for r in runs]
    manifest = json.loads((data / "manifest.json").read_text())
    commit = measured_commit()
    lines = ["# Baselines per task type on the full task set", "",
             f"`python bench/experiments/multi_object_baselines.py --out {args.out} --episodes {args.episodes} "
             f"--seed {args.seed}`; commit {commit}; {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
             f"1-min load {os.getloadavg()[0]:.1f} at the end; {time.time() - t0:.0f} s.", "",
             f"Dataset: `a2a generate --tasks mixed`, task histogram {json.dumps(manifest['task_histogram'])}.", "",
             "SR and PSR (partial success: the mean fraction of the objects the user wanted moved that were "
             "delivered) and ARS in %; QR = mean Q/K over K > 0 episodes; budget delta 0.", "", task_table(loaded), ""]
    (out / "results.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
