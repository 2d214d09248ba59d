# The wheel ships the top-level kernels/ as a2a.kernels (pyproject.toml's wheel.packages); mypy reads the
# source tree, where a2a/kernels does not exist: it gets the kernels' types from kernels/ itself.
from kernels import *  # noqa: F403 - the same names, kernels/__init__.py's __all__
