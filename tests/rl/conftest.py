"""Fixtures for the trainer tests: a tiny checkpoint and a small dataset per session (tmp dirs)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # for `import rl_helpers`

import pytest

from a2a.data import generate_dataset
from a2a.env.config import RewardWeights
from a2a.rl.config import PPOConfig, TrainConfig

@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> str:
    from a2a.policy.tiny import TinySpec, init_tiny

    return str(init_tiny(tmp_path_factory.mktemp("tiny"), TinySpec(image_size=64, patch_size=16)))


@pytest.fixture(scope="session")
def dataset(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("ds")
    generate_dataset(root, {"train": 40, "val_unseen_scenes": 6}, seed=2, max_steps=12, progress=False)
    return str(root)


@pytest.fixture
def make_cfg(tiny_model, dataset, tmp_path):
    """A few seconds of training: 4 envs x 4 steps per update."""

    def make(run="run", **over) -> TrainConfig:
        ppo = dict(num_envs=4, rollout_steps=4, updates=2, epochs=1, minibatches=2, pipeline=False)
        ppo.update(over.pop("ppo", {}))
        base = dict(run_dir=str(tmp_path / run), model=tiny_model, dataset=dataset, eval_episodes=0,
                    checkpoint_every=1, progress=False, tensorboard=False, policy={"max_past_steps": 4},
                    rewards=RewardWeights(), ppo=PPOConfig(**ppo), num_threads=1, sft_updates=0, minutes=None,
                    compare=False)
        base.update(over)
        return TrainConfig(**base)

    return make
