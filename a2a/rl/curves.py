"""The learning curve of a run: success rate, ARS and return of the training episodes against env
steps (from metrics.jsonl), with the evaluations made during training as points, as one PNG."""

from __future__ import annotations

import json
from pathlib import Path

from .metrics import JSONL, read_rows


def smooth(values: list[float], window: int) -> list[float]:
    out, acc, buf = [], 0.0, []
    for v in values:
        buf.append(v)
        acc += v
        if len(buf) > window:
            acc -= buf.pop(0)
        out.append(acc / len(buf))
    return out


def plot_learning_curve(run_dir: Path, out: Path) -> Path | None:
    """Writes `out` (PNG); None when no update was logged."""
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
    phase_end = next((r["env_steps"] for r in rows if r.get("phase") == "ppo"), None)
    for ax, (key, eval_key, title) in zip(axes, panels):
        pts = [(r["env_steps"], r[key]) for r in rows if isinstance(r.get(key), (int, float))]
        if pts:
            x, y = zip(*pts)
            ax.plot(x, y, color="0.75", lw=0.8, label="per update")
            ax.plot(x, smooth(list(y), 10), color="C0", lw=1.8, label="mean of 10 updates")
        if eval_key:
            ev = [(r["env_steps"], r[eval_key]) for r in rows if isinstance(r.get(eval_key), (int, float))]
            if ev:
                ax.plot(*zip(*ev), "o", color="C3", label="evaluation")
        if phase_end is not None and any(r.get("phase") == "sft" for r in rows):
            ax.axvline(phase_end, color="0.4", ls="--", lw=1)
            ax.text(phase_end, ax.get_ylim()[1], " PPO from here", va="top", fontsize=8, color="0.3")
        ax.set(xlabel="env steps", title=title)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="lower right")
    config = Path(run_dir) / "train_config.json"
    run = json.loads(config.read_text()) if config.exists() else {}
    fig.suptitle(f"training episodes of {Path(run_dir).name} (split {run.get('split', '?')})", fontsize=10)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
