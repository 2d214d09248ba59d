"""The one recording helper of every benchmark suite.

A measurement is repeated (at least MIN_REPEATS times) and appended as one row to
bench/results/<suite>.jsonl with its min/median/max, the commit of the installed a2a (and whether it was built
with uncommitted changes), the machine, and how loaded the machine was while it ran:

- load_1min: the 1-minute load average at the end of the measurement (the bench's own threads count);
- others_busy_cores: CPU cores kept busy by *other* processes during it (all CPU time in /proc/stat
  minus this process's own), the figure that says how far a number is from a quiet machine.

bench/readme_table.py builds the README's benchmark table from these rows. Suites use the `record`
fixture:

    samples = record.repeat(run_once, repeats=5)          # run_once() returns one value
    samples = record.time(fn, repeats=5)                   # or: seconds per call of fn()
    record("env", "steps_unrendered", samples, "steps/s", params={"n_envs": 256}, target=1e6)

or, around timings taken elsewhere (pytest-benchmark rounds): `with record.load() as load: ...`,
then `record.samples(values, load)`.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).parent))  # bench-only helper modules (scene_actions); never the repo root
RESULTS = Path(__file__).parent / "results"
MIN_REPEATS = 3


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], capture_output=True, text=True, cwd=Path(__file__).parent)


def commit() -> dict:
    """The commit of the a2a being measured (the installed package's build commit, short) and whether it had local
    changes; plus the bench checkout's own HEAD when that is another commit (the suites that measured it)."""
    from a2a.eval.run_dir import git_commit

    built = git_commit()
    out: dict = ({"commit": "unknown", "dirty": None} if built is None else
                 {"commit": built.removesuffix("-dirty")[:7], "dirty": built.endswith("-dirty")})
    try:
        head = _git("rev-parse", "--short=7", "HEAD")
    except OSError:
        return out
    if head.returncode == 0 and head.stdout.strip() != out["commit"]:
        out["bench_commit"] = head.stdout.strip()
    return out


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cores() -> int:
    """Cores this process may run on (taskset/cgroup affinity), not the host's count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def machine() -> dict:
    info = {"cpu": _cpu(), "cores": cores(), "host_cores": os.cpu_count(), "python": platform.python_version()}
    try:
        import torch

        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return info


def _busy_seconds() -> float | None:
    """CPU seconds spent busy by the whole machine since boot (None where /proc/stat is missing)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    ticks = [int(x) for x in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")  # guest time is already in user


def _own_seconds() -> float:
    """CPU seconds of this process and of the children it has waited for (a command a bench runs is its own)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class LoadProbe:
    """Context manager: how busy the machine was with other work while the block ran."""

    load_1min: float
    others_busy_cores: float | None

    def __enter__(self) -> LoadProbe:
        self._t0, self._busy0, self._own0 = time.monotonic(), _busy_seconds(), _own_seconds()
        return self

    def __exit__(self, *exc) -> None:
        wall = time.monotonic() - self._t0
        busy1 = _busy_seconds()
        self.load_1min = os.getloadavg()[0]
        self.others_busy_cores = None
        if self._busy0 is not None and busy1 is not None and wall > 0:
            others = (busy1 - self._busy0) - (_own_seconds() - self._own0)
            self.others_busy_cores = round(max(0.0, others) / wall, 2)


@dataclass
class Samples:
    """Values of one measurement's repeats, and the load while they ran."""

    values: list[float]
    load_1min: float
    others_busy_cores: float | None

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def summary(self) -> dict:
        return {"n": len(self.values), "min": min(self.values), "median": self.median, "max": max(self.values),
                "samples": self.values, "load_1min": round(self.load_1min, 2),
                "others_busy_cores": self.others_busy_cores}


class Recorder:
    def __init__(self) -> None:
        self.stamp = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        self.provenance = commit()
        self.machine = machine()

    @staticmethod
    def load() -> LoadProbe:
        return LoadProbe()

    @staticmethod
    def samples(values, load: LoadProbe) -> Samples:
        values = [float(v) for v in values]
        if len(values) < MIN_REPEATS:
            raise ValueError(f"a measurement needs at least {MIN_REPEATS} repeats, got {len(values)}")
        return Samples(values, load.load_1min, load.others_busy_cores)

    def repeat(self, once, repeats: int = 5, warmup: int = 1) -> Samples:
        """Calls once() `warmup` times, then `repeats` times under a LoadProbe; each call returns a value."""
        for _ in range(warmup):
            once()
        with LoadProbe() as load:
            values = [once() for _ in range(repeats)]
        return self.samples(values, load)

    def time(self, fn, repeats: int = 5, warmup: int = 1) -> Samples:
        """Seconds per call of fn() over `repeats` calls (after `warmup` untimed ones)."""

        def once() -> float:
            t0 = time.perf_counter()
            fn()
            return time.perf_counter() - t0

        return self.repeat(once, repeats, warmup)

    def __call__(self, suite: str, name: str, samples: Samples, unit: str, *, params: dict | None = None,
                 target: float | None = None, better: str = "higher", **extra) -> dict:
        """Appends one row to bench/results/<suite>.jsonl and returns it. better: 'higher' or 'lower'."""
        if better not in ("higher", "lower"):
            raise ValueError(f"better must be 'higher' or 'lower', got {better!r}")
        row = {"date": self.stamp, **self.provenance, "machine": self.machine, "suite": suite, "name": name,
               "params": params or {}, "unit": unit, **samples.summary(), "target": target, "better": better,
               **extra}
        RESULTS.mkdir(parents=True, exist_ok=True)
        with open(RESULTS / f"{suite}.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")
        return row


@pytest.fixture(scope="session")
def record() -> Recorder:
    return Recorder()
