"""Async, cached, retrying client for OpenAI-compatible chat-completions endpoints.

One :class:`LLMClient` serves both async callers (``await client.chat(...)``) and sync batch callers
(``client.chat_many_sync([...])``); the latter run on a private background event loop, so they
work whether or not the calling thread already runs an event loop.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import sqlite3
import threading
import time
import weakref
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Literal, TypeGuard, TypeVar
from urllib.parse import urlparse

from .cache import ResponseCache, request_key
from .config import LLMConfig
from .redact import redact

log = logging.getLogger(__name__)
T = TypeVar("T")

_ROLES = ("system", "user", "assistant")
_DUMMY_KEY = "EMPTY"
_KEY_REQUIRED_HOSTS = ("api.openai.com",)


# ---------------------------------------------------------------- errors
class LLMError(Exception):
    """Base class of every error raised by :class:`LLMClient`."""


class LLMUnavailableError(LLMError):
    """The endpoint could not be reached (connection errors or timeouts on every attempt)."""


class LLMEndpointDownError(LLMUnavailableError):
    """Every request failed in several steps in a row: the endpoint is taken as gone (see a2a.llm.breaker)."""


class LLMStatusError(LLMError):
    """The endpoint answered with an HTTP error (non-retryable, or retries exhausted)."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class LLMResponseError(LLMError):
    """The endpoint answered 200 with a body that is not a chat completion (on every attempt)."""


class LLMCacheError(LLMError):
    """The response cache file cannot be used (a folder, not a SQLite database, not writable)."""


def _open_cache(path: str) -> ResponseCache:
    """The cache at ``path``; a path that cannot be one fails here in one line that names it (the CLI
    prints LLMErrors without a traceback). sqlite leaves a non-empty file that is not a database as is."""
    try:
        return ResponseCache(path)
    except (OSError, sqlite3.Error) as exc:
        if os.path.isdir(path):
            why = "it is a folder (give the path of a file)"
        elif isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
            why = f"{exc} (delete it, or use another cache path)"  # a broken cache, or some other file
        else:
            why = f"{getattr(exc, 'strerror', None) or exc} (check the path and its permissions)"
        raise LLMCacheError(f"cannot use the LLM cache {path}: {why}") from None


# ---------------------------------------------------------------- request / result
@dataclass(frozen=True)
class ChatRequest:
    """One chat-completions request. ``None`` fields take the client's config defaults.

    ``messages`` are ``{"role": ..., "content": ...}`` mappings; content is text, or a list of parts
    (``{"type": "text", "text": ...}`` and ``{"type": "image_url", "image_url": {"url": "data:..."}}``)
    for vision models. ``tools`` are OpenAI function-tool schemas; ``tool_choice`` is ``"auto"``,
    ``"required"`` or a named tool.
    """

    messages: tuple[Mapping[str, Any], ...]
    temperature: float | None = None
    max_tokens: int | None = None
    response_format: Mapping[str, Any] | None = None
    seed: int | None = None
    stop: tuple[str, ...] | None = None
    tools: tuple[Mapping[str, Any], ...] | None = None
    tool_choice: str | Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        msgs = []
        for m in self.messages:
            if not isinstance(m, Mapping):
                raise ValueError(f"ChatRequest: each message must be a mapping, got {type(m).__name__}")
            role, content = m.get("role"), m.get("content")
            if role not in _ROLES or not (isinstance(content, str) or _is_parts(content)):
                raise ValueError(f"ChatRequest: bad message {str(m)[:200]!r} (role in {_ROLES}, content a str or "
                                 "a list of text/image_url parts)")
            msgs.append({"role": role, "content": content if isinstance(content, str) else [dict(p) for p in content]})
        if not msgs:
            raise ValueError("ChatRequest: messages must not be empty")
        object.__setattr__(self, "messages", tuple(msgs))
        if self.stop is not None:
            object.__setattr__(self, "stop", tuple(self.stop))
        if self.response_format is not None:
            object.__setattr__(self, "response_format", dict(self.response_format))
        if self.tools is not None:
            tools = tuple(dict(t) for t in self.tools)
            if not tools or not all(t.get("type") == "function" and isinstance(t.get("function"), Mapping)
                                    and t["function"].get("name") for t in tools):
                raise ValueError("ChatRequest: tools must be a non-empty list of {'type': 'function', "
                                 "'function': {'name': ..., 'parameters': ...}}")
            object.__setattr__(self, "tools", tools)

    @classmethod
    def from_prompt(cls, prompt: str, system: str | None = None, **kwargs: Any) -> ChatRequest:
        """A request of one user message, optionally preceded by a system message."""
        msgs = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
        return cls(messages=tuple(msgs), **kwargs)


