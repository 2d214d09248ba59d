"""`random`: uniform over the scene's canonical action vocabulary (`valid_actions`).

Uses nothing but the vocabulary (receptacle names, every [size] [color] <category> description,
every grammar question): no privileged state, no images, no feedback. The floor every agent must beat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..eval.agent import AgentObservation, EnvAccess


@dataclass(frozen=True)
class RandomConfig:
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"RandomConfig.seed must be an int >= 0, got {self.seed!r}")


class RandomAgent:
    name = "random"
    privileged = False
    frame_size = 0

    def __init__(self, config: RandomConfig | None = None):
        self.config = config or RandomConfig()
        self._rng = np.random.default_rng(self.config.seed)

    def reset(self, env_ids: Sequence[int]) -> None:
        pass  # no per-episode memory

    def act(self, obs: AgentObservation, env: EnvAccess) -> list[str]:
        out = []
        for env_id in obs.env_ids.tolist():
            vocab = env.valid_actions(env_id)
            out.append(vocab[int(self._rng.integers(len(vocab)))])
        return out


def make(options: dict) -> RandomAgent:
    """Registry factory (options: seed)."""
    return RandomAgent(RandomConfig(seed=int(options.get("seed", 0))))
