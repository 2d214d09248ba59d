"""Comparing evaluation runs: the paper's Table 1 layout (SR / ARS / QR, unseen scenes | unseen tasks),
a per-run table with confidence intervals, and plots (a2a.eval.plots)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .metrics import summarize
from .records import EpisodeRecord, read_records
from .run_dir import SUMMARY_FILE, read_run
from .tables import fmt, markdown_table

# Which split fills a Table-1 column (test preferred over val).
TABLE1_COLUMNS = {"unseen scenes": ("test_unseen_scenes", "val_unseen_scenes"),
                  "unseen tasks": ("test_unseen_tasks", "val_unseen_tasks")}


@dataclass
class Run:
    path: Path
    info: dict                    # run.json
    records: list[EpisodeRecord]
    summary: dict

    @property
    def label(self) -> str:
        return self.info.get("label") or self.info["agent"]

    @property
    def split(self) -> str:
        return self.info["split"]

    @property
    def delta(self) -> int:
        return int(self.info["budget_delta"])

    @property
    def privileged(self) -> bool | None:
        """Whether the agent read privileged state (None for runs recorded before it was kept)."""
        return self.info.get("privileged")

    @property
    def full_observation(self) -> bool | None:
        """Whether the agent saw the whole apartment (Table 1's "full obs."); privileged agents do
        unless the run says otherwise."""
        return self.info.get("full_observation", self.info.get("privileged"))

    @property
    def name(self) -> str:
        return f"{self.label} δ={self.delta} {self.split}"

    @property
    def incomplete(self) -> str | None:
        """"4 of 30 episodes" for a run that stopped before its end (killed, or stopped on an error), None for a
        finished one (and for runs recorded before run.json said so)."""
        wanted = self.info.get("episodes")
        if self.info.get("completed", True) is not False or not isinstance(wanted, int):
            return None
        return f"{len(self.records)} of {wanted} episodes"


def load_run(path: str | os.PathLike, n_boot: int = 1000) -> Run:
    """A run directory: run.json, its records, and its summary (recomputed when missing or stale)."""
    path = Path(path)
    info = read_run(path)
    records = read_records(path)
    summary = None
    sfile = path / SUMMARY_FILE
    if sfile.exists():
        try:
            summary = json.loads(sfile.read_text())
        except json.JSONDecodeError:
            summary = None  # derived from the records: a damaged copy is recomputed, not trusted
        if not isinstance(summary, dict) or summary.get("episodes") != len(records):
            summary = None  # an unfinished (or damaged) run: summarize what is there
    if summary is None:
        summary = summarize(records, n_boot=n_boot, seed=int(info.get("seed", 0)))
    return Run(path, info, records, summary)


def table1(runs: list[Run]) -> str:
    """Rows: one per (label, budget delta); columns: SR / ARS / QR on unseen scenes | unseen tasks."""
    rows: dict[tuple[str, int], dict[str, Run]] = {}
    for r in runs:
        rows.setdefault((r.label, r.delta), {})[r.split] = r
    header = ["method", "privileged", "full obs.", "δ"]
    for col in TABLE1_COLUMNS:
        header += [f"{col} SR", f"{col} ARS", f"{col} QR"]
    lines = []
    for (label, delta), by_split in rows.items():
        any_run = next(iter(by_split.values()))
        if any(r.incomplete for r in by_split.values()):
            label += " (incomplete)"
        cells = [label, _yes_no(any_run.privileged), _yes_no(any_run.full_observation), str(delta)]
        for splits in TABLE1_COLUMNS.values():
            run = next((by_split[s] for s in splits if s in by_split), None)
            o = run.summary["overall"] if run else {}
            cells += [fmt("SR", o.get("SR")), fmt("ARS", o.get("ARS")), fmt("QR", o.get("QR"))]
        lines.append(cells)
    return markdown_table(header, lines)


def _yes_no(flag: bool | None) -> str:
    return "?" if flag is None else ("yes" if flag else "no")


def runs_table(runs: list[Run]) -> str:
    """Every run with 95% intervals."""
    header = ["run", "split", "δ", "n", "SR", "PSR", "ARS", "QR", "Q on K=0", "useful %", "invalid %", "length"]
    rows = []
    for r in runs:
        o = r.summary["overall"]
        n = str(r.summary["episodes"]) + (f" (incomplete: {r.incomplete})" if r.incomplete else "")
        rows.append([r.label, r.split, str(r.delta), n, fmt("SR", o["SR"], True),
                     fmt("PSR", o.get("PSR")), fmt("ARS", o["ARS"], True), fmt("QR", o["QR"], True),
                     fmt("Q_K0", o["Q_K0"]),
                     fmt("useful_rate", o["useful_rate"]), fmt("invalid_rate", o["invalid_rate"]),
                     fmt("length", o["length"])])
    return markdown_table(header, rows)


def task_table(runs: list[Run]) -> str:
    """SR, partial success, ARS and QR per task type (fetch, clean_clutter, preference_reasoning), every run."""
    header = ["run", "split", "δ", "task", "n", "SR", "PSR", "ARS", "QR"]
    rows = []
    for r in runs:
        for task, block in r.summary.get("by_task", {}).items():
            rows.append([r.label, r.split, str(r.delta), task, str(block["episodes"]),
                         *[fmt(m, block.get(m)) for m in ("SR", "PSR", "ARS", "QR")]])
    return markdown_table(header, rows)


def group_table(runs: list[Run], kind: str, metric: str = "SR") -> str:
    """One metric per group (by_ambiguity, by_ambiguity_bit, by_K) for every run side by side."""
    keys: list[str] = []
    for r in runs:
        for k in r.summary.get(kind, {}):
            if k not in keys:
                keys.append(k)
    if kind == "by_K":
        keys.sort(key=int)
    header = [kind.replace("by_", ""), *[r.name for r in runs]]
    rows = [[k, *[fmt(metric, r.summary.get(kind, {}).get(k, {}).get(metric)) for r in runs]] for k in keys]
    return markdown_table(header, rows)


def usage_table(runs: list[Run]) -> str | None:
    """LLM calls, tokens and cost of the runs of model agents (None when there are none)."""
    rows = []
    for r in runs:
        u = r.summary.get("llm")
        if u:
            rows.append([r.label, r.split, str(r.summary["episodes"]), str(u["calls"]), str(u["cache_hits"]),
                         f"{u['tokens_per_episode']:.0f}", f"{u['latency_s_mean']:.2f}",
                         f"{u['usd_per_100_episodes']:.4f}"])
    if not rows:
        return None
    return markdown_table(["run", "split", "n", "LLM calls", "cached", "tokens / episode", "latency s",
                           "$ / 100 episodes"], rows)


def write_report(run_dirs: Sequence[str | os.PathLike], out: str | os.PathLike, plots: bool = True,
                 figures: Sequence[tuple[str | os.PathLike, str]] = ()) -> tuple[Path, str]:
    """Writes out/report.md (and PNG plots); returns (path, the Table-1 markdown). `figures`: more
    (PNG path, title) pairs to copy into the report, e.g. a training run's learning curve."""
    if not run_dirs:
        raise ValueError("no run directories given")
    runs = [load_run(p) for p in run_dirs]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t1 = table1(runs)
    unfinished = [f"`{r.path}` ({r.incomplete}; `a2a eval ... --resume` with its --out finishes it)"
                  for r in runs if r.incomplete]
    if unfinished:
        t1 += "\n\nIncomplete runs, summarized over the episodes they recorded: " + "; ".join(unfinished) + "."
    parts = ["# a2a evaluation report", "",
             "SR, ARS in %; QR = mean Q/K over K>0 episodes (docs/eval.md). Table 1 layout: unseen scenes | unseen "
             "tasks (test split when present, else val).", "", t1, "", "## Runs (95% bootstrap intervals)", "",
             runs_table(runs), "",
             "## Per task type", "",
             "PSR: partial success, the mean fraction of the objects the user wanted moved that "
             "were delivered.", "", task_table(runs), "",
             "## SR per ambiguity type", "", group_table(runs, "by_ambiguity_bit"), "",
             "## SR per ambiguity combination", "", group_table(runs, "by_ambiguity"), "",
             "## ARS per ambiguity combination", "",
             "Where ARS falls below SR, the agent asked more than K questions there (in an episode with K = 0, any "
             "question makes its ARS 0).", "", group_table(runs, "by_ambiguity", "ARS"), "",
             "## SR per K", "", group_table(runs, "by_K"), "", "## QR per K", "", group_table(runs, "by_K", "QR"), ""]
    usage = usage_table(runs)
    if usage:
        parts[10:10] = ["## LLM usage", "", usage, ""]
    from ..rl.storage import write_atomic
    from .plots import REPORT_AGAIN

    if plots:
        from .plots import write_plots

        for name, title in write_plots(runs, out):
            parts += [f"## {title}", "", f"![{title}]({name})", ""]
    for src, title in figures:  # (whole or not at all, as the plots)
        write_atomic(out / Path(src).name, Path(src).read_bytes(), then=REPORT_AGAIN)
        parts += [f"## {title}", "", f"![{title}]({Path(src).name})", ""]
    parts += ["## Run directories", ""] + [f"- `{r.path}`: {r.info['agent']} {json.dumps(r.info.get('options', {}))}, "
                                           f"commit {r.info.get('git_commit')}" for r in runs]
    path = out / "report.md"
    write_atomic(path, ("\n".join(parts) + "\n").encode("utf-8"), then=REPORT_AGAIN)
    return path, t1
