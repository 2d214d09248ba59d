"""A misbehaving OpenAI-compatible server: a 1 MB reply is returned but not stored in the cache, and
nothing a server echoes of the API key (even a fragment) reaches an error message or a log line."""

from __future__ import annotations

import glob
import importlib.util
import logging
import sys
from pathlib import Path

import pytest

from a2a.llm import LLMClient, LLMConfig, LLMStatusError, ResponseCache
from a2a.llm.redact import MIN_FRAGMENT, redact

pytestmark = pytest.mark.timeout(60)
KEY_ENV, KEY = "A2A_REL_TEST_KEY", "sk-proj-Zq81Lm04XvT2bNc7RgPw9ydKe3Hs"


def _fake_server_module():
    name = "a2a_reliability_llm_fake_server"  # tests/llm imports its own copy as "llm_fake_server"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).parents[1] / "llm" / "llm_fake_server.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    srv = _fake_server_module().FakeOpenAIServer()
    yield srv
    srv.close()


def _config(server, tmp_path, **kw) -> LLMConfig:
    return LLMConfig(base_url=server.url, model="fake-model", api_key_env=KEY_ENV, timeout_s=5.0, max_retries=1,
                     backoff_base_s=0.01, backoff_max_s=0.02, cache_path=str(tmp_path / "cache.sqlite"), **kw)


def _fragments(text: str) -> list[str]:
    return [KEY[i:i + MIN_FRAGMENT] for i in range(len(KEY) - MIN_FRAGMENT + 1) if KEY[i:i + MIN_FRAGMENT] in text]


def test_a_1mb_reply_is_returned_but_not_stored(server, tmp_path, caplog, tally):
    fake = _fake_server_module()
    huge = "yes " * 262_144  # 1 MiB
    server.script.extend([fake.Reply(huge), fake.Reply("short answer")])
    with caplog.at_level(logging.WARNING, logger="a2a.llm.cache"), LLMClient(_config(server, tmp_path)) as c:
        assert c.chat_sync("huge please").text == huge
        assert c.chat_sync("small please").text == "short answer"
        assert c.stats()["cache_skipped"] == 1 and len(c.cache) == 1
        assert c.chat_sync("huge please").source == "llm"  # not cached: asked again
    stored = sum(Path(f).stat().st_size for f in glob.glob(str(tmp_path / "cache.sqlite") + "*"))
    assert stored < 200_000, stored
    logged = [r.getMessage() for r in caplog.records]
    assert any("not storing a 1048" in m for m in logged) and not any("yes yes" in m for m in logged)
    tally["oversized_replies_not_stored"] += 1


def test_a_cache_value_bound_is_checked():
    with pytest.raises(ValueError, match="max_value_bytes"):
        ResponseCache(":memory:", max_value_bytes=0)


def test_key_fragments_echoed_by_a_server_are_redacted(server, tmp_path, caplog, tally):
    fake = _fake_server_module()
    echo = f"Incorrect API key provided: {KEY[:8]}{'*' * 20}{KEY[-4:]}. Your key {KEY} was rejected ({'x' * 5000})"
    server.script.extend([fake.Status(500, echo), fake.Status(401, echo)])
    with caplog.at_level(logging.DEBUG, logger="a2a.llm"), LLMClient(_config(server, tmp_path)) as c:
        with pytest.raises(LLMStatusError) as e:
            c.chat_sync("q")
    texts = [str(e.value)] + [r.getMessage() for r in caplog.records]
    assert any("Incorrect API key provided" in t for t in texts[1:]), "the retried failure was not logged"
    for t in texts:
        assert not _fragments(t), (_fragments(t), t[:300])
        assert len(t) < 1500  # a server's text is cut, not logged whole
    tally["log_lines_checked"] += len(texts)


def test_redact_masks_every_fragment_and_nothing_else():
    assert redact(f"key {KEY[3:12]} and {KEY[-4:]}.", KEY) == "key *** and ***."
    assert redact("no secret here", KEY) == "no secret here"
    assert redact("x" * 10, None, max_chars=4) == "xxxx... [6 more characters]"
