"""The one interface every policy implements: batched observations in, text actions out.

The evaluation runner (and any user loop) calls, each step:

    agent.reset(env_ids_that_started_a_new_episode)     # forget their per-episode memory
    actions = agent.act(observation, env_access)        # one action string per row

An agent keeps whatever per-env memory it needs (frame features, past actions, answers) keyed by
env id. Only agents with `privileged = True` (e.g. the oracle) may call
`env_access.privileged_state`; the runner enforces it.

Optional attributes the runner reads: `frame_size` (views to render, 0 for none), `set_of_marks`
(numbered marks on visible objects), `full_observation` (sees the whole apartment; default:
`privileged`), `step_info(env_id) -> dict | None` (what the model did this step, kept in the record's
`agent_steps`) and `close()` (called when the run ends).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class AgentObservation:
    """What the agent sees for a batch of envs (row i belongs to env env_ids[i])."""

    env_ids: np.ndarray          # int [n]
    first: np.ndarray            # bool [n]: the row is the first observation of an episode
    image: np.ndarray | None     # uint8 [n, h, w, 3]: current egocentric view (None without rendering)
    history: np.ndarray | None   # uint8 [n, H, h, w, 3]: last H views, oldest first (None if H == 1)
    history_len: np.ndarray | None  # int [n]: how many of the H views are real (the rest are zeros, at the front)
    instruction: tuple[str, ...]
    last_action: tuple[str, ...]
    answer: tuple[str, ...]      # the user's answer to the last action if it was a question, else ""
    invalid: np.ndarray          # bool [n]: the last action was invalid
    step: np.ndarray             # int [n]: steps taken in the episode
    invalid_reason: tuple[str, ...] = ()  # per row, why the last action was invalid ("" when valid); () when not given

    def __len__(self) -> int:
        return len(self.env_ids)


class EnvAccess(Protocol):
    """What an agent may ask the environments besides observations."""

    def valid_actions(self, env_id: int) -> list[str]:
        """Canonical action vocabulary of the env's scene (receptacle names, object descriptions,
        question templates). Not privileged: it reveals no object positions."""

    def privileged_state(self, env_id: int) -> dict:
        """World graph, target and goal. Only for agents with `privileged = True`."""

    def observed_state(self, env_id: int) -> dict:
        """What the robot has observed so far in its episode: {"world_graph": text, "objects_seen": n}.
        Not privileged (it grows only with what the robot's views showed)."""

    def marks(self, env_id: int) -> list[str]:
        """The Set-of-Marks table of the current view: mark k labels the object described by item k - 1."""


@runtime_checkable
class Agent(Protocol):
    name: str
    privileged: bool

    def reset(self, env_ids: Sequence[int]) -> None:
        """These envs start new episodes: drop their per-episode memory."""

    def act(self, obs: AgentObservation, env: EnvAccess) -> list[str]:
        """One text action per row of `obs`."""
