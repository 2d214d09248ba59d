"""LLM judge: is the robot's new clarification question useful?

Failures never raise into the training loop: a failed request or an unparseable reply falls back
to the caller's oracle verdict (``fallback="oracle"``) or to no reward (``"neutral"``, verdict
``None``); every fallback is counted and logged (one warning per ``warn_every``).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ._fallback import FallbackLog
from .client import ChatRequest, ChatResult, LLMClient
from .dialogue import QuestionContext
from .garbage import garbage_kind
from .parsing import parse_verdict
from .prompts import judge_messages

log = logging.getLogger(__name__)

FallbackPolicy = Literal["oracle", "neutral"]
VerdictSource = Literal["llm", "cache", "fallback_oracle", "fallback_neutral"]
_SOURCES: tuple[VerdictSource, ...] = ("llm", "cache", "fallback_oracle", "fallback_neutral")


JudgeRequest = QuestionContext  # everything the judge sees (the LLM user reads the same type)


@dataclass(frozen=True)
class JudgeVerdict:
    """``useful`` is None only for a neutral fallback (no reward)."""

    useful: bool | None
    source: VerdictSource
    reason: str = ""


@dataclass(frozen=True)
class JudgeConfig:
    """``json_mode`` sends ``response_format={"type": "json_object"}`` (turn off for servers that
    reject it); replies are parsed robustly either way."""

    fallback: FallbackPolicy = "oracle"
    json_mode: bool = True
    max_tokens: int = 128
    warn_every: int = 100

    def __post_init__(self) -> None:
        if self.fallback not in ("oracle", "neutral"):
            raise ValueError(f"JudgeConfig.fallback must be 'oracle' or 'neutral', got {self.fallback!r}")
        if not isinstance(self.max_tokens, int) or self.max_tokens < 1:
            raise ValueError(f"JudgeConfig.max_tokens must be an int >= 1, got {self.max_tokens!r}")
        if not isinstance(self.warn_every, int) or self.warn_every < 1:
            raise ValueError(f"JudgeConfig.warn_every must be an int >= 1, got {self.warn_every!r}")


class JudgeAgreement:
    """Running agreement between LLM verdicts and oracle verdicts (thread-safe).

    Only real LLM verdicts (source ``llm``/``cache``) are compared; requests that fell back are
    counted as ``unjudged``. ``confusion_matrix()`` rows are the oracle (no, yes), columns the LLM
    (no, yes).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._m = [[0, 0], [0, 0]]
            self._unjudged = 0

    def update(self, llm: bool | None, oracle: bool) -> None:
        with self._lock:
            if llm is None:
                self._unjudged += 1
            else:
                self._m[int(bool(oracle))][int(bool(llm))] += 1

    def confusion_matrix(self) -> list[list[int]]:
        with self._lock:
            return [row[:] for row in self._m]

    def as_dict(self) -> dict[str, float]:
        (tn, fp), (fn, tp) = self.confusion_matrix()
        n = tn + fp + fn + tp
        agree = tn + tp
        rate = agree / n if n else 0.0
        # Cohen's kappa: agreement corrected for chance.
        p_chance = ((tp + fp) * (tp + fn) + (tn + fn) * (tn + fp)) / (n * n) if n else 0.0
        kappa = (rate - p_chance) / (1 - p_chance) if n and p_chance < 1 else 0.0
        with self._lock:
            unjudged = self._unjudged
        return {"count": n, "agree": agree, "rate": rate, "kappa": kappa, "unjudged": unjudged,
                "llm_yes_oracle_yes": tp, "llm_yes_oracle_no": fp,
                "llm_no_oracle_yes": fn, "llm_no_oracle_no": tn}


