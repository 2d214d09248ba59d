"""What the experiment scripts share: running a logged command, reading an evaluation's summary and naming the
commit that was measured."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path


def sh(args: list[str], log: Path) -> None:
    """Runs `args`, appending the command line (with time and load) and its output to `log`."""
    with open(log, "a") as f:
        f.write(f"$ {' '.join(args)}   # {time.strftime('%H:%M:%S')}, load {os.getloadavg()[0]:.1f}\n")
        f.flush()
        subprocess.run(args, check=True, stdout=f, stderr=subprocess.STDOUT)


def summary_of(eval_dir: Path) -> dict:
    """SR, ARS, QR, questions and invalid-action rate of an evaluation, with SR's bootstrap 95% interval."""
    s = json.loads((eval_dir / "summary.json").read_text())["overall"]
    out = {k: (s[k]["value"] if isinstance(s[k], dict) else s[k]) for k in ("SR", "ARS", "QR", "questions", "invalid_rate")}
    out["Q_K0"] = (s.get("Q_K0") or {}).get("value")  # questions in episodes that need none (K = 0)
    out["SR_ci"] = [s["SR"].get("lo"), s["SR"].get("hi")]
    return out


def measured_commit() -> str:
    """The commit of the a2a the commands run (the installed package's build commit, short, "-dirty" with local
    changes then), not the commit of whatever checkout the script is started from."""
    from a2a.eval.run_dir import git_commit

    built = git_commit()
    if built is None:
        return "unknown"
    dirty = built.endswith("-dirty")
    return built.removesuffix("-dirty")[:7] + ("-dirty" if dirty else "")
