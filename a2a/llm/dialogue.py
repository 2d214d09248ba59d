"""The dialogue between the robot and its user, one record per env, and what the LLM user and the
LLM judge read about a question.

`DialogueRecord` is filled from the core's batches (a reset starts a new dialogue; each question
asked is appended with the answer as written into the batch). The LLM user in the env loop and the
LLM judge of the question reward read the same record; updating it twice for the same step is a
no-op, so either may update it. `QuestionContext` is the one request type both send: the privileged
scene text, the instruction, the target and goal, the dialogue before the question, the question.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._fields import check_text_fields, dialogue_pairs


@dataclass(frozen=True)
class QuestionContext:
    """Everything the LLM user or the LLM judge sees. ``world_graph`` is opaque privileged scene text."""

    world_graph: str
    instruction: str
    target: str
    goal: str
    dialogue: tuple[tuple[str, str], ...]
    question: str

    def __post_init__(self) -> None:
        check_text_fields(self, type(self).__name__)
        object.__setattr__(self, "dialogue", dialogue_pairs(self.dialogue, type(self).__name__))

    @classmethod
    def from_privileged(cls, state: dict, dialogue, question: str) -> QuestionContext:
        """From a core's `privileged_state(env_id)`."""
        return cls(world_graph=state["world_graph"], instruction=state["instruction"],
                   target=state["target_description"], goal=state["goal"], dialogue=tuple(dialogue), question=question)


def question_of(action: str) -> str:
    """The question of an ``ask(...)`` action (the action itself if it is not one)."""
    a = action.strip()
    return a[a.find("(") + 1: a.rfind(")")].strip() if a.lower().startswith("ask(") and a.endswith(")") else a


class _Entry(NamedTuple):
    step: int
    question: str
    answer: str


class DialogueRecord:
    """Per-env (question, answer) lists read from batches (see the module docstring)."""

    def __init__(self, num_envs: int):
        self._entries: list[list[_Entry]] = [[] for _ in range(num_envs)]

    def __getitem__(self, env_id: int) -> list[tuple[str, str]]:
        return [(e.question, e.answer) for e in self._entries[int(env_id)]]

    def __len__(self) -> int:
        return len(self._entries)

    def before(self, env_id: int, step: int) -> tuple[tuple[str, str], ...]:
        """The dialogue of env `env_id` before the question asked at `step` (steps count from 1)."""
        return tuple((e.question, e.answer) for e in self._entries[int(env_id)] if e.step < step)

    def update(self, batch, rows=None, env_ids=None) -> np.ndarray:
        """Reads `rows` of `batch` (all by default): resets start new dialogues, questions are appended
        with their answers. Row r belongs to env `env_ids[r]` (default: the batch's env ids). Returns
        the rows that asked a question this step."""
        ids = np.asarray(batch.env_id if env_ids is None else env_ids)
        rows = np.arange(len(ids)) if rows is None else np.asarray(rows, dtype=np.int64)
        first = np.asarray(batch.first)
        for r in rows[first[rows]]:
            self._entries[int(ids[r])] = []
        asked = rows[np.asarray(batch.asked)[rows] & ~first[rows]]
        steps, actions, answers = np.asarray(batch.step), batch.last_action, batch.answer
        for r in asked:
            log, step = self._entries[int(ids[r])], int(steps[r])
            if log and log[-1].step == step:
                continue  # this step is already recorded
            log.append(_Entry(step, question_of(_text(actions[r])), _text(answers[r])))
        return asked

    def context(self, state: dict, env_id: int, step: int, question: str) -> QuestionContext:
        """What the user or judge reads about the question asked at `step` (state: privileged_state)."""
        return QuestionContext.from_privileged(state, self.before(env_id, step), question)


def _text(v) -> str:
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
