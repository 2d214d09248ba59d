"""Accumulates one episode's steps from batch rows into an `EpisodeRecord`."""

from __future__ import annotations

from functools import lru_cache

from .. import _core
from .records import EpisodeRecord


@lru_cache(maxsize=1)
def _tables() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    return tuple(_core.reward_terms()), tuple(_core.invalid_reasons()), tuple(_core.question_types())


class BatchRows:
    """The per-row fields of one batch as Python lists (converted once per batch, not per row)."""

    def __init__(self, batch):
        self.rows = batch.rows
        self.reward = batch.reward.tolist()
        self.terms = batch.reward_terms.tolist()
        self.invalid = batch.invalid.tolist()
        self.invalid_reason = batch.invalid_reason.tolist()
        self.asked = batch.asked.tolist()
        self.useful = batch.useful.tolist()
        self.question_type = batch.question_type.tolist()
        self.answer = batch.answer.tolist()
        self.terminated = batch.terminated.tolist()
        self.truncated = batch.truncated.tolist()
        self.success = batch.success.tolist()
        self.failure = batch.failure.tolist()
        self.step = batch.step.tolist()
        self.questions = batch.questions.tolist()
        self.useful_questions = batch.useful_questions.tolist()
        self.invalid_actions = batch.invalid_actions.tolist()
        self.targets = batch.targets.tolist()
        self.delivered = batch.delivered.tolist()

    def done(self, row: int) -> bool:
        return bool(self.terminated[row] or self.truncated[row])


class EpisodeTrace:
    """One running episode: created at reset, fed every step, turned into a record at the end."""

    def __init__(self, episode_id: str, episode_index: int, split: str, ambiguity: str, K: int, budget: int,
                 instruction: str, task: str = "fetch"):
        terms, _, _ = _tables()
        self.record = EpisodeRecord(
            episode_id=episode_id, episode_index=episode_index, split=split, ambiguity=ambiguity, K=int(K),
            budget=int(budget), instruction=instruction, task=task, reward_terms={t: [] for t in terms})
        self.frames: list | None = None  # filled by the runner when this episode's frames are saved

    def add_step(self, action: str, rows: BatchRows, row: int) -> None:
        terms, reasons, qtypes = _tables()
        r = self.record
        r.actions.append(action)
        r.rewards.append(float(rows.reward[row]))
        for name, v in zip(terms, rows.terms[row]):
            r.reward_terms[name].append(float(v))
        r.invalid.append(bool(rows.invalid[row]))
        r.invalid_reasons.append(reasons[rows.invalid_reason[row]])
        asked = bool(rows.asked[row])
        r.asked.append(asked)
        r.useful.append(bool(rows.useful[row]))
        qt = rows.question_type[row]
        r.question_types.append(qtypes[qt] if asked and 0 <= qt < len(qtypes) else "")
        answer = rows.answer[row].decode("utf-8", "replace")
        r.answers.append(answer)
        if asked:
            r.questions.append(action)

    def finish(self, rows: BatchRows, row: int) -> EpisodeRecord:
        r = self.record
        r.success = bool(rows.success[row])
        r.failure = bool(rows.failure[row])
        r.truncated = bool(rows.truncated[row]) and not r.success
        r.length = int(rows.step[row])
        r.Q = int(rows.questions[row])
        r.useful_questions = int(rows.useful_questions[row])
        r.invalid_actions = int(rows.invalid_actions[row])
        r.targets = int(rows.targets[row])
        r.delivered = int(rows.delivered[row])
        r.total_reward = float(sum(r.rewards))
        return r
