"""Helpers shared by the trainer tests."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def weights_hash(policy_dir: Path) -> str:
    return hashlib.sha256((Path(policy_dir) / "trainable.safetensors").read_bytes()).hexdigest()


def load_fake_server():
    """The scriptable OpenAI-compatible server of the a2a.llm tests."""
    name = "a2a_rl_tests_llm_fake_server"  # not "llm_fake_server": tests/llm imports its own copy by that name
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, TESTS / "llm" / "llm_fake_server.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses look their module up while the class is built
    spec.loader.exec_module(mod)
    return mod
