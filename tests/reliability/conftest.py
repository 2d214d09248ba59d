"""The reliability suite (`pytest tests/reliability`): what an adversarial user does to a2a — fuzzed
actions, several threads on one env, malformed files, `kill -9` of `a2a train`, full disks — and
what must hold: no crash, no lost or duplicated metrics row, one clear line per user mistake.

Each test adds its counts (cases tried, crashes, rows lost/duplicated, ...) to `TALLY`, printed
at the end of the run under "reliability counts".
"""

from __future__ import annotations

import collections
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # for `import rel_helpers`

TALLY: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)


@pytest.fixture
def tally(request):
    """tally["name"] += n: counts of the current test, printed at the end of the session."""
    return TALLY[request.node.originalname]


def pytest_terminal_summary(terminalreporter):
    if not TALLY:
        return
    terminalreporter.section("reliability counts")
    for test, counts in TALLY.items():
        terminalreporter.write_line(f"{test}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))


@pytest.fixture(scope="session")
def train_episodes():
    """A small generated train split (no files involved)."""
    from a2a import _core

    return _core.EpisodeSet.generate("train", 30, seed=3)


@pytest.fixture(scope="session")
def rel_dataset(tmp_path_factory) -> str:
    from a2a.data import generate_dataset

    root = tmp_path_factory.mktemp("rel-ds")
    generate_dataset(root, {"train": 24, "val_unseen_scenes": 4}, seed=5, max_steps=12, progress=False)
    return str(root)


@pytest.fixture(scope="session")
def rel_tiny_model(tmp_path_factory) -> str:
    from a2a.policy.tiny import TinySpec, init_tiny

    return str(init_tiny(tmp_path_factory.mktemp("rel-tiny"), TinySpec(image_size=64, patch_size=16)))
