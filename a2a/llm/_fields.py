"""Validation shared by the judge and user request dataclasses."""
from __future__ import annotations

from typing import Any


def dialogue_pairs(value: Any, owner: str) -> tuple[tuple[str, str], ...]:
    """``value`` as a tuple of (question, answer) string pairs; ValueError otherwise."""
    try:
        if isinstance(value, (str, bytes)) or any(isinstance(p, (str, bytes)) for p in value):
            raise TypeError
        pairs = tuple((q, a) for q, a in value)
    except (TypeError, ValueError):
        raise ValueError(f"{owner}: dialogue must be a sequence of (question, answer) pairs") from None
    if not all(isinstance(q, str) and isinstance(a, str) for q, a in pairs):
        raise ValueError(f"{owner}: dialogue questions and answers must be strings")
    return pairs


def check_text_fields(obj: object, owner: str) -> None:
    """Raise ValueError unless the request's text fields are all ``str``."""
    for name in ("world_graph", "instruction", "target", "goal", "question"):
        if not isinstance(getattr(obj, name), str):
            raise ValueError(f"{owner}.{name} must be a str, got {type(getattr(obj, name)).__name__}")
