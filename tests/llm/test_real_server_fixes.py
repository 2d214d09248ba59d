"""What a real single-slot server exposed in the LLM layer (issue: llama-cpp-python serving SmolLM2-135M):
request-validation 500s, prompt echoes and copied placeholders, kappa beside agreement, counters of
the built-in user in the env loop, abandoned requests, multimodal and tool-call requests."""
from __future__ import annotations

import asyncio
import json
import time

import numpy as np
import pytest

from a2a import _core
from a2a.llm import (ChatRequest, EnvUser, JudgeConfig, LLMClient, LLMJudge, LLMStatusError, LLMUser, UserConfig,
                     UserRequest)
from a2a.llm.garbage import garbage_kind
from llm_fake_server import Reply, Sleep, Status

VALIDATION_500 = ("1 validation error for CreateChatCompletionRequest\nresponse_format\n  Input should be "
                  "'text' or 'json_object' [type=literal_error]")


def test_a_500_request_validation_error_is_a_client_error_naming_the_parameter(make_config, server):
    client = LLMClient(make_config(max_retries=3))
    server.script.append(Status(500, VALIDATION_500))
    with pytest.raises(LLMStatusError, match=r"rejects the request's response_format; not retried") as e:
        client.chat_sync(ChatRequest.from_prompt("hi", response_format={"type": "json_schema"}))
    assert e.value.status_code == 500 and server.count == 1
    server.script.extend([Status(500, "out of memory")] * 2)  # a plain 500 is still retried
    assert client.chat_sync("hi").text == "hello from the fake server" and server.count == 4
    client.close()


@pytest.mark.parametrize("reply, kind", [
    ("The robot asks: where is it? Your answer:", "echo"),
    ("Target object: red cup. Goal receptacle: coffee table", "echo"),
    ("<one short sentence>", "placeholder"),
    ("It is on the dark table.", None),
    ("Yes.", None),
])
def test_garbage_kinds(reply, kind):
    assert garbage_kind(reply) == kind


def _user_request(question: str = "where is it?"):
    return UserRequest(world_graph="room: kitchen", instruction="Bring the cup", target="red cup", goal="coffee table",
                       dialogue=(), question=question)


def test_user_echoes_and_placeholders_fall_back_and_are_counted(make_config, server):
    user = LLMUser(LLMClient(make_config()), UserConfig(route="llm_only"))
    server.script.extend([Reply("The robot asks: where is it? Your answer:"), Reply("<answer>"),
                          Reply("It is on the dark table.")])
    answers = [user.answer(_user_request(q)) for q in ("where is it?", "what color is it?", "is it red?")]
    assert [a.source for a in answers] == ["fallback", "fallback", "llm"]
    stats = user.stats()
    assert stats["fallback_echo"] == 1 and stats["fallback_placeholder"] == 1 and stats["fallbacks"] == 2
    user.client.close()


def test_judge_placeholder_reasons_are_not_verdicts_and_kappa_is_reported(make_config, server):
    judge = LLMJudge(LLMClient(make_config()), JudgeConfig(fallback="oracle"))
    replies = {"q0": {"useful": True, "reason": "<one short sentence>"}, "q1": {"useful": True, "reason": "<reason>"},
               "q2": {"useful": True, "reason": "it narrows the cups"}, "q3": {"useful": False, "reason": "answered"}}
    # requests go out concurrently: the reply depends on the question, not on the arrival order
    server.default = lambda body: Reply(json.dumps(replies[body["messages"][-1]["content"].split("New question: ")[1][:2]]))
    verdicts = judge.judge_many([_user_request(f"q{i}") for i in range(4)], [False, True, True, False])
    assert [v.source for v in verdicts] == ["fallback_oracle", "fallback_oracle", "llm", "llm"]
    assert [v.useful for v in verdicts] == [False, True, True, False]  # the oracle's where the reply was a copy
    stats = judge.stats()
    assert stats["fallback_placeholder"] == 2 and stats["agreement_rate"] == 1.0
    assert stats["agreement_kappa"] == pytest.approx(1.0) and stats["agreement_unjudged"] == 2
    judge.client.close()


def test_the_builtin_user_is_counted_in_the_env_loop(make_config, server):
    eps = _core.EpisodeSet.generate("train", 4, seed=3)
    env = _core.BatchedEnv(eps, num_envs=2, width=0, height=0)
    user = EnvUser(LLMUser(LLMClient(make_config()), UserConfig(route="builtin_first",
                                                                max_answer_chars=_core.ANSWER_CHARS - 1)), env, 2)
    user.apply(env.reset())
    b = env.step(["ask(what color is it?)", "ask(is it shiny?)"])
    assert user.apply(b) == 1 and server.count == 1
    b = env.step(["ask(where is it?)", "ask(where should i put it?)"])
    assert user.apply(b) == 0 and server.count == 1
    stats = user.stats()
    assert stats["user/source_builtin"] == 3 and stats["user/source_llm"] == 1 and stats["user/answered"] == 1
    user.close()


