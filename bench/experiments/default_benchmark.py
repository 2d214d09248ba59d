"""Learning on the default benchmark (full difficulty), on CPU: the paper's comparisons, seeded.

    python bench/experiments/default_benchmark.py --out bench/results/default_benchmark

Stages (each resumable: rerunning skips what is done; `--stages` picks some):
  baselines  oracle, greedy-explore and no-ask on test_unseen_scenes and test_unseen_tasks;
  bc         behavior cloning of greedy-explore (non-privileged: it sees what the policy sees) from a
             random tiny model, one run per seed: the "BC" rows and the start of the RL runs;
  rl         PPO with the full reward (question reward included) from each seed's BC policy;
  ablation   PPO with the reward sets success / success+subgoal / full from two starts that do not
             solve the task: "weak" (BC stopped after --weak-updates updates: it fails nearly every
             episode, like the paper's start that never saw the task) and "partial" (BC stopped after
             --partial-updates: it solves some), one run per seed;
  sft        behavior cloning of the oracle's trajectories (the paper's SFT row), one run per seed
             (--sft-seeds);
  budgets    PPO from each seed's BC policy with budgets B = K + d, d in 0 1 2 4 (Fig. 3), one run per seed.
  longer_bc  behavior cloning continued from each seed's BC policy for --longer-bc-updates more updates
             (a fresh optimizer), --longer-bc-rounds times in a row, each round then followed by PPO as in
             `rl`: the "BC, longer (xR)" and "RL (BC longer (xR) + PPO full)" rows; every round's policy is
             also evaluated on all 200 episodes of both validation splits beside its start
             (longer_bc_val.json: the development evidence for cloning longer);
  longer_ppo --longer-ppo-updates PPO updates from the first seed's BC policy, evaluated on all 200
             val_unseen_scenes episodes every 50 updates beside its start and greedy-explore (the
             development split only): longer_ppo_val.json and curve_longer_ppo_val.png.

Every policy is evaluated with greedy decoding on the first --eval-episodes episodes of both test splits
(the same episodes for every row); SR has a bootstrap 95% interval per run and the seeds' mean. Nothing
is tuned on the test splits: the settings below were chosen on val_unseen_scenes (docs/training.md).
Writes results.json, results.md, budgets.png, longer_bc_val.json and the longer_ppo files into --out.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import statistics
from pathlib import Path

from runs import measured_commit, sh, summary_of  # bench/experiments/runs.py (the script's own folder is on sys.path)

TEST_SPLITS = ("test_unseen_scenes", "test_unseen_tasks")
REWARD_SETS = ("success", "success+subgoal", "full")
BUDGETS = (0, 1, 2, 4)
STAGES = ("baselines", "bc", "rl", "ablation", "sft", "budgets", "longer_bc", "longer_ppo")
VAL_SPLITS = ("val_unseen_scenes", "val_unseen_tasks")
LONGER_BC_SEED_OFFSET = 100  # round r of the longer_bc stage trains seed s with seed s + 100 r (new episodes)
# Rows run once per seed, summarised over seeds.
ABLATION_STARTS = ("weak", "partial")  # BC stopped after --weak-updates / --partial-updates
FAMILIES = ("BC greedy-explore", "RL (BC + PPO full)", "SFT oracle",
            *[f"{st}{what}" for st in ABLATION_STARTS for what in (" start", *[f" + PPO {rs}" for rs in REWARD_SETS])],
            *[f"RL budget K+{d}" for d in BUDGETS])


def longer_tag(round_: int) -> str:
    """Run-name part of round r of the longer_bc stage (round 1 keeps the name it had alone)."""
    return "longer" if round_ == 1 else f"longer{round_}"


def longer_families(round_: int) -> tuple[str, str]:
    """The table families of round r of the longer_bc stage: the cloned policy, and PPO from it."""
    x = "" if round_ == 1 else f" x{round_}"
    return f"BC greedy-explore, longer{x}", f"RL (BC longer{x} + PPO full)"


class Experiment:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.out = Path(args.out)
        self.work = Path(args.work) if args.work else self.out / "work"
        self.work.mkdir(parents=True, exist_ok=True)
        self.log = self.out / "log.txt"
        self.results_file = self.out / "results.json"
        self.results: dict = json.loads(self.results_file.read_text()) if self.results_file.exists() else {}
        self.common = ["--minutes", "0", "--no-tensorboard", "--eval-episodes", "0", "--no-compare",
                       "--checkpoint-every", "25"]

    def save(self) -> None:
        commit = measured_commit()
        self.results["_meta"] = {"settings": vars(self.args), "commit": commit, "cores": os.cpu_count(),
                                 "cpu": platform.processor() or platform.machine()}
        self.results_file.write_text(json.dumps(self.results, indent=2) + "\n")

    def evaluate(self, name: str, agent: str, model: Path | None = None, budget: int = 0) -> None:
        """`name` on both test splits (the same first --eval-episodes episodes for every row); a policy
        is evaluated again when its run was trained further since."""
        trained = json.loads((model.parent / "recipe_args.json").read_text()) if model else None
        for split in TEST_SPLITS:
            key = f"{name} | {split}"
            if key in self.results and self.results[key].get("trained_with") == trained:
                continue
            d = self.work / "eval" / name.replace(" ", "_").replace("/", "-") / split
            if d.exists() and key in self.results:  # an evaluation of the policy before it trained further
                shutil.rmtree(d)
            if not (d / "summary.json").exists():
                sh(["a2a", "eval", "--agent", agent, *(["--model", str(model)] if model else []), "--split", split,
                    "--episodes", str(self.args.eval_episodes), "--budget-delta", str(budget), "--out", str(d),
                    *(["--resume"] if d.exists() else [])], self.log)
            self.results[key] = {**summary_of(d), "trained_with": trained}
            self.save()

    def train(self, name: str, extra: list[str], seed: int, common: list[str] | None = None) -> Path:
        """`a2a train` into work/runs/NAME; done when it finished with these arguments, resumed when it
        stopped early. A run that finished with other arguments is refused: resuming would not redo it (its
        checkpoint records where cloning ended), so a changed setting needs another --work or the run removed."""
        run = self.work / "runs" / name
        args = ["--seed", str(seed), *(self.common if common is None else common), *extra]
        done = run / "recipe_args.json"
        if done.exists() and (old := json.loads(done.read_text())) != args:
            raise SystemExit(f"default_benchmark: {run} finished with other arguments ({' '.join(old)}); "
                             "remove it or choose another --work")
        if not done.exists():
            resume = ["--resume"] if (run / "checkpoints" / "latest").exists() else []
            sh(["a2a", "train", "--run-dir", str(run), *args, *resume], self.log)
            done.write_text(json.dumps(args) + "\n")
        return run / "policy"

    def bc(self, expert: str, seed: int, updates: int, tag: str) -> Path:
        return self.train(f"{tag}-seed{seed}", ["--from-scratch", "--finetune-llm", "--sft-expert", expert,
                                                 "--sft-updates", str(updates), "--sft-perturb", "0",
                                                 "--sft-minutes", "0", "--updates", "0"], seed)

    def ppo(self, name: str, start: Path, seed: int, *extra: str) -> Path:
        a = self.args
        return self.train(name, ["--model", str(start), "--sft-updates", "0", "--updates", str(a.ppo_updates),
                                 "--lr", str(a.ppo_lr), "--ent-coef", "0", *extra], seed)

    def run(self) -> None:
        a = self.args
        if "baselines" in a.stages:
            for agent in ("oracle", "greedy-explore", "no-ask"):
                self.evaluate(agent, agent)
        if "bc" in a.stages:
            for s in a.seeds:
                self.evaluate(f"BC greedy-explore, seed {s}", "mllm", self.bc("greedy-explore", s, a.bc_updates, "bc"))
        if "rl" in a.stages:
            for s in a.seeds:
                start = self.bc("greedy-explore", s, a.bc_updates, "bc")
                self.evaluate(f"RL (BC + PPO full), seed {s}", "mllm", self.ppo(f"rl-seed{s}", start, s))
        if "ablation" in a.stages:
            for st in a.ablation_starts:
                for s in a.seeds:
                    start = self.bc("greedy-explore", s, a.weak_updates if st == "weak" else a.partial_updates, st)
                    self.evaluate(f"{st} start, seed {s}", "mllm", start)
                    for rs in REWARD_SETS:
                        run = f"ablation-{rs}-seed{s}" if st == "weak" else f"ablation-{st}-{rs}-seed{s}"
                        self.evaluate(f"{st} + PPO {rs}, seed {s}", "mllm",
                                      self.ppo(run, start, s, "--reward-set", rs))
        if "sft" in a.stages:
            for s in a.sft_seeds or a.seeds:
                self.evaluate(f"SFT oracle, seed {s}", "mllm", self.bc("oracle", s, a.bc_updates, "sft-oracle"))
        if "budgets" in a.stages:
            for s in a.seeds:
                start = self.bc("greedy-explore", s, a.bc_updates, "bc")
                for d in BUDGETS:  # d = 0 is the rl stage's run of this seed (B = K is the default budget)
                    run = self.ppo(f"rl-seed{s}", start, s) if d == 0 else \
                        self.ppo(f"budget{d}-seed{s}", start, s, "--budget-delta", str(d))
                    self.evaluate(f"RL budget K+{d}, seed {s}", "mllm", run, budget=d)
        if "longer_bc" in a.stages:
            for s in a.seeds:
                for r in range(1, a.longer_bc_rounds + 1):
                    longer = self.longer_bc(s, r)
                    bc_row, rl_row = longer_families(r)
                    self.evaluate(f"{bc_row}, seed {s}", "mllm", longer)
                    self.evaluate(f"{rl_row}, seed {s}", "mllm", self.ppo(f"rl-{longer_tag(r)}-seed{s}", longer, s))
            self.longer_bc_val()
        if "longer_ppo" in a.stages:
            self.longer_ppo(a.seeds[0])
        self.save()
        self.write_tables()

    def longer_bc(self, seed: int, round_: int) -> Path:
        """Round `round_` of continued behavior cloning: --longer-bc-updates more from the previous round's
        policy (round 1: the seed's BC policy), with a fresh optimizer."""
        a = self.args
        start = self.bc("greedy-explore", seed, a.bc_updates, "bc") if round_ == 1 else self.longer_bc(seed, round_ - 1)
        # another training seed per round: with the same one the env stream, and the deterministic expert in it,
        # would replay the previous run's episodes (the stream is seeded by seed and update; each run starts at 0)
        return self.train(f"bc-{longer_tag(round_)}-seed{seed}",
                          ["--model", str(start), "--finetune-llm", "--sft-expert", "greedy-explore", "--sft-updates",
                           str(a.longer_bc_updates), "--sft-perturb", "0", "--sft-minutes", "0", "--updates", "0"],
                          seed + LONGER_BC_SEED_OFFSET * round_)

    def val_summary(self, name: str, agent: str, model: Path | None, split: str) -> dict:
        """An evaluation on all 200 episodes of a validation split (development evidence, never test);
        made again when the policy's run was trained further since (its recipe_args.json, kept beside)."""
        d = self.work / "eval" / "val" / name / split
        trained = (model.parent / "recipe_args.json").read_text() if model else ""
        seen = d / "trained_with.json"
        if seen.exists() and seen.read_text() != trained:
            shutil.rmtree(d)
        if not (d / "summary.json").exists():
            sh(["a2a", "eval", "--agent", agent, *(["--model", str(model)] if model else []), "--split", split,
                "--episodes", "200", "--out", str(d), *(["--resume"] if d.exists() else [])], self.log)
        seen.write_text(trained)
        return summary_of(d)

    def longer_bc_val(self) -> None:
        """longer_bc_val.json: every seed's BC policy and its continuation on both validation splits."""
        a = self.args
        record: dict = {"what": f"behavior cloning of greedy-explore: {a.bc_updates} updates, then rounds of "
                                f"{a.longer_bc_updates} more (round r with seed + {LONGER_BC_SEED_OFFSET} r, a fresh "
                                "optimizer each); greedy evaluation on all 200 episodes of each validation split",
                        "evaluations": {}}
        for split in VAL_SPLITS:
            ge = self.val_summary("greedy-explore", "greedy-explore", None, split)
            rows = record["evaluations"][split] = {"greedy-explore": ge}
            for s in a.seeds:
                policies = [("bc", self.bc("greedy-explore", s, a.bc_updates, "bc"))]
                policies += [(f"bc-{longer_tag(r)}", self.longer_bc(s, r)) for r in range(1, a.longer_bc_rounds + 1)]
                for tag, model in policies:
                    rows[f"{tag}-seed{s}"] = self.val_summary(f"{tag}-seed{s}", "mllm", model, split)
        (self.out / "longer_bc_val.json").write_text(json.dumps(record, indent=2) + "\n")

    def longer_ppo(self, seed: int) -> None:
        """A longer PPO run from a cloned policy, judged on val_unseen_scenes only (never on test)."""
        a = self.args
        start = self.bc("greedy-explore", seed, a.bc_updates, "bc")
        common = ["--minutes", "0", "--no-tensorboard", "--eval-episodes", "200", "--eval-split", "val_unseen_scenes",
                  "--eval-every", "50", "--no-compare", "--checkpoint-every", "50"]
        run = self.train(f"longer-ppo-seed{seed}", ["--model", str(start), "--sft-updates", "0", "--updates",
                                                     str(a.longer_ppo_updates), "--lr", str(a.ppo_lr),
                                                     "--ent-coef", "0"], seed, common).parent
        evals = {}
        evals["start (BC, update 0)"] = self.val_summary(f"bc-seed{seed}", "mllm", start, "val_unseen_scenes")
        evals["greedy-explore"] = self.val_summary("greedy-explore", "greedy-explore", None, "val_unseen_scenes")
        for d in sorted((run / "eval").glob("update_*")):
            evals[f"PPO update {int(d.name[7:])}"] = summary_of(d)
        with open(run / "metrics.csv") as f:
            rows = list(csv.DictReader(f))
        returns = [float(r["episode/return"]) for r in rows if r["episode/return"] not in ("", "nan")]
        record = {"what": f"PPO from the BC policy of seed {seed} for {a.longer_ppo_updates} updates, full reward, "
                          f"lr {a.ppo_lr}; greedy evaluation on all 200 val_unseen_scenes episodes every 50 updates",
                  "run": str(run), "evaluations": evals,
                  "training": {"updates": len(rows), "env_steps": int(float(rows[-1]["env_steps"])),
                               "episode_return_mean_first_10_updates": round(statistics.fmean(returns[:10]), 2),
                               "episode_return_mean_last_10_updates": round(statistics.fmean(returns[-10:]), 2)}}
        (self.out / "longer_ppo_val.json").write_text(json.dumps(record, indent=2) + "\n")
        shutil.copy(run / "learning_curve.png", self.out / "curve_longer_ppo_val.png")

    def write_tables(self) -> None:
        a = self.args
        r = self.results

        def pct(v):
            return "-" if v is None else f"{100 * v:.1f}"

        def row(name: str, split: str) -> str:
            x = r.get(f"{name} | {split}")
            if x is None:
                return "not run"
            ci = x["SR_ci"]
            return f"{pct(x['SR'])} [{pct(ci[0])}–{pct(ci[1])}] / {pct(x['ARS'])} / {x['QR']:.2f}"

        def seeds_row(family: str, split: str) -> str:
            xs = [r[k] for s in a.seeds if (k := f"{family}, seed {s} | {split}") in r]
            if not xs:
                return "not run"

            def mean_sd(m: str) -> str:  # no spread from a single run
                mean = pct(statistics.fmean(x[m] for x in xs))
                return f"{mean} ± {pct(statistics.stdev([x[m] for x in xs]))}" if len(xs) > 1 else mean

            return (f"{mean_sd('SR')} / {mean_sd('ARS')} / "
                    f"{statistics.fmean(x['QR'] for x in xs):.2f}  (n={len(xs)})")

        meta = r.get("_meta", {})
        lines = [f"# The default benchmark: SR [95% CI] / ARS / QR, first {a.eval_episodes} episodes of each test split",
                 "", f"`python bench/experiments/default_benchmark.py --seeds {' '.join(map(str, a.seeds))} "
                 f"--bc-updates {a.bc_updates} --ppo-updates {a.ppo_updates} --ppo-lr {a.ppo_lr} "
                 f"--weak-updates {a.weak_updates} --partial-updates {a.partial_updates} "
                 f"--longer-bc-updates {a.longer_bc_updates} --longer-bc-rounds {a.longer_bc_rounds} "
                 f"--eval-episodes {a.eval_episodes}` at commit {meta.get('commit')}, "
                 f"{meta.get('cores')} CPU cores. Greedy decoding; every row on the same episodes.", "",
                 "| agent | " + " | ".join(TEST_SPLITS) + " |", "|---|---|---|"]
        families = [*FAMILIES, *[f for r in range(1, a.longer_bc_rounds + 1) for f in longer_families(r)]]
        names = ["oracle", "greedy-explore", "no-ask", *[f"{fam}, seed {s}" for fam in families for s in a.seeds]]
        for n in names:
            if any(f"{n} | {sp}" in r for sp in TEST_SPLITS):
                lines.append(f"| {n} | " + " | ".join(row(n, sp) for sp in TEST_SPLITS) + " |")
        lines += ["", "Over seeds (mean ± sample std of the runs' SR / ARS, mean QR):", "",
                  "| family | " + " | ".join(TEST_SPLITS) + " |", "|---|---|---|"]
        for fam in families:
            if any(f"{fam}, seed {s} | {sp}" in r for s in a.seeds for sp in TEST_SPLITS):
                lines.append(f"| {fam} | " + " | ".join(seeds_row(fam, sp) for sp in TEST_SPLITS) + " |")
        (self.out / "results.md").write_text("\n".join(lines) + "\n")
        self.plot_budgets()
        print("\n".join(lines))

    def plot_budgets(self) -> None:
        """Fig. 3: SR, ARS and QR against the budget delta; the seeds' mean with their runs as dots."""
        def runs(d: int, split: str) -> list[dict]:
            return [x for s in self.args.seeds if (x := self.results.get(f"RL budget K+{d}, seed {s} | {split}"))]

        have = [d for d in BUDGETS if all(runs(d, split) for split in TEST_SPLITS)]
        if not have:
            return
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
        for split, marker, color in zip(TEST_SPLITS, ("o", "s"), ("tab:blue", "tab:orange")):
            for ax, metric, scale in zip(axes, ("SR", "ARS", "QR"), (100, 100, 1)):
                seeds = sorted({len(runs(d, split)) for d in have})
                ax.plot(have, [statistics.fmean(scale * x[metric] for x in runs(d, split)) for d in have],
                        marker=marker, color=color, label=f"{split} (mean of {'-'.join(map(str, seeds))} seeds)")
                dots = [(d, scale * x[metric]) for d in have for x in runs(d, split)]
                ax.scatter([d for d, _ in dots], [v for _, v in dots], color=color, alpha=0.35, s=12)
        for ax, m, top in zip(axes, ("SR (%)", "ARS (%)", "QR"), (102, 102, None)):
            ax.set(xlabel="budget delta d (B = K + d)", ylabel=m, xticks=list(BUDGETS), ylim=(0, top))
        axes[0].legend(fontsize=8)
        fig.suptitle("PPO with budget B = K + d (trained and evaluated with that budget); dots: single seeds")
        fig.tight_layout()
        fig.savefig(self.out / "budgets.png", dpi=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="bench/results/default_benchmark")
    ap.add_argument("--work", default=None, help="scratch directory for runs and evaluations (default: OUT/work)")
    ap.add_argument("--stages", nargs="+", default=list(STAGES), choices=STAGES)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--bc-updates", type=int, default=450, help="behavior-cloning updates (16 envs x 32 steps)")
    ap.add_argument("--sft-seeds", type=int, nargs="+", default=None, help="seeds of the SFT-oracle rows (default: --seeds)")
    ap.add_argument("--weak-updates", type=int, default=40, help="behavior-cloning updates of the ablation's weak start")
    ap.add_argument("--ablation-starts", nargs="+", default=list(ABLATION_STARTS), choices=ABLATION_STARTS)
    ap.add_argument("--partial-updates", type=int, default=100,
                    help="behavior-cloning updates of the ablation's partial start (the shipped tiny start's)")
    ap.add_argument("--ppo-updates", type=int, default=40)
    ap.add_argument("--ppo-lr", type=float, default=3e-5)
    ap.add_argument("--longer-bc-updates", type=int, default=450,
                    help="behavior-cloning updates of each round of the longer_bc stage, after --bc-updates")
    ap.add_argument("--longer-bc-rounds", type=int, default=1, help="rounds of the longer_bc stage")
    ap.add_argument("--longer-ppo-updates", type=int, default=200, help="PPO updates of the longer_ppo stage")
    ap.add_argument("--eval-episodes", type=int, default=200, help="episodes of each test split (all 200 of the built-in dataset)")
    args = ap.parse_args()
    Path(args.out).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    Experiment(args).run()


if __name__ == "__main__":
    main()
