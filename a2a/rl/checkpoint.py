"""Atomic training checkpoints: a run killed at any point resumes from the last complete update.

Layout: RUN_DIR/checkpoints/update_000120/ holding the policy's trainable weights (written by the
policy's `save_trainable`), optimizer.pt, rng_rank<R>.pt and state.json (counters); the directory
is written under a temporary name and renamed into place, then `latest` (a text file naming it) is
replaced atomically. A half-written checkpoint is never visible.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import torch

LATEST = "latest"


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def rng_state() -> dict:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(run_dir: Path, update: int, counters: dict, save_weights: Callable[[Path], None],
                    optimizer: torch.optim.Optimizer, extra_rng: dict[int, dict] | None = None, keep: int = 3) -> Path:
    """Writes checkpoint `update` atomically (rank 0 only); extra_rng maps rank -> RNG state."""
    ckpt_root = Path(run_dir) / "checkpoints"
    ckpt_root.mkdir(parents=True, exist_ok=True)
    name = f"update_{update:06d}"
    final = ckpt_root / name
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=ckpt_root))
    try:
        save_weights(tmp / "policy")
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
        for rank, state in (extra_rng or {0: rng_state()}).items():
            torch.save(state, tmp / f"rng_rank{rank}.pt")
        (tmp / "state.json").write_text(json.dumps({"update": update, **counters}, indent=2) + "\n")
        for f in tmp.rglob("*"):
            if f.is_file():
                with open(f, "rb") as fh:
                    os.fsync(fh.fileno())
        if final.exists():  # a previous attempt at this same update (resumed run): replace it
            shutil.rmtree(final)
        os.replace(tmp, final)
        _fsync_dir(ckpt_root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    pointer = ckpt_root / (LATEST + ".tmp")
    pointer.write_text(name + "\n")
    os.replace(pointer, ckpt_root / LATEST)
    _fsync_dir(ckpt_root)
    done = sorted(p for p in ckpt_root.glob("update_*") if p.is_dir())
    for old in done[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)
    return final


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The last complete checkpoint of a run, or None."""
    root = Path(run_dir) / "checkpoints"
    pointer = root / LATEST
    if not pointer.exists():
        return None
    path = root / pointer.read_text().strip()
    if not (path / "state.json").exists():
        raise RuntimeError(f"{pointer} names {path.name}, which is incomplete; remove the pointer to start over")
    return path


def load_counters(path: Path) -> dict:
    return json.loads((Path(path) / "state.json").read_text())


def load_optimizer(path: Path, optimizer: torch.optim.Optimizer) -> None:
    optimizer.load_state_dict(torch.load(Path(path) / "optimizer.pt", map_location="cpu", weights_only=False))


def load_rng(path: Path, rank: int) -> None:
    f = Path(path) / f"rng_rank{rank}.pt"
    if f.exists():
        set_rng_state(torch.load(f, weights_only=False))
