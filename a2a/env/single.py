"""AskToActEnv: one Ask-to-Act environment as a standard Gymnasium Env.

Built on the batched core with one env and autoreset disabled; passes
gymnasium.utils.env_checker.check_env.
"""

from __future__ import annotations

from dataclasses import replace

import gymnasium as gym
import numpy as np

from .. import _core
from .config import EnvConfig, open_core
from .spaces import action_space, info_from_batch, observation_from_batch, single_observation_space


class AskToActEnv(gym.Env):
    metadata = {"render_modes": ["rgb_array"], "render_fps": 2}

    def __init__(self, episodes=None, config: EnvConfig | None = None, render_mode: str | None = None,
                 split: str = "train"):
        if episodes is None:
            from ..data import load_split

            episodes = load_split(split)
        if not isinstance(episodes, _core.EpisodeSet):
            raise TypeError(f"episodes must be an a2a EpisodeSet, got {type(episodes).__name__}")
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        c = config or EnvConfig()
        if render_mode == "rgb_array" and c.frame_size == 0:
            raise ValueError("render_mode='rgb_array' needs frame_size > 0")
        self.config = c
        self.episodes = episodes
        self.render_mode = render_mode
        self.core = replace(c, num_threads=1, autoreset="disabled").make_core(episodes, 1)
        max_steps = max(episodes.summary()["max_steps"])
        self.observation_space = single_observation_space(c.frame_size, c.history, max_steps)
        self.action_space = action_space()
        self._next_episode = 0
        self._batch = None
        self._ended = False  # the episode terminated or was truncated: the next call must be reset()

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        options = options or {}
        if "episode" in options:
            episode = int(options["episode"])
        elif seed is not None:
            episode = int(self.np_random.integers(0, len(self.episodes)))
        else:
            episode = self._next_episode % len(self.episodes)
        self._next_episode = episode + 1
        self._batch = open_core(self, "reset", "a2a.make").reset([0], [episode])
        self._ended = False
        return self._obs(), self._info()

    def step(self, action: str):
        core = open_core(self, "step", "a2a.make")
        if self._batch is None:
            raise RuntimeError("call reset() before step()")
        if self._ended:  # Gymnasium leaves this undefined; the core would answer for an episode that is over
            raise RuntimeError("the episode has ended (terminated or truncated): call reset() before step()")
        if not isinstance(action, (str, bytes)):
            raise TypeError(f"action must be a string such as 'navigate(dark table)', got {type(action).__name__}")
        b = self._batch = core.step([action])
        terminated, truncated = bool(b.terminated[0]), bool(b.truncated[0])
        self._ended = terminated or truncated
        return self._obs(), float(b.reward[0]), terminated, truncated, self._info()

    def render(self):
        if self.render_mode == "rgb_array" and self._batch is not None:
            return np.array(self._batch.frames[0, -1])
        return None

    def close(self) -> None:
        # Gymnasium's close() keeps nothing from stepping on; drop the core so every later call refuses
        self.core = None
        self._batch = None
        super().close()

    def privileged_state(self) -> dict:
        """World graph, target and goal (for judges and privileged baselines; not an observation)."""
        return open_core(self, "privileged_state", "a2a.make").privileged_state(0)

    def valid_actions(self) -> list[str]:
        return open_core(self, "valid_actions", "a2a.make").valid_actions(0)

    def _obs(self) -> dict:
        obs = observation_from_batch(self._batch, self.config.frame_size, self.config.history)
        single = {}
        for k, v in obs.items():
            if isinstance(v, tuple):
                single[k] = v[0]
            elif k in ("invalid", "step", "history_len"):
                single[k] = int(v[0])
            else:
                single[k] = np.array(v[0])  # own copy: a single env's obs outlives nothing of ours
        return single

    def _info(self) -> dict:
        info = info_from_batch(self._batch)
        return {k: (v[0].item() if v.ndim == 1 else np.array(v[0])) for k, v in info.items() if not k.startswith("_")}
