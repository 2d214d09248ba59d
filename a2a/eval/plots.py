"""Report plots (matplotlib, Agg backend): SR and QR against the budget delta, SR against K, SR
against the number of questions asked — several runs side by side."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .metrics import sr_by

if TYPE_CHECKING:
    from .report import Run

MAX_Q_BUCKET = 6  # questions asked: 0, 1, ..., 5, "6+"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _err(m: dict, scale: float) -> tuple[float, float, float] | None:
    if not m or m.get("value") is None:
        return None
    v = m["value"] * scale
    lo = (m["lo"] if m.get("lo") is not None else m["value"]) * scale
    hi = (m["hi"] if m.get("hi") is not None else m["value"]) * scale
    return v, v - lo, hi - v


def plot_budget(runs: list["Run"], path: Path) -> None:
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    series: dict[tuple[str, str], list] = {}
    for r in runs:
        series.setdefault((r.label, r.split), []).append(r)
    for (label, split), rs in sorted(series.items()):
        rs = sorted(rs, key=lambda r: r.delta)
        for ax, metric, scale in ((axes[0], "SR", 100.0), (axes[1], "QR", 1.0)):
            pts = [(r.delta, _err(r.summary["overall"].get(metric), scale)) for r in rs]
            pts = [(d, e) for d, e in pts if e is not None]
            if pts:
                ax.errorbar([d for d, _ in pts], [e[0] for _, e in pts], yerr=[[e[1] for _, e in pts], [e[2] for _, e in pts]],
                            marker="o", capsize=3, label=f"{label} ({split})")
    axes[0].set(title="SR against budget delta", xlabel="budget delta δ (B = K + δ)", ylabel="SR (%)", ylim=(-2, 102))
    axes[1].set(title="QR against budget delta", xlabel="budget delta δ (B = K + δ)", ylabel="QR (Q / K)")
    for ax in axes:
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_sr_by(runs: list["Run"], path: Path, key, xlabel: str, title: str, xticks=None) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for r in runs:
        pts = sr_by(r.records, key)
        if pts:
            xs = list(pts)
            ax.plot(xs, [pts[x][0] * 100 for x in xs], marker="o", label=r.name)
    ax.set(title=title, xlabel=xlabel, ylabel="SR (%)", ylim=(-2, 102))
    if xticks:
        ax.set_xticks(*xticks)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_plots(runs: list["Run"], out: Path) -> list[tuple[str, str]]:
    """Writes the PNGs into `out`; returns (file name, title) pairs."""
    made = []
    plot_budget(runs, out / "sr_qr_vs_budget.png")
    made.append(("sr_qr_vs_budget.png", "SR and QR against the budget delta"))
    plot_sr_by(runs, out / "sr_vs_k.png", lambda r: r.K, "K (minimum questions)", "SR against K")
    made.append(("sr_vs_k.png", "SR against K"))
    buckets = list(range(MAX_Q_BUCKET + 1))
    plot_sr_by(runs, out / "sr_vs_questions.png", lambda r: min(r.Q, MAX_Q_BUCKET), "questions asked (Q)",
               "SR against questions asked", (buckets, [str(b) for b in buckets[:-1]] + [f"{MAX_Q_BUCKET}+"]))
    made.append(("sr_vs_questions.png", "SR against questions asked"))
    return made
