"""Gymnasium conformance of the single env and the vector env."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AutoresetMode

import a2a
import a2a.data
from a2a.env import AskToActEnv, AskToActVectorEnv, EnvConfig, RewardWeights


def test_single_env_passes_check_env(train_episodes):
    env = AskToActEnv(train_episodes, config=EnvConfig(frame_size=32), render_mode="rgb_array")
    check_env(env, skip_render_check=False)
    env2 = AskToActEnv(train_episodes, config=EnvConfig(frame_size=0, history=1))
    check_env(env2)


def test_single_env_refuses_a_step_after_its_episode_ended(train_episodes):
    env = AskToActEnv(train_episodes, config=EnvConfig(frame_size=0, history=1))
    env.reset(options={"episode": 0})
    limit = train_episodes.summary()["max_steps"][0]
    for t in range(limit):
        _, _, terminated, truncated, _ = env.step("ask(where is it?)")
        if terminated or truncated:
            break
    assert truncated and not terminated and t == limit - 1  # questions alone never end a task
    with pytest.raises(RuntimeError, match="episode has ended.*call reset"):
        env.step("ask(where is it?)")
    env.reset(options={"episode": 0})
    assert env.step("ask(where is it?)")[3] is False  # a new episode steps again


def test_registered_with_gymnasium(data_dir):
    env = gym.make("a2a/AskToAct-v0", config=EnvConfig(frame_size=32))
    obs, info = env.reset(seed=0)
    assert obs["image"].shape == (32, 32, 3)
    obs, r, term, trunc, info = env.step("ask(where is it?)")
    assert obs["answer"].startswith("It is") or obs["answer"] == "You are holding it."
    assert data_dir.exists()  # the default dataset was generated there


def test_vector_env_api(train_episodes):
    v = AskToActVectorEnv(train_episodes, num_envs=3, config=EnvConfig(frame_size=32, history=2))
    assert v.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    obs, info = v.reset(seed=5)
    assert v.observation_space.contains(obs)
    assert info["K"].shape == (3,) and info["_K"].all()
    obs, rew, term, trunc, info = v.step(v.action_space.sample())
    assert v.observation_space.contains(obs)
    assert rew.shape == (3,) and rew.dtype == np.float64 and term.dtype == bool
    assert info["reward_terms"].shape == (3, 7)
    obs2, _ = v.reset(seed=5)
    obs3, _ = v.reset(seed=5)
    assert obs2["instruction"] == obs3["instruction"]
    with pytest.raises(ValueError):
        v.step(["ask(where is it?)"])
    with pytest.raises(TypeError):
        v.step("ask(where is it?)")
    v.close()


def test_make_vec_with_config_fields(data_dir):
    v = a2a.make_vec("val_unseen_tasks", num_envs=2, frame_size=0, rewards=RewardWeights(budget_delta=2))
    obs, info = v.reset()
    assert "image" not in obs
    assert (info["budget"] == info["K"] + 2).all()
    with pytest.raises(TypeError):
        a2a.make_vec("train", config=EnvConfig(), frame_size=0)


def test_config_validation():
    with pytest.raises(ValueError, match="frame_size"):
        EnvConfig(frame_size=8)
    with pytest.raises(ValueError, match="penalty"):
        RewardWeights(slack=0.1)
    with pytest.raises(ValueError, match="budget_delta"):
        RewardWeights(budget_delta=-1)
    with pytest.raises(ValueError, match="autoreset"):
        EnvConfig(autoreset="same_step")


@pytest.mark.parametrize("sampling", ["strided", "random"])
def test_vector_reset_with_a_seed_fixes_every_later_episode(train_episodes, sampling):
    """As in Gymnasium: the same seed gives the same episodes, the autoreset ones included, whatever the
    env played before (the core's per-env sequences restart; a reset without a seed goes on with them)."""
    def played(prior: int, seed: int | None = 1) -> list:
        v = AskToActVectorEnv(train_episodes, num_envs=2, config=EnvConfig(frame_size=0, sampling=sampling))
        for _ in range(prior):
            v.reset()
        v.reset(seed=seed)
        seen = []
        for _ in range(120):  # past two autoresets in each env
            v.step(["ask(what is it?)"] * 2)
            seen.append([v.core.episode_index(i) for i in range(2)])
        v.close()
        return seen

    first = played(0)
    assert all(len({row[i] for row in first}) >= 3 for i in range(2))
    assert played(3) == first
    assert played(3, seed=None) != played(0, seed=None)


def test_gymnasium_make_vec_loads_the_split(train_episodes, tasks_episodes, monkeypatch):
    """Like the single env, the vector env loads `split` (default "train") when given no episodes."""
    loaded = []
    monkeypatch.setattr(a2a.data, "load_split",
                        lambda split, root=None: loaded.append(split) or (tasks_episodes if split == "val_unseen_tasks"
                                                                          else train_episodes))
    v = gym.make_vec("a2a/AskToAct-v0", num_envs=2)
    assert isinstance(v.unwrapped, AskToActVectorEnv) and v.num_envs == 2 and v.unwrapped.episodes is train_episodes
    v.close()
    v = gym.make_vec("a2a/AskToAct-v0", num_envs=3, split="val_unseen_tasks", config=EnvConfig(frame_size=0))
    obs, _ = v.reset(seed=0)
    assert "image" not in obs and len(obs["instruction"]) == 3 and v.unwrapped.episodes is tasks_episodes
    v.close()
    assert loaded == ["train", "val_unseen_tasks"]


@pytest.mark.parametrize("kwargs, match", [
    ({"num_envs": "2"}, r"num_envs must be an integer in \[1, 2147483647\], got '2'"),
    ({"num_envs": 2.5}, r"num_envs must be an integer in \[1, 2147483647\], got 2.5"),
    ({"num_envs": 0}, r"num_envs must be an integer in \[1, 2147483647\], got 0"),
    ({"num_envs": 2**31}, r"num_envs must be an integer in \[1, 2147483647\], got 2147483648"),
    ({"history": 2.0}, r"EnvConfig.history must be an integer in \[1, 64\], got 2.0"),
    ({"num_threads": "2"}, r"EnvConfig.num_threads must be an integer in \[0, 2147483647\]"),
    ({"rewards": {"success": "x"}}, "EnvConfig.rewards must be an a2a.env.RewardWeights"),
    ({"rewards": RewardWeights(budget_delta=1)}, None),
])
def test_make_vec_checks_argument_types(train_episodes, monkeypatch, kwargs, match):
    monkeypatch.setattr(a2a.data, "load_split", lambda split, root=None: train_episodes)
    if match is None:
        a2a.make_vec("train", frame_size=0, **kwargs).close()
        return
    with pytest.raises(ValueError, match=match) as e:
        a2a.make_vec("train", frame_size=0, **kwargs)
    assert "\n" not in str(e.value)
    if "num_envs" in kwargs:
        with pytest.raises(ValueError, match=match):
            AskToActVectorEnv(train_episodes, num_envs=kwargs["num_envs"])


def test_single_env_refuses_calls_after_close(train_episodes):
    env = AskToActEnv(train_episodes, config=EnvConfig(frame_size=0))
    env.reset(options={"episode": 0})
    env.close()
    for call in (lambda: env.step("ask(where is it?)"), lambda: env.reset(), env.valid_actions, env.privileged_state):
        with pytest.raises(RuntimeError, match=r"on a closed AskToActEnv; make a new one \(a2a.make\)"):
            call()
    env.close()  # closing twice is fine
