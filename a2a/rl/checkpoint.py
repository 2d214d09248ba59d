"""Atomic training checkpoints: a run killed at any point resumes from the last complete update.

Layout: RUN_DIR/checkpoints/update_000120/ holding the policy's trainable weights (written by the
policy's `save_trainable`), optimizer.pt, rng_rank<R>.pt and state.json (counters). The directory is
written under a temporary name (.update_000120.*), fsynced and renamed into place, so a directory
named update_NNNNNN is always complete, and resuming takes the newest one. `latest` (a text file
naming it) is then replaced atomically, for people and scripts; resuming does not depend on it, so a
kill between the rename and the pointer loses nothing. Temporary folders of killed writes are
removed by the next save; a failed write (e.g. a full disk) raises storage.RunWriteError naming the
path and leaves the previous checkpoints as they were.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from .storage import write_error

LATEST = "latest"
_COMPLETE = re.compile(r"update_(\d{6,})")


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


def _complete_checkpoints(ckpt_root: Path) -> list[tuple[int, Path]]:
    """(update, path) of every complete checkpoint, oldest first."""
    if not ckpt_root.is_dir():
        return []
    found = []
    for p in ckpt_root.iterdir():
        m = _COMPLETE.fullmatch(p.name)
        if m and (p / "state.json").is_file():
            found.append((int(m.group(1)), p))
    return sorted(found)


def _discard(path: Path) -> None:
    """Removes a checkpoint so that a kill midway never leaves a part of it that looks complete: it
    is renamed to a temporary (dot) name first, or, where that fails, loses its state.json first."""
    try:
        trash = Path(tempfile.mkdtemp(prefix=f".{path.name}.old.", dir=path.parent))
        os.replace(path, trash / path.name)
    except OSError:  # e.g. no room for even a directory entry on a full disk
        (path / "state.json").unlink(missing_ok=True)
        trash = path
    shutil.rmtree(trash, ignore_errors=True)


def _remove_stale_temporaries(ckpt_root: Path) -> None:
    """Temporary folders of writes that a kill interrupted (only rank 0 of one run writes here)."""
    for p in ckpt_root.glob(".update_*"):
        shutil.rmtree(p, ignore_errors=True)


def save_checkpoint(run_dir: Path, update: int, counters: dict, save_weights: Callable[[Path], None],
                    optimizer: torch.optim.Optimizer, extra_rng: dict[int, dict] | None = None, keep: int = 3) -> Path:
    """Writes checkpoint `update` atomically (rank 0 only); extra_rng maps rank -> RNG state.

    A failed write raises storage.RunWriteError (e.g. "no space left on device") and leaves the
    previous checkpoints untouched."""
    ckpt_root = Path(run_dir) / "checkpoints"
    name = f"update_{update:06d}"
    final = ckpt_root / name
    try:
        ckpt_root.mkdir(parents=True, exist_ok=True)
        _remove_stale_temporaries(ckpt_root)
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=ckpt_root))
    except OSError as e:
        raise (write_error(final, e) or e) from e
    writing = tmp
    try:
        writing = tmp / "policy"
        save_weights(writing)
        writing = tmp / "optimizer.pt"
        with open(writing, "wb") as f:
            torch.save(optimizer.state_dict(), f)
        for rank, state in (extra_rng or {0: rng_state()}).items():
            writing = tmp / f"rng_rank{rank}.pt"
            with open(writing, "wb") as f:
                torch.save(state, f)
        writing = tmp / "state.json"
        writing.write_text(json.dumps({"update": update, **counters}, indent=2) + "\n")
        for path in tmp.rglob("*"):
            if path.is_file():
                writing = path
                with open(path, "rb") as fh:
                    os.fsync(fh.fileno())
        writing = final
        if final.exists():  # a previous attempt at this same update (resumed run): replace it
            _discard(final)
        os.replace(tmp, final)
        _fsync_dir(ckpt_root)
    except BaseException as e:
        named = final / writing.relative_to(tmp) if writing.is_relative_to(tmp) else writing  # not the temporary name
        err = write_error(named, e) if isinstance(e, Exception) else None  # while a full disk is still full
        shutil.rmtree(tmp, ignore_errors=True)
        if err is not None:
            raise err from e
        raise
    pointer = ckpt_root / (LATEST + ".tmp")
    try:
        pointer.write_text(name + "\n")
        os.replace(pointer, ckpt_root / LATEST)
    except OSError as e:
        raise (write_error(ckpt_root / LATEST, e) or e) from e
    _fsync_dir(ckpt_root)
    done = [p for _, p in _complete_checkpoints(ckpt_root)]
    for old in done[:-keep] if keep > 0 else []:
        _discard(old)
    return final


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest complete checkpoint of a run, or None."""
    found = _complete_checkpoints(Path(run_dir) / "checkpoints")
    return found[-1][1] if found else None


def load_counters(path: Path) -> dict:
    return json.loads((Path(path) / "state.json").read_text())


def load_optimizer(path: Path, optimizer: torch.optim.Optimizer) -> None:
    optimizer.load_state_dict(torch.load(Path(path) / "optimizer.pt", map_location="cpu", weights_only=False))


def load_rng(path: Path, rank: int) -> None:
    f = Path(path) / f"rng_rank{rank}.pt"
    if f.exists():
        set_rng_state(torch.load(f, weights_only=False))
