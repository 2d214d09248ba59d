"""Does PPO learn? The learning and reward-ablation experiment on the easy preset, on CPU.

    python bench/experiments/learning.py --out bench/results/learning

1. generates the easy dataset (`a2a generate --preset easy`: small open apartments, K <= 1, 10 steps);
2. evaluates `no-ask` and `greedy-explore` on val_unseen_scenes;
3. warm-starts the tiny policy by behavior cloning of greedy-explore (an expert that sees what the
   policy sees; `--sft-updates`), the initial policy of the RL runs, and evaluates it;
4. trains it with PPO three times on the same budget of updates (same seed, same everything) with the
   paper's reward sets — success only, + sub-goals, + question reward (full) — and the same three
   from scratch (no warm start, as the paper's ablation), evaluating each;
5. writes results.json, results.md and learning_curves.png.

Runs are resumable: rerunning the script skips what is done. Numbers are whatever comes out; results.md
names the command, machine and commit that produced them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from runs import measured_commit, sh, summary_of  # bench/experiments/runs.py (the script's own folder is on sys.path)

REWARD_SETS = ("success", "success+subgoal", "full")


def final_eval_dir(run: Path) -> Path:
    return Path(json.loads((run / "final_eval.json").read_text())["eval_dir"])


def curve(run: Path, phase: str = "ppo") -> list:
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    return [(r["env_steps"], r.get("episode/success_rate"), r.get("episode/return")) for r in rows if r.get("phase") == phase]


def seed_stats(runs: list[dict]) -> dict:
    """Mean and sample standard deviation of each metric over the seeds' runs."""
    import statistics

    out: dict = {"seeds": [r["seed"] for r in runs]}
    for k in ("SR", "ARS", "QR", "questions", "invalid_rate"):
        vals = [r[k] for r in runs]
        out[k] = statistics.fmean(vals)
        out[k + "_std"] = statistics.stdev(vals) if len(vals) > 1 else 0.0
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="bench/results/learning")
    ap.add_argument("--work", default=None, help="scratch directory for datasets and runs (default: OUT/work)")
    ap.add_argument("--sft-updates", type=int, default=400)
    ap.add_argument("--updates", type=int, default=150, help="PPO updates per run")
    ap.add_argument("--scratch-updates", type=int, default=300, help="PPO updates of the run without warm start")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval-episodes", type=int, default=100)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--ppo-seeds", type=int, nargs="+", default=None,
                    help="seeds of the warm-started PPO runs (default: --seed); the dataset and the warm start use --seed")
    args = ap.parse_args()
    ppo_seeds = args.ppo_seeds or [args.seed]
    out = Path(args.out)
    work = Path(args.work) if args.work else out / "work"
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    log = out / "log.txt"
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    t0 = time.time()
    common = ["--seed", str(args.seed), "--minutes", "0", "--no-tensorboard", "--env-threads", "1",
              "--eval-episodes", str(args.eval_episodes), "--max-past-steps", "9"]

    data = work / "easy"
    if not (data / "manifest.json").exists():
        sh(["a2a", "generate", str(data), "--preset", "easy", "--seed", str(args.seed), "--train", "2000",
            "--val-unseen-scenes", str(args.eval_episodes), "--val-unseen-tasks", "0", "--test-unseen-scenes", "0",
            "--test-unseen-tasks", "0", "--train-scenes", "500", "--eval-scenes", "40"], log)
    common += ["--dataset", str(data)]
    results: dict = {"settings": vars(args)}

    for agent in ("no-ask", "greedy-explore"):
        if not (work / agent / "summary.json").exists():
            sh(["a2a", "eval", "--agent", agent, "--split", "val_unseen_scenes", "--dataset", str(data),
                "--episodes", str(args.eval_episodes), "--out", str(work / agent)], log)
        results[agent] = summary_of(work / agent)

    def train(run: Path, extra: list[str]) -> None:
        if (run / "final_eval.json").exists():
            return
        resume = ["--resume"] if (run / "checkpoints" / "latest").exists() else []
        sh(["a2a", "train", "--run-dir", str(run), *common, *extra, *resume], log)

    sft = work / "sft"
    train(sft, ["--updates", "0", "--sft-updates", str(args.sft_updates), "--sft-expert", "greedy-explore"])
    results["behavior cloning (initial policy)"] = summary_of(final_eval_dir(sft))
    for rs in REWARD_SETS:
        per_seed = []
        for seed in ppo_seeds:
            run = work / (f"ppo-{rs}" if seed == args.seed else f"ppo-{rs}-seed{seed}")
            train(run, ["--model", str(sft / "policy"), "--updates", str(args.updates), "--lr", str(args.lr),
                        "--ent-coef", "0.003", "--reward-set", rs, "--seed", str(seed)])
            per_seed.append({**summary_of(final_eval_dir(run)), "curve": curve(run), "seed": seed})
        results[f"PPO ({rs})"] = per_seed[0]
        for r in per_seed[1:]:
            results[f"PPO ({rs}), seed {r['seed']}"] = r
        results[f"PPO ({rs}) over seeds"] = seed_stats(per_seed)
    for rs in REWARD_SETS:
        scratch = work / f"ppo-scratch-{rs}"
        train(scratch, ["--updates", str(args.scratch_updates), "--lr", "1e-3", "--ent-coef", "0.003", "--reward-set", rs])
        results[f"PPO from scratch ({rs})"] = {**summary_of(final_eval_dir(scratch)), "curve": curve(scratch)}

    commit = measured_commit()
    results["machine"] = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()}
    results["commit"] = commit
    results["hours"] = (time.time() - t0) / 3600
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")

    def fmt(v, pct=True):
        return "-" if v is None else (f"{100 * v:.1f}" if pct else f"{v:.2f}")

    lines = ["# Learning on the easy preset (val_unseen_scenes, 100 episodes, greedy decoding)", "",
             f"`python bench/experiments/learning.py --sft-updates {args.sft_updates} --updates {args.updates} "
             f"--scratch-updates {args.scratch_updates} --lr {args.lr} --seed {args.seed}"
             f"{' --ppo-seeds ' + ' '.join(map(str, ppo_seeds)) if len(ppo_seeds) > 1 else ''}` at commit {commit}, "
             f"{os.cpu_count()} CPU cores.", "",
             "| agent | SR [95% CI] | ARS | QR | questions/episode | invalid-action rate |", "|---|---|---|---|---|---|"]
    seeded = [f"PPO ({rs})" + ("" if s == args.seed else f", seed {s}") for rs in REWARD_SETS for s in ppo_seeds]
    names = ["no-ask", "greedy-explore", "behavior cloning (initial policy)", *seeded,
             *[f"PPO from scratch ({rs})" for rs in REWARD_SETS]]
    for name in names:
        r = results[name]
        ci = r.get("SR_ci") or [None, None]
        lines.append(f"| {name} | {fmt(r['SR'])} [{fmt(ci[0])}–{fmt(ci[1])}] | {fmt(r['ARS'])} | {fmt(r['QR'], False)} | {fmt(r['questions'], False)} | "
                     f"{fmt(r['invalid_rate'])} |")
    if len(ppo_seeds) > 1:
        lines += ["", f"Warm-started PPO over {len(ppo_seeds)} seeds (mean ± sample std of the seeds' results):", "",
                  "| reward set | SR | ARS | QR | invalid-action rate |", "|---|---|---|---|---|"]
        for rs in REWARD_SETS:
            r = results[f"PPO ({rs}) over seeds"]
            lines.append(f"| {rs} | {fmt(r['SR'])} ± {fmt(r['SR_std'])} | {fmt(r['ARS'])} ± {fmt(r['ARS_std'])} | "
                         f"{fmt(r['QR'], False)} ± {fmt(r['QR_std'], False)} | {fmt(r['invalid_rate'])} ± {fmt(r['invalid_rate_std'])} |")
    (out / "results.md").write_text("\n".join(lines) + "\n")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(11, 3.8))
    colors: dict = {}
    for name in names[3:]:
        c = results[name]["curve"]
        x0 = c[0][0] if c else 0
        family = name.split(",")[0]  # the seeds of one reward set share a color and a legend entry
        style = {"color": colors.get(family), "label": None if family in colors else family, "lw": 1.2}
        line, = ax[0].plot([x - x0 for x, s, _ in c if s is not None], [s for _, s, _ in c if s is not None], **style)
        colors.setdefault(family, line.get_color())
        ax[1].plot([x - x0 for x, _, r in c if r is not None], [r for _, _, r in c if r is not None],
                   **{**style, "color": colors[family]})
    ax[0].set(xlabel="PPO env steps", ylabel="success rate (training rollouts)", title="success while training")
    ax[1].set(xlabel="PPO env steps", ylabel="episode return", title="return while training")
    ax[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "learning_curves.png", dpi=120)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
