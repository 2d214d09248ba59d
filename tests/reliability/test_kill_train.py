"""`kill -9` of `a2a train`, again and again: during startup, right after a row is logged, while a
checkpoint is being written, right after one was written, at random. After every kill the run dir
must be consistent (complete checkpoints only, at most a torn last metrics line), a start without
--resume must be refused once an update was logged, and after the last resume every update must be
logged exactly once in metrics.jsonl and metrics.csv alike."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest
import torch
from rel_helpers import logged_updates, lost_and_duplicated, start_train, train_argv

from a2a.cli.main import main
from a2a.rl.checkpoint import latest_checkpoint
from a2a.rl.metrics import read_rows

# Enough updates that no kill of the campaign comes after the run has finished (an update of this
# smallest run takes ~0.1 s on a fast machine), few enough that the last resume stays short.
UPDATES, EVERY = 150, 3
# What each kill waits for. "write" kills while a checkpoint's temporary folder exists; "after_ckpt"
# lets the run make progress, so the campaign ends with the run still unfinished.
SCHEDULE = ["early", "rows", "write", "after_ckpt", "random", "early", "write", "rows", "after_ckpt", "write",
            "random"]
pytestmark = pytest.mark.timeout(900)


def _complete(ck: Path) -> set[str]:
    return {p.name for p in ck.glob("update_*") if (p / "state.json").is_file()} if ck.is_dir() else set()


def _temporaries(ck: Path) -> set[str]:
    return {p.name for p in ck.glob(".update_*")} if ck.is_dir() else set()


def _rows(jsonl: Path) -> int:
    try:
        return jsonl.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _wait_and_kill(proc, mode: str, run: Path, rng: random.Random, timeout_s: float) -> dict:
    """Waits for the moment `mode` names, then kill -9s the process (and its group)."""
    ck, jsonl = run / "checkpoints", run / "metrics.jsonl"
    rows0, ckpts0, temps0 = _rows(jsonl), _complete(ck), _temporaries(ck)
    delay = {"early": rng.uniform(0.2, 1.5), "random": rng.uniform(0.0, 4.0)}.get(mode)
    t0 = time.monotonic()
    while proc.poll() is None:
        waited = time.monotonic() - t0
        assert waited < timeout_s, f"{mode}: nothing happened in {timeout_s:.0f} s"
        if delay is not None and waited >= delay:
            break
        if mode == "rows" and _rows(jsonl) > rows0:
            break
        if mode == "write" and _temporaries(ck) - temps0:
            break
        if mode == "after_ckpt" and _complete(ck) - ckpts0:
            time.sleep(rng.uniform(0.0, 0.3))
            break
        time.sleep(0.0005)
    else:
        return {"exited": proc.returncode}
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return {"killed": mode, "interrupted_write": bool(_temporaries(ck) - temps0)}


def _check_consistent(run: Path) -> None:
    """What a kill may leave: complete checkpoints (loadable), at most one torn metrics line."""
    read_rows(run / "metrics.jsonl")  # raises on anything but a torn last line
    ckpt = latest_checkpoint(run)
    if ckpt is not None:
        assert (ckpt / "policy" / "trainable.safetensors").is_file()
        torch.load(ckpt / "optimizer.pt", weights_only=False)
        torch.load(ckpt / "rng_rank0.pt", weights_only=False)


def test_kill_9_at_random_points_and_checkpoint_writes(rel_tiny_model, rel_dataset, tmp_path, tally, capsys):
    rng = random.Random(13)
    run = tmp_path / "run"
    argv = train_argv(run, rel_tiny_model, rel_dataset, UPDATES, EVERY)
    refused_checked = False
    for mode in SCHEDULE:
        holds_run = latest_checkpoint(run) is not None or read_rows(run / "metrics.jsonl")[0] != []
        if holds_run and not refused_checked:  # a start without --resume must not append to the run
            assert main(argv) == 2
            assert "holds a run" in capsys.readouterr().err
            refused_checked = True
        proc = start_train(argv + (["--resume"] if holds_run else []), tmp_path / "stderr.txt")
        seen = _wait_and_kill(proc, mode, run, rng, timeout_s=240)
        assert "exited" not in seen, f"the run ended by itself ({seen}): {(tmp_path / 'stderr.txt').read_text()[-2000:]}"
        tally["kills"] += 1
        tally[f"kills_{mode}"] += 1
        tally["kills_interrupting_a_checkpoint_write"] += seen["interrupted_write"]
        tally["kills_before_the_first_row"] += _rows(run / "metrics.jsonl") == 0
        tally["kills_before_the_first_checkpoint"] += latest_checkpoint(run) is None
        _check_consistent(run)

    proc = start_train(argv + ["--resume"], tmp_path / "stderr.txt")
    assert proc.wait(timeout=600) == 0, (tmp_path / "stderr.txt").read_text()[-3000:]
    jsonl, csv_rows = logged_updates(run)
    lost, dup = lost_and_duplicated(jsonl, UPDATES)
    tally["rows_lost"] += lost
    tally["rows_duplicated"] += dup
    assert jsonl == list(range(1, UPDATES + 1))
    assert csv_rows == jsonl
    assert latest_checkpoint(run).name == f"update_{UPDATES:06d}"
    assert (run / "checkpoints" / "latest").read_text().strip() == f"update_{UPDATES:06d}"
    assert not _temporaries(run / "checkpoints"), "temporary folders of killed writes were left behind"
    assert tally["kills"] >= 10 and tally["kills_interrupting_a_checkpoint_write"] >= 1
    assert tally["kills_before_the_first_row"] >= 1
