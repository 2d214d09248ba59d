"""LLM user: answers the robot's free-form questions from privileged state.

With ``route="builtin_first"`` a question goes to the built-in (grammar) user first and reaches
the LLM only when the built-in user did not understand it (returned ``None``). Empty or refusing
replies and failed requests become the configured fallback answer, counted and logged; only an
endpoint that failed every request of several calls in a row raises (LLMEndpointDownError, see
a2a.llm.breaker), rather than answering every question of a run with the fallback.
"""
from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from ._fallback import FallbackLog
from .breaker import EndpointBreaker
from .client import ChatRequest, ChatResult, LLMClient
from .dialogue import QuestionContext
from .garbage import garbage_kind
from .prompts import user_messages

log = logging.getLogger(__name__)

Route = Literal["llm_only", "builtin_first"]
AnswerSource = Literal["builtin", "llm", "cache", "fallback"]
BuiltinAnswer = Callable[[str], "str | None"]
_SOURCES: tuple[AnswerSource, ...] = ("builtin", "llm", "cache", "fallback")

_PREFIX = re.compile(r"^(?:(?:the )?user|answer|a|response)\s*:\s*", re.I)
_REFUSAL = re.compile(r"^(?:as an ai\b|as a language model\b|i'?m sorry,? but i (?:can(?:not|'t)|am unable|won'?t)"
                      r"|i (?:cannot|can't|am unable to) (?:help|assist|answer|comply|role-?play))", re.I)


UserRequest = QuestionContext  # what the simulated user knows (the judge reads the same type)


@dataclass(frozen=True)
class UserAnswer:
    text: str
    source: AnswerSource

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class UserConfig:
    """``fallback_answer`` doubles as the phrase the model is told to use for non-questions."""

    route: Route = "builtin_first"
    fallback_answer: str = "I don't understand."
    max_tokens: int = 64
    max_answer_chars: int = 300
    warn_every: int = 100

    def __post_init__(self) -> None:
        if self.route not in ("llm_only", "builtin_first"):
            raise ValueError(f"UserConfig.route must be 'llm_only' or 'builtin_first', got {self.route!r}")
        if not isinstance(self.fallback_answer, str) or not self.fallback_answer.strip():
            raise ValueError("UserConfig.fallback_answer must be a non-empty string")
        for name in ("max_tokens", "max_answer_chars", "warn_every"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"UserConfig.{name} must be an int >= 1, got {value!r}")


def clean_answer(text: str, max_chars: int) -> str | None:
    """A tidy one-line answer, or None for empty, non-text, refusing, echoing or placeholder replies."""
    t = text.strip().strip("`").strip()
    t = _PREFIX.sub("", t, count=1)
    t = " ".join(t.split()).strip("\"'").strip()
    if not any(ch.isalnum() for ch in t) or _REFUSAL.match(t) or garbage_kind(t):
        return None
    if len(t) > max_chars:
        cut = t[:max_chars]
        t = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return t


class LLMUser:
    """Batched simulated user over an :class:`LLMClient`.

    ``builtin_answer(question) -> str | None`` is the default built-in user; callers with many
    environments may instead pass the built-in answers they already have per request.
    """

    def __init__(self, client: LLMClient, config: UserConfig | None = None,
                 builtin_answer: BuiltinAnswer | None = None) -> None:
        self.client = client
        self.config = config or UserConfig()
        self.builtin_answer = builtin_answer
        self._fallbacks = FallbackLog(log, "LLM user", self.config.warn_every)
        self._breaker = EndpointBreaker()
        self._lock = threading.Lock()
        self._sources = dict.fromkeys(_SOURCES, 0)
        self._builtin_errors = 0

    def build_request(self, request: UserRequest) -> ChatRequest:
        return ChatRequest(messages=user_messages(request.world_graph, request.instruction, request.target,
                                                  request.goal, request.dialogue, request.question,
                                                  self.config.fallback_answer),
                           max_tokens=self.config.max_tokens)

    async def aanswer_many(self, requests: Sequence[UserRequest],
                           builtin_answers: Sequence[str | None] | None = None) -> list[UserAnswer]:
        """One answer per request, in order.

        ``builtin_answers`` (same length; None = not understood) overrides the ``builtin_answer``
        callable; both are ignored with ``route="llm_only"``.
        """
        requests = list(requests)
        builtin = self._builtin(requests, builtin_answers)
        answers: list[UserAnswer | None] = [UserAnswer(b, "builtin") if b else None for b in builtin]
        todo = [i for i, a in enumerate(answers) if a is None]
        if todo:
            try:
                results: list[object] = await self.client.chat_many(
                    [self.build_request(requests[i]) for i in todo], return_exceptions=True)
            except Exception as exc:  # noqa: BLE001 - the training loop must keep going
                results = [exc] * len(todo)
            for i, res in zip(todo, results):
                answers[i] = self._answer(res)
            self._breaker.check(results, "LLM user")  # after the fallbacks were counted
        out = [a for a in answers if a is not None]
        assert len(out) == len(requests)
        with self._lock:
            for a in out:
                self._sources[a.source] += 1
        return out

    def answer_many(self, requests: Sequence[UserRequest],
                    builtin_answers: Sequence[str | None] | None = None) -> list[UserAnswer]:
        """Blocking :meth:`aanswer_many` (safe with or without a running event loop)."""
        return self.client.run_sync(self.aanswer_many(requests, builtin_answers))

    def answer(self, request: UserRequest, builtin_answer: str | None = None) -> UserAnswer:
        return self.answer_many([request], None if builtin_answer is None else [builtin_answer])[0]

    def stats(self) -> dict[str, float]:
        """Answer sources, fallbacks by reason and built-in user errors, flat for logging."""
        with self._lock:
            out: dict[str, float] = {"requests": sum(self._sources.values())}
            out.update({f"source_{k}": v for k, v in self._sources.items()})
            out["builtin_errors"] = self._builtin_errors
        out.update(self._fallbacks.as_dict(""))
        return out

    def reset_stats(self) -> None:
        with self._lock:
            self._sources = dict.fromkeys(_SOURCES, 0)
            self._builtin_errors = 0
        self._fallbacks.reset()

    def _builtin(self, requests: list[UserRequest],
                 given: Sequence[str | None] | None) -> list[str | None]:
        if self.config.route == "llm_only":
            return [None] * len(requests)
        if given is not None:
            given = list(given)
            if len(given) != len(requests):
                raise ValueError(f"answer_many: {len(requests)} requests but {len(given)} builtin answers")
            return [b if isinstance(b, str) and b.strip() else None for b in given]
        if self.builtin_answer is None:
            return [None] * len(requests)
        out: list[str | None] = []
        for r in requests:
            try:
                b = self.builtin_answer(r.question)
            except Exception as exc:  # noqa: BLE001 - a broken built-in user sends the question to the LLM
                with self._lock:
                    self._builtin_errors += 1
                log.warning("built-in user raised %s: %s; asking the LLM instead", type(exc).__name__, exc)
                b = None
            out.append(b if isinstance(b, str) and b.strip() else None)
        return out

    def _answer(self, result: object) -> UserAnswer:
        if isinstance(result, ChatResult):
            text = clean_answer(result.text, self.config.max_answer_chars)
            if text is not None:
                return UserAnswer(text, result.source)
            if not result.text.strip():
                reason, detail = "empty", ""
            else:
                reason, detail = garbage_kind(result.text) or "garbage", f"reply {result.text[:80]!r}"
        else:
            reason, detail = "error", f"{type(result).__name__}: {result}"
        self._fallbacks.record(reason, detail)
        return UserAnswer(self.config.fallback_answer, "fallback")
