"""`a2a report RUN_DIR...`: compare evaluation runs — a markdown table in the layout of the paper's
Table 1 (SR / ARS / QR, unseen scenes | unseen tasks), per-run tables with 95% intervals, and plots
(SR and QR against the budget delta, SR against K, SR against questions asked) written to --out.

A directory that holds evaluation runs instead of being one — a training run (`a2a train` evaluates
into RUN/eval/: the final policy, what it is compared with, and update_NNNNNN during training), or a
folder of runs — stands for the runs inside it; of several that fill the same table cell (same
method, split and budget delta: a policy evaluated now and then during training), the last by name
is used."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import UserError


def register(sub, help_text: str) -> None:
    p = sub.add_parser("report", help=help_text, description=__doc__)
    p.add_argument("runs", nargs="+", metavar="RUN_DIR",
                   help="evaluation run directories (from `a2a eval`), or directories holding some (a training run)")
    p.add_argument("--out", default="report", metavar="DIR", help="where report.md and the PNGs go (default: ./report)")
    p.add_argument("--no-plots", action="store_true", help="tables only")
    p.set_defaults(func=run)


def _cell(info: dict) -> tuple:
    """The cell of Table 1 a run fills (a2a.eval.report.Run: label, split, budget delta)."""
    return info.get("label") or info.get("agent"), info.get("split"), info.get("budget_delta")


def expand_run_dirs(paths: list[str]) -> tuple[list[Path], list[str]]:
    """The evaluation runs the arguments stand for, and a note per directory that was expanded or left out."""
    from ..eval.records import RECORDS_FILE
    from ..eval.run_dir import RUN_FILE, read_run, runs_inside

    runs: list[Path] = []
    notes: list[str] = []
    for arg in paths:
        path = Path(arg)
        if (path / RUN_FILE).exists() and not (path / RECORDS_FILE).exists():
            try:
                read_run(path)  # a malformed run file is an error naming it, not a run to leave out
            except ValueError as e:
                raise UserError(str(e)) from None
            notes.append(f"{path}: left out, no episode was recorded (an evaluation that failed to start?)")
            continue
        if (path / RUN_FILE).exists() or not path.is_dir():
            runs.append(path)  # an evaluation run, or a mistake that write_report names
            continue
        inside = runs_inside(path)
        if not inside:
            raise UserError(f"{path}: not an evaluation run directory (no {RUN_FILE}) and no evaluation runs inside it "
                            "(`a2a eval --out DIR` writes one; a training run has them in eval/)")
        by_cell: dict[tuple, Path] = {}
        for run_dir in inside:  # sorted: the last of a cell is the latest evaluation of a training run
            try:
                info = read_run(run_dir)
            except ValueError as e:
                raise UserError(str(e)) from None
            by_cell[_cell(info)] = run_dir
        used = sorted(by_cell.values())
        runs += used
        skipped = [p for p in inside if p not in used]
        notes.append(f"{path}: no {RUN_FILE}; using the evaluation run{'s' if len(used) > 1 else ''} inside it: "
                     + ", ".join(str(p) for p in used)
                     + (f" (earlier evaluations of the same method, split and budget left out: "
                        f"{', '.join(str(p) for p in skipped)})" if skipped else ""))
    filled: dict[tuple, Path] = {}
    for run_dir in runs:  # two runs in one cell: Table 1 shows the last, and says so
        if (run_dir / RUN_FILE).exists():
            try:
                cell = _cell(read_run(run_dir))
            except ValueError as e:
                raise UserError(str(e)) from None
            if cell in filled:
                notes.append(f"{filled[cell]} and {run_dir} are both {cell[0]} on {cell[1]} with budget delta "
                             f"{cell[2]}, one cell of Table 1: it shows {run_dir}, the per-run tables both "
                             f"(evaluate with another --label to tell them apart)")
            filled[cell] = run_dir
    if not runs:
        raise UserError("no evaluation run to report: " + "; ".join(notes))
    return runs, notes


def run(args: argparse.Namespace) -> int:
    from ..eval.records import RecordError
    from ..eval.report import write_report
    from ..rl.storage import RunWriteError

    run_dirs, notes = expand_run_dirs(args.runs)
    for note in notes:
        print(f"a2a report: {note}", file=sys.stderr)
    try:
        path, table = write_report(run_dirs, args.out, plots=not args.no_plots)
    except (FileNotFoundError, ValueError, RecordError, RunWriteError) as e:
        raise UserError(str(e)) from None
    print(table)
    print(f"\nreport written to {path}")
    return 0
