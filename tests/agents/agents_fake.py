"""The scriptable fake OpenAI server of tests/llm, loaded under a name of its own for these tests."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_NAME = "a2a_agents_tests_llm_fake_server"  # tests/llm imports its own copy as "llm_fake_server"


def load_fake_server():
    if _NAME in sys.modules:
        return sys.modules[_NAME]
    spec = importlib.util.spec_from_file_location(_NAME, Path(__file__).resolve().parents[1] / "llm" / "llm_fake_server.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[_NAME] = mod
    spec.loader.exec_module(mod)
    return mod


fake = load_fake_server()
