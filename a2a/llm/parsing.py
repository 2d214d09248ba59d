"""Robust parsing of a judge model's verdict text.

Accepted, in order: a JSON object anywhere in the text (also inside code fences or after prose)
with a ``useful`` key (or ``is_useful``/``verdict``/``answer``) whose value is a bool, 0/1 or a
yes/no word; a ``useful: yes``-style pair in prose; a reply that starts with yes/no/true/false
(or "useful"/"not useful"); a last line that is just yes/no. Anything else, refusals included,
parses to ``None``.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_TRUE = {"yes", "y", "true", "1", "useful", "helpful"}
_FALSE = {"no", "n", "false", "0", "not useful", "not_useful", "useless", "unhelpful", "not helpful"}
_VERDICT_KEYS = ("useful", "is_useful", "useful_question", "verdict", "answer")
_REASON_KEYS = ("reason", "reasoning", "explanation", "rationale")

_FENCE = re.compile(r"```[a-zA-Z]*\s*(.*?)```", re.S)
_PAIR = re.compile(r"\b(?:is_useful|useful|verdict|answer)\b[\"']?\s*[:=]\s*[\"']?\s*(yes|no|true|false)\b", re.I)
_LEAD = re.compile(r"^(not useful|not helpful|useless|unhelpful|useful|helpful|yes|no|true|false)\b[\s.,:;!\-)*_]*(.*)",
                   re.I | re.S)
_JUNK = " \t\r\n*_#>`\"'("


@dataclass(frozen=True)
class ParsedVerdict:
    useful: bool
    reason: str = ""


def parse_verdict(text: str | None) -> ParsedVerdict | None:
    """The verdict in a model reply, or ``None`` if the reply holds no clear verdict."""
    if not isinstance(text, str) or not text.strip():
        return None
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    saw_object = False
    for cand in candidates:
        for obj in _json_values(cand):
            saw_object = saw_object or isinstance(obj, dict)
            verdict = _from_json(obj)
            if verdict is not None:
                return verdict
    pair = _PAIR.search(text)
    if pair:
        return ParsedVerdict(_word(pair.group(1)) is True, _clean_reason(text))
    if saw_object:  # a JSON object without a usable verdict: do not guess from its words
        return None
    stripped = _FENCE.sub(lambda m: m.group(1), text).strip(_JUNK)
    lead = _LEAD.match(stripped)
    if lead:
        return ParsedVerdict(_word(lead.group(1)) is True, _clean_reason(lead.group(2)))
    lines = [ln.strip(_JUNK + ".!") for ln in stripped.splitlines() if ln.strip(_JUNK + ".!")]
    if lines and _word(lines[-1]) is not None:
        return ParsedVerdict(_word(lines[-1]) is True, _clean_reason(" ".join(lines[:-1])))
    return None


def _json_values(text: str) -> list[Any]:
    """Every JSON value that parses starting at a ``{`` in ``text`` (plus the whole text)."""
    out: list[Any] = []
    try:
        out.append(json.loads(text))
    except ValueError:
        pass
    decoder = json.JSONDecoder()
    for i, ch in enumerate(text):
        if ch == "{":
            try:
                out.append(decoder.raw_decode(text, i)[0])
            except ValueError:
                continue
    return out


def _from_json(obj: Any, depth: int = 0) -> ParsedVerdict | None:
    if not isinstance(obj, dict):
        return None
    lowered = {str(k).strip().lower(): v for k, v in obj.items()}
    reason = next((v for k in _REASON_KEYS if isinstance(v := lowered.get(k), str)), "")
    for key in _VERDICT_KEYS:
        if key not in lowered:
            continue
        value = lowered[key]
        if isinstance(value, dict) and depth == 0:
            nested = _from_json(value, depth + 1)
            if nested is not None:
                return nested if nested.reason or not reason else ParsedVerdict(nested.useful, reason)
        verdict = _word(value)
        if verdict is not None:
            return ParsedVerdict(verdict, _clean_reason(reason))
    return None


def _word(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        w = " ".join(value.strip().strip(".!\"'`*").lower().split())
        if w in _TRUE:
            return True
        if w in _FALSE:
            return False
    return None


def _clean_reason(reason: str, limit: int = 300) -> str:
    reason = " ".join(reason.split())
    return reason if len(reason) <= limit else reason[: limit - 3] + "..."
