"""What the policy conditions on: cached frame features and per-env step histories.

A rollout buffer stores the same compact objects the agent keeps: one `FrameFeatures` per frame
(the frozen vision tower's output, computed once), the action text and the feedback text of every
step. `PolicyInput(instruction, steps)` for step t of an episode is rebuilt from them with
`EpisodeHistory.input_at(t)`, so past steps can be re-scored later (PPO) without re-encoding frames.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import torch


class FrameFeatures:
    """Frozen features of one frame: a [grid_h, grid_w, C] tensor, computed once and then shared.

    `tokens_cache` holds the compression adapter's output for the frame together with a key of the
    adapter's parameter versions; the policy reuses it only while the key matches (acting, no grad).
    """

    __slots__ = ("features", "tokens_cache", "__weakref__")

    def __init__(self, features: torch.Tensor):
        if not isinstance(features, torch.Tensor) or features.dim() != 3:
            raise ValueError("FrameFeatures needs a [grid_h, grid_w, C] tensor, got "
                             f"{getattr(features, 'shape', features)!r}")
        self.features = features
        self.tokens_cache: tuple[tuple, torch.Tensor] | None = None

    @property
    def grid(self) -> tuple[int, int]:
        return int(self.features.shape[0]), int(self.features.shape[1])

    def __repr__(self) -> str:
        return f"FrameFeatures({tuple(self.features.shape)}, {self.features.dtype}, {self.features.device})"


@dataclass(frozen=True)
class Step:
    """One step of an episode: the frame seen, the feedback shown with it (the user's answer to the
    previous action, or an invalid-action notice) and the action taken (None for the current step)."""

    frame: FrameFeatures
    feedback: str = ""
    action: str | None = None


@dataclass(frozen=True)
class PolicyInput:
    """Everything the policy sees for one env at one step. `steps[-1]` is the current step; all
    earlier steps carry their action."""

    instruction: str
    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("PolicyInput needs at least the current step")
        if self.steps[-1].action is not None:
            raise ValueError("the last step of a PolicyInput is the current one and must have action=None")
        for i, s in enumerate(self.steps[:-1]):
            if s.action is None:
                raise ValueError(f"past step {i} of a PolicyInput has no action")
        object.__setattr__(self, "steps", tuple(self.steps))

    @property
    def num_past(self) -> int:
        return len(self.steps) - 1


@dataclass
class EpisodeHistory:
    """Mutable per-env history used while acting: observe a frame, then record the chosen action."""

    instruction: str
    steps: list[Step] = field(default_factory=list)

    def observe(self, frame: FrameFeatures, feedback: str = "") -> PolicyInput:
        if self.steps and self.steps[-1].action is None:
            raise RuntimeError("observe() twice without record(): the previous step has no action")
        self.steps.append(Step(frame, feedback, None))
        return PolicyInput(self.instruction, tuple(self.steps))

    def record(self, action: str) -> None:
        if not self.steps or self.steps[-1].action is not None:
            raise RuntimeError("record() without a pending observe()")
        last = self.steps[-1]
        self.steps[-1] = Step(last.frame, last.feedback, action)

    def input_at(self, t: int) -> PolicyInput:
        """The input of step t (0-based): steps before t with their actions, step t without."""
        if not 0 <= t < len(self.steps):
            raise IndexError(f"step {t} out of range for a history of {len(self.steps)} steps")
        cur = self.steps[t]
        return PolicyInput(self.instruction, tuple(self.steps[:t]) + (Step(cur.frame, cur.feedback, None),))

    def actions(self) -> list[str | None]:
        return [s.action for s in self.steps]


class HistoryStore:
    """Per-env histories keyed by env id (what an Agent keeps between act() calls)."""

    def __init__(self) -> None:
        self._by_env: dict[int, EpisodeHistory] = {}

    def reset(self, env_ids: Iterable[int]) -> None:
        for e in env_ids:
            self._by_env.pop(int(e), None)

    def clear(self) -> None:
        self._by_env.clear()

    def start(self, env_id: int, instruction: str) -> EpisodeHistory:
        h = self._by_env[int(env_id)] = EpisodeHistory(instruction)
        return h

    def get(self, env_id: int) -> EpisodeHistory | None:
        return self._by_env.get(int(env_id))

    def __contains__(self, env_id: int) -> bool:
        return int(env_id) in self._by_env

    def __len__(self) -> int:
        return len(self._by_env)


def unique_frames(inputs: Sequence[PolicyInput]) -> list[FrameFeatures]:
    """Distinct frames referenced by a batch of inputs (by identity), in first-seen order."""
    seen: dict[int, FrameFeatures] = {}
    for inp in inputs:
        for s in inp.steps:
            seen.setdefault(id(s.frame), s.frame)
    return list(seen.values())
