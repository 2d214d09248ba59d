"""The env config is the one place settings become a core; the reward table comes from the core."""

import re
from pathlib import Path

import numpy as np
import pytest

from a2a import _core
from a2a.data import load_split
from a2a.env.config import EnvConfig, RewardWeights, check_frame_size


def test_reward_weights_are_the_core_table():
    table = _core.reward_table()
    names = [t["name"] for t in table]
    assert names == list(_core.reward_terms())
    w = RewardWeights()
    assert list(w.as_dict()) == names + ["budget_delta"]
    for t in table:
        assert getattr(w, t["name"]) == pytest.approx(t["default"])
        if t["penalty"]:
            with pytest.raises(ValueError, match=f"{t['name']} is a penalty"):
                RewardWeights(**{t["name"]: 1.0})


def test_make_core_passes_every_setting(dataset_dir):
    eps = load_split("train")
    cfg = EnvConfig(frame_size=32, history=3, num_threads=1, autoreset="disabled",
                    rewards=RewardWeights(slack=-0.5, budget_delta=2))
    core = cfg.make_core(eps, 2)
    assert core.frame_shape == (32, 32, 3) and core.history == 3 and core.num_envs == 2
    b = core.reset()
    assert (np.asarray(b.budget) == np.asarray(b.K) + 2).all()
    b = core.step(["ask(where is it?)"] * 2)
    slack = list(_core.reward_terms()).index("slack")
    assert np.allclose(np.asarray(b.reward_terms)[:, slack], -0.5)


def test_only_the_env_config_builds_a_core():
    """Every caller gets its core from EnvConfig.make_core, so a setting added there reaches all of them."""
    package = Path(__file__).resolve().parents[2] / "a2a"
    owner = package / "env" / "config.py"
    builds = {path.relative_to(package).as_posix(): len(re.findall(r"\bBatchedEnv\s*\(", path.read_text()))
              for path in package.rglob("*.py")}
    assert builds.pop(owner.relative_to(package).as_posix()) == 1
    assert {path: n for path, n in builds.items() if n} == {}


@pytest.mark.parametrize("bad", [-1, 8, 2048, 1.5, True])
def test_frame_size_check(bad):
    with pytest.raises(ValueError, match="frame_size"):
        check_frame_size(bad)
    with pytest.raises(ValueError, match="frame_size"):
        EnvConfig(frame_size=bad)


@pytest.mark.parametrize("seed, ok", [(0, True), (np.int64(3), True), (2**32 - 1, True), (-1, False), (2**32, False),
                                      (True, False), (3.0, False), ("3", False)])
def test_a_users_seed_is_any_integer_in_range(seed, ok):
    from a2a.env.config import CORE_MAX_SEED, EnvConfig, check_seed

    if ok:
        check_seed(seed)
    else:
        with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 4294967295\]"):
            check_seed(seed)
    EnvConfig(seed=CORE_MAX_SEED)  # seeds the trainer derives from a user's keep the core's 64-bit range


@pytest.mark.parametrize("weights, match", [
    ({"success": float("inf")}, "RewardWeights.success must be a finite number"),
    ({"slack": float("nan")}, "RewardWeights.slack must be a finite number"),
    ({"subgoal": -float("inf")}, "RewardWeights.subgoal must be a finite number"),
    ({"success": 1e300}, "RewardWeights.success must be a finite number \\(float32\\)"),
    ({"success": "10"}, "RewardWeights.success must be a finite number"),
    ({"success": True}, "RewardWeights.success must be a finite number"),
    ({"budget_delta": 1.5}, r"RewardWeights.budget_delta must be an integer in \[0, 2147483647\], got 1.5"),
    ({"budget_delta": "1"}, r"RewardWeights.budget_delta must be an integer in \[0, 2147483647\]"),
    ({"budget_delta": 2**31}, r"RewardWeights.budget_delta must be an integer in \[0, 2147483647\], got 2147483648"),
])
def test_reward_weights_are_finite_numbers(weights, match):
    with pytest.raises(ValueError, match=match):
        RewardWeights(**weights)


