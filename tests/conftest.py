"""Settings every test needs, applied before any test module imports torch or the core."""

import os

# Small torch ops slow down 100x when two threads fight for 2 cores; no model hub in tests.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Subprocesses started by tests (`python -c`, `python -m`, torchrun) run from the repository root;
# without this, Python would put the root first on their sys.path and import the source tree's
# `a2a/` (which has no compiled `_core`) instead of the installed package.
os.environ["PYTHONSAFEPATH"] = "1"

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def dataset_dir(tmp_path_factory):
    """A small generated dataset in a temp dir (never the user's cache), shared by the whole session."""
    from a2a.data import SPLITS, generate_dataset

    root = tmp_path_factory.mktemp("a2a-data")
    generate_dataset(root, {s: 40 for s in SPLITS}, seed=3, train_scenes=100, progress=False)
    old = os.environ.get("A2A_DATA_DIR")
    os.environ["A2A_DATA_DIR"] = str(root)  # anything that falls back to the default dataset uses this
    yield root
    if old is None:
        os.environ.pop("A2A_DATA_DIR", None)
    else:
        os.environ["A2A_DATA_DIR"] = old


@pytest.fixture(scope="session")
def mixed_dataset_dir(tmp_path_factory):
    """A small dataset of the `mixed` task mix (a quarter multi-object episodes), shared by the session."""
    from a2a.data import SPLITS, generate_dataset

    root = tmp_path_factory.mktemp("a2a-mixed")
    generate_dataset(root, {s: 40 for s in SPLITS}, seed=3, progress=False, tasks="mixed")
    return root
