"""AskToActVectorEnv: a Gymnasium VectorEnv over the C++ batched manager.

Observations hold zero-copy views of the core's batches (images) and decoded strings (text).
The raw core batch of the last call is available as `env.last_batch` for code that wants the
numpy fields directly (e.g. the fixed-width text arrays, reward terms).
"""

from __future__ import annotations

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from .. import _core
from .config import CORE_MAX_INT, CORE_MAX_SEED, EnvConfig, check_int, check_seed, open_core
from .spaces import action_space, info_from_batch, observation_from_batch, single_observation_space


def _max_steps(episodes) -> int:
    return max(episodes.summary()["max_steps"])


class AskToActVectorEnv(VectorEnv):
    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": ["rgb_array"]}

    def __init__(self, episodes=None, num_envs: int = 1, config: EnvConfig | None = None,
                 render_mode: str | None = None, user=None, split: str = "train"):
        """episodes: an EpisodeSet; None loads `split` of the built-in dataset (as the single env does, so
        gymnasium.make_vec works). user: an a2a.llm.UserSpec when an LLM should answer (some) questions;
        None: the core's built-in user answers every question."""
        check_int(num_envs, "num_envs", 1, CORE_MAX_INT)
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        if config is not None and not isinstance(config, EnvConfig):
            raise TypeError(f"config must be an a2a.env.EnvConfig, got {type(config).__name__}")
        if episodes is None:
            from ..data import load_split

            episodes = load_split(split)
        if not isinstance(episodes, _core.EpisodeSet):
            raise TypeError("episodes must be an a2a EpisodeSet (see a2a.data.load_split), got "
                            f"{type(episodes).__name__}")
        self.config = config or EnvConfig()
        if self.config.autoreset == "disabled":
            self.metadata = {**self.metadata, "autoreset_mode": AutoresetMode.DISABLED}
        self.episodes = episodes
        self.num_envs = num_envs
        self.render_mode = render_mode
        c = self.config
        if render_mode == "rgb_array" and c.frame_size == 0:
            raise ValueError("render_mode='rgb_array' needs frame_size > 0")
        self.core = c.make_core(episodes, num_envs)
        self.single_observation_space = single_observation_space(c.frame_size, c.history, _max_steps(episodes))
        self.single_action_space = action_space()
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.env_user = None if user is None else user.build(self.core, num_envs)
        self.last_batch = None
        self._rng = np.random.default_rng(c.seed)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Resets every env. options={"episodes": [i, ...]} picks episode indices; with `seed`,
        episodes are drawn from a generator seeded by it; otherwise each env takes its next one.
        A seed also restarts the core's episode sequences (see _core.BatchedEnv.reset), so the same seed
        gives the same episodes, autoresets included, whatever was played before."""
        if seed is not None:
            check_seed(seed, "seed", CORE_MAX_SEED)
        super().reset(seed=seed)
        options = options or {}
        episodes = options.get("episodes")
        if episodes is None and seed is not None:
            self._rng = np.random.default_rng(seed)
            episodes = self._rng.integers(0, len(self.episodes), self.num_envs).tolist()
        if episodes is not None and len(episodes) != self.num_envs:
            raise ValueError(f"options['episodes'] must have {self.num_envs} entries, got {len(episodes)}")
        self.last_batch = self._answered(self._open_core("reset").reset(None, episodes, seed))
        return self._obs(), info_from_batch(self.last_batch)

    def step(self, actions):
        core = self._open_core("step")
        if isinstance(actions, str):
            raise TypeError("step() takes one action per env (a sequence of strings), not a single string")
        if len(actions) != self.num_envs:
            raise ValueError(f"step() got {len(actions)} actions for {self.num_envs} envs")
        b = self.last_batch = self._answered(core.step(actions))
        return (self._obs(), b.reward.astype(np.float64), b.terminated.copy(), b.truncated.copy(), info_from_batch(b))

    def render(self):
        if self.render_mode != "rgb_array" or self.last_batch is None:
            return None
        return self.last_batch.frames[:, -1]

    def close_extras(self, **kwargs) -> None:
        if self.env_user is not None:
            self.env_user.close()
        self.core = None
        self.last_batch = None  # its arrays are views of the core's batches

    def _open_core(self, what: str):
        return open_core(self, what, "a2a.make_vec")

    def _answered(self, batch):
        if self.env_user is not None:  # the LLM user's answers, written in before the batch is read
            self.env_user.apply(batch)
        return batch

    def _obs(self) -> dict:
        return observation_from_batch(self.last_batch, self.config.frame_size, self.config.history)
