"""Report plots (matplotlib, Agg backend): SR and QR against the budget delta, SR against K, SR
against the number of questions asked — several runs side by side.

Every plot draws a method (a run's label) in the same colour and marker (`MethodStyles`), and the
points of each series are shifted a little sideways, so series with equal values (oracle and
greedy-explore both at 100%) stay visible side by side instead of one hiding the other. The x axes
hold integers (budget delta, K, questions): their ticks are the integers, and an axis with a single
value still spans one unit around it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .metrics import sr_by

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .report import Run

MAX_Q_BUCKET = 6  # questions asked: 0, 1, ..., 5, "6+"
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<")
SPLIT_LINES = ("-", "--", ":", "-.")  # one per split (unseen scenes, unseen tasks, ...)
FILLS = ("full", "none", "left", "top", "right", "bottom")  # one per budget delta
REPORT_AGAIN = "run a2a report again"  # after a failed write (a full disk): what to do once it is fixed
DODGE = 0.3  # total sideways spread of the series' points at one x, in x units (the x values are 1 apart)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


class MethodStyles:
    """One colour and marker per method (run label), one line style per split and one marker fill per
    budget delta: the same in every plot of a report."""

    def __init__(self, runs: Sequence[Run]):
        plt = _pyplot()
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        self.methods = sorted({r.label for r in runs})
        self.splits = sorted({r.split for r in runs})
        self.deltas = sorted({r.delta for r in runs})
        # past len(colors) methods the colours repeat, with other markers
        self._method = {m: (colors[i % len(colors)], MARKERS[(i + i // len(colors)) % len(MARKERS)])
                        for i, m in enumerate(self.methods)}

    def kwargs(self, method: str, split: str, delta: int | None = None) -> dict:
        color, marker = self._method[method]
        fill = FILLS[self.deltas.index(delta) % len(FILLS)] if delta is not None else "full"
        return dict(color=color, marker=marker, linestyle=SPLIT_LINES[self.splits.index(split) % len(SPLIT_LINES)],
                    fillstyle=fill, markerfacecoloralt="white")


def _spread(n: int) -> list[dict]:
    """Per series of a plot: a sideways offset and a drawing order with shrinking markers, so series
    with equal values show side by side, a smaller marker inside a larger one."""
    return [dict(offset=(k - (n - 1) / 2) * DODGE / (n - 1) if n > 1 else 0.0, markersize=max(4.0, 9.0 - 0.75 * k),
                 zorder=3 + k) for k in range(n)]


def _err(m: dict, scale: float) -> tuple[float, float, float] | None:
    if not m or m.get("value") is None:
        return None
    v = m["value"] * scale
    lo = (m["lo"] if m.get("lo") is not None else m["value"]) * scale
    hi = (m["hi"] if m.get("hi") is not None else m["value"]) * scale
    return v, v - lo, hi - v


def _integer_axis(ax, values, labels: Sequence[str] | None = None) -> None:
    """Ticks at the integers `values` (all of them; none in between) and at least one unit of span."""
    values = sorted(set(int(v) for v in values))
    if not values:
        return
    ax.set_xticks(values, labels if labels is not None else [str(v) for v in values])
    ax.set_xlim(values[0] - 0.5, values[-1] + 0.5)


def _legend(fig, ax, columns: int) -> None:
    """Below the plots, so it never hides a point; the plots shrink to make room for it."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=min(columns, len(handles)), fontsize=7, frameon=False)
    rows = -(-len(handles) // columns)
    fig.tight_layout(rect=(0, min(0.4, 0.02 + 0.05 * rows), 1, 1))


def budget_figure(runs: list[Run], styles: MethodStyles) -> Figure:
    """SR and QR against the budget delta: one line per (method, split)."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
    series: dict[tuple[str, str], list] = {}
    for r in runs:
        series.setdefault((r.label, r.split), []).append(r)
    for ((label, split), rs), spread in zip(sorted(series.items()), _spread(len(series))):
        rs = sorted(rs, key=lambda r: r.delta)
        dx = spread.pop("offset")
        for ax, metric, scale in ((axes[0], "SR", 100.0), (axes[1], "QR", 1.0)):
            errs = [(r.delta, _err(r.summary["overall"].get(metric), scale)) for r in rs]
            pts = [(d, e) for d, e in errs if e is not None]
            if pts:
                ax.errorbar([d + dx for d, _ in pts], [e[0] for _, e in pts],
                            yerr=[[e[1] for _, e in pts], [e[2] for _, e in pts]], capsize=3,
                            label=f"{label} ({split})", **styles.kwargs(label, split), **spread)
    axes[0].set(title="SR against budget delta", xlabel="budget delta δ (B = K + δ)", ylabel="SR (%)", ylim=(-2, 102))
    axes[1].set(title="QR against budget delta", xlabel="budget delta δ (B = K + δ)", ylabel="QR (Q / K)")
    for ax in axes:
        _integer_axis(ax, [r.delta for r in runs])
        ax.grid(alpha=0.3)
    _legend(fig, axes[0], columns=3)
    return fig


def sr_by_figure(runs: list[Run], styles: MethodStyles, key: Callable, xlabel: str, title: str,
                 ticks: tuple[list[int], list[str]] | None = None) -> Figure:
    """SR against an integer property of the episodes (K, questions asked): one line per run."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.4))
    xs_seen: list[int] = []
    runs = sorted(runs, key=lambda r: (r.label, r.split, r.delta))
    for r, spread in zip(runs, _spread(len(runs))):
        pts = sr_by(r.records, key)
        if pts:
            xs = list(pts)
            xs_seen += xs
            dx = spread.pop("offset")
            ax.plot([x + dx for x in xs], [pts[x][0] * 100 for x in xs], label=r.name,
                    **styles.kwargs(r.label, r.split, r.delta), **spread)
    ax.set(title=title, xlabel=xlabel, ylabel="SR (%)", ylim=(-2, 102))
    if ticks:
        _integer_axis(ax, ticks[0], ticks[1])
    else:
        _integer_axis(ax, xs_seen)
    ax.grid(alpha=0.3)
    _legend(fig, ax, columns=2)
    return fig


def report_figures(runs: list[Run]) -> list[tuple[str, str, Figure]]:
    """(file name, title, figure) of every plot of a report, all with the same method styles."""
    styles = MethodStyles(runs)
    buckets = list(range(MAX_Q_BUCKET + 1))
    return [
        ("sr_qr_vs_budget.png", "SR and QR against the budget delta", budget_figure(runs, styles)),
        ("sr_vs_k.png", "SR against K",
         sr_by_figure(runs, styles, lambda r: r.K, "K (minimum questions)", "SR against K")),
        ("sr_vs_questions.png", "SR against questions asked",
         sr_by_figure(runs, styles, lambda r: min(r.Q, MAX_Q_BUCKET), "questions asked (Q)",
                      "SR against questions asked",
                      (buckets, [str(b) for b in buckets[:-1]] + [f"{MAX_Q_BUCKET}+"]))),
    ]


def write_plots(runs: list[Run], out: Path) -> list[tuple[str, str]]:
    """Writes the PNGs into `out`, each whole or not at all (a full disk leaves no truncated PNG behind);
    returns (file name, title) pairs."""
    from ..rl.storage import write_atomic

    plt = _pyplot()
    made = []
    for name, title, fig in report_figures(runs):
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=110)
        plt.close(fig)
        write_atomic(out / name, png.getvalue(), then=REPORT_AGAIN)
        made.append((name, title))
    return made
