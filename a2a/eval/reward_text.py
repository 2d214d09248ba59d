"""Why a step got its reward, in words: the reward terms that fired and, for a question, the oracle
judge's verdict. Read by `a2a render` (index.txt) and the viewer (a2a.eval.viewer).

The terms, their names and what each one rewards come from the core (`_core.reward_table()`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from .. import _core

USEFUL = "useful question: its answer rules out some of the (object, goal) pairs the user may still mean"
NOT_USEFUL = "not a useful question: its answer rules out none of the (object, goal) pairs the user may still mean"
# Explained otherwise: the question's verdict, the invalid action's reason; every step pays the slack.
EXPLAINED_APART = ("useful_question", "invalid", "slack")


@lru_cache(maxsize=1)
def term_descriptions() -> dict[str, str]:
    return {t["name"]: t["description"] for t in _core.reward_table()}


def terms_text(terms: Mapping[str, float]) -> str:
    """The terms that fired, e.g. 'useful_question +1.00, slack -0.05' (their sum is the reward)."""
    return ", ".join(f"{name} {value:+.2f}" for name, value in terms.items() if value)


def step_why(terms: Mapping[str, float], asked: bool, useful: bool, invalid_reason: str = "") -> str:
    """Why the step earned what it did: the question's verdict, an invalid action's reason, and what
    every other term that fired rewards."""
    why = []
    if invalid_reason:
        why.append(f"invalid: {invalid_reason}")
    if asked:
        why.append(USEFUL if useful else NOT_USEFUL)
    described = term_descriptions()
    why += [f"{name}: {described[name]}" for name, value in terms.items() if value and name not in EXPLAINED_APART]
    return "; ".join(why)
