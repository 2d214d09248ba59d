"""Two ranks on CPU over gloo, launched by torchrun exactly as a multi-GPU run would be."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.timeout(300)
def test_two_ranks_train_in_lockstep(tiny_model, dataset, tmp_path):
    run = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-addr", "127.0.0.1",
           "--master-port", str(free_port()), "-m", "a2a.cli.main", "train", "--run-dir", str(run), "--model", tiny_model,
           "--dataset", dataset, "--updates", "2", "--num-envs", "4", "--rollout-steps", "4", "--epochs", "1",
           "--minibatches", "2", "--eval-episodes", "0", "--no-tensorboard", "--minutes", "0", "--device", "cpu",
           "--sft-updates", "0"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=280)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    rep = json.loads((run / "replicas.json").read_text())
    assert rep["world_size"] == 2 and rep["checksums"][0] == rep["checksums"][1]
    ckpt = run / "checkpoints" / "update_000002"
    assert (ckpt / "rng_rank0.pt").exists() and (ckpt / "rng_rank1.pt").exists()
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert [row["update"] for row in rows] == [1, 2]  # logged once, by rank 0
    # Each update counts the env steps of both ranks (4 envs x 4 steps each, minus reset rows).
    assert rows[0]["env_steps"] > 16
