"""LLMConfig validation and request construction."""
from __future__ import annotations

import dataclasses

import pytest

from a2a.llm import ChatRequest, LLMConfig, default_cache_path


def test_defaults_are_valid_and_frozen():
    cfg = LLMConfig()
    assert cfg.api_key_env == "OPENAI_API_KEY" and cfg.cache_path is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.model = "x"  # type: ignore[misc]


@pytest.mark.parametrize("kw, match", [
    (dict(base_url="localhost:8000"), "base_url"),
    (dict(base_url="ftp://host/v1"), "base_url"),
    (dict(base_url="http://127.0.0.1:99999/v1"), "bad port"),
    (dict(base_url="http://127.0.0.1:0/v1"), "bad port"),
    (dict(base_url="http://127.0.0.1:port/v1"), "bad port"),
    (dict(model=" "), "model"),
    (dict(api_key_env="sk-abc123"), "api_key_env"),
    (dict(concurrency=0), "concurrency"),
    (dict(concurrency=2.5), "concurrency"),
    (dict(timeout_s=0), "timeout_s"),
    (dict(timeout_s=float("inf")), "timeout_s"),
    (dict(max_retries=-1), "max_retries"),
    (dict(cache_path=""), "cache_path"),
    (dict(temperature=3.0), "temperature"),
    (dict(max_tokens=0), "max_tokens"),
    (dict(backoff_base_s=2.0, backoff_max_s=1.0), "backoff_max_s"),
    (dict(max_tokens_field="n_predict"), "max_tokens_field"),
])
def test_invalid_configs_raise(kw, match):
    with pytest.raises(ValueError, match=match):
        LLMConfig(**kw)


def test_chat_request_validation_and_normalisation():
    r = ChatRequest(messages=[{"role": "user", "content": "hi"}], stop=["x"])  # type: ignore[arg-type]
    assert r.messages == ({"role": "user", "content": "hi"},) and r.stop == ("x",)
    with pytest.raises(ValueError):
        ChatRequest(messages=())
    with pytest.raises(ValueError):
        ChatRequest(messages=({"role": "tool", "content": "x"},))
    with pytest.raises(ValueError):
        ChatRequest(messages=({"role": "user", "content": None},))  # type: ignore[dict-item]


def test_default_cache_path(monkeypatch, tmp_path):
    monkeypatch.setenv("A2A_CACHE_DIR", str(tmp_path))
    assert default_cache_path() == str(tmp_path / "llm_cache.sqlite")
    monkeypatch.delenv("A2A_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_path() == str(tmp_path / "xdg" / "a2a" / "llm_cache.sqlite")
