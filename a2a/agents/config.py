"""The options of the LLM agents (what `a2a eval --agent wg-react ...` accepts), validated once."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..eval.registry import AgentOption
from ..llm.config import LLMConfig, default_cache_path

OBSERVABILITY = ("full", "partial")
# Few-shot examples at most: one per ambiguity type of the train split. Each is 1-2k tokens of the
# system prompt, sent with every step, so 12 already take some 20k tokens of the model's context
# (and more take minutes to build).
MAX_SHOTS = 12

# Options every LLM agent takes. Those named like `a2a eval`'s own endpoint flags (base_url,
# llm_model, api_key_env, llm_timeout, llm_concurrency, dataset) take those flags' values.
ENDPOINT_OPTIONS = (
    AgentOption("base_url", str, None, "OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1", required=True),
    AgentOption("llm_model", str, None, "model name at the endpoint", required=True),
    AgentOption("api_key_env", str, "OPENAI_API_KEY", "environment variable holding the API key"),
    AgentOption("llm_timeout", float, 30.0, "seconds per HTTP attempt"),
    AgentOption("llm_concurrency", int, 32, "HTTP requests in flight at most"),
    AgentOption("llm_retries", int, 3, "retries of a failed request (timeouts, 5xx, connection errors)"),
    AgentOption("llm_cache", str, "default", "response cache: 'default' (~/.cache/a2a/llm_cache.sqlite), "
                "'none', or a sqlite path"),
    AgentOption("temperature", float, 0.0, "sampling temperature of the LLM agents"),
    AgentOption("max_tokens", int, 256, "completion tokens per step"),
    AgentOption("max_turns", int, 40, "past Thought/Action/Observation turns kept in the prompt"),
    AgentOption("price_in", float, 0.0, "dollars per 1M prompt tokens (for the cost in the summary)"),
    AgentOption("price_out", float, 0.0, "dollars per 1M completion tokens"),
)
WORLD_GRAPH_OPTIONS = ENDPOINT_OPTIONS + (
    AgentOption("observability", str, "full", "world graph: full (privileged, whole apartment) or partial "
                "(what the robot has observed so far)"),
    AgentOption("shots", int, 0, f"worked examples from the oracle's trajectories on the train split "
                f"(at most {MAX_SHOTS})"),
    AgentOption("dataset", str, None, "dataset directory whose train split gives the examples (default: the built-in)"),
)
SET_OF_MARKS_OPTIONS = ENDPOINT_OPTIONS + (
    AgentOption("image_history", int, 1, "views sent per step (the current one and the last ones before it)"),
    AgentOption("image_size", int, 256, "rendered view size in pixels"),
)


@dataclass(frozen=True)
class LLMAgentConfig:
    """Everything an LLM agent needs, from its resolved options."""

    base_url: str
    llm_model: str
    react: bool = True             # a thought before each action (ReAct) or the action alone (direct)
    api_key_env: str = "OPENAI_API_KEY"
    llm_timeout: float = 30.0
    llm_concurrency: int = 32
    llm_retries: int = 3
    llm_cache: str = "default"
    temperature: float = 0.0
    max_tokens: int = 256
    max_turns: int = 40
    price_in: float = 0.0
    price_out: float = 0.0
    seed: int = 0
    observability: str = "full"
    shots: int = 0
    dataset: str | None = None
    image_history: int = 1
    image_size: int = 256
    max_reply_chars: int = 4000    # longer replies are invalid (a model that rambles is not acting)

    def __post_init__(self) -> None:
        if self.observability not in OBSERVABILITY:
            raise ValueError(f"observability must be one of {OBSERVABILITY}, got {self.observability!r}")
        for name in ("max_turns", "shots", "llm_retries"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.shots > MAX_SHOTS:
            raise ValueError(f"shots must be at most {MAX_SHOTS}, got {self.shots}: each worked example adds "
                             f"1-2k tokens to every step's prompt, and {MAX_SHOTS} already show one episode of each "
                             "ambiguity type of the train split")
        if not 1 <= self.image_history <= 8:
            raise ValueError(f"image_history must be in [1, 8], got {self.image_history}")
        if not 64 <= self.image_size <= 1024:
            raise ValueError(f"image_size must be in [64, 1024], got {self.image_size}")
        for name in ("price_in", "price_out"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be a finite number >= 0 (dollars per 1M tokens), got {v}")
        self.llm_config()  # validates the endpoint settings

    @classmethod
    def from_options(cls, options: dict, react: bool) -> LLMAgentConfig:
        known = set(cls.__dataclass_fields__)
        return cls(react=react, **{k: v for k, v in options.items() if k in known and v is not None})

    def cache_path(self) -> str | None:
        if self.llm_cache == "none":
            return None
        return default_cache_path() if self.llm_cache == "default" else self.llm_cache

    def llm_config(self) -> LLMConfig:
        return LLMConfig(base_url=self.base_url, model=self.llm_model, api_key_env=self.api_key_env,
                         concurrency=self.llm_concurrency, timeout_s=self.llm_timeout, max_retries=self.llm_retries,
                         cache_path=self.cache_path(), temperature=self.temperature, max_tokens=self.max_tokens)

    def cost_usd(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.price_in + completion_tokens * self.price_out) / 1e6
