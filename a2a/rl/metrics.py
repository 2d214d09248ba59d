"""Training metrics to CSV, JSON lines and TensorBoard, under documented names (docs/training.md).

metrics.jsonl is the record (one JSON object per update); metrics.csv holds the same rows as a table
and is rewritten from it whenever a logger opens, so the two always agree and the CSV always starts
with its header. Opening also repairs what a kill or a full disk can leave: a torn last line (no
newline, or not JSON) is dropped, and so are rows of updates after the checkpoint a run resumes from;
every update is then logged exactly once.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
from pathlib import Path

from .storage import append_line, write_atomic

log = logging.getLogger(__name__)
JSONL, CSV = "metrics.jsonl", "metrics.csv"

# The CSV columns, in order. Everything logged also goes to metrics.jsonl and TensorBoard.
CSV_COLUMNS = (
    "update", "phase", "env_steps", "wall_s", "steps_per_s",
    "episode/success_rate", "episode/ars", "episode/questions", "episode/question_ratio", "episode/length",
    "episode/return", "episode/count",
    "reward/total", "reward/success", "reward/subgoal", "reward/useful_question", "reward/over_budget", "reward/slack",
    "reward/invalid", "reward/failure",
    "rollout/invalid_rate", "rollout/ask_rate", "rollout/useful_rate",
    "loss/bc", "loss/total", "loss/policy", "loss/value", "loss/entropy", "loss/kl_ref", "ppo/approx_kl",
               "ppo/clip_fraction",
    "ppo/grad_norm", "ppo/lr", "value/explained_variance",
)


class MetricsError(ValueError):
    """metrics.jsonl is damaged beyond what a kill or a full disk leaves (the message names the line)."""


def read_rows(path: Path) -> tuple[list[dict], int]:
    """The complete rows of a metrics.jsonl file, and 1 if a torn last line was dropped (else 0).

    Only the last line can be torn (written without its newline when the run was killed or the disk
    filled); any other bad line is a MetricsError naming it."""
    path = Path(path)
    if not path.exists():
        return [], 0
    lines = path.read_bytes().split(b"\n")
    torn = 1 if lines.pop().strip() else 0  # what follows the last newline: nothing, or a torn line
    rows = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as e:
            raise MetricsError(f"{path}: line {n}: not a JSON row ({e}); remove the line to continue the run") from None
        if not isinstance(row, dict) or not isinstance(row.get("update"), (int, float)):
            raise MetricsError(f"{path}: line {n}: a row must be a JSON object with a numeric 'update'")
        rows.append(row)
    return rows, torn


def logged_updates(run_dir: Path) -> int:
    """How many updates a run directory has logged (complete rows of metrics.jsonl)."""
    return len(read_rows(Path(run_dir) / JSONL)[0])


def _csv_text(rows: list[dict], columns: tuple[str, ...], header: bool = True) -> str:
    out = io.StringIO(newline="")
    w = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    if header:
        w.writeheader()
    for r in rows:
        w.writerow({k: r.get(k, "") for k in columns})
    return out.getvalue()


class MetricsLogger:
    """Appends one row per update to metrics.jsonl and metrics.csv (and TensorBoard).

    resume_from_update: rows of later updates are dropped (a run resumed from that checkpoint logs
    them again); None keeps every complete row. extra_columns: CSV columns after CSV_COLUMNS (the
    counters of the run's LLM judge and LLM user). A failed write raises storage.RunWriteError."""

    def __init__(self, run_dir: Path, resume_from_update: int | None = None, tensorboard: bool = True,
                 extra_columns: tuple[str, ...] = ()):
        self.columns = CSV_COLUMNS + tuple(c for c in extra_columns if c not in CSV_COLUMNS)
        self.dir = Path(run_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.csv_path, self.jsonl_path = self.dir / CSV, self.dir / JSONL
        self.dropped = self._repair(resume_from_update)
        self._jsonl = open(self.jsonl_path, "ab", buffering=0)
        self._csv = open(self.csv_path, "ab", buffering=0)
        self._tb = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self._tb = SummaryWriter(str(self.dir / "tensorboard"))
            except ImportError:
                self._tb = None  # tensorboard is optional; CSV and JSON lines are always written

    def _repair(self, keep_through: int | None) -> dict[str, int]:
        """Rewrites both files from the complete rows of metrics.jsonl (one row per update, in order)."""
        rows, torn = read_rows(self.jsonl_path)
        kept: dict[int, dict] = {}
        later = 0
        for r in rows:
            u = int(r["update"])
            if keep_through is not None and u > keep_through:
                later += 1
                continue
            kept[u] = r  # a row logged twice for one update (runs before this fix): the last one wins
        duplicates = len(rows) - later - len(kept)
        ordered = [kept[u] for u in sorted(kept)]
        dropped = {"torn": torn, "after_checkpoint": later, "duplicates": duplicates}
        if torn or duplicates:
            log.warning("%s: dropped %d torn line(s) and %d duplicate row(s) left by an interrupted run",
                        self.jsonl_path, torn, duplicates)
        write_atomic(self.jsonl_path, "".join(json.dumps(r) + "\n" for r in ordered).encode("utf-8"))
        write_atomic(self.csv_path, _csv_text(ordered, self.columns).encode("utf-8"))
        return dropped

    def log(self, values: dict) -> None:
        clean = {k: (float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v) for k,
                 v in values.items()}
        append_line(self._jsonl, self.jsonl_path, json.dumps(clean) + "\n")  # the record first
        append_line(self._csv, self.csv_path, _csv_text([clean], self.columns, header=False))
        if self._tb is not None:
            step = int(values.get("env_steps", values.get("update", 0)))
            for k, v in clean.items():
                if isinstance(v, float) and math.isfinite(v) and k not in ("update", "env_steps"):
                    self._tb.add_scalar(k, v, step)

    def close(self) -> None:
        self._csv.close()
        self._jsonl.close()
        if self._tb is not None:
            self._tb.close()
