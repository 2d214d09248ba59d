"""Shared fixtures: a small generated dataset in a temp dir (never the user's cache)."""

from __future__ import annotations

import os

import pytest

from a2a.data import SPLITS, generate_dataset

COUNTS = {s: 40 for s in SPLITS}


@pytest.fixture(scope="session")
def dataset_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("a2a-data")
    generate_dataset(root, COUNTS, seed=3, progress=False)
    old = os.environ.get("A2A_DATA_DIR")
    os.environ["A2A_DATA_DIR"] = str(root)  # anything that falls back to the default dataset uses this
    yield root
    if old is None:
        os.environ.pop("A2A_DATA_DIR", None)
    else:
        os.environ["A2A_DATA_DIR"] = old
