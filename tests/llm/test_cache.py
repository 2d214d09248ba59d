"""The persistent response cache: hits cost no HTTP request, survive restarts, never store the key."""
from __future__ import annotations

import glob
import os
import pathlib
import subprocess
import sys

import pytest

from a2a.llm import ChatRequest, LLMClient, ResponseCache, request_key

from llm_fake_server import TEST_KEY, Reply  # noqa: E402

pytestmark = pytest.mark.timeout(30)


def test_second_identical_call_makes_no_http_request(make_config, server):
    with LLMClient(make_config()) as c:
        first = c.chat_sync("same question")
        second = c.chat_sync("same question")
    assert server.count == 1
    assert first.source == "llm" and second.source == "cache" and second.text == first.text


def test_cache_survives_a_new_client(make_config, server):
    cfg = make_config()
    with LLMClient(cfg) as c:
        c.chat_many_sync(["a", "b"])
    with LLMClient(cfg) as c2:
        out = c2.chat_many_sync(["a", "b"])
        assert [r.source for r in out] == ["cache", "cache"]
        assert c2.stats()["cache_hits"] == 2 and c2.stats()["http_requests"] == 0
    assert server.count == 2


@pytest.mark.parametrize("change", [
    dict(request=ChatRequest.from_prompt("other question")),
    dict(request=ChatRequest.from_prompt("q", system="sys")),
    dict(request=ChatRequest.from_prompt("q", temperature=0.7)),
    dict(request=ChatRequest.from_prompt("q", max_tokens=5)),
    dict(request=ChatRequest.from_prompt("q", response_format={"type": "json_object"})),
    dict(request=ChatRequest.from_prompt("q", seed=3)),
    dict(config=dict(model="another-model")),
    dict(config=dict(cache_namespace="rev2")),
])
def test_different_request_is_a_miss(make_config, server, change):
    with LLMClient(make_config()) as c:
        c.chat_sync(ChatRequest.from_prompt("q"))
    with LLMClient(make_config(**change.get("config", {}))) as c:
        res = c.chat_sync(change.get("request", ChatRequest.from_prompt("q")))
    assert res.source == "llm" and server.count == 2


def test_key_and_base_url_are_not_part_of_the_cache_key(make_config, server, monkeypatch):
    with LLMClient(make_config()) as c:
        c.chat_sync("q")
    monkeypatch.setenv("A2A_OTHER_KEY", "sk-other-key-abcdef")
    with LLMClient(make_config(api_key_env="A2A_OTHER_KEY")) as c:
        assert c.chat_sync("q").source == "cache"
    assert server.count == 1


def test_api_key_is_not_stored_in_the_cache_file(make_config, server, tmp_path):
    server.script.append(Reply("distinctive answer text 1234"))
    cfg = make_config()
    with LLMClient(cfg) as c:
        c.chat_sync("q")
        files = glob.glob(cfg.cache_path + "*")  # main db, -wal, -shm while open
        blob = b"".join(pathlib.Path(f).read_bytes() for f in files)
    blob += b"".join(pathlib.Path(f).read_bytes() for f in glob.glob(cfg.cache_path + "*"))
    assert b"distinctive answer text 1234" in blob  # the grep can see what is stored ...
    assert TEST_KEY.encode() not in blob  # ... and the key is not there


def test_empty_replies_are_not_cached(make_config, server):
    server.script.extend([Reply(""), Reply("later")])
    with LLMClient(make_config()) as c:
        assert c.chat_sync("q").text == ""
        assert c.chat_sync("q").text == "later"
        assert c.chat_sync("q").source == "cache"
    assert server.count == 2


def test_failures_are_not_cached(make_config, server):
    from llm_fake_server import Status

    server.script.extend([Status(400)])
    with LLMClient(make_config()) as c:
        with pytest.raises(Exception):
            c.chat_sync("q")
        assert c.chat_sync("q").source == "llm"
    assert server.count == 2


def test_no_cache_when_cache_path_is_none(make_config, server):
    with LLMClient(make_config(cache_path=None)) as c:
        c.chat_sync("q")
        c.chat_sync("q")
        assert c.cache is None
    assert server.count == 2


def test_request_key_is_canonical():
    assert request_key({"a": 1, "b": [1, 2]}) == request_key({"b": [1, 2], "a": 1})
    assert request_key({"a": 1}) != request_key({"a": 2})


def test_cache_shared_across_processes(tmp_path):
    path = str(tmp_path / "shared.sqlite")
    cache = ResponseCache(path)
    child = (
        "import sys\n"
        "from a2a.llm.cache import ResponseCache\n"
        "c = ResponseCache(sys.argv[1])\n"
        "for i in range(300): c.put(f'child{i}', {'text': str(i)})\n"
        "assert c.get('parent0') is None or c.get('parent0') == {'text': 'p'}\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    procs = [subprocess.Popen([sys.executable, "-c", child.replace("child", f"child{k}_"), path], env=env)
             for k in range(2)]
    for i in range(300):
        cache.put(f"parent{i}", {"text": "p"})
    assert [p.wait(timeout=20) for p in procs] == [0, 0]
    assert len(cache) == 900
    assert cache.get("child1_299") == {"text": "299"} and cache.errors == 0
    cache.close()


def test_corrupt_cache_file_is_an_error_at_construction_not_later(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(Exception):
        ResponseCache(str(bad))
