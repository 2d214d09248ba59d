"""Typed, validated configuration for the LLM client."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from urllib.parse import urlparse

_MAX_TOKENS_FIELDS = ("max_tokens", "max_completion_tokens")


def default_cache_path() -> str:
    """``$A2A_CACHE_DIR/llm_cache.sqlite``, else ``$XDG_CACHE_HOME/a2a/...``, else ``~/.cache/a2a/...``."""
    root = os.environ.get("A2A_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "a2a")
    return os.path.join(root, "llm_cache.sqlite")


def _check(cond: bool, msg: str) -> None:
    if not cond:
        raise ValueError(f"LLMConfig: {msg}")


@dataclass(frozen=True)
class LLMConfig:
    """Where and how to reach an OpenAI-compatible chat-completions endpoint.

    The API key itself is never stored here: ``api_key_env`` names the environment variable that
    holds it. For local servers (vLLM, llama.cpp) an unset variable is fine (a dummy key is sent).

    - ``concurrency``: max requests in flight per event loop.
    - ``timeout_s``: hard limit per HTTP attempt; an unreachable endpoint fails after at most
      ``(max_retries + 1) * timeout_s`` plus the backoff sleeps (each at most ``backoff_max_s``).
    - ``cache_path``: sqlite file for the persistent response cache; ``None`` disables caching.
    - ``cache_namespace``: mixed into every cache key (e.g. a model revision) to separate
      otherwise identical requests served by different weights.
    - ``temperature`` / ``max_tokens``: defaults for requests that do not set them.
    - ``max_tokens_field``: ``"max_tokens"`` (vLLM, llama.cpp, most servers) or
      ``"max_completion_tokens"`` (newer OpenAI models).
    """

    base_url: str = "http://127.0.0.1:8000/v1"
    model: str = "Qwen/Qwen2.5-7B-Instruct"
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = 32
    timeout_s: float = 30.0
    max_retries: int = 3
    cache_path: str | None = None
    temperature: float = 0.0
    max_tokens: int = 256
    backoff_base_s: float = 0.5
    backoff_max_s: float = 8.0
    max_tokens_field: str = "max_tokens"
    cache_namespace: str = ""

    def __post_init__(self) -> None:
        url = urlparse(self.base_url)
        _check(url.scheme in ("http", "https") and bool(url.netloc),
               f"base_url must be an http(s) URL, got {self.base_url!r}")
        try:  # urlparse checks the port only when asked; a bad one would fail deep in the HTTP stack
            port = url.port
        except ValueError:
            port = -1
        _check(port is None or 1 <= port <= 65535, f"base_url has a bad port (not in 1..65535): {self.base_url!r}")
        _check(isinstance(self.model, str) and bool(self.model.strip()), "model must be a non-empty string")
        _check(isinstance(self.api_key_env, str) and self.api_key_env.isidentifier(),
               f"api_key_env must be an environment variable name, got {self.api_key_env!r}")
        _check(isinstance(self.concurrency, int) and self.concurrency >= 1,
               f"concurrency must be an int >= 1, got {self.concurrency!r}")
        _check(_finite_pos(self.timeout_s), f"timeout_s must be > 0, got {self.timeout_s!r}")
        _check(isinstance(self.max_retries, int) and self.max_retries >= 0,
               f"max_retries must be an int >= 0, got {self.max_retries!r}")
        _check(self.cache_path is None or (isinstance(self.cache_path, str) and bool(self.cache_path)),
               "cache_path must be a non-empty path string or None")
        _check(isinstance(self.temperature, (int, float)) and 0.0 <= self.temperature <= 2.0,
               f"temperature must be in [0, 2], got {self.temperature!r}")
        _check(isinstance(self.max_tokens, int) and self.max_tokens >= 1,
               f"max_tokens must be an int >= 1, got {self.max_tokens!r}")
        _check(isinstance(self.backoff_base_s, (int, float)) and self.backoff_base_s >= 0,
               f"backoff_base_s must be >= 0, got {self.backoff_base_s!r}")
        _check(isinstance(self.backoff_max_s, (int, float)) and self.backoff_max_s >= self.backoff_base_s,
               "backoff_max_s must be >= backoff_base_s")
        _check(self.max_tokens_field in _MAX_TOKENS_FIELDS,
               f"max_tokens_field must be one of {_MAX_TOKENS_FIELDS}, got {self.max_tokens_field!r}")
        _check(isinstance(self.cache_namespace, str), "cache_namespace must be a string")


def _finite_pos(x: object) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0
