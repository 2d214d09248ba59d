"""The circuit breaker of the LLM agents and the LLM user: a step in which every request failed
(after its retries) is counted; after MAX_FAILED_STEPS such steps in a row the endpoint is taken as
gone and the run stops with one error, rather than going on for hours on fallbacks."""
from __future__ import annotations

import threading
from collections.abc import Sequence

from .client import LLMEndpointDownError

# Steps in a row in which every request failed before the run stops. A step with at least one answer
# resets the count: a server that is merely slow or flaky is not taken as gone.
MAX_FAILED_STEPS = 3


class EndpointBreaker:
    """Counts steps (batches of requests) in which every request failed; see the module docstring."""

    def __init__(self, max_failed_steps: int = MAX_FAILED_STEPS) -> None:
        if not isinstance(max_failed_steps, int) or max_failed_steps < 1:
            raise ValueError(f"max_failed_steps must be an int >= 1, got {max_failed_steps!r}")
        self.max_failed_steps = max_failed_steps
        self._lock = threading.Lock()
        self.failed_steps = 0

    def check(self, results: Sequence[object], what: str) -> None:
        """Counts one step from its results (exceptions in the slots of failed requests); raises
        LLMEndpointDownError on the last step allowed, naming the caller `what` (an agent, "LLM user").
        A step without requests counts for nothing."""
        if not results:
            return
        errors = [r for r in results if isinstance(r, BaseException)]
        with self._lock:
            self.failed_steps = self.failed_steps + 1 if len(errors) == len(results) else 0
            down = self.failed_steps >= self.max_failed_steps
        if down:
            first = " ".join(str(errors[0]).split()) or type(errors[0]).__name__
            raise LLMEndpointDownError(
                f"{what}: every LLM request failed in {self.failed_steps} steps in a row, so the run stops "
                f"({first}); check that the server at --base-url is up and serves --llm-model "
                f"(a slow server needs a larger --llm-timeout), then run again") from errors[0]
