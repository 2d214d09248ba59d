"""Gymnasium conformance of the single env and the vector env."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AutoresetMode

import a2a
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
