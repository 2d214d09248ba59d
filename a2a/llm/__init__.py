"""LLM services for rewards and simulated users, over OpenAI-compatible chat-completions endpoints.

- :class:`LLMClient` (+ :class:`LLMConfig`): async, bounded concurrency, retries with backoff,
  per-request timeouts, a persistent sqlite cache and counters; sync batch wrappers.
- :class:`LLMJudge`: is a clarification question useful? (with oracle/neutral fallbacks and
  LLM-vs-oracle agreement statistics).
- :class:`LLMUser`: answers free-form questions from privileged state (optionally only those the
  built-in grammar user did not understand).
- :class:`EnvUser` (+ :class:`UserSpec`): the LLM user inside the env loop, writing its answers into
  the core's batches (what `--user` builds for `a2a eval`, `a2a train` and `a2a.make_vec`).
- :class:`DialogueRecord` (+ :class:`QuestionContext`): the per-env dialogue both the LLM user and
  the LLM judge read, and the one request type they send (``JudgeRequest`` and ``UserRequest`` are
  its names on each side).

See docs/llm.md.
"""
from .cache import ResponseCache, request_key
from .client import (
                     ChatRequest,
                     ChatResult,
                     LLMCacheError,
                     LLMClient,
                     LLMEndpointDownError,
                     LLMError,
                     LLMResponseError,
                     LLMStatusError,
                     LLMUnavailableError,
                     ToolCall,
)
from .config import LLMConfig, default_cache_path
from .dialogue import DialogueRecord, QuestionContext
from .env_user import EnvUser, UserSpec
from .judge import JudgeAgreement, JudgeConfig, JudgeRequest, JudgeVerdict, LLMJudge
from .parsing import ParsedVerdict, parse_verdict
from .user import LLMUser, UserAnswer, UserConfig, UserRequest, clean_answer

__all__ = [
    "ChatRequest", "ChatResult", "DialogueRecord", "EnvUser", "JudgeAgreement", "JudgeConfig", "JudgeRequest",
           "JudgeVerdict",
    "LLMCacheError", "LLMClient", "LLMConfig", "LLMEndpointDownError", "LLMError", "LLMJudge", "LLMResponseError",
    "LLMStatusError",
    "LLMUnavailableError", "LLMUser", "ParsedVerdict", "QuestionContext", "ResponseCache", "ToolCall", "UserAnswer",
           "UserConfig",
    "UserRequest", "UserSpec", "clean_answer", "default_cache_path", "parse_verdict", "request_key",
]