def _is_parts(content: object) -> TypeGuard[Sequence[Mapping]]:
    if not isinstance(content, (list, tuple)) or not content:
        return False
    for p in content:
        if not isinstance(p, Mapping):
            return False
        if p.get("type") == "text" and isinstance(p.get("text"), str):
            continue
        if p.get("type") == "image_url" and isinstance(p.get("image_url"), Mapping) \
                and isinstance(p["image_url"].get("url"), str):
            continue
        return False
    return True


@dataclass(frozen=True)
class ToolCall:
    """One function call of the assistant: its name and its arguments as the model wrote them (JSON text)."""

    name: str
    arguments: str


@dataclass(frozen=True)
class ChatResult:
    """The assistant's text (``""`` when the model returned no content), its tool calls, and where it
    came from. Token counts are the completion's usage as the server reported it (0 when it reported
    none); a cache hit carries the counts of the call that filled the cache but cost nothing now."""

    text: str
    source: Literal["llm", "cache"]
    finish_reason: str | None = None
    latency_s: float = 0.0
    attempts: int = 0
    tool_calls: tuple[ToolCall, ...] = ()
    prompt_tokens: int = 0
    completion_tokens: int = 0


# ---------------------------------------------------------------- counters
class _Counters:
    """Thread-safe counters; ``snapshot()`` is the flat dict returned by ``LLMClient.stats()``."""

    _FIELDS = ("requests", "cache_hits", "http_requests", "retries", "failures", "timeouts",
               "connection_errors", "http_errors", "malformed_responses", "prompt_tokens",
               "completion_tokens", "max_in_flight")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._c = dict.fromkeys(self._FIELDS, 0)
            self._in_flight = 0
            self._lat_sum = 0.0
            self._lat_max = 0.0
            self._lat_n = 0

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._c[name] += n

    def enter(self) -> None:
        with self._lock:
            self._c["http_requests"] += 1
            self._in_flight += 1
            self._c["max_in_flight"] = max(self._c["max_in_flight"], self._in_flight)

    def leave(self, latency_s: float | None) -> None:
        with self._lock:
            self._in_flight -= 1
            if latency_s is not None:
                self._lat_sum += latency_s
                self._lat_max = max(self._lat_max, latency_s)
                self._lat_n += 1

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            out: dict[str, float] = dict(self._c)
            out["in_flight"] = self._in_flight
            out["latency_s_total"] = self._lat_sum
            out["latency_s_mean"] = self._lat_sum / self._lat_n if self._lat_n else 0.0
            out["latency_s_max"] = self._lat_max
            out["cache_hit_rate"] = out["cache_hits"] / out["requests"] if out["requests"] else 0.0
            return out


# ---------------------------------------------------------------- the client
@dataclass
class _LoopState:
    api: Any  # openai.AsyncOpenAI
    sem: asyncio.Semaphore


