"""The LLM-judged question reward against a local OpenAI-compatible server."""

from __future__ import annotations

import numpy as np
import pytest

from a2a import _core
from a2a.llm import JudgeConfig, LLMClient, LLMConfig, LLMJudge
from a2a.rl import train
from a2a.rl.question_reward import QUESTION_TERM, LLMQuestionReward

from rl_helpers import load_fake_server

fake = load_fake_server()


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv(fake.TEST_KEY_ENV, fake.TEST_KEY)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    srv = fake.FakeOpenAIServer()
    yield srv
    srv.close()


def judge_for(server, tmp_path):
    cfg = LLMConfig(base_url=server.url, model="fake-model", api_key_env=fake.TEST_KEY_ENV, timeout_s=2.0, max_retries=1,
                    cache_path=str(tmp_path / "cache.sqlite"), backoff_base_s=0.01, backoff_max_s=0.02)
    return LLMJudge(LLMClient(cfg), JudgeConfig(fallback="oracle"))


def test_llm_verdicts_replace_the_oracle_question_term(server, tmp_path):
    eps = _core.EpisodeSet.generate("train", 10, seed=4)
    env = _core.BatchedEnv(eps, num_envs=3, width=0, height=0, rewards={"budget_delta": 1})
    env.reset()
    qr = LLMQuestionReward(judge_for(server, tmp_path), 3, weight=1.0)
    first_words = [env.privileged_state(i)["target_description"].split()[0] for i in range(3)]
    # The fake judge calls a question useful iff it mentions the target's first word (its size).
    questions = [["is it %s?" % first_words[0], "where is it?", "is it %s?" % first_words[2]],
                 ["where should i put it?", "is it %s?" % first_words[1], "what color is it?"]]
    oracle_terms = []
    for t, qs in enumerate(questions):
        actions = [f"ask({q})" for q in qs]
        b = env.step(actions)
        oracle_terms.append(np.asarray(b.reward_terms)[:, QUESTION_TERM].copy())
        qr.observe(t, b, actions, env)
    corr = qr.corrections(2, 3)
    new_terms = np.stack(oracle_terms) + corr
    llm_useful = np.array([[1, 0, 1], [0, 1, 0]], float)
    np.testing.assert_allclose(new_terms, llm_useful)  # within the budget (B = K + 1 >= 2)
    stats = qr.stats()
    assert stats["judge/requests"] == 6 and "judge/agreement" in stats
    assert len(server.bodies) == 6  # one chat request per question
    qr.close()


def test_garbage_verdicts_fall_back_to_the_oracle_and_are_counted(server, tmp_path):
    server.default = lambda body: fake.Reply("banana")
    eps = _core.EpisodeSet.generate("train", 4, seed=5)
    env = _core.BatchedEnv(eps, num_envs=2, width=0, height=0)
    env.reset()
    qr = LLMQuestionReward(judge_for(server, tmp_path), 2, weight=1.0)
    b = env.step(["ask(where is it?)", "ask(what color is it?)"])
    qr.observe(0, b, ["ask(where is it?)", "ask(what color is it?)"], env)
    corr = qr.corrections(1, 2)
    assert np.allclose(corr, 0)  # the oracle's verdicts stand
    assert qr.stats()["judge/source_fallback_oracle"] == 2
    qr.close()


def test_training_with_the_llm_judge(make_cfg, server):
    cfg = make_cfg("llm", judge="llm", llm_base_url=server.url, llm_model="fake-model",
                   llm_api_key_env=fake.TEST_KEY_ENV, ppo={"updates": 1, "rollout_steps": 6})
    result = train(cfg)
    assert result.updates == 1
    import json

    row = json.loads((result.run_dir / "metrics.jsonl").read_text().splitlines()[-1])
    assert row["judge/requests"] == len(server.bodies)  # every question of the rollout went to the judge
    assert "judge/agreement" in row or row["judge/requests"] == 0
    import csv

    with open(result.run_dir / "metrics.csv", newline="") as f:  # the judge's counters are CSV columns too
        rows = list(csv.DictReader(f))
    assert float(rows[-1]["judge/requests"]) == row["judge/requests"]
    assert {"judge/agreement", "judge/kappa", "reward/useful_question_oracle"} <= set(rows[-1])


def test_unreachable_judge_fails_at_startup(make_cfg):
    cfg = make_cfg("down", judge="llm", llm_base_url="http://127.0.0.1:9/v1", llm_model="m",
                   llm_api_key_env="A2A_NO_SUCH_KEY")
    with pytest.raises(Exception, match="(?i)unreachable|connect|unavailable|failed"):
        train(cfg)


def test_training_with_the_llm_user_answering_every_question(make_cfg, server):
    cfg = make_cfg("llm-user", user="llm", llm_base_url=server.url, llm_model="fake-model",
                   llm_api_key_env=fake.TEST_KEY_ENV, sft_updates=1, sft_expert="oracle",
                   ppo={"updates": 1, "rollout_steps": 6})
    result = train(cfg)  # the oracle expert's rollout asks questions (the built-in dataset has K > 0 episodes)
    import json

    rows = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    assert rows[0]["phase"] == "sft" and rows[0]["rollout/ask_rate"] > 0
    last = rows[-1]
    assert last["user/answered"] > 0
    assert last["user/answered"] == len(server.bodies)  # the judge is the oracle: every request is the user's
    assert last["user/answered"] == last["user/requests"] and last["user/fallbacks"] == 0


def test_training_stops_in_one_error_when_the_llm_user_endpoint_fails_every_request(make_cfg, server):
    from a2a.llm import LLMEndpointDownError

    server.default = lambda body: fake.Status(401, "key revoked")  # not retried
    cfg = make_cfg("llm-user-down", user="llm", llm_base_url=server.url, llm_model="fake-model",
                   llm_api_key_env=fake.TEST_KEY_ENV, sft_updates=1, sft_expert="oracle",
                   ppo={"updates": 1, "rollout_steps": 12})
    with pytest.raises(LLMEndpointDownError, match="LLM user: every LLM request failed in 3 steps in a row"):
        train(cfg)
