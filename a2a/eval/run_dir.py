"""Evaluation run directories: run.json (what was run, by which code, when), episodes.jsonl,
summary.json and optional frames/.

    RUN_DIR/run.json         agent, options, split, budget delta, dataset, version, commit, times
    RUN_DIR/episodes.jsonl   one record per finished episode (a2a.eval.records)
    RUN_DIR/summary.json     metrics overall and per group (a2a.eval.metrics.summarize)
    RUN_DIR/frames/*.npz     frames of the first N episodes (--save-frames N)
    RUN_DIR/.lock            held while an evaluation writes the folder (run_lock)
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import time
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

RUN_FORMAT = "a2a-eval-run/1"
RUN_FILE = "run.json"
SUMMARY_FILE = "summary.json"
FRAMES_DIR = "frames"
LOCK_FILE = ".lock"
# What an evaluation writes at the top of its folder (and `a2a view`'s default output); see foreign_entries.
RUN_ENTRIES = frozenset({RUN_FILE, "episodes.jsonl", SUMMARY_FILE, FRAMES_DIR, LOCK_FILE, "view"})

# Fields of run.json that must match to resume a run (anything else may change).
IDENTITY_FIELDS = ("agent", "options", "split", "budget_delta", "dataset", "episodes", "seed", "frame_size", "history",
                   "user")
# What a run written before a field existed had, in effect.
IDENTITY_DEFAULTS = {"user": {"route": "builtin"}}
# Keys of the agent's options and the user's description that say how an LLM endpoint is reached, not what it
# answers: a resume may change them (a server moved to another port, a longer timeout for a slow one).
REACHING_AN_ENDPOINT = frozenset({"base_url", "api_key_env", "llm_timeout", "llm_concurrency", "llm_retries",
                                  "llm_cache"})
# Identity fields that runs written before them lack, with no default to assume: checked when recorded.
IDENTITY_IF_RECORDED = ("episodes_sha256",)


class ResumeError(ValueError):
    """A run directory that cannot be resumed as asked (different run, or nothing to resume)."""


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def git_commit() -> str | None:
    """The a2a commit this code comes from ("-dirty": with local changes to tracked files). Run from a checkout
    (the source tree on the path): its HEAD now. Installed: the commit it was built from (BUILD_COMMIT, written by
    the build). None when neither is known (an sdist build; a copy of the files)."""
    here = Path(__file__).resolve().parents[1]  # the a2a package folder
    built = here / "BUILD_COMMIT"
    if built.is_file():
        commit = built.read_text().strip()
        return None if commit in ("", "unknown") else commit
    src = here.parent
    try:
        if 'name = "a2a"' not in (src / "pyproject.toml").read_text():
            return None  # not a2a's source tree (e.g. files copied into another project)
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=src, capture_output=True, text=True,
                             timeout=5)
        if top.returncode != 0 or Path(top.stdout.strip()).resolve() != src:
            return None
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=src, capture_output=True, text=True, timeout=5)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=src,
                               capture_output=True, text=True, timeout=5)
        return head.stdout.strip() + ("-dirty" if dirty.returncode == 0 and dirty.stdout.strip() else "")
    except (OSError, UnicodeDecodeError, subprocess.SubprocessError):
        return None


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    os.replace(tmp, path)


def read_run(run_dir: str | os.PathLike) -> dict:
    path = Path(run_dir) / RUN_FILE
    try:
        run = json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: not an evaluation run directory (no {RUN_FILE})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: malformed run file: {e}") from None
    if not isinstance(run, dict):
        raise ValueError(f"{path}: malformed run file: a JSON object expected, got {type(run).__name__}")
    if run.get("format") != RUN_FORMAT:
        raise ValueError(f"{path}: format {run.get('format')!r} is not {RUN_FORMAT!r}")
    delta = run.get("budget_delta", 0)
    if isinstance(delta, bool) or not isinstance(delta, int):
        raise ValueError(f"{path}: malformed run file: budget_delta must be an integer, got {delta!r}")
    return run


def foreign_entries(run_dir: Path) -> list[str]:
    """Entries at the top of `run_dir` that no evaluation writes (none: a missing or empty folder, or a run's);
    hidden ones are let be."""
    if not run_dir.is_dir():
        return []
    return sorted(p.name for p in run_dir.iterdir() if p.name not in RUN_ENTRIES and not p.name.startswith("."))


def runs_inside(path: str | os.PathLike, depth: int = 2) -> list[Path]:
    """Evaluation run directories up to `depth` levels below `path` (a training run keeps its
    evaluations two levels down, in eval/update_NNNNNN), sorted by path."""
    found: list[Path] = []
    for d in range(1, depth + 1):
        found += [f.parent for f in Path(path).glob("/".join(["*"] * d) + "/" + RUN_FILE)]
    return sorted(found)


def check_resumable(existing: dict, wanted: dict, run_dir: Path) -> None:
    """Raises ResumeError naming every identity setting that differs (inside the agent's options and the user's
    description, key by key); how an endpoint is reached (REACHING_AN_ENDPOINT) may change."""
    diffs = []
    for k in IDENTITY_FIELDS:
        had, now = existing.get(k, IDENTITY_DEFAULTS.get(k)), wanted.get(k)
        if isinstance(had, dict) and isinstance(now, dict):
            diffs += [f"{k}.{key}: the run has {had.get(key)!r}, now {now.get(key)!r}" for key in sorted({*had, *now})
                      if key not in REACHING_AN_ENDPOINT and had.get(key) != now.get(key)]
        elif had != now:
            diffs.append(f"{k}: the run has {had!r}, now {now!r}")
    diffs += [f"{k}: the episodes differ from those the run began with (the dataset was regenerated, "
              "A2A_DATA_DIR points elsewhere, or another a2a version writes episodes differently?)"
              for k in IDENTITY_IF_RECORDED if k in existing and existing[k] != wanted.get(k)]
    if diffs:
        raise ResumeError(f"refusing to resume {run_dir}: it is a different evaluation\n  " + "\n  ".join(diffs)
                          + "\nUse another --out directory for a new run.")


@contextmanager
def run_lock(run_dir: Path, what: str = "evaluation", flag: str = "--out") -> Iterator[None]:
    """Holds RUN_DIR/.lock exclusively while a run (an evaluation, a training run) writes the folder: a second one
    with the same folder (a second terminal, a script run twice) is refused at once instead of interleaving its
    files with the first's. The operating system releases the lock when the process dies, so a killed run leaves
    none."""
    with open(run_dir / LOCK_FILE, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ResumeError(f"{run_dir} is being written by another {what} that is still running (the same "
                              f"{flag}); wait for it to end, or choose another {flag}") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def frames_path(run_dir: Path, episode_index: int) -> Path:
    return run_dir / FRAMES_DIR / f"{episode_index:06d}.npz"


def save_frames(run_dir: Path, episode_index: int, frames: list[np.ndarray]) -> str:
    """Writes an episode's views ([T+1, h, w, 3] uint8: the start and after each step); returns the
    path relative to the run dir."""
    path = frames_path(run_dir, episode_index)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez_compressed(tmp, frames=np.stack(frames).astype(np.uint8, copy=False))
    os.replace(tmp, path)
    return str(path.relative_to(run_dir))


def load_frames(run_dir: str | os.PathLike, rel: str, steps: int | None = None) -> np.ndarray:
    """An episode's saved views, uint8 [steps + 1, h, w, 3] (`steps`: the record's length, None: any count).
    FileNotFoundError when the file is missing (the views can be replayed); ValueError naming the file when it
    is not what save_frames writes."""
    path = Path(run_dir) / rel
    what = f"{path}: not the saved views of an episode (a2a eval --save-frames)"
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except FileNotFoundError:
        raise
    except OSError as e:  # a folder in its place, no permission: one line, not a traceback
        raise ValueError(f"{path}: {e.strerror}") from None
    if magic != b"PK\x03\x04":  # (else np.load would call any other file pickled data)
        raise ValueError(f"{what}: not an .npz archive")
    try:
        z = np.load(path)  # (allow_pickle=False: a file holding objects is refused, not run)
        if not isinstance(z, np.lib.npyio.NpzFile):
            raise ValueError("not an .npz archive")
        with z:
            if "frames" not in z.files:
                raise ValueError(f"no 'frames' array in it (it holds {z.files})")
            frames = z["frames"]
    except (ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        raise ValueError(f"{what}: {e}") from None
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or 0 in frames.shape[1:3]:
        raise ValueError(f"{what}: {frames.dtype} array of shape {list(frames.shape)}, expected uint8 [steps + 1, "
                         "h, w, 3]")
    if steps is not None and len(frames) != steps + 1:
        raise ValueError(f"{what}: {len(frames)} views for an episode of {steps} steps (expected {steps + 1})")
    return frames
