"""Fixtures for the policy tests: one tiny LLaVA-OneVision checkpoint per session (tmp dir), built by
the same code as `a2a model init-tiny` and loaded through `A2APolicy.from_pretrained`; offline."""

from __future__ import annotations

import os
import sys

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # for `import policy_helpers`

import pytest  # noqa: E402
from policy_helpers import Envs, make_policy  # noqa: E402

from a2a import _core  # noqa: E402


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> str:
    from a2a.policy.tiny import TinySpec, init_tiny

    return str(init_tiny(tmp_path_factory.mktemp("tiny_llava_ov"), TinySpec()))


@pytest.fixture(scope="session")
def episodes():
    return _core.EpisodeSet.generate("train", 12, seed=3, train_scenes=6)


@pytest.fixture(scope="session")
def policy(tiny_dir):
    """Shared read-only fp32 policy (resampler, LoRA r=4). Tests that change weights build their own."""
    return make_policy(tiny_dir).eval()


@pytest.fixture
def envs(episodes):
    return Envs(episodes, 3)
