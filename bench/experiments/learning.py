"""Does PPO learn? The learning and reward-ablation experiment on the easy preset.

    python bench/experiments/learning.py --out bench/results/learning [--updates 150] [--seeds 0]

1. generates the easy dataset (small open apartments, K <= 1, 12 steps; `a2a generate --preset easy`);
2. evaluates the untrained tiny policy (greedy) and the `no-ask` baseline on val_unseen_scenes;
3. trains the tiny policy with PPO three times on the same budget of updates (same seed, same
   everything) with the paper's reward sets: success only, + sub-goals, + question reward (full);
4. evaluates each trained policy on val_unseen_scenes and writes results.json, results.md and
   learning_curves.png (training success rate against env steps).

Everything runs on CPU; the numbers are whatever comes out (see results.md for the command, machine
and commit that produced them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from pathlib import Path

REWARD_SETS = ("success", "success+subgoal", "full")


def sh(args: list[str], log: Path) -> None:
    with open(log, "a") as f:
        f.write("$ " + " ".join(args) + "\n")
        f.flush()
        subprocess.run(args, check=True, stdout=f, stderr=subprocess.STDOUT)


def final_eval_dir(run: Path) -> Path:
    return Path(json.loads((run / "final_eval.json").read_text())["eval_dir"])


def summary_of(run_dir: Path) -> dict:
    s = json.loads((run_dir / "summary.json").read_text())["overall"]
    return {k: (s[k]["value"] if isinstance(s[k], dict) else s[k]) for k in ("SR", "ARS", "QR", "questions", "invalid_rate")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="bench/results/learning")
    ap.add_argument("--work", default=None, help="scratch directory for datasets and runs (default: OUT/work)")
    ap.add_argument("--updates", type=int, default=150)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval-episodes", type=int, default=100)
    ap.add_argument("--lr", type=float, default=2e-3)
    args = ap.parse_args()
    out = Path(args.out)
    work = Path(args.work) if args.work else out / "work"
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    log = out / "log.txt"
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    t0 = time.time()

    data = work / "easy"
    if not (data / "manifest.json").exists():
        sh(["a2a", "generate", str(data), "--preset", "easy", "--seed", str(args.seed), "--train", "2000",
            "--val-unseen-scenes", str(args.eval_episodes), "--val-unseen-tasks", "0", "--test-unseen-scenes", "0",
            "--test-unseen-tasks", "0", "--train-scenes", "40", "--eval-scenes", "20"], log)
    ev = ["--split", "val_unseen_scenes", "--dataset", str(data), "--episodes", str(args.eval_episodes)]
    results: dict = {"updates": args.updates, "seed": args.seed, "lr": args.lr}

    # Baselines and the untrained policy.
    if not (work / "no-ask" / "summary.json").exists():
        sh(["a2a", "eval", "--agent", "no-ask", *ev, "--out", str(work / "no-ask")], log)
    results["no-ask"] = summary_of(work / "no-ask")
    init = work / "init"
    if not (init / "final_eval.json").exists():
        # Zero updates: the tiny model as initialised, evaluated through the same path as trained ones.
        sh(["a2a", "train", "--run-dir", str(init), "--dataset", str(data), "--updates", "0",
            "--eval-episodes", str(args.eval_episodes), "--seed", str(args.seed), "--minutes", "0", "--no-tensorboard"], log)
    results["initial policy"] = summary_of(final_eval_dir(init))

    # The reward ablation, same budget of updates and steps.
    for rs in REWARD_SETS:
        run = work / f"ppo-{rs}"
        if not (run / "final_eval.json").exists():
            cmd = ["a2a", "train", "--run-dir", str(run), "--dataset", str(data), "--updates", str(args.updates),
                   "--lr", str(args.lr), "--ent-coef", "0.003", "--reward-set", rs, "--eval-episodes",
                   str(args.eval_episodes), "--seed", str(args.seed), "--minutes", "0", "--no-tensorboard"]
            if (run / "checkpoints" / "latest").exists():
                cmd.append("--resume")
            sh(cmd, log)
        results[f"PPO ({rs})"] = summary_of(final_eval_dir(run))
        curve = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
        results[f"PPO ({rs})"]["curve"] = [(r["env_steps"], r.get("episode/success_rate"), r.get("episode/return"))
                                           for r in curve]
        results[f"PPO ({rs})"]["env_steps"] = curve[-1]["env_steps"]

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    results["machine"] = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()}
    results["commit"] = commit
    results["hours"] = (time.time() - t0) / 3600
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")

    lines = ["# Learning on the easy preset (val_unseen_scenes, greedy)", "",
             f"`python bench/experiments/learning.py --updates {args.updates} --seed {args.seed} --lr {args.lr}` "
             f"at commit {commit}, {os.cpu_count()} CPU cores, {results['hours']:.1f} h.", "",
             "| agent | SR | ARS | QR | questions/episode | invalid-action rate | training env steps |", "|---|---|---|---|---|---|---|"]
    for name in ("no-ask", "initial policy", *[f"PPO ({rs})" for rs in REWARD_SETS]):
        r = results[name]
        fmt = lambda v, pct=True: "-" if v is None else (f"{100 * v:.1f}" if pct else f"{v:.2f}")  # noqa: E731
        lines.append(f"| {name} | {fmt(r['SR'])} | {fmt(r['ARS'])} | {fmt(r['QR'], False)} | {fmt(r['questions'], False)} | "
                     f"{fmt(r['invalid_rate'])} | {r.get('env_steps', 0)} |")
    (out / "results.md").write_text("\n".join(lines) + "\n")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(10, 3.6))
    for rs in REWARD_SETS:
        c = results[f"PPO ({rs})"]["curve"]
        xs = [x for x, s, _ in c if s is not None]
        ax[0].plot(xs, [s for _, s, _ in c if s is not None], label=rs)
        ax[1].plot([x for x, _, r in c if r is not None], [r for _, _, r in c if r is not None], label=rs)
    ax[0].set(xlabel="env steps", ylabel="training success rate", title="success while training")
    ax[1].set(xlabel="env steps", ylabel="episode return", title="return while training")
    ax[0].legend()
    fig.tight_layout()
    fig.savefig(out / "learning_curves.png", dpi=120)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
