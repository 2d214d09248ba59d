"""What interrupted runs leave behind, and starts that fail: each case of issue 13 ("rows duplicated
or lost when a run is killed before its first checkpoint", "a failed start must leave nothing that
blocks a retry", one-line errors) as a deterministic test."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from rel_helpers import logged_updates, start_train, train_argv

from a2a.cli.main import main
from a2a.rl import checkpoint as ckpt_mod
from a2a.rl.metrics import MetricsError, MetricsLogger, read_rows

pytestmark = pytest.mark.timeout(600)


def _row(update: int) -> dict:
    return {"update": update, "phase": "ppo", "env_steps": 10 * update, "loss/total": 0.5}


def _log(run: Path, updates, resume=None) -> None:
    logger = MetricsLogger(run, resume_from_update=resume, tensorboard=False)
    for u in updates:
        logger.log(_row(u))
    logger.close()


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"


# ---- metrics ---------------------------------------------------------------------------------------

def test_a_torn_last_line_is_dropped_on_resume(tmp_path):
    _log(tmp_path, [1, 2, 3])
    with open(tmp_path / "metrics.jsonl", "ab") as f:
        f.write(b'{"update": 4, "phase": "pp')  # the disk filled up (or the run was killed) mid-line
    assert read_rows(tmp_path / "metrics.jsonl") == ([_row(u) | {"env_steps": 10.0 * u, "update": float(u)}
                                                      for u in (1, 2, 3)], 1)
    _log(tmp_path, [3, 4], resume=2)
    jsonl, csv_rows = logged_updates(tmp_path)
    assert jsonl == csv_rows == [1, 2, 3, 4]


def test_a_zero_byte_csv_gets_its_header_back(tmp_path):
    (tmp_path / "metrics.csv").write_bytes(b"")  # killed before the first row was flushed
    _log(tmp_path, [1, 2])
    _log(tmp_path, [2, 3], resume=1)
    jsonl, csv_rows = logged_updates(tmp_path)  # checks the header too
    assert jsonl == csv_rows == [1, 2, 3]


def test_rows_logged_twice_by_an_older_version_are_repaired(tmp_path):
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(_row(u)) + "\n" for u in [1, 2, 3, 1, 2, 3, 4, 5, 6]))
    logger = MetricsLogger(tmp_path, resume_from_update=5, tensorboard=False)
    logger.close()
    assert logger.dropped == {"torn": 0, "after_checkpoint": 1, "duplicates": 3}
    assert logged_updates(tmp_path) == ([1, 2, 3, 4, 5], [1, 2, 3, 4, 5])


def test_a_corrupt_middle_line_is_a_clear_error(tmp_path):
    (tmp_path / "metrics.jsonl").write_text(json.dumps(_row(1)) + "\n{garbage\n" + json.dumps(_row(2)) + "\n")
    with pytest.raises(MetricsError, match=r"metrics.jsonl: line 2: not a JSON row"):
        MetricsLogger(tmp_path, resume_from_update=2, tensorboard=False)


# ---- checkpoints -----------------------------------------------------------------------------------

def _tiny_optimizer():
    w = torch.nn.Parameter(torch.zeros(4))
    opt = torch.optim.AdamW([w], lr=0.1)
    w.grad = torch.ones(4)
    opt.step()
    return opt


def _weights(path: Path) -> None:
    path.mkdir(parents=True)
    (path / "trainable.safetensors").write_bytes(b"w" * 100)


def test_kill_between_the_rename_and_latest_loses_nothing(tmp_path):
    opt = _tiny_optimizer()
    ckpt_mod.save_checkpoint(tmp_path, 1, {"env_steps": 1}, _weights, opt)
    ckpt_mod.save_checkpoint(tmp_path, 2, {"env_steps": 2}, _weights, opt)
    root = tmp_path / "checkpoints"
    (root / "latest").unlink()  # killed after update_000002/ was renamed into place ...
    (root / "latest.tmp").write_text("update_000002\n")  # ... while the pointer was being replaced
    assert ckpt_mod.latest_checkpoint(tmp_path).name == "update_000002"
    (root / "latest").write_text("update_000001\n")  # a stale pointer is not trusted either
    assert ckpt_mod.latest_checkpoint(tmp_path).name == "update_000002"


def test_temporary_folders_of_killed_writes_are_removed(tmp_path):
    opt = _tiny_optimizer()
    ckpt_mod.save_checkpoint(tmp_path, 1, {"env_steps": 1}, _weights, opt)
    stale = tmp_path / "checkpoints" / ".update_000002.abc123"
    (stale / "policy").mkdir(parents=True)  # what a kill -9 during a write leaves
    (stale / "optimizer.pt").write_bytes(b"half")
    assert ckpt_mod.latest_checkpoint(tmp_path).name == "update_000001"  # never taken for a checkpoint
    ckpt_mod.save_checkpoint(tmp_path, 2, {"env_steps": 2}, _weights, opt)
    assert not stale.exists()
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["latest", "update_000001", "update_000002"]


# ---- the CLI -------------------------------------------------------------------------------------------

def test_killed_before_the_first_checkpoint_refuses_a_fresh_start_then_resumes_once(rel_tiny_model, rel_dataset,
                                                                                    tmp_path, capsys):
    run = tmp_path / "run"
    argv = train_argv(run, rel_tiny_model, rel_dataset, 6, 10)  # no checkpoint before update 6
    proc = start_train(argv, tmp_path / "err.txt")
    t0 = time.monotonic()
    while len(read_rows(run / "metrics.jsonl")[0]) < 3:
        assert proc.poll() is None and time.monotonic() - t0 < 240, (tmp_path / "err.txt").read_text()[-2000:]
        time.sleep(0.002)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert ckpt_mod.latest_checkpoint(run) is None
    assert main(argv) == 2  # appending a second run to these rows is refused ...
    assert "holds a run; pass --resume" in capsys.readouterr().err
    assert main(argv + ["--resume"]) == 0  # ... and --resume starts over from update 1, cleanly
    jsonl, csv_rows = logged_updates(run)
    assert jsonl == csv_rows == [1, 2, 3, 4, 5, 6]


def test_unreachable_llm_judge_is_one_line_and_blocks_no_retry(rel_tiny_model, rel_dataset, tmp_path):
    run = tmp_path / "run"
    argv = train_argv(run, rel_tiny_model, rel_dataset, 2, 1, "--judge", "llm", "--base-url", _closed_port_url(),
                      "--llm-model", "m")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for attempt in range(2):  # the retry fails for the same reason, not because of the first attempt
        r = subprocess.run([sys.executable, "-m", "a2a.cli.main", *argv], capture_output=True, text=True, timeout=300,
                           env=env)
        assert r.returncode == 2, r.stderr[-3000:]
        assert "Traceback" not in r.stderr
        errors = [x for x in r.stderr.splitlines() if x.startswith("a2a train: error:")]
        assert len(errors) == 1 and "is not usable" in errors[0] and "holds a run" not in errors[0], r.stderr[-2000:]


def test_a_corrupt_llm_judge_cache_is_one_line(rel_tiny_model, rel_dataset, tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "llm_cache.sqlite").write_bytes(b"not a database" * 100)  # the judge's cache in the run folder
    argv = train_argv(run, rel_tiny_model, rel_dataset, 1, 1, "--judge", "llm", "--base-url", _closed_port_url(),
                      "--llm-model", "m")
    assert main(argv) == 2  # the cache is opened before the endpoint is asked
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("a2a train: error:") == 1, err[-2000:]
    assert f"a2a train: error: cannot use the LLM cache {run / 'llm_cache.sqlite'}: file is not a database" in err


def test_failed_eval_start_blocks_no_retry(rel_dataset, tmp_path):
    out = tmp_path / "eval"
    argv = [sys.executable, "-m", "a2a.cli.main", "eval", "--agent", "random", "--split", "val_unseen_scenes",
            "--dataset", rel_dataset, "--out", str(out), "--no-progress", "--user", "llm", "--base-url",
            _closed_port_url(), "--llm-model", "m"]
    for attempt in range(2):
        r = subprocess.run(argv, capture_output=True, text=True, timeout=300)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr[-2000:]
        assert r.stderr.startswith("a2a eval: error: ") and "already holds" not in r.stderr, r.stderr
    r = subprocess.run(argv[:argv.index("--user")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]  # the same --out, once the endpoint is not needed
