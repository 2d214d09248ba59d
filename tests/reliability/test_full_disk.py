"""Full disks. Writes that fail with ENOSPC become one line naming the path ("no space left on
device"), leave the previous checkpoints and complete metrics rows as they were, and the run resumes
once space is freed, logging every update exactly once.

The fault-injection tests (a file object that fills up) run everywhere; the tests on a real, small
tmpfs need the right to mount one (root) and are skipped, saying why, where that is impossible."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import torch
from rel_helpers import logged_updates, lost_and_duplicated, start_train, train_argv

from a2a.rl import checkpoint as ckpt_mod
from a2a.rl.metrics import MetricsLogger, read_rows
from a2a.rl.storage import RunWriteError, append_line

pytestmark = pytest.mark.timeout(600)


class FillsUp(io.RawIOBase):
    """A writable raw file over a real one that takes `room` more bytes, then fails with ENOSPC
    (a short write first, as a real file system does)."""

    def __init__(self, path: Path, room: int):
        self._f = open(path, "ab", buffering=0)
        self.room = room

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        if self.room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        n = self._f.write(bytes(b)[:self.room])
        self.room -= n
        return n

    def close(self) -> None:
        self._f.close()
        super().close()


def _row(u: int) -> dict:
    return {"update": u, "phase": "ppo", "env_steps": 8 * u, "loss/total": 0.25}


# ---- fault injection: runs everywhere ------------------------------------------------------------------

def test_enospc_mid_row_is_one_clear_error_and_the_torn_row_is_dropped(tmp_path, tally):
    logger = MetricsLogger(tmp_path, tensorboard=False)
    for u in (1, 2):
        logger.log(_row(u))
    logger.close()
    path = tmp_path / "metrics.jsonl"
    full = FillsUp(path, room=20)  # the disk fills up 20 bytes into the row of update 3
    with pytest.raises(RunWriteError) as e:
        append_line(full, path, '{"update": 3.0, "phase": "ppo", "env_steps": 24.0}\n')
    full.close()
    assert str(e.value).startswith(f"cannot write {path}: no space left on device; free space")
    assert e.value.errno == errno.ENOSPC and "\n" not in str(e.value)
    assert read_rows(path)[1] == 1  # one torn line, recognised
    MetricsLogger(tmp_path, resume_from_update=2, tensorboard=False).close()  # space freed: --resume
    jsonl, csv_rows = logged_updates(tmp_path)
    assert jsonl == csv_rows == [1, 2]
    tally["injected_enospc"] += 1


def test_enospc_in_a_checkpoint_names_the_path_and_keeps_the_previous_one(tmp_path, tally):
    w = torch.nn.Parameter(torch.zeros(3))
    opt = torch.optim.SGD([w], lr=0.1)

    def weights(path: Path) -> None:
        path.mkdir(parents=True)
        (path / "trainable.safetensors").write_bytes(b"ok")

    ckpt_mod.save_checkpoint(tmp_path, 1, {"env_steps": 8}, weights, opt)

    def weights_on_a_full_disk(path: Path) -> None:
        path.mkdir(parents=True)
        with io.BufferedWriter(FillsUp(path / "trainable.safetensors", room=100)) as f:
            f.write(b"w" * 10_000)

    with pytest.raises(RunWriteError) as e:
        ckpt_mod.save_checkpoint(tmp_path, 2, {"env_steps": 16}, weights_on_a_full_disk, opt)
    msg = str(e.value)
    assert "no space left on device" in msg and "update_000002" in msg and "policy" in msg, msg
    assert ckpt_mod.latest_checkpoint(tmp_path).name == "update_000001"
    assert [p.name for p in (tmp_path / "checkpoints").iterdir() if p.name.startswith(".")] == []
    tally["injected_enospc"] += 1


def test_a_bug_in_a_writer_is_not_reported_as_a_full_disk(tmp_path):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)

    def buggy(path: Path) -> None:
        raise KeyError("not a storage problem")

    with pytest.raises(KeyError):
        ckpt_mod.save_checkpoint(tmp_path, 1, {}, buggy, opt)


# ---- a real small disk (tmpfs) ---------------------------------------------------------------------------

@contextlib.contextmanager
def small_tmpfs(path: Path, size: str):
    path.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None:
        pytest.skip("no `mount` command: cannot make a small disk here (the fault-injection tests cover the logic)")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({(r.stderr or r.stdout).strip() or r.returncode}); "
                    "the fault-injection tests cover the logic")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _grow(path: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(path)], check=True, capture_output=True)


def test_metrics_on_a_full_tmpfs(tmp_path, tally):
    with small_tmpfs(tmp_path / "disk", "64k") as disk:
        run = disk / "run"
        logger = MetricsLogger(run, tensorboard=False)
        logger.log(_row(1))  # the files' last pages have room left: the disk fills up mid-row, later
        with open(disk / "filler", "wb", buffering=0) as f, contextlib.suppress(OSError):  # fill the disk
            while f.write(b"\0" * 4096):
                pass
        logged, err = 1, None
        try:
            for u in range(2, 10_000):
                logger.log({**_row(u), "note": "x" * 200})
                logged = u
        except RunWriteError as e:
            err = e
        logger.close()
        assert err is not None and "no space left on device" in str(err) and str(run) in str(err), err
        tally["torn_lines"] += read_rows(run / "metrics.jsonl")[1]
        (disk / "filler").unlink()  # space freed
        MetricsLogger(run, resume_from_update=logged, tensorboard=False).close()
        jsonl, csv_rows = logged_updates(run)
        assert jsonl == csv_rows == list(range(1, logged + 1))
        tally["rows_before_the_disk_was_full"] += logged


def test_a2a_train_on_a_full_tmpfs_stops_with_one_line_and_resumes(rel_tiny_model, rel_dataset, tmp_path, tally):
    with small_tmpfs(tmp_path / "disk", "2m") as disk:  # room for about one checkpoint of the tiny model
        run = disk / "run"
        argv = train_argv(run, rel_tiny_model, rel_dataset, 6, 2)
        proc = start_train(argv, tmp_path / "err1.txt")
        assert proc.wait(timeout=300) == 2
        err = (tmp_path / "err1.txt").read_text()
        errors = [x for x in err.splitlines() if "a2a train: error:" in x]
        assert "Traceback" not in err and len(errors) == 1, err[-3000:]
        assert "no space left on device" in errors[0] and str(run) in errors[0] and "--resume" in errors[0], errors
        assert "checkpoints/update_000004/" in errors[0]  # the checkpoint's name, not its temporary folder's
        tally["updates_before_the_disk_was_full"] += len(read_rows(run / "metrics.jsonl")[0])
        _grow(disk, "64m")
        proc = start_train(argv + ["--resume"], tmp_path / "err2.txt")
        assert proc.wait(timeout=300) == 0, (tmp_path / "err2.txt").read_text()[-3000:]
        jsonl, csv_rows = logged_updates(run)
        lost, dup = lost_and_duplicated(jsonl, 6)
        tally["rows_lost"] += lost
        tally["rows_duplicated"] += dup
        assert jsonl == csv_rows == [1, 2, 3, 4, 5, 6]
        assert not [p for p in (run / "checkpoints").iterdir() if p.name.startswith(".")]
