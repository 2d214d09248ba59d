"""LLM usage of a run, from the per-step records of model agents (`EpisodeRecord.agent_steps`):
calls, cache hits, failed requests, invalid replies, tokens (per episode too), latency and dollars."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def llm_usage(records: Sequence[Any]) -> dict | None:
    """Totals over the records' agent steps, or None when no record has any."""
    steps = [s for r in records for s in (getattr(r, "agent_steps", None) or [])]
    if not steps:
        return None
    n = len(records)
    live = [s for s in steps if s.get("source") == "llm"]
    prompt = sum(int(s.get("prompt_tokens", 0)) for s in live)
    completion = sum(int(s.get("completion_tokens", 0)) for s in live)
    cost = sum(float(s.get("cost_usd", 0.0)) for s in live)
    latencies = [float(s.get("latency_s", 0.0)) for s in live]
    return {
        "calls": len(steps),
        "cache_hits": sum(1 for s in steps if s.get("source") == "cache"),
        "failed_requests": sum(1 for s in steps if s.get("source") == "error"),
        "invalid_replies": sum(1 for s in steps if s.get("source") != "error" and s.get("error")),
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "tokens_per_episode": (prompt + completion) / n if n else 0.0,
        "latency_s_mean": sum(latencies) / len(latencies) if latencies else 0.0,
        "cost_usd": cost,
        "usd_per_100_episodes": 100.0 * cost / n if n else 0.0,
    }


def usage_line(u: dict) -> str:
    """One line for the terminal."""
    line = (f"LLM: {u['calls']} calls ({u['cache_hits']} cached, {u['failed_requests']} failed, "
            f"{u['invalid_replies']} invalid replies), {u['prompt_tokens']} prompt + {u['completion_tokens']} "
            f"completion tokens ({u['tokens_per_episode']:.0f} per episode), mean latency {u['latency_s_mean']:.2f} s")
    if u["cost_usd"]:
        line += f", ${u['cost_usd']:.4f} (${u['usd_per_100_episodes']:.4f} per 100 episodes)"
    return line
