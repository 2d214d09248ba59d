"""The question term of the reward from an LLM judge that sees privileged state.

The core always scores questions with the exact oracle judge (a question is useful iff it shrinks
the set of hypotheses consistent with the dialogue). With an LLM judge, each question asked in a
rollout is sent to the judge — in the background, while the rollout goes on — and when the rollout
ends the oracle's question term is replaced by the judge's verdict (same weight, same budget rule:
only useful questions within B = K + delta are rewarded), in the rewards PPO trains on **and** in the
logged reward terms; the oracle's term is logged beside it (`reward/useful_question_oracle`). Failed
or garbage verdicts fall back as the judge is configured (oracle or neutral) and are counted;
agreement (and Cohen's kappa) with the oracle is tracked.

The judge reads the dialogue from a `DialogueRecord` — the LLM user's, when one answers questions in
the same env loop, so both see the same dialogue.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .. import _core
from ..llm.dialogue import DialogueRecord, question_of

QUESTION_TERM = list(_core.reward_terms()).index("useful_question")


@dataclass
class PendingVerdicts:
    step: int
    rows: np.ndarray          # env ids that asked
    old_terms: np.ndarray     # the oracle's question term for those rows
    within_budget: np.ndarray
    future: Future


class LLMQuestionReward:
    """Collects judge requests during a rollout and replaces the question term at its end."""

    def __init__(self, judge, num_envs: int, weight: float, dialogues: DialogueRecord | None = None):
        self.judge = judge
        self.weight = float(weight)
        self.dialogues = dialogues if dialogues is not None else DialogueRecord(num_envs)
        self.pending: list[PendingVerdicts] = []
        self._oracle_term_mean: float | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="a2a-judge")

    def observe(self, step: int, batch, actions: list[str], env, env_ids=None) -> None:
        """Call after every env step with the rows it returned (row r belongs to env env_ids[r],
        default r) and the actions that produced them. Judge requests go out in the background."""
        ids = np.arange(len(actions)) if env_ids is None else np.asarray(env_ids)
        asked = self.dialogues.update(batch, env_ids=ids)  # a no-op where the LLM user already recorded it
        if len(asked) == 0:
            return
        useful, steps = np.asarray(batch.useful), np.asarray(batch.step)
        requests = [self.dialogues.context(env.privileged_state(int(ids[r])), int(ids[r]), int(steps[r]),
                                           question_of(actions[r])) for r in asked]
        oracle = [bool(useful[r]) for r in asked]
        within = np.asarray(batch.questions)[asked] <= np.asarray(batch.budget)[asked]
        old = np.asarray(batch.reward_terms)[asked, QUESTION_TERM].copy()
        future = self._pool.submit(self.judge.judge_many, requests, oracle)
        self.pending.append(PendingVerdicts(step, ids[asked], old, within, future))

    def corrections(self, steps: int, num_envs: int) -> np.ndarray:
        """[steps, num_envs] additive corrections of the question term for the rollout just collected
        (waits for the judge)."""
        out = np.zeros((steps, num_envs), np.float32)
        for p in self.pending:
            verdicts = p.future.result()
            useful = np.array([v.useful is True for v in verdicts])
            new = np.where(useful & p.within_budget, self.weight, 0.0)
            out[p.step, p.rows] = new - p.old_terms
        self.pending.clear()
        return out

    def apply(self, rollout) -> None:
        """Puts the judge's question term into a rollout's rewards and reward terms ([T, N] tensors
        `rewards`, `terms`, `valid`), keeping the oracle's mean for the log."""
        import torch

        T, N = rollout.rewards.shape
        corr = torch.from_numpy(self.corrections(T, N))
        valid = rollout.valid
        oracle = rollout.terms[..., QUESTION_TERM]
        self._oracle_term_mean = float(oracle[valid].mean()) if valid.any() else 0.0
        rollout.rewards += corr
        rollout.terms[..., QUESTION_TERM] += corr

    def stats(self) -> dict:
        s = {f"judge/{k}": v for k, v in self.judge.stats().items() if isinstance(v, (int, float))}
        agreement = self.judge.agreement.as_dict()
        if agreement.get("count"):
            s["judge/agreement"] = agreement["rate"]
            s["judge/kappa"] = agreement["kappa"]
        if self._oracle_term_mean is not None:
            s["reward/useful_question_oracle"] = self._oracle_term_mean
        return s

    def close(self) -> None:
        self._pool.shutdown(wait=True)
