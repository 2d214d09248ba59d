# mypy reads the source tree, where the compiled C++ core (csrc/bindings) is not built: every name of the
# core is typed Any. The core's own checks are the C++ tests and tests/test_cpp_core.py.
from typing import Any

def __getattr__(name: str) -> Any: ...
