"""Fixtures for the a2a.llm tests: a fake OpenAI-compatible server on loopback and configs for it."""
from __future__ import annotations

import os
import sys
from typing import Any

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # for `import llm_fake_server`

from llm_fake_server import TEST_KEY, TEST_KEY_ENV, FakeOpenAIServer  # noqa: E402


@pytest.fixture
def server():
    srv = FakeOpenAIServer()
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture(autouse=True)
def _llm_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A known secret key in a custom env var; no proxies for loopback traffic."""
    monkeypatch.setenv(TEST_KEY_ENV, TEST_KEY)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def make_config(server: FakeOpenAIServer, tmp_path):
    """Build an LLMConfig pointing at the fake server with fast timeouts/backoff."""
    from a2a.llm import LLMConfig

    def _make(**kw: Any) -> "LLMConfig":
        base = dict(base_url=server.url, model="fake-model", api_key_env=TEST_KEY_ENV, concurrency=8,
                    timeout_s=2.0, max_retries=2, cache_path=str(tmp_path / "llm_cache.sqlite"),
                    backoff_base_s=0.01, backoff_max_s=0.05)
        base.update(kw)
        return LLMConfig(**base)

    return _make
