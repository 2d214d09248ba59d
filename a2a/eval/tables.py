"""Text and markdown tables of evaluation summaries (a2a.eval.metrics.summarize output)."""

from __future__ import annotations

from collections.abc import Sequence

PERCENT = {"SR", "PSR", "ARS", "asked_K0", "useful_rate", "invalid_rate", "over_budget", "failure_rate"}
SUMMARY_COLUMNS = ("SR", "PSR", "ARS", "QR", "Q_K0", "useful_rate", "invalid_rate", "length")


def fmt(metric: str, m: dict | None, ci: bool = False) -> str:
    """One metric as text: percentages for rates, 2 decimals otherwise; '-' when undefined."""
    if not m or m.get("value") is None:
        return "-"
    scale, nd = (100.0, 1) if metric in PERCENT else (1.0, 2)
    s = f"{m['value'] * scale:.{nd}f}"
    if ci and m.get("lo") is not None:
        s += f" [{m['lo'] * scale:.{nd}f}, {m['hi'] * scale:.{nd}f}]"
    return s


def _grid(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([line(header), line(["-" * w for w in widths]), *[line(r) for r in rows]])


def summary_table(summary: dict, columns: Sequence[str] = SUMMARY_COLUMNS, ci: bool = False) -> str:
    """A plain-text table: overall, then per split, task type, ambiguity label and K (rates in %)."""
    header = ["group", "n", *columns]
    rows = [["overall", str(summary["episodes"]), *[fmt(c, summary["overall"].get(c), ci) for c in columns]]]
    for kind, title in (("by_split", "split"), ("by_task", "task"), ("by_ambiguity", "amb"),
                        ("by_ambiguity_bit", "bit"), ("by_K", "K")):
        for key, block in summary.get(kind, {}).items():
            rows.append([f"{title}={key}", str(block["episodes"]), *[fmt(c, block.get(c), ci) for c in columns]])
    return _grid(header, rows)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)