class LLMJudge:
    """Batched LLM judge over an :class:`LLMClient`."""

    def __init__(self, client: LLMClient, config: JudgeConfig | None = None) -> None:
        self.client = client
        self.config = config or JudgeConfig()
        self.agreement = JudgeAgreement()
        self._fallbacks = FallbackLog(log, "LLM judge", self.config.warn_every)
        self._lock = threading.Lock()
        self._sources = dict.fromkeys(_SOURCES, 0)

    def build_request(self, request: JudgeRequest) -> ChatRequest:
        """The chat request sent for ``request`` (also what the cache key is computed from)."""
        fmt = {"type": "json_object"} if self.config.json_mode else None
        return ChatRequest(messages=judge_messages(request.world_graph, request.instruction, request.target,
                                                   request.goal, request.dialogue, request.question),
                           max_tokens=self.config.max_tokens, response_format=fmt)

    async def ajudge_many(self, requests: Sequence[JudgeRequest],
                          oracle_verdicts: Sequence[bool | None] | None = None) -> list[JudgeVerdict]:
        """One verdict per request, in order. ``oracle_verdicts`` (same length, None = unknown)
        feed the ``oracle`` fallback and the agreement statistics."""
        requests = list(requests)
        oracle = list(oracle_verdicts) if oracle_verdicts is not None else [None] * len(requests)
        if len(oracle) != len(requests):
            raise ValueError(f"judge_many: {len(requests)} requests but {len(oracle)} oracle verdicts")
        try:
            results: list[object] = await self.client.chat_many(
                [self.build_request(r) for r in requests], return_exceptions=True)
        except Exception as exc:  # noqa: BLE001 - the training loop must keep going
            results = [exc] * len(requests)
        verdicts = [self._verdict(res, orc) for res, orc in zip(results, oracle)]
        with self._lock:
            for v in verdicts:
                self._sources[v.source] += 1
        for v, orc in zip(verdicts, oracle):
            if orc is not None:
                self.agreement.update(v.useful if v.source in ("llm", "cache") else None, bool(orc))
        return verdicts

    def judge_many(self, requests: Sequence[JudgeRequest],
                   oracle_verdicts: Sequence[bool | None] | None = None) -> list[JudgeVerdict]:
        """Blocking :meth:`ajudge_many` (safe with or without a running event loop)."""
        return self.client.run_sync(self.ajudge_many(requests, oracle_verdicts))

    def judge(self, request: JudgeRequest, oracle_verdict: bool | None = None) -> JudgeVerdict:
        return self.judge_many([request], [oracle_verdict])[0]

    def stats(self) -> dict[str, float]:
        """Verdict sources, fallbacks by reason and agreement (``agreement_*``), flat for logging."""
        with self._lock:
            out: dict[str, float] = {"requests": sum(self._sources.values())}
            out.update({f"source_{k}": v for k, v in self._sources.items()})
        out.update(self._fallbacks.as_dict(""))
        out.update({f"agreement_{k}": v for k, v in self.agreement.as_dict().items()})
        return out

    def reset_stats(self) -> None:
        with self._lock:
            self._sources = dict.fromkeys(_SOURCES, 0)
        self._fallbacks.reset()
        self.agreement.reset()

    def _verdict(self, result: object, oracle: bool | None) -> JudgeVerdict:
        if isinstance(result, ChatResult):
            parsed = parse_verdict(result.text)
            # A reason copied from the prompt ("<one short sentence>") or an echo of it means the model
            # did not judge: its yes/no is not a verdict either.
            kind = garbage_kind(parsed.reason) if parsed is not None else None
            if parsed is not None and kind is None:
                return JudgeVerdict(parsed.useful, result.source, parsed.reason)
            return self._fallback(oracle, kind or "unparseable", f"reply {result.text[:80]!r}")
        return self._fallback(oracle, "error", f"{type(result).__name__}: {result}")

    def _fallback(self, oracle: bool | None, reason: str, detail: str) -> JudgeVerdict:
        self._fallbacks.record(reason, detail)
        if self.config.fallback == "oracle" and oracle is not None:
            return JudgeVerdict(bool(oracle), "fallback_oracle", f"fallback ({reason})")
        return JudgeVerdict(None, "fallback_neutral", f"fallback ({reason})")
