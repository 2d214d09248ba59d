"""Training metrics to CSV, JSON lines and TensorBoard, under documented names (docs/training.md)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

# The CSV columns, in order. Everything logged also goes to metrics.jsonl and TensorBoard.
CSV_COLUMNS = (
    "update", "phase", "env_steps", "wall_s", "steps_per_s",
    "episode/success_rate", "episode/ars", "episode/questions", "episode/question_ratio", "episode/length",
    "episode/return", "episode/count",
    "reward/total", "reward/success", "reward/subgoal", "reward/useful_question", "reward/over_budget", "reward/slack",
    "reward/invalid", "reward/failure",
    "rollout/invalid_rate", "rollout/ask_rate", "rollout/useful_rate",
    "loss/bc", "loss/total", "loss/policy", "loss/value", "loss/entropy", "loss/kl_ref", "ppo/approx_kl", "ppo/clip_fraction",
    "ppo/grad_norm", "ppo/lr", "value/explained_variance",
    "judge/agreement", "judge/fallbacks",
)


class MetricsLogger:
    """Appends one row per update. Safe to reopen on resume (rows of later updates are dropped)."""

    def __init__(self, run_dir: Path, resume_from_update: int | None = None, tensorboard: bool = True):
        self.dir = Path(run_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.csv_path, self.jsonl_path = self.dir / "metrics.csv", self.dir / "metrics.jsonl"
        if resume_from_update is not None:
            self._truncate_after(resume_from_update)
        new = not self.csv_path.exists()
        self._csv = open(self.csv_path, "a", newline="")
        self._writer = csv.DictWriter(self._csv, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        if new:
            self._writer.writeheader()
        self._jsonl = open(self.jsonl_path, "a")
        self._tb = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self._tb = SummaryWriter(str(self.dir / "tensorboard"))
            except ImportError:
                self._tb = None  # tensorboard is optional; CSV and JSON lines are always written

    def _truncate_after(self, update: int) -> None:
        """A resumed run repeats nothing: drop rows of updates after the checkpoint."""
        if self.jsonl_path.exists():
            rows = [json.loads(line) for line in self.jsonl_path.read_text().splitlines() if line.strip()]
            keep = [r for r in rows if r.get("update", 0) <= update]
            self.jsonl_path.write_text("".join(json.dumps(r) + "\n" for r in keep))
        if self.csv_path.exists():
            with open(self.csv_path, newline="") as f:
                rows = list(csv.DictReader(f))
            with open(self.csv_path, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=CSV_COLUMNS, extrasaction="ignore")
                w.writeheader()
                for r in rows:
                    if int(float(r.get("update") or 0)) <= update:
                        w.writerow(r)

    def log(self, values: dict) -> None:
        clean = {k: (float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v) for k, v in values.items()}
        self._writer.writerow({k: clean.get(k, "") for k in CSV_COLUMNS})
        self._csv.flush()
        self._jsonl.write(json.dumps(clean) + "\n")
        self._jsonl.flush()
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
