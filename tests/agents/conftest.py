"""Fixtures for the LLM agent tests: the scriptable fake OpenAI server of tests/llm on loopback."""
from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # for `from agents_fake import fake`

from agents_fake import fake  # noqa: E402


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv(fake.TEST_KEY_ENV, fake.TEST_KEY)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    srv = fake.FakeOpenAIServer()
    yield srv
    srv.close()


@pytest.fixture
def agent_options(server, tmp_path):
    """Options of an LLM agent pointed at the fake server, with its own cache file."""
    def _make(**kw):
        base = dict(base_url=server.url, llm_model="fake-model", api_key_env=fake.TEST_KEY_ENV, llm_timeout=5.0,
                    llm_retries=0, llm_cache=str(tmp_path / "agent_cache.sqlite"), seed=0)
        base.update(kw)
        return base
    return _make
