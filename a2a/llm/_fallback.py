"""Counting and rate-limited logging of fallbacks (never silent, never noisy)."""
from __future__ import annotations

import logging
import threading
from collections import Counter


class FallbackLog:
    """Counts fallbacks by reason; logs one warning for the 1st, (N+1)-th, (2N+1)-th, ... fallback."""

    def __init__(self, logger: logging.Logger, what: str, every: int) -> None:
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"warn_every must be an int >= 1, got {every!r}")
        self._logger, self._what, self._every = logger, what, every
        self._lock = threading.Lock()
        self.total = 0
        self.by_reason: Counter[str] = Counter()

    def record(self, reason: str, detail: str = "") -> None:
        with self._lock:
            self.total += 1
            self.by_reason[reason] += 1
            total, warn = self.total, (self.total - 1) % self._every == 0
        if warn:
            self._logger.warning("%s fallback #%d (%s)%s; logging one in %d", self._what, total, reason,
                                 f": {detail}" if detail else "", self._every)

    def as_dict(self, prefix: str) -> dict[str, int]:
        with self._lock:
            out = {f"{prefix}fallbacks": self.total}
            out.update({f"{prefix}fallback_{k}": v for k, v in sorted(self.by_reason.items())})
            return out

    def reset(self) -> None:
        with self._lock:
            self.total = 0
            self.by_reason.clear()
