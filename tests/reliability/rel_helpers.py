"""Helpers shared by the reliability tests: running `a2a train` and reading what it logged."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path


def train_argv(run_dir, model: str, dataset: str, updates: int, checkpoint_every: int, *extra: str) -> list[str]:
    """`a2a train` with the smallest settings: 2 envs x 4 steps per update, no evaluation."""
    return ["train", "--run-dir", str(run_dir), "--model", model, "--dataset", dataset, "--updates", str(updates),
            "--num-envs", "2", "--rollout-steps", "4", "--epochs", "1", "--minibatches", "1", "--eval-episodes", "0",
            "--no-tensorboard", "--checkpoint-every", str(checkpoint_every), "--minutes", "0", "--num-threads", "1", "--sft-updates", "0",
            "--max-past-steps", "4", *extra]


def start_train(argv: list[str], log: Path) -> subprocess.Popen:
    """`a2a <argv>` in its own process group; stderr goes to the file `log` (a pipe could fill and block it)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONSAFEPATH": "1"}
    with open(log, "w") as err:
        return subprocess.Popen([sys.executable, "-m", "a2a.cli.main", *argv], env=env, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=err)


def logged_updates(run_dir: Path) -> tuple[list[int], list[int]]:
    """The update numbers in metrics.jsonl and in metrics.csv, in file order."""
    run_dir = Path(run_dir)
    jsonl = [int(json.loads(x)["update"]) for x in (run_dir / "metrics.jsonl").read_text().splitlines() if x.strip()]
    with open(run_dir / "metrics.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows and rows[0][0] == "update", f"metrics.csv does not start with its header: {rows[:1]}"
    return jsonl, [int(float(r[0])) for r in rows[1:]]


def lost_and_duplicated(updates: list[int], expected: int) -> tuple[int, int]:
    want = set(range(1, expected + 1))
    return len(want - set(updates)), len(updates) - len(set(updates)) + len(set(updates) - want)
