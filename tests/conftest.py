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
