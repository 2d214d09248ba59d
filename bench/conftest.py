"""Shared helpers for the benchmarks: every suite appends its measurements, with the machine and the
commit, to bench/results/<suite>.jsonl, so numbers in the README can be traced to a run."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
RESULTS = Path(__file__).parent / "results"


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict:
    info = {"cpu": _cpu(), "cores": os.cpu_count(), "python": platform.python_version()}
    try:
        import torch

        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return info


@pytest.fixture(scope="session")
def record():
    """record(suite, name, **values): appends one measurement to bench/results/<suite>.jsonl."""
    stamp = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    commit, mach = _commit(), machine()

    def write(suite: str, name: str, **values) -> dict:
        row = {"date": stamp, "commit": commit, "machine": mach, "name": name, **values}
        RESULTS.mkdir(parents=True, exist_ok=True)
        with open(RESULTS / f"{suite}.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")
        return row

    return write
