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
