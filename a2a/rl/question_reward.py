"""The question term of the reward from an LLM judge that sees privileged state.

The core always scores questions with the exact oracle judge (a question is useful iff it shrinks
the set of hypotheses consistent with the dialogue). With an LLM judge, each question asked in a
rollout is sent to the judge — in the background, while the rollout goes on — and when the rollout
ends the oracle's question term is replaced by the judge's verdict (same weight, same budget rule:
only useful questions within B = K + delta are rewarded). Failed or garbage verdicts fall back as the
judge is configured (oracle or neutral) and are counted; agreement with the oracle is tracked.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .. import _core
from ..llm.env_user import question_of

QUESTION_TERM = list(_core.reward_terms()).index("useful_question")


@dataclass
class PendingVerdicts:
    step: int
    rows: np.ndarray          # env ids that asked
    old_terms: np.ndarray     # the oracle's question term for those rows
    within_budget: np.ndarray
    future: Future


class LLMQuestionReward:
    """Collects judge requests during a rollout and returns per-step reward corrections at its end."""

    def __init__(self, judge, num_envs: int, weight: float):
        self.judge = judge
        self.weight = float(weight)
        self.dialogues: list[list[tuple[str, str]]] = [[] for _ in range(num_envs)]
        self.pending: list[PendingVerdicts] = []
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="a2a-judge")

    def observe(self, step: int, batch, actions: list[str], env, env_ids=None) -> None:
        """Call after every env step with the rows it returned (row r belongs to env env_ids[r],
        default r) and the actions that produced them. Judge requests go out in the background."""
        ids = np.arange(len(actions)) if env_ids is None else np.asarray(env_ids)
        for r in np.flatnonzero(np.asarray(batch.first)):
            self.dialogues[ids[r]] = []
        asked = np.flatnonzero(np.asarray(batch.asked))
        if len(asked) == 0:
            return
        from ..llm import JudgeRequest

        requests, oracle = [], []
        answers, useful = batch.answer, np.asarray(batch.useful)
        for r in asked:
            i = int(ids[r])
            p = env.privileged_state(i)
            q = question_of(actions[r])
            requests.append(JudgeRequest(world_graph=p["world_graph"], instruction=p["instruction"],
                                         target=p["target_description"], goal=p["goal"],
                                         dialogue=list(self.dialogues[i]), question=q))
            oracle.append(bool(useful[r]))
            self.dialogues[i].append((q, answers[r].decode("utf-8", "replace")))
        within = np.asarray(batch.questions)[asked] <= np.asarray(batch.budget)[asked]
        old = np.asarray(batch.reward_terms)[asked, QUESTION_TERM].copy()
        future = self._pool.submit(self.judge.judge_many, requests, oracle)
        self.pending.append(PendingVerdicts(step, ids[asked], old, within, future))

    def corrections(self, steps: int, num_envs: int) -> np.ndarray:
        """[steps, num_envs] additive corrections for the rollout just collected (waits for the judge)."""
        out = np.zeros((steps, num_envs), np.float32)
        for p in self.pending:
            verdicts = p.future.result()
            useful = np.array([v.useful is True for v in verdicts])
            new = np.where(useful & p.within_budget, self.weight, 0.0)
            out[p.step, p.rows] = new - p.old_terms
        self.pending.clear()
        return out

    def stats(self) -> dict:
        s = {f"judge/{k}": v for k, v in self.judge.stats().items() if isinstance(v, (int, float))}
        agreement = self.judge.agreement.as_dict()
        if agreement.get("count"):
            s["judge/agreement"] = agreement["rate"]
        return s

    def close(self) -> None:
        self._pool.shutdown(wait=True)
