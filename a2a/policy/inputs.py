"""Observations -> policy inputs: the one place that keeps each env's history (frames encoded once,
actions, feedback) and scene vocabulary between steps. The evaluation agent (agent.py) and the
training rollouts (a2a/rl/rollout.py) both drive the policy through it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .history import HistoryStore, PolicyInput
from .scene import SceneText, place_seen


@dataclass(frozen=True)
class StepInputs:
    """One step's policy inputs for some envs (row i is env env_ids[i])."""

    env_ids: list[int]
    inputs: list[PolicyInput]
    vocabs: list[list[str]]


class SceneAccess(Protocol):
    """What the inputs read from the envs besides observations (an EnvAccess or a core BatchedEnv has these)."""

    def valid_actions(self, env_id: int) -> Sequence[str]: ...

    def marks(self, env_id: int) -> Sequence[str]: ...

    def observed_state(self, env_id: int) -> dict: ...


class EnvHistories:
    def __init__(self, policy) -> None:
        self.policy = policy
        self.histories = HistoryStore()
        self._vocab: dict[int, list[str]] = {}
        self._scene: dict[int, SceneText] = {}  # scene_text policies only

    def reset(self, env_ids: Sequence[int]) -> None:
        """These envs start new episodes: drop their histories, vocabularies and cached keys/values."""
        ids = [int(e) for e in env_ids]
        self.histories.reset(ids)
        self.policy.prefix_cache.forget(ids)
        for e in ids:
            self._vocab.pop(e, None)
            self._scene.pop(e, None)

    def observe(self, env_ids: Sequence[int] | np.ndarray, first: np.ndarray, instructions: Sequence[str],
                answers: Sequence[str], invalid: np.ndarray, images, env: SceneAccess) -> StepInputs:
        """Encode the current frames (once each) and extend every env's history; an env whose row is the
        first of an episode (or that has no history yet) starts over with a fresh vocabulary. A scene_text
        policy also reads the scene as text (a2a.policy.scene), and its actions are the vocabulary without picks
        of objects not in view (`SceneText.actions`)."""
        fmt = self.policy.format
        scene_text = self.policy.config.scene_text
        frames = self.policy.encode_frames(images)
        ids = [int(e) for e in env_ids]
        inputs, vocabs = [], []
        for i, env_id in enumerate(ids):
            hist = self.histories.get(env_id)
            marks = env.marks(env_id) if scene_text else ()
            if hist is None or bool(first[i]):
                self.reset([env_id])
                vocab = self._vocab[env_id] = list(env.valid_actions(env_id))
                config = self.policy.config
                scene = SceneText(vocab, config.kind_first, config.candidates) if scene_text else None
                if scene is not None:
                    self._scene[env_id] = scene
                hist = self.histories.start(env_id, scene.header(instructions[i]) if scene else instructions[i])
                feedback = scene.observe(marks) if scene else ""
            else:
                scene = self._scene.get(env_id)
                view = ""
                if scene is not None:
                    scene.took(hist.steps[-1].action or "", bool(invalid[i]), answers[i])
                    view = scene.observe(marks, place_seen(env.observed_state(env_id)["world_graph"], scene.at))
                feedback = fmt.feedback(answers[i], bool(invalid[i]), view)
            inputs.append(hist.observe(frames[i], feedback))
            vocabs.append(scene.actions(self._vocab[env_id], marks) if scene else self._vocab[env_id])
        return StepInputs(ids, inputs, vocabs)

    def record(self, env_ids: Sequence[int], actions: Sequence[str]) -> None:
        """The actions taken at the step just observed."""
        for env_id, action in zip(env_ids, actions):
            self.histories.get(int(env_id)).record(action)  # type: ignore[union-attr]
