"""`a2a report RUN_DIR...`: compare evaluation runs — a markdown table in the layout of the paper's
Table 1 (SR / ARS / QR, unseen scenes | unseen tasks), per-run tables with 95% intervals, and plots
(SR and QR against the budget delta, SR against K, SR against questions asked) written to --out."""

from __future__ import annotations

import argparse
import sys


def register(sub, help_text: str) -> None:
    p = sub.add_parser("report", help=help_text, description=__doc__)
    p.add_argument("runs", nargs="+", metavar="RUN_DIR", help="evaluation run directories (from `a2a eval`)")
    p.add_argument("--out", default="report", metavar="DIR", help="where report.md and the PNGs go (default: ./report)")
    p.add_argument("--no-plots", action="store_true", help="tables only")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..eval.records import RecordError
    from ..eval.report import write_report

    try:
        path, table = write_report(args.runs, args.out, plots=not args.no_plots)
    except (FileNotFoundError, ValueError, RecordError) as e:
        print(f"a2a report: error: {e}", file=sys.stderr)
        return 2
    print(table)
    print(f"\nreport written to {path}")
    return 0
