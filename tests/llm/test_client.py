"""LLMClient against a real local HTTP server: retries, timeouts, errors, concurrency, ordering."""
from __future__ import annotations

import asyncio
import gc
import logging
import signal
import threading
import time

import pytest

from a2a.llm import (ChatRequest, LLMClient, LLMConfig, LLMResponseError, LLMStatusError,
                     LLMUnavailableError)

from llm_fake_server import TEST_KEY, TEST_KEY_ENV, Drip, Raw, Reply, Sleep, Status, closed_port_url  # noqa: E402

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def client(make_config):
    clients = []

    def _make(**kw):
        c = LLMClient(make_config(**kw))
        clients.append(c)
        return c

    yield _make
    for c in clients:
        c.close()


def test_basic_chat_sends_config_and_key(client, server):
    c = client(temperature=0.3, max_tokens=17)
    res = c.chat_sync(ChatRequest.from_prompt("hello", system="be brief", seed=7, stop=("\n",)))
    assert res.text == "hello from the fake server"
    assert res.source == "llm" and res.attempts == 1 and res.finish_reason == "stop"
    body = server.bodies[0]
    assert body["model"] == "fake-model"
    assert body["messages"] == [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello"}]
    assert body["temperature"] == 0.3 and body["max_tokens"] == 17
    assert body["seed"] == 7 and body["stop"] == ["\n"]
    assert "response_format" not in body
    assert server.headers[0]["authorization"] == f"Bearer {TEST_KEY}"


def test_max_completion_tokens_field(client, server):
    client(max_tokens_field="max_completion_tokens", max_tokens=9).chat_sync("x")
    assert server.bodies[0]["max_completion_tokens"] == 9 and "max_tokens" not in server.bodies[0]


def test_missing_key_env_sends_dummy_for_local_server(make_config, server, monkeypatch):
    monkeypatch.delenv(TEST_KEY_ENV)
    with LLMClient(make_config()) as c:
        c.chat_sync("x")
    assert server.headers[0]["authorization"] == "Bearer EMPTY"


def test_missing_key_env_is_an_error_for_openai(monkeypatch):
    monkeypatch.delenv("A2A_NO_SUCH_KEY", raising=False)
    with pytest.raises(ValueError, match="A2A_NO_SUCH_KEY"):
        LLMClient(LLMConfig(base_url="https://api.openai.com/v1", model="gpt-4o", api_key_env="A2A_NO_SUCH_KEY"))


def test_key_not_in_repr_or_logs(client, server, caplog):
    caplog.set_level(logging.DEBUG)
    c = client(max_retries=1)
    server.script.extend([Status(500), Reply("ok")])
    c.chat_sync("x")
    server.script.extend([Status(401, message="bad key"), ])
    with pytest.raises(LLMStatusError):
        c.chat_sync("y")
    assert TEST_KEY not in repr(c) and TEST_KEY not in repr(c.config) and TEST_KEY not in str(c.stats())
    assert caplog.text and TEST_KEY not in caplog.text


def test_retries_5xx_then_success(client, server):
    c = client(max_retries=3)
    server.script.extend([Status(500), Status(503)])
    res = c.chat_sync("x")
    assert res.text == "hello from the fake server" and res.attempts == 3
    assert server.count == 3
    s = c.stats()
    assert s["retries"] == 2 and s["http_errors"] == 2 and s["failures"] == 0 and s["http_requests"] == 3


def test_retries_exhausted_raises_status_error(client, server):
    c = client(max_retries=2)
    server.script.extend([Status(502)] * 5)
    with pytest.raises(LLMStatusError, match="3 attempt") as info:
        c.chat_sync("x")
    assert info.value.status_code == 502
    assert server.count == 3
    assert c.stats()["failures"] == 1


def test_429_is_retried_honouring_retry_after(client, server):
    c = client(max_retries=2)
    server.script.append(Status(429, headers={"retry-after": "0.02"}))
    assert c.chat_sync("x").attempts == 2
    assert server.count == 2


@pytest.mark.parametrize("code", [400, 401, 404, 422])
def test_4xx_is_not_retried(client, server, code):
    c = client(max_retries=3)
    server.script.append(Status(code, message="nope"))
    with pytest.raises(LLMStatusError) as info:
        c.chat_sync("x")
    assert info.value.status_code == code
    assert server.count == 1 and c.stats()["retries"] == 0


def test_timeout_then_retry_succeeds(client, server):
    c = client(timeout_s=0.3, max_retries=2)
    server.script.append(Sleep(2.0))
    t0 = time.perf_counter()
    res = c.chat_sync("x")
    assert res.attempts == 2 and res.text == "hello from the fake server"
    assert 0.25 < time.perf_counter() - t0 < 3.0  # generous: only 'no hang' matters
    assert c.stats()["timeouts"] == 1


def test_slow_server_fails_within_timeout_budget(client, server):
    c = client(timeout_s=0.2, max_retries=2)
    server.script.extend([Sleep(5.0)] * 3)
    t0 = time.perf_counter()
    with pytest.raises(LLMUnavailableError, match="timed out"):
        c.chat_sync("x")
    elapsed = time.perf_counter() - t0
    assert elapsed < 3.0  # 3 attempts of 0.2 s + backoff; the server would sleep 5 s each
    assert server.count == 3


def test_timeout_is_a_hard_limit_per_attempt(client, server):
    """A server that keeps sending a byte now and then must not hold a request past timeout_s."""
    c = client(timeout_s=0.4, max_retries=1)
    server.script.extend([Drip(0.05), Drip(0.05)])
    t0 = time.perf_counter()
    with pytest.raises(LLMUnavailableError, match="timed out"):
        c.chat_sync("x")
    assert time.perf_counter() - t0 < 3.0  # 2 attempts of 0.4 s; a full drip takes ~5 s each


def test_unreachable_endpoint_is_a_clear_fast_error(make_config):
    url = closed_port_url()
    with LLMClient(make_config(base_url=url, timeout_s=0.5, max_retries=2)) as c:
        t0 = time.perf_counter()
        with pytest.raises(LLMUnavailableError) as info:
            c.chat_sync("x")
        assert time.perf_counter() - t0 < 3 * 0.5 + 1.0
        assert url in str(info.value) and "3 attempt" in str(info.value)
        assert c.stats()["connection_errors"] == 3
        with pytest.raises(LLMUnavailableError):
            c.check()


@pytest.mark.parametrize("body", [b"{not json", b'{"foo": 1}', b'{"choices": []}', b"<html>proxy error</html>"])
def test_malformed_body_is_retried_then_reported(client, server, body):
    c = client(max_retries=1)
    server.script.extend([Raw(body), Raw(body)])
    with pytest.raises(LLMResponseError, match="malformed"):
        c.chat_sync("x")
    assert server.count == 2 and c.stats()["malformed_responses"] == 2


def test_malformed_body_then_good_body(client, server):
    c = client(max_retries=1)
    server.script.append(Raw(b"{truncated"))
    assert c.chat_sync("x").attempts == 2


def test_null_content_is_empty_text_not_error(client, server):
    server.script.append(Reply(None))
    assert client().chat_sync("x").text == ""


def test_concurrency_limit_is_respected_and_used(client, server):
    server.hold_s = 0.15
    c = client(concurrency=3, cache_path=None)
    results = c.chat_many_sync([f"req {i}" for i in range(12)])
    assert len(results) == 12
    assert server.max_in_flight == 3
    assert c.stats()["max_in_flight"] == 3


def test_batch_results_keep_input_order(client, server):
    def echo_with_reverse_delay(body):
        text = body["messages"][-1]["content"]
        i = int(text.split()[-1])
        return Reply(f"echo {i}", delay_s=0.01 * (10 - i))

    server.default = echo_with_reverse_delay
    c = client(concurrency=10)
    results = c.chat_many_sync([f"item {i}" for i in range(10)])
    assert [r.text for r in results] == [f"echo {i}" for i in range(10)]


def test_chat_many_return_exceptions(client, server):
    def fail_odd(body):
        i = int(body["messages"][-1]["content"].split()[-1])
        return Status(400) if i % 2 else Reply(f"ok {i}")

    server.default = fail_odd
    c = client(concurrency=4)
    out = c.chat_many_sync([f"n {i}" for i in range(6)], return_exceptions=True)
    assert [r.text if i % 2 == 0 else type(r) for i, r in enumerate(out)] == [
        "ok 0", LLMStatusError, "ok 2", LLMStatusError, "ok 4", LLMStatusError]
    with pytest.raises(LLMStatusError):
        c.chat_many_sync([f"n {i}" for i in range(6, 8)])


def test_sync_wrapper_inside_running_event_loop(client, server):
    c = client()

    async def caller():
        return c.chat_many_sync(["a", "b"])

    assert [r.text for r in asyncio.run(caller())] == ["hello from the fake server"] * 2


def test_async_api_on_caller_loop(client, server):
    c = client(cache_path=None)

    async def caller():
        try:
            return await c.chat_many(["a", "b", "c"])
        finally:
            await c.aclose()

    assert len(asyncio.run(caller())) == 3 and server.count == 3
    assert len(c.chat_many_sync(["d"])) == 1  # and the background loop still works afterwards


def test_check_lists_models(client, server):
    assert client().check() == ["fake-model"]


def test_check_names_the_first_cause_of_an_exception_group(client):
    """The HTTP stack's task groups raise "ExceptionGroup: unhandled errors in a TaskGroup", which says
    nothing of what went wrong: the check names the first error inside."""
    from a2a.llm.client import _LoopState

    class Models:
        async def list(self):
            raise ExceptionGroup("unhandled errors in a TaskGroup",
                                 [ExceptionGroup("inner", [OverflowError("connect(): port must be 0-65535.")])])

    class Api:
        models = Models()

    c = client()

    async def check():
        c._states[asyncio.get_running_loop()] = _LoopState(api=Api(), sem=asyncio.Semaphore(1))
        return await c.acheck()

    with pytest.raises(LLMUnavailableError) as info:
        asyncio.run(check())
    assert str(info.value) == (f"LLM endpoint {c.config.base_url} is not usable: OverflowError: connect(): port must "
                               "be 0-65535.")


def test_an_interrupted_sync_call_leaves_no_pending_task(client, server, caplog):
    """Ctrl-C in a blocking call: run_sync raises once its task has ended, so that nothing is printed
    after the CLI's "interrupted" (a task still pending when the loop stops is reported at exit as
    "Task was destroyed but it is pending!")."""
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("needs Python's own SIGINT handler in the main thread")
    c = client(timeout_s=10, max_retries=0)
    server.default = lambda body: Sleep(5, Reply("late"))
    tasks = []

    async def interrupted():
        tasks.append(asyncio.current_task())
        asyncio.get_running_loop().call_later(0.3, signal.pthread_kill, threading.main_thread().ident, signal.SIGINT)
        try:
            return await c.chat_many(["a", "b"])
        except asyncio.CancelledError:
            await asyncio.sleep(0.2)  # a cancelled call takes a moment to end (its connections close)
            raise

    caplog.set_level(logging.ERROR, logger="asyncio")
    with pytest.raises(KeyboardInterrupt):
        c.run_sync(interrupted())
    assert tasks[0].done() and tasks[0].cancelled()
    tasks.clear()
    c.close()
    gc.collect()
    assert "destroyed" not in caplog.text and "never awaited" not in caplog.text


def test_stats_counters(client, server):
    c = client()
    c.chat_many_sync(["a", "b", "a"])  # "a" twice in one batch: both miss (in flight together)
    c.chat_many_sync(["a", "b"])
    s = c.stats()
    assert s["requests"] == 5 and s["cache_hits"] == 2 and s["http_requests"] == 3
    assert s["prompt_tokens"] == 33 and s["completion_tokens"] == 9
    assert s["latency_s_mean"] > 0 and s["latency_s_max"] >= s["latency_s_mean"]
    assert s["cache_hit_rate"] == pytest.approx(0.4)
    c.reset_stats()
    assert c.stats()["requests"] == 0


def test_sync_wrapper_from_many_threads(client, server):
    import concurrent.futures

    def echo(body):
        return Reply("echo " + body["messages"][-1]["content"])

    server.default = echo
    c = client(concurrency=4)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda t: c.chat_many_sync([f"t{t} r{i}" for i in range(5)]), range(4)))
    assert [[r.text for r in out] for out in outs] == [[f"echo t{t} r{i}" for i in range(5)] for t in range(4)]
    assert server.max_in_flight <= 4
