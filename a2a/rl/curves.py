"""The learning curve of a run: success rate, ARS and return of the training episodes against env
steps (from metrics.jsonl), with the greedy evaluations as points (those made during training, and the
final comparison's: the start at 0 env steps, the behavior-cloned policy where PPO began, the final
policy at the end), as one PNG. While behavior cloning, the training episodes are the expert's (with
--sft-dagger, the policy takes some of their steps). A phase's first update is not drawn: its rollout can end
only the episodes shorter than itself."""

from __future__ import annotations

import json
from pathlib import Path

from .comparison import metric
from .metrics import JSONL, read_rows

# training episodes by phase: (phase, colour, whose episodes they are)
PHASES = (("sft", "C2", "expert's episodes (cloned)"), ("ppo", "C0", "policy's episodes (sampled)"))


def smooth(values: list[float], window: int) -> list[float]:
    out, acc, buf = [], 0.0, []
    for v in values:
        buf.append(v)
        acc += v
        if len(buf) > window:
            acc -= buf.pop(0)
        out.append(acc / len(buf))
    return out


def training_points(rows: list[dict], key: str, phase: str) -> list[tuple[float, float]]:
    """(env steps, value) of `key` over the phase's updates, without the phase's first update when more follow:
    its rollout can end only episodes shorter than itself, so its SR and return read high (censored)."""
    pts = [(r["env_steps"], r[key]) for r in rows
           if r.get("phase", "ppo") == phase and isinstance(r.get(key), (int, float))]
    return pts[1:] if len(pts) > 1 else pts


def plot_learning_curve(run_dir: Path, out: Path, final: dict[str, dict] | None = None) -> Path | None:
    """Writes `out` (PNG); None when no update was logged. `final`: the comparison's summaries of
    "initial", "behavior cloned" and "this policy" (any of them), drawn where each policy stood."""
    rows, _ = read_rows(Path(run_dir) / JSONL)
    rows = [r for r in rows if "env_steps" in r]
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    panels = (("episode/success_rate", "eval/SR", "success rate"), ("episode/ars", "eval/ARS", "ARS"),
              ("episode/return", None, "episode return"))
    config = Path(run_dir) / "train_config.json"
    run = json.loads(config.read_text()) if config.exists() else {}
    split = run.get("eval_split", "?")
    sft_rows = [r for r in rows if r.get("phase") == "sft"]
    phase_end = sft_rows[-1]["env_steps"] if sft_rows and any(r.get("phase") == "ppo" for r in rows) else None
    where = {"initial": 0, "behavior cloned": sft_rows[-1]["env_steps"] if sft_rows else None,
             "this policy": rows[-1]["env_steps"]}
    greedy = [(where[k], v) for k, v in (final or {}).items() if where.get(k) is not None]
    for ax, (key, eval_key, title) in zip(axes, panels):
        for phase, color, who in PHASES:
            if phase == "sft" and run.get("sft_dagger"):
                who = "expert's and policy's episodes (DAgger)"
            pts = training_points(rows, key, phase)
            if pts:
                x, y = zip(*pts)
                ax.plot(x, y, color="0.8", lw=0.8)
                ax.plot(x, smooth(list(y), 10), color=color, lw=1.8, label=f"{who}, mean of 10 updates")
        if eval_key:
            ev = [(r["env_steps"], r[eval_key]) for r in rows if isinstance(r.get(eval_key), (int, float))]
            ev += [(x, v) for x, s in greedy if (v := metric(s, eval_key.split("/")[1])) is not None]
            if ev:
                ax.plot(*zip(*sorted(ev)), "o-", color="C3", lw=1, label=f"greedy evaluation ({split})")
        if phase_end is not None:
            ax.axvline(phase_end, color="0.4", ls="--", lw=1)
            ax.text(phase_end, ax.get_ylim()[1], " PPO from here", va="top", fontsize=8, color="0.3")
        ax.set(xlabel="env steps", title=title)
        ax.grid(alpha=0.3)
    if axes[0].get_legend_handles_labels()[0]:
        axes[0].legend(fontsize=7, loc="lower right")
    fig.suptitle(f"learning curve of {Path(run_dir).name}: training episodes on {run.get('split', '?')}, "
                 f"greedy evaluations on {split}", fontsize=10)
    fig.text(0.5, 0.01, "training episodes: each phase from its second update (its first rollout can end only "
             "episodes shorter than itself)", ha="center", fontsize=7, color="0.35")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out

