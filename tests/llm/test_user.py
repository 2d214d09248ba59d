"""LLMUser against the fake server: answers, routing via the built-in user, fallbacks."""
from __future__ import annotations

import asyncio

import pytest

from a2a.llm import LLMClient, LLMEndpointDownError, LLMUser, UserAnswer, UserConfig, UserRequest
from a2a.llm.breaker import MAX_FAILED_STEPS

from llm_fake_server import Reply, Status, closed_port_url, fake_user_answer  # noqa: E402

pytestmark = pytest.mark.timeout(30)

WORLD = "kitchen counter: red cup, blue cup\ncoffee table: (empty)"


def req(question: str, target: str = "red cup") -> UserRequest:
    return UserRequest(world_graph=WORLD, instruction="Bring the cup to the coffee table", target=target,
                       goal="coffee table", dialogue=[("Is it red?", "Yes.")], question=question)


def grammar_user(question: str) -> str | None:
    """A stand-in built-in user: understands only yes/no questions starting with 'is it'."""
    return "Yes." if question.lower().startswith("is it") else None


@pytest.fixture
def user(make_config):
    made = []

    def _make(cfg=None, builtin=None, **kw):
        client = LLMClient(make_config(**kw))
        made.append(client)
        return LLMUser(client, cfg or UserConfig(), builtin_answer=builtin)

    yield _make
    for c in made:
        c.close()


def test_llm_answers_in_order(user, server):
    qs = [f"What colour is option {i}?" for i in range(8)]
    targets = ["red cup", "green mug"] * 4
    out = user(concurrency=3).answer_many([req(q, t) for q, t in zip(qs, targets)])
    assert [a.text for a in out] == [fake_user_answer(t, q) for q, t in zip(qs, targets)]
    assert {a.source for a in out} == {"llm"} and server.count == 8


def test_prompt_contents(user, server):
    user(UserConfig(fallback_answer="Huh?")).answer(req("Where is it?"))
    system, msg = server.bodies[0]["messages"]
    assert "truthfully" in system["content"] and "Huh?" in system["content"]
    assert WORLD in msg["content"]
    for text in ["Target object: red cup", "Goal receptacle: coffee table", "Bring the cup to the coffee table",
                 "Is it red?", "The robot asks: Where is it?"]:
        assert text in msg["content"]
    assert server.bodies[0]["max_tokens"] == 64
    assert "response_format" not in server.bodies[0]


def test_builtin_first_only_sends_what_the_builtin_user_did_not_understand(user, server):
    u = user(builtin=grammar_user)
    qs = ["Is it the red one?", "Which shelf should I check?", "is it small?", "Where do you want it?"]
    out = u.answer_many([req(q) for q in qs])
    assert [a.source for a in out] == ["builtin", "llm", "builtin", "llm"]
    assert out[0] == UserAnswer("Yes.", "builtin") and out[1].text == fake_user_answer("red cup", qs[1])
    assert server.count == 2
    asked = [b["messages"][-1]["content"] for b in server.bodies]
    assert all("The robot asks: Is it" not in text for text in asked)
    assert u.stats()["source_builtin"] == 2 and u.stats()["source_llm"] == 2


def test_llm_only_ignores_the_builtin_user(user, server):
    u = user(UserConfig(route="llm_only"), builtin=grammar_user)
    out = u.answer_many([req("Is it red?"), req("Where?")], builtin_answers=["Yes.", None])
    assert [a.source for a in out] == ["llm", "llm"] and server.count == 2


def test_precomputed_builtin_answers_override_the_callable(user, server):
    u = user(builtin=lambda q: "from callable")
    out = u.answer_many([req("a?"), req("b?"), req("c?")], builtin_answers=["from env", None, "  "])
    assert [a.source for a in out] == ["builtin", "llm", "llm"]
    assert out[0].text == "from env" and server.count == 2


def test_builtin_user_raising_goes_to_llm(user, server):
    def broken(question):
        raise RuntimeError("boom")

    u = user(builtin=broken)
    out = u.answer_many([req("a?")])
    assert out[0].source == "llm" and u.stats()["builtin_errors"] == 1