class _Failure(Exception):
    """Internal: one failed attempt, classified."""

    def __init__(self, kind: str, message: str, transient: bool, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind, self.transient, self.status, self.retry_after = kind, transient, status, retry_after


class LLMClient:
    """Async chat-completions client with a concurrency limit, retries, timeouts and a disk cache.

    Retries (exponential backoff with jitter) cover connection errors, timeouts, HTTP 408/429/5xx
    and malformed 200 bodies; other 4xx fail at once. The API key is read from the environment
    variable ``config.api_key_env`` at construction and is never logged, cached or shown in repr.
    """

    def __init__(self, config: LLMConfig) -> None:
        if not isinstance(config, LLMConfig):
            raise TypeError(f"LLMClient needs an LLMConfig, got {type(config).__name__}")
        self.config = config
        self._api_key = self._read_key(config)
        self._cache = _open_cache(config.cache_path) if config.cache_path else None
        self._counters = _Counters()
        self._rng = random.Random()
        self._lock = threading.Lock()
        self._states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = (
            weakref.WeakKeyDictionary())
        self._bg_loop: asyncio.AbstractEventLoop | None = None
        self._bg_thread: threading.Thread | None = None
        self._bg_pid = -1

    def __repr__(self) -> str:
        c = self.config
        return f"LLMClient(base_url={c.base_url!r}, model={c.model!r}, api_key_env={c.api_key_env!r})"

    @staticmethod
    def _read_key(config: LLMConfig) -> str:
        key = os.environ.get(config.api_key_env, "").strip()
        if key:
            return key
        host = urlparse(config.base_url).hostname or ""
        if host in _KEY_REQUIRED_HOSTS:
            raise ValueError(f"LLMClient: environment variable {config.api_key_env} is not set "
                             f"(an API key is required for {config.base_url})")
        log.info("LLMClient: %s is not set; sending a dummy API key to %s", config.api_key_env, config.base_url)
        return _DUMMY_KEY

    @property
    def cache(self) -> ResponseCache | None:
        return self._cache

    # ------------------------------------------------------------ stats
    def stats(self) -> dict[str, float]:
        """Counters since construction (or ``reset_stats``) as a flat dict, for logging."""
        out = self._counters.snapshot()
        out["cache_errors"] = self._cache.errors if self._cache is not None else 0
        out["cache_skipped"] = self._cache.skipped if self._cache is not None else 0
        return out

    def reset_stats(self) -> None:
        self._counters.reset()

    # ------------------------------------------------------------ async API
    async def chat(self, request: ChatRequest | str) -> ChatResult:
        """Run one request (a ``str`` is a single user message). Raises :class:`LLMError`."""
        req = request if isinstance(request, ChatRequest) else ChatRequest.from_prompt(request)
        payload = self._payload(req)
        key = request_key({"namespace": self.config.cache_namespace, **payload})
        self._counters.add("requests")
        if self._cache is not None:
            hit = self._cache.get(key)
            if isinstance(hit, dict) and isinstance(hit.get("text"), str):
                self._counters.add("cache_hits")
                usage = hit.get("usage") or {}
                calls = tuple(ToolCall(str(c[0]), str(c[1])) for c in hit.get("tool_calls") or ())
                return ChatResult(text=hit["text"], source="cache", finish_reason=hit.get("finish_reason"),
                                  tool_calls=calls, prompt_tokens=int(usage.get("prompt_tokens", 0)),
                                  completion_tokens=int(usage.get("completion_tokens", 0)))
        try:
            result = await self._call_with_retries(self._state(), payload)
        except LLMError:
            self._counters.add("failures")
            raise
        if self._cache is not None and (result.text.strip() or result.tool_calls):
            self._cache.put(key, {"text": result.text, "finish_reason": result.finish_reason,
                                  "model": payload["model"],
                                  "tool_calls": [[c.name, c.arguments] for c in result.tool_calls],
                                  "usage": {"prompt_tokens": result.prompt_tokens,
                                            "completion_tokens": result.completion_tokens}})
        return result

    async def chat_many(self, requests: Iterable[ChatRequest | str], *,
                        return_exceptions: bool = False) -> list[Any]:
        """Run requests concurrently (bounded by ``config.concurrency``); results in input order.

        With ``return_exceptions=True`` a failed request yields its exception in its slot instead
        of raising the first one.
        """
        results = await asyncio.gather(*(self.chat(r) for r in requests), return_exceptions=True)
        if not return_exceptions:
            for r in results:
                if isinstance(r, BaseException):
                    raise r
        return results

    async def acheck(self) -> list[str]:
        """Ask the endpoint for its model list (one attempt); raise LLMUnavailableError if unreachable."""
        api = self._state().api
        try:
            page = await asyncio.wait_for(api.models.list(), self.config.timeout_s)
        except Exception as exc:  # noqa: BLE001 - reported as one clear error
            cause = _first_cause(exc)
            raise LLMUnavailableError(self._redact(
                f"LLM endpoint {self.config.base_url} is not usable: {type(cause).__name__}: {cause}")) from None
        return [m.id for m in getattr(page, "data", [])]

    async def aclose(self) -> None:
        """Close the HTTP connections of the current event loop."""
        state = self._states.pop(asyncio.get_running_loop(), None)
        if state is not None:
            await state.api.close()

    # ------------------------------------------------------------ sync API
    def run_sync(self, awaitable: Awaitable[T]) -> T:
        """Run an awaitable on the client's background loop and wait for its result.

        Works from plain threads and from inside a running event loop (which is blocked while
        waiting). Must not be called from the background loop itself.
        """
        loop = self._background_loop()
        if threading.current_thread() is self._bg_thread:
            if asyncio.iscoroutine(awaitable):
                awaitable.close()
            raise RuntimeError("LLMClient.run_sync called from its own background loop (would deadlock)")

        started: list[asyncio.Task] = []

        async def _wrap() -> T:
            started.append(asyncio.current_task())  # type: ignore[arg-type]
            return await awaitable

        fut: Future[T] = asyncio.run_coroutine_threadsafe(_wrap(), loop)
        try:
            return fut.result()
        except BaseException:
            # Interrupted (Ctrl-C): the task is only told to cancel; wait until it ended, or one left pending
            # when the loop stops is reported at exit ("Task was destroyed but it is pending!").
            if fut.cancel() and self._settle(loop, started) and asyncio.iscoroutine(awaitable):
                awaitable.close()  # a no-op unless it was cancelled before it started ("never awaited")
            raise

    @staticmethod
    def _settle(loop: asyncio.AbstractEventLoop, tasks: list[asyncio.Task], timeout_s: float = 5.0) -> bool:
        """Waits until `tasks` (the one ``run_sync`` started, once it ran) ended; True if they did.

        Called after ``fut.cancel()`` sent the cancellation to the loop, so this runs after it: the task
        either ran far enough to be in `tasks`, or was cancelled before it started and is done."""
        async def _wait() -> None:
            if tasks:
                await asyncio.wait(tasks)

        waiting = asyncio.run_coroutine_threadsafe(_wait(), loop)
        try:
            waiting.result(timeout_s)
            return True
        except BaseException:  # noqa: BLE001 - best effort (a second Ctrl-C, a timeout): the first error is raised
            waiting.cancel()
            return False

    def chat_sync(self, request: ChatRequest | str) -> ChatResult:
        return self.run_sync(self.chat(request))

    def chat_many_sync(self, requests: Sequence[ChatRequest | str], *,
                       return_exceptions: bool = False) -> list[Any]:
        """Blocking :meth:`chat_many`: results in input order."""
        return self.run_sync(self.chat_many(list(requests), return_exceptions=return_exceptions))

    def check(self) -> list[str]:
        """Blocking :meth:`acheck`."""
        return self.run_sync(self.acheck())

    def close(self) -> None:
        """Stop the background loop (closing its connections) and close the cache."""
        with self._lock:
            loop, thread = self._bg_loop, self._bg_thread
            own = self._bg_pid == os.getpid()
            self._bg_loop = self._bg_thread = None
        if loop is not None and own and loop.is_running():
            async def _shutdown() -> None:
                await self.aclose()

            try:
                asyncio.run_coroutine_threadsafe(_shutdown(), loop).result(timeout=5)
            except Exception:  # noqa: BLE001 - best effort on shutdown
                pass
            loop.call_soon_threadsafe(loop.stop)
            if thread is not None:
                thread.join(timeout=5)
            loop.close()
        if self._cache is not None:
            self._cache.close()

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
        self.close()

    # ------------------------------------------------------------ internals
    def _payload(self, req: ChatRequest) -> dict[str, Any]:
        """The request as sent (minus transport details); also the cache key's content."""
        c = self.config
        payload: dict[str, Any] = {
            "model": c.model,
            "messages": [dict(m) for m in req.messages],
            "temperature": c.temperature if req.temperature is None else req.temperature,
            "max_tokens": c.max_tokens if req.max_tokens is None else req.max_tokens,
        }
        if req.response_format is not None:
            payload["response_format"] = dict(req.response_format)
        if req.seed is not None:
            payload["seed"] = req.seed
        if req.stop is not None:
            payload["stop"] = list(req.stop)
        if req.tools is not None:
            payload["tools"] = [dict(t) for t in req.tools]
            if req.tool_choice is not None:
                payload["tool_choice"] = req.tool_choice
        return payload

    def _state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        with self._lock:
            state = self._states.get(loop)
            if state is None:
                import openai  # deferred: importing openai is slow

                api = openai.AsyncOpenAI(api_key=self._api_key, base_url=self.config.base_url,
                                         timeout=self.config.timeout_s, max_retries=0)
                state = _LoopState(api=api, sem=asyncio.Semaphore(self.config.concurrency))
                self._states[loop] = state
            return state

    def _background_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._bg_loop is None or self._bg_pid != os.getpid() or self._bg_loop.is_closed():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="a2a-llm-loop", daemon=True)
                thread.start()
                self._bg_loop, self._bg_thread, self._bg_pid = loop, thread, os.getpid()
            return self._bg_loop

    async def _call_with_retries(self, state: _LoopState, payload: dict[str, Any]) -> ChatResult:
        c = self.config
        api_kwargs = dict(payload)
        api_kwargs[c.max_tokens_field] = api_kwargs.pop("max_tokens")
        failure: _Failure | None = None
        for attempt in range(c.max_retries + 1):
            if failure is not None:
                self._counters.add("retries")
                await asyncio.sleep(self._backoff(attempt - 1, failure.retry_after))
            async with state.sem:
                self._counters.enter()
                t0 = time.perf_counter()
                latency: float | None = None
                try:
                    resp = await asyncio.wait_for(
                        state.api.chat.completions.create(**api_kwargs, timeout=c.timeout_s), c.timeout_s)
                    text, finish, calls = _extract(resp)
                    latency = time.perf_counter() - t0
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - classified below
                    failure = self._classify(exc, api_kwargs)
                else:
                    prompt_tokens, completion_tokens = self._count_usage(resp)
                    return ChatResult(text=text, source="llm", finish_reason=finish, latency_s=latency,
                                      attempts=attempt + 1, tool_calls=calls, prompt_tokens=prompt_tokens,
                                      completion_tokens=completion_tokens)
                finally:
                    self._counters.leave(latency)
            self._counters.add(failure.kind)
            if not failure.transient:
                break
            log.debug("LLM attempt %d/%d failed: %s", attempt + 1, c.max_retries + 1, self._redact(str(failure)))
        assert failure is not None
        raise self._final_error(failure, attempt + 1)

    def _backoff(self, retry_index: int, retry_after: float | None) -> float:
        c = self.config
        cap = min(c.backoff_max_s, c.backoff_base_s * (2 ** retry_index))
        delay = cap / 2 + self._rng.uniform(0, cap / 2)  # "equal jitter"
        if retry_after is not None:
            delay = max(delay, min(retry_after, c.backoff_max_s))
        return delay

    def _classify(self, exc: Exception, payload: Mapping[str, Any] = {}) -> _Failure:
        import openai

        if isinstance(exc, (asyncio.TimeoutError, openai.APITimeoutError)):
            return _Failure("timeouts", f"timed out after {self.config.timeout_s:g} s", True)
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__ or exc
            return _Failure("connection_errors", f"connection error ({type(cause).__name__}: {cause})", True)
        if isinstance(exc, openai.APIStatusError):
            code = exc.status_code
            transient = code in (408, 429) or code >= 500
            message = f"HTTP {code}: {exc.message}"
            if code >= 500 and _is_request_validation_error(exc.message):
                # Some servers (llama-cpp-python) answer 500 to a request they cannot accept: retrying
                # the same request cannot help, so it is a client error.
                transient = False
                rejected = [k for k in payload if k not in ("model", "messages") and k in exc.message]
                message += (f" (the server rejects the request's {', '.join(rejected)}; not retried)" if rejected
                            else " (a request-validation error; not retried)")
            return _Failure("http_errors", message, transient, status=code, retry_after=_retry_after(exc))
        cause = _first_cause(exc)
        return _Failure("malformed_responses", f"malformed response ({type(cause).__name__}: {cause})", True)

    def _final_error(self, failure: _Failure, attempts: int) -> LLMError:
        msg = self._redact(f"LLM request to {self.config.base_url} (model {self.config.model!r}) failed after "
                           f"{attempts} attempt(s): {failure}")
        if failure.kind in ("timeouts", "connection_errors"):
            return LLMUnavailableError(msg)
        if failure.kind == "http_errors":
            return LLMStatusError(msg, failure.status or 0)
        return LLMResponseError(msg)

    def _redact(self, text: str) -> str:
        return redact(text, None if self._api_key == _DUMMY_KEY else self._api_key)

    def _count_usage(self, resp: Any) -> tuple[int, int]:
        usage = getattr(resp, "usage", None)
        out = []
        for name in ("prompt_tokens", "completion_tokens"):
            n = getattr(usage, name, None)
            if isinstance(n, int):
                self._counters.add(name, n)
            out.append(n if isinstance(n, int) else 0)
        return out[0], out[1]


