"""Lint and types: `ruff check` and `mypy` over a2a/ and kernels/ are clean (configured in pyproject.toml).

CI runs both before pytest (.ci/run); these tests make a plain `pytest` catch regressions too. They skip
(visibly) where ruff or mypy is not installed: both come with the `dev` extra. mypy keeps its cache in the
repository's .mypy_cache, so a run after CI's (or after a first test run) takes about a second.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"


def _tool(name: str) -> list[str]:
    if importlib.util.find_spec(name) is None:
        pytest.skip(f"{name} is not installed (pip install -c constraints.txt '.[dev]')")
    return [sys.executable, "-m", name]


def _run(cmd: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_ruff_is_clean():
    r = _run(_tool("ruff") + ["check", "a2a", "kernels"])
    assert r.returncode == 0, f"ruff check a2a kernels:\n{r.stdout}{r.stderr}"


def test_mypy_is_clean():
    r = _run(_tool("mypy"))  # files, settings and cache from pyproject.toml
    assert r.returncode == 0, f"mypy:\n{r.stdout}{r.stderr}"
    assert "no issues found" in r.stdout


def test_ruff_config_catches_long_lines_and_unsorted_imports(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import sys\nimport os\n\nprint(os.sep, sys.argv, '" + "x" * 120 + "')\n")
    r = _run(_tool("ruff") + ["check", "--config", str(PYPROJECT), "--no-cache", "--output-format", "concise",
                              str(bad)])
    assert r.returncode == 1, r.stdout + r.stderr
    assert "I001" in r.stdout and "E501" in r.stdout


def test_mypy_config_catches_a_type_error(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def half(n: int) -> int:\n    return n / 2\n")
    r = _run(_tool("mypy") + ["--config-file", str(PYPROJECT), str(bad)])
    assert r.returncode == 1, r.stdout + r.stderr
    assert "bad.py:2: error: Incompatible return value type" in r.stdout
