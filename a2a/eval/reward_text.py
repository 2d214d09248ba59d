"""Why a step got its reward, in words: the reward terms that fired and, for a question, the oracle
judge's verdict. Read by `a2a render` (index.txt) and the viewer (a2a.eval.viewer).

The term names are the core's (`_core.reward_terms()`); what each one rewards is said once, here,
for people (docs/training.md has the table with the default weights).
"""

from __future__ import annotations

from typing import Mapping

# term -> when it fires (the same words as docs/training.md)
TERM_MEANINGS = {
    "success": "the target is on the goal",
    "subgoal": "a sub-goal: the target seen or picked, a needed receptacle opened, or the goal reached holding it",
    "useful_question": "a useful question within the budget B = K + δ",
    "over_budget": "a question beyond the budget B = K + δ",
    "slack": "every step costs a little",
    "invalid": "an invalid action",
    "failure": "a wrong delivery",
}
USEFUL = "useful question: its answer rules out some of the (object, goal) pairs the user may still mean"
NOT_USEFUL = "not a useful question: its answer rules out none of the (object, goal) pairs the user may still mean"


def terms_text(terms: Mapping[str, float]) -> str:
    """The terms that fired, e.g. 'useful_question +1.00, slack -0.05' (their sum is the reward)."""
    return ", ".join(f"{name} {value:+.2f}" for name, value in terms.items() if value)


def step_why(terms: Mapping[str, float], asked: bool, useful: bool, invalid_reason: str = "") -> str:
    """Why the step earned what it did: the question's verdict, an invalid action's reason, and the
    meaning of every other term that fired except the per-step slack."""
    why = []
    if invalid_reason:
        why.append(f"invalid: {invalid_reason}")
    if asked:
        why.append(USEFUL if useful else NOT_USEFUL)
    for name, value in terms.items():
        if value and name not in ("slack", "invalid", "useful_question"):
            why.append(TERM_MEANINGS.get(name, name))
    return "; ".join(why)