@pytest.mark.parametrize("reply, reason", [("", "empty"), (None, "empty"), ("...", "garbage"),
                                           ("As an AI, I cannot pretend to be a user.", "garbage")])
def test_garbage_replies_fall_back(user, server, reply, reason):
    server.default = lambda body: Reply(reply)
    u = user(UserConfig(fallback_answer="Sorry, what?"))
    out = u.answer_many([req("Where is it?"), req("What size?")])
    assert out == [UserAnswer("Sorry, what?", "fallback")] * 2
    s = u.stats()
    assert s["fallbacks"] == 2 and s[f"fallback_{reason}"] == 2 and s["source_fallback"] == 2


def test_failures_fall_back_without_raising(user, server):
    server.script.extend([Status(400)])
    server.default = lambda body: Status(500)
    u = user(max_retries=1)
    out = u.answer_many([req("Where is it?")])
    assert out == [UserAnswer("I don't understand.", "fallback")]
    assert u.stats()["fallback_error"] == 1


def test_an_endpoint_that_fails_every_request_stops_the_user_after_a_few_calls(user, server):
    """The LLM agents' circuit breaker: a call with one answer resets the count; calls that failed on
    every request in a row end with one error instead of a run of fallbacks."""
    server.default = lambda body: Status(500, "boom")
    u = user(max_retries=0)
    u.answer_many([req("Where is it?"), req("Which one?")])  # failed on every request: 1
    server.script.extend([Reply("On the table.")])
    assert [a.source for a in u.answer_many([req("Where is it?"), req("Which one?")])].count("llm") == 1  # reset
    for k in range(MAX_FAILED_STEPS - 1):  # new questions (an answered one would come from the cache)
        assert u.answer_many([req(f"Where is it, {k}?")]) == [UserAnswer("I don't understand.", "fallback")]
    assert u.answer_many([req("Is it red?")], builtin_answers=["Yes."])[0].source == "builtin"  # no request: no count
    with pytest.raises(LLMEndpointDownError, match=f"LLM user: every LLM request failed in {MAX_FAILED_STEPS} "
                                                   "steps in a row.*HTTP 500.*boom.*--base-url"):
        u.answer_many([req("Where is it, now?")])
    assert u.stats()["fallback_error"] == 2 + 1 + (MAX_FAILED_STEPS - 1) + 1  # each failure counted, the last too


def test_unreachable_user_falls_back(make_config):
    client = LLMClient(make_config(base_url=closed_port_url(), timeout_s=0.3, max_retries=1))
    u = LLMUser(client, builtin_answer=grammar_user)
    out = u.answer_many([req("Is it red?"), req("Where is it?")])
    assert [(a.text, a.source) for a in out] == [("Yes.", "builtin"), ("I don't understand.", "fallback")]
    client.close()


def test_answers_are_cleaned_and_truncated(user, server):
    server.default = lambda body: Reply('Answer: "It is on the\n dark table, next to the lamp, near the window."')
    out = user(UserConfig(max_answer_chars=30)).answer(req("Where is it?"))
    assert out.source == "llm" and out.text == "It is on the dark table, next"
    assert str(out) == out.text


def test_cached_answers(user, server):
    u = user()
    first, second = u.answer(req("Where?")), u.answer(req("Where?"))
    assert (first.source, second.source) == ("llm", "cache") and first.text == second.text
    assert server.count == 1


def test_async_api(user, server):
    u = user(builtin=grammar_user)

    async def caller():
        try:
            return await u.aanswer_many([req("Is it red?"), req("Which one?")])
        finally:
            await u.client.aclose()

    assert [a.source for a in asyncio.run(caller())] == ["builtin", "llm"]


def test_config_and_request_validation(user):
    with pytest.raises(ValueError, match="route"):
        UserConfig(route="whatever")
    with pytest.raises(ValueError):
        UserConfig(fallback_answer=" ")
    with pytest.raises(ValueError):
        UserRequest(world_graph="g", instruction="i", target="t", goal="g", dialogue=[("q",)], question="q")


def test_builtin_answers_length_mismatch(user, server):
    with pytest.raises(ValueError, match="builtin"):
        user().answer_many([req("a"), req("b")], builtin_answers=[None])
