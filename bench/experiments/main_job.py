"""The README's main job, run as the README writes it, once per seed, with every run recorded.

    python bench/experiments/main_job.py --seeds 0 1 2 3          # ~5 min a run on 2 cores

Each run is `a2a train --seed S --run-dir WORK/<commit>_seed<S>` with nothing else changed (the built-in dataset,
the shipped start, 3 minutes of behavior cloning and 1 of PPO, the comparison on 100 val_unseen_scenes
episodes). The runs go one after another: the job stops on the clock, so another job on the cores changes what
it reaches (the load during each run is recorded beside it).

Appends one row per run to bench/results/main_job/runs.jsonl: the commit of the installed a2a, the machine, the
load, the wall time, the updates of each phase, and each row of the final table (SR with its 95% interval, ARS,
QR). Then prints every recorded run of that commit and their median, range and how many reached issue 10's
target (SR >= 60%).

    python bench/experiments/main_job.py --tasks mixed --seeds 0 1    # the same job on the paper's full task set

`--tasks mixed` runs the same command with `--dataset` set to the built-in dataset as it would be with
`a2a.data.DEFAULT_TASKS = "mixed"` (the default counts and seed, a quarter of each split multi-object; generated
once into WORK/dataset-mixed): what the main job would show if the built-in benchmark were the mixed one. Its rows
carry `"tasks": "mixed"`, the dataset's path and settings (`"dataset"`, from its manifest) and SR per task type.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from runs import measured_commit, summary_of  # bench/experiments/runs.py (the script's own folder is on sys.path)

BENCH = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCH))
from conftest import LoadProbe, machine  # noqa: E402  (bench/conftest.py: the suites' load probe)

RESULTS = BENCH / "results" / "main_job" / "runs.jsonl"
TARGET_SR = 0.60
ROWS = ("this policy", "initial", "behavior_cloned", "no-ask", "greedy-explore", "oracle")


def read_run(run_dir: Path) -> dict:
    """The final table (with each row's SR per task type) and the phases of a finished `a2a train` run, from its
    files."""
    final = json.loads((run_dir / "final_eval.json").read_text())
    evals = {"this policy": Path(final["eval_dir"])} | {
        name: run_dir / "eval" / name for name in ROWS[1:]}
    table = {name: summary_of(d) | {"SR_by_task": sr_by_task(d)} for name, d in evals.items()
             if (d / "summary.json").exists()}
    phases = [json.loads(line).get("phase") for line in (run_dir / "metrics.jsonl").read_text().splitlines()
              if line.strip()]
    return {"updates": final["update"], "sft_updates": phases.count("sft"), "ppo_updates": phases.count("ppo"),
            "table": table}


def sr_by_task(eval_dir: Path) -> dict[str, float]:
    by_task = json.loads((eval_dir / "summary.json").read_text()).get("by_task", {})
    return {task: s["SR"]["value"] for task, s in by_task.items()}


def mixed_dataset(work: Path) -> Path:
    """The built-in dataset as DEFAULT_TASKS = "mixed" would make it (generated once into `work`)."""
    from a2a.data import generate_dataset
    from a2a.data.dataset import MANIFEST

    root = work / "dataset-mixed"
    if not (root / MANIFEST).exists():
        generate_dataset(root, tasks="mixed", progress=False)
    return root


def dataset_record(root: Path) -> dict:
    """Where a generated dataset is and how it was made (its manifest's settings and counts), for a run's row."""
    from a2a.data.dataset import MANIFEST

    manifest = json.loads((root / MANIFEST).read_text())
    keys = ("preset", "tasks", "multi_share", "seed", "max_steps", "train_scenes", "eval_scenes", "counts")
    return {"path": str(root.resolve()), **{k: manifest.get(k) for k in keys}}


def run_one(seed: int, work: Path, commit: str, tasks: str) -> dict:
    name = f"{commit}_seed{seed}" + ("" if tasks == "single" else f"_{tasks}")
    run_dir = work / name
    if run_dir.exists():
        raise SystemExit(f"{run_dir} exists: a run is recorded once (remove it or choose another --work)")
    cmd = ["a2a", "train", "--seed", str(seed), "--run-dir", str(run_dir)]
    dataset: str | dict = "built-in"
    if tasks != "single":
        root = mixed_dataset(work)
        cmd += ["--dataset", str(root)]
        dataset = dataset_record(root)
    log = work / f"{name}.log"
    work.mkdir(parents=True, exist_ok=True)
    print("$", " ".join(cmd), f"> {log}", flush=True)
    t0 = time.monotonic()
    with LoadProbe() as load, open(log, "w") as out:
        done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode:
        raise SystemExit(f"a2a train exited with {done.returncode}; its output: {log}")
    row = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "commit": commit,
           "machine": machine(), "command": " ".join(cmd[:4]), "seed": seed, "tasks": tasks, "dataset": dataset,
           "wall_s": round(time.monotonic() - t0, 1), "load_1min": round(load.load_1min, 2),
           "others_busy_cores": load.others_busy_cores, **read_run(run_dir)}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with open(RESULTS, "a") as f:
        f.write(json.dumps(row) + "\n")
    return row


def report(commit: str, tasks: str) -> str:
    lines = RESULTS.read_text().splitlines() if RESULTS.exists() else []
    rows = [r for r in map(json.loads, filter(str.strip, lines))
            if r["commit"] == commit and r.get("tasks", "single") == tasks]  # rows before --tasks: single
    if not rows:
        return f"no recorded runs of {commit} on the {tasks} task set"
    lines = [f"main job at {commit}, {tasks} task set, val_unseen_scenes (100 episodes), SR of the trained policy:"]
    for r in rows:
        t = r["table"]["this policy"]
        lo, hi = t["SR_ci"]
        start = r["table"].get("initial", {}).get("SR")
        per_task = t.get("SR_by_task", {})
        by_task = (" (" + ", ".join(f"{k} {100 * v:.0f}%" for k, v in per_task.items()) + ")"
                   if len(per_task) > 1 else "")
        lines.append(f"  seed {r['seed']}: {100 * t['SR']:.0f}% (95% CI {100 * lo:.0f}-{100 * hi:.0f}){by_task}, "
                     f"{r['sft_updates']} cloning + {r['ppo_updates']} PPO updates, start "
                     f"{'-' if start is None else f'{100 * start:.0f}%'}, load {r['load_1min']}, "
                     f"others busy {r['others_busy_cores']} cores, {r['wall_s']:.0f} s ({r['date']})")
    srs = [r["table"]["this policy"]["SR"] for r in rows]
    reached = sum(s >= TARGET_SR for s in srs)
    lines.append(f"  {len(srs)} runs: median {100 * statistics.median(srs):.0f}%, range {100 * min(srs):.0f}-"
                 f"{100 * max(srs):.0f}%, {reached} of {len(srs)} at or above {100 * TARGET_SR:.0f}%")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    ap.add_argument("--work", type=Path, default=Path("runs/main_job"), help="where the runs' folders go")
    ap.add_argument("--tasks", choices=("single", "mixed"), default="single",
                    help="the built-in task set (single) or the mixed one DEFAULT_TASKS = 'mixed' would make")
    ap.add_argument("--report", action="store_true", help="print the recorded runs of this commit, run nothing")
    args = ap.parse_args()
    commit = measured_commit()
    if not args.report:
        for seed in args.seeds:
            run_one(seed, args.work, commit, args.tasks)
    print(report(commit, args.tasks))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
