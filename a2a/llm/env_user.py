"""The LLM user inside the env loop: answers the questions of a batch of env results.

The core's built-in user answers every question as the env steps ("I don't understand." for one
outside the grammar). With this layer, the questions it did not understand (route
"builtin_first"), or every question (route "llm_only"), are answered by an :class:`LLMUser` from
the env's privileged state, and the answer is written into the batch's ``answer`` field before
anyone reads it, so observations, episode records, the viewer and the LLM judge all see the same
dialogue. Rewards are the core's: the oracle judge scored the question from its parsed form (a
free-form question is never useful to it); to reward free-form questions use the LLM judge.

Answers are cut to the batch's fixed text width (``_core.ANSWER_CHARS`` bytes) at a word boundary.
"""

from __future__ import annotations

import string
import unicodedata
from dataclasses import dataclass

import numpy as np

from .. import _core
from .config import LLMConfig
from .dialogue import DialogueRecord, question_of
from .user import LLMUser, Route

# Index of the "not in the grammar" question type in batch.question_type.
UNKNOWN_QUESTION = list(_core.question_types()).index("unknown")
_PRINTABLE = frozenset(string.ascii_letters + string.digits + string.punctuation + " ")
# CLI name -> UserConfig.route
ROUTES: dict[str, Route | None] = {"builtin": None, "builtin-first": "builtin_first", "llm": "llm_only"}


def fit_answer(text: str, width: int = _core.ANSWER_CHARS) -> bytes:
    """`text` as the core writes answers: printable ASCII (the observation space's charset; accents
    are dropped, other characters become spaces) that fits a NUL-terminated field of `width` bytes,
    cut at a word boundary."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    t = " ".join("".join(c if c in _PRINTABLE else " " for c in ascii_text).split())
    if len(t) >= width:
        cut = t[:width - 1]
        t = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return t.encode("ascii")


class EnvUser:
    """Routes a batch's questions to an :class:`LLMUser` and writes the answers into the batch.

    ``env`` is the core manager that produced the batches (for privileged state). Call
    :meth:`apply` on every batch it returns — resets included, which start a new dialogue — before
    the batch is read.
    """

    def __init__(self, user: LLMUser, env, num_envs: int):
        if user.config.route not in ("builtin_first", "llm_only"):
            raise ValueError(f"EnvUser: unknown route {user.config.route!r}")
        self.user = user
        self.env = env
        self.dialogues = DialogueRecord(num_envs)  # also read by the LLM judge of the question reward
        self.answered = 0  # questions whose answer came from this layer

    def apply(self, batch, rows: np.ndarray | None = None) -> int:
        """Answers the questions of `batch` (only `rows` of it, if given); returns how many the LLM answered."""
        ids = np.asarray(batch.env_id)
        rows = np.arange(len(ids)) if rows is None else np.asarray(rows, dtype=np.int64)
        first = np.asarray(batch.first)
        asked = rows[np.asarray(batch.asked)[rows] & ~first[rows]]
        by_llm = 0
        if len(asked):
            answers, steps = batch.answer, np.asarray(batch.step)
            # With route builtin_first the grammar user's answers stand; they are passed on so that the
            # LLM user counts them (source "builtin") and sends only the others to the LLM.
            understood = np.asarray(batch.question_type)[asked] != UNKNOWN_QUESTION
            builtin_first = self.user.config.route == "builtin_first"
            builtin = [answers[r].decode("utf-8", "replace") if ok and builtin_first else None
                       for r, ok in zip(asked, understood)]
            requests = [self.dialogues.context(self.env.privileged_state(int(ids[r])), int(ids[r]), int(steps[r]),
                                               question_of(batch.last_action[r].decode("utf-8", "replace")))
                        for r in asked]
            replies = self.user.answer_many(requests, builtin_answers=builtin)
            for r, reply, b in zip(asked, replies, builtin):
                if b is None:
                    answers[r] = fit_answer(reply.text)
            by_llm = sum(b is None for b in builtin)
            self.answered += by_llm
        self.dialogues.update(batch, rows)  # after the answers are written: the record holds them as read
        return by_llm

    def close(self) -> None:
        self.user.client.close()

    def stats(self) -> dict[str, float]:
        """Counters for metrics: questions answered here, and the LLM user's sources and fallbacks."""
        out = {"user/answered": float(self.answered)}
        out.update({f"user/{k}": float(v) for k, v in self.user.stats().items() if isinstance(v, (int, float))})
        return out


@dataclass(frozen=True)
class UserSpec:
    """Who answers the agent's questions (what `--user` and its endpoint flags build).

    route: "builtin" (the core's grammar user alone), "builtin-first" (an LLM answers the questions
    the grammar user did not understand) or "llm" (an LLM answers every question).
    """

    route: str = "builtin"
    base_url: str | None = None
    model: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    timeout_s: float = 30.0       # per HTTP attempt
    concurrency: int = 32         # HTTP requests in flight at most

    def __post_init__(self) -> None:
        if self.route not in ROUTES:
            raise ValueError(f"user must be one of {tuple(ROUTES)}, got {self.route!r}")
        if ROUTES[self.route] is not None:
            if not (self.base_url and self.model):
                raise ValueError(f"user={self.route!r} needs an OpenAI-compatible endpoint: --base-url and --llm-model")
            self.llm_config()  # a bad URL (or timeout) fails now, not when a run builds its user

    def llm_config(self, cache_path: str | None = None) -> LLMConfig:
        """The endpoint's LLMConfig (validated there); for an LLM route only."""
        assert self.base_url and self.model
        return LLMConfig(base_url=self.base_url, model=self.model, api_key_env=self.api_key_env,
                         cache_path=cache_path, timeout_s=self.timeout_s, concurrency=self.concurrency)

    def describe(self) -> dict:
        """What a run records (never the key, only the variable that holds it)."""
        if ROUTES[self.route] is None:
            return {"route": self.route}
        return {"route": self.route, "base_url": self.base_url, "model": self.model}

    def build(self, env, num_envs: int, cache_path: str | None = None, check: bool = True) -> EnvUser | None:
        """The EnvUser over `env` (None for "builtin"), with its own client; `check` asks the endpoint
        once so that a wrong URL fails now rather than at the first question."""
        route = ROUTES[self.route]
        if route is None:
            return None
        from .client import LLMClient
        from .user import UserConfig

        client = LLMClient(self.llm_config(cache_path))
        if check:
            client.check()
        user = LLMUser(client, UserConfig(route=route, max_answer_chars=_core.ANSWER_CHARS - 1))
        return EnvUser(user, env, num_envs)