# Phrases of request-validation errors (pydantic, FastAPI, llama-cpp-python, vLLM) in an error body.
_VALIDATION_MARKERS = ("validation error", "validationerror", "input should be", "extra inputs are not permitted",
                       "unsupported", "not supported", "unrecognized request argument", "field required",
                       "invalid request")


def _first_cause(exc: BaseException) -> BaseException:
    """The first leaf of an exception group (the HTTP stack's task groups raise them), else `exc`:
    "ExceptionGroup: unhandled errors in a TaskGroup" says nothing of what went wrong."""
    inner = getattr(exc, "exceptions", None)  # duck-typed: Python 3.10 has the backport's class only
    while isinstance(inner, tuple) and inner and isinstance(inner[0], BaseException):
        exc = inner[0]
        inner = getattr(exc, "exceptions", None)
    return exc


def _is_request_validation_error(message: str) -> bool:
    m = (message or "").lower()
    return any(marker in m for marker in _VALIDATION_MARKERS)


def _extract(resp: Any) -> tuple[str, str | None, tuple[ToolCall, ...]]:
    """(text, finish_reason, tool calls) of the first choice; raises ValueError if ``resp`` is not a completion."""
    choices = getattr(resp, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise ValueError(f"no choices in response {str(resp)[:120]!r}")
    message = getattr(choices[0], "message", None)
    if message is None:
        raise ValueError("first choice has no message")
    content = getattr(message, "content", None)
    if content is not None and not isinstance(content, str):
        raise ValueError(f"message content is {type(content).__name__}, not text")
    calls = []
    for c in getattr(message, "tool_calls", None) or ():
        fn = getattr(c, "function", None)
        name, args = getattr(fn, "name", None), getattr(fn, "arguments", None)
        if not isinstance(name, str):
            raise ValueError(f"tool call without a function name: {str(c)[:120]!r}")
        calls.append(ToolCall(name, args if isinstance(args, str) else json.dumps(args)))
    return content or "", getattr(choices[0], "finish_reason", None), tuple(calls)


def _retry_after(exc: Any) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
