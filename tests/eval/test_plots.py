"""Report plots a person can read: one colour per method in every plot, series with equal values
side by side instead of on top of each other, integer axes with integer ticks, and a single budget
delta on an axis one unit wide."""

from __future__ import annotations

import matplotlib.colors as mcolors
import pytest

from a2a.cli.main import main
from a2a.eval.plots import report_figures
from a2a.eval.report import load_run


@pytest.fixture(scope="module")
def runs(dataset_dir, tmp_path_factory):
    """Oracle and greedy-explore (both succeed everywhere: equal SR) and no-ask, at one budget delta;
    given in an order that is not the methods' sorted order."""
    root = tmp_path_factory.mktemp("plot-runs")
    out = []
    for agent in ("oracle", "no-ask", "greedy-explore"):
        d = root / agent
        assert main(["eval", "--agent", agent, "--split", "val_unseen_scenes", "--episodes", "20", "--out", str(d),
                     "--no-progress", "--bootstrap", "20"]) == 0
        out.append(load_run(d))
    return out


def series(fig):
    """{legend label: (x data, y data, colour, marker)} of every axes of a figure."""
    found = {}
    for ax in fig.axes:
        handles, labels = ax.get_legend_handles_labels()
        for h, label in zip(handles, labels):
            line = h.lines[0] if hasattr(h, "lines") else h  # errorbar containers hold their data line
            found[(ax.get_title(), label)] = (list(line.get_xdata()), list(line.get_ydata()),
                                              mcolors.to_hex(line.get_color()), line.get_marker())
    return found


def test_a_method_has_one_colour_and_marker_in_every_plot(runs):
    seen: dict[str, set] = {}
    for _, _, fig in report_figures(runs):
        for (_, label), (_, _, colour, marker) in series(fig).items():
            seen.setdefault(label.split(" ")[0], set()).add((colour, marker))
    assert set(seen) == {"oracle", "no-ask", "greedy-explore"}
    assert all(len(styles) == 1 for styles in seen.values()), seen
    assert len({next(iter(s)) for s in seen.values()}) == 3  # and methods differ


def test_methods_with_equal_values_stay_visible(runs):
    by = {r.label: r for r in runs}
    assert by["oracle"].summary["overall"]["SR"]["value"] == by["greedy-explore"].summary["overall"]["SR"]["value"] == 1.0
    for _, _, fig in report_figures(runs):
        s = series(fig)
        for title in {t for t, _ in s}:
            pts = {label.split(" ")[0]: list(zip(x, y)) for (t, label), (x, y, _, _) in s.items() if t == title}
            if "SR" in title:  # both at 100%: drawn at different places, not one over the other
                assert all(y == 100.0 for _, y in pts["oracle"] + pts["greedy-explore"])
                assert not set(pts["oracle"]) & set(pts["greedy-explore"]), (title, pts)


def test_integer_axes_have_integer_ticks_and_a_single_budget_spans_a_unit(runs):
    for name, _, fig in report_figures(runs):
        for ax in fig.axes:
            ticks = list(ax.get_xticks())
            assert ticks and all(float(t).is_integer() for t in ticks), (name, ticks)
            lo, hi = ax.get_xlim()
            assert hi - lo >= 1.0, (name, lo, hi)
            if name == "sr_qr_vs_budget.png":
                assert ticks == [0]  # the only budget delta of the runs
            if name == "sr_vs_k.png":
                assert ticks == sorted({r.K for run in runs for r in run.records})