def test_reward_weights_take_any_real_number():
    w = RewardWeights(success=5, slack=np.float32(-0.5), budget_delta=np.int64(2))
    core = EnvConfig(frame_size=0, rewards=w).make_core(_core.EpisodeSet.generate("train", 4, seed=3), 1)
    b = core.reset()
    assert b.budget.tolist() == [b.K[0] + 2]


@pytest.mark.parametrize("rewards, error, match", [
    ({"success": float("nan")}, ValueError, "rewards: success must be a finite number, got nan"),
    ({"slack": float("-inf")}, ValueError, "rewards: slack must be a finite number, got -inf"),
    ({"success": 1e300}, ValueError, "rewards: success = 1e\\+300 is out of float32 range"),
    ({"success": "x"}, TypeError, "rewards: success must be a number, got str"),
    ({"budget_delta": 1.5}, TypeError, "rewards: budget_delta: expected an integer, got <class 'float'>"),
    ({1: 2.0}, TypeError, "rewards: keys must be term names"),
])
def test_core_checks_reward_weights(train_episodes, rewards, error, match):
    with pytest.raises(error, match=match):
        _core.BatchedEnv(train_episodes, num_envs=1, width=0, height=0, rewards=rewards)


def test_cli_refuses_a_non_finite_reward():
    from argparse import Namespace

    from a2a.cli.train_cmd import _reward_weights

    with pytest.raises(ValueError, match="RewardWeights.slack must be a finite number"):
        _reward_weights(Namespace(reward=["slack=nan"], budget_delta=0))
    assert _reward_weights(Namespace(reward=["slack=-0.5"], budget_delta=1)).slack == -0.5


def test_core_thread_count_is_checked_and_capped(train_episodes):
    assert _core.BatchedEnv(train_episodes, num_envs=2, width=0, height=0, num_threads=1000).num_threads == 2
    assert _core.BatchedEnv(train_episodes, num_envs=3, width=0, height=0, num_threads=2).num_threads == 2
    assert 1 <= _core.BatchedEnv(train_episodes, num_envs=2, width=0, height=0).num_threads <= 2
    with pytest.raises(ValueError, match="num_threads must be >= 0"):
        _core.BatchedEnv(train_episodes, num_envs=2, width=0, height=0, num_threads=-1)
    with pytest.raises(ValueError, match="num_threads must be >= 0"):
        _core.NullBatchedEnv(num_envs=2, num_threads=-1)
    with pytest.raises(ValueError, match=r"batch_size must be in \[0, num_envs\]"):
        _core.BatchedEnv(train_episodes, num_envs=2, width=0, height=0, batch_size=-1)


@pytest.mark.parametrize("fields, match", [
    ({"history": 2.0}, r"EnvConfig.history must be an integer in \[1, 64\], got 2.0"),
    ({"history": 0}, r"EnvConfig.history must be an integer in \[1, 64\], got 0"),
    ({"num_threads": -1}, r"EnvConfig.num_threads must be an integer in \[0, 2147483647\], got -1"),
    ({"num_threads": 1.0}, r"EnvConfig.num_threads must be an integer in \[0, 2147483647\], got 1.0"),
    ({"num_threads": 3_000_000_000}, r"EnvConfig.num_threads must be an integer in \[0, 2147483647\], got 3000000000"),
    ({"set_of_marks": "yes"}, "EnvConfig.set_of_marks must be True or False"),
    ({"rewards": {"success": 1.0}}, "EnvConfig.rewards must be an a2a.env.RewardWeights"),
])
def test_env_config_checks_types(fields, match):
    with pytest.raises(ValueError, match=match):
        EnvConfig(**fields)


def test_core_reset_takes_a_seed(train_episodes):
    env = _core.BatchedEnv(train_episodes, num_envs=2, width=0, height=0)
    env.reset()
    assert env.reset(seed=0).episode.tolist() == [0, 1]  # a fresh strided start
    for bad, error in ((-1, ValueError), (2**64, ValueError), (1.0, TypeError), (True, TypeError)):
        with pytest.raises(error, match="seed: "):
            env.reset(seed=bad)