def test_an_abandoned_batch_is_cancelled_and_not_retried(make_config, server):
    client = LLMClient(make_config(max_retries=3, timeout_s=10.0))
    server.default = lambda body: Sleep(3.0, Reply("late"))

    async def give_up():
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.chat_many(["a", "b", "c"]), 0.3)

    asyncio.run(give_up())
    assert client.stats()["in_flight"] == 0 and client.stats()["retries"] == 0
    time.sleep(0.5)
    assert server.count == 3  # nothing was sent again after the caller gave up


def test_image_parts_and_tools_are_sent_and_tool_calls_read(make_config, server):
    client = LLMClient(make_config())
    tool = {"type": "function", "function": {"name": "pick", "parameters": {"type": "object"}}}
    server.script.append(Reply(None, tool_calls=[("pick", '{"mark": 2}')], usage=(120, 7)))
    req = ChatRequest(messages=({"role": "user", "content": [
        {"type": "text", "text": "what do you see?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]},), tools=(tool,),
        tool_choice="auto")
    res = client.chat_sync(req)
    body = server.bodies[-1]
    assert body["messages"][0]["content"][1]["image_url"]["url"] == "data:image/png;base64,AAAA"
    assert body["tools"] == [tool] and body["tool_choice"] == "auto"
    assert [(c.name, c.arguments) for c in res.tool_calls] == [("pick", '{"mark": 2}')]
    assert (res.prompt_tokens, res.completion_tokens) == (120, 7) and res.text == ""
    # the cache keeps tool calls and usage
    again = client.chat_sync(req)
    assert again.source == "cache" and again.tool_calls == res.tool_calls and again.prompt_tokens == 120
    with pytest.raises(ValueError, match="parts"):
        ChatRequest(messages=({"role": "user", "content": [{"type": "audio", "data": "x"}]},))
    with pytest.raises(ValueError, match="tools"):
        ChatRequest.from_prompt("x", tools=({"type": "function", "function": {}},))
    client.close()


def test_the_question_reward_logs_what_ppo_trains_on(make_config, server):
    torch = pytest.importorskip("torch")
    from a2a.rl.question_reward import QUESTION_TERM, LLMQuestionReward

    eps = _core.EpisodeSet.generate("train", 6, seed=4)
    assert max(eps.summary()["K"][:2]) > 0
    env = _core.BatchedEnv(eps, num_envs=2, width=0, height=0, rewards={"budget_delta": 2})
    env.reset()
    # the fake judge says "not useful" to everything; the oracle finds "what color is it?" useful when K > 0
    server.default = lambda body: Reply(json.dumps({"useful": False, "reason": "the judge disagrees"}))
    qr = LLMQuestionReward(LLMJudge(LLMClient(make_config()), JudgeConfig(fallback="oracle")), 2, weight=1.0)

    class Ro:  # the fields of a rollout the question reward reads and writes
        rewards = torch.zeros(2, 2)
        terms = torch.zeros(2, 2, len(_core.reward_terms()))
        valid = torch.ones(2, 2, dtype=torch.bool)

    questions = [env.oracle_question(i)[0] for i in range(2)]  # useful to the oracle (None when K = 0)
    first = [f"ask({q})" if q else "ask(where is it?)" for q in questions]
    for t, acts in enumerate([first, ["navigate(x)", "navigate(y)"]]):
        b = env.step(acts)
        Ro.rewards[t] = torch.from_numpy(np.asarray(b.reward))
        Ro.terms[t] = torch.from_numpy(np.asarray(b.reward_terms))
        qr.observe(t, b, acts, env)
    oracle_terms = Ro.terms[..., QUESTION_TERM].clone()
    assert oracle_terms.sum() > 0, "the oracle should find one of these questions useful"
    rewards_before = Ro.rewards.clone()
    qr.apply(Ro)
    assert torch.all(Ro.terms[..., QUESTION_TERM] == 0)  # the judge's verdicts, as trained on
    assert torch.allclose(Ro.rewards, rewards_before - oracle_terms)
    stats = qr.stats()
    assert stats["reward/useful_question_oracle"] == pytest.approx(float(oracle_terms.mean()))
    assert "judge/kappa" in stats and stats["judge/agreement"] < 1.0
    qr.close()


def test_the_llm_flags_reach_the_configs():
    import argparse

    from a2a.cli import eval_cmd, train_cmd

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    train_cmd.register(sub, "train")
    eval_cmd.register(sub, "eval")
    args = parser.parse_args(["train", "--llm-timeout", "120", "--llm-concurrency", "1", "--llm-json-mode", "off",
                              "--user", "llm", "--base-url", "http://127.0.0.1:1/v1", "--llm-model", "m"])
    cfg = train_cmd.config_from_args(args)
    assert (cfg.llm_timeout_s, cfg.llm_concurrency, cfg.llm_json_mode) == (120.0, 1, False)
    spec = cfg.user_spec()
    assert (spec.timeout_s, spec.concurrency) == (120.0, 1)
    args = parser.parse_args(["eval", "--llm-timeout", "90", "--llm-concurrency", "2", "--concurrency", "16"])
    assert (args.llm_timeout, args.llm_concurrency, args.num_envs) == (90.0, 2, 16)
    with pytest.raises(SystemExit):  # no judge in eval: the flag would do nothing there
        parser.parse_args(["eval", "--llm-json-mode", "off"])
