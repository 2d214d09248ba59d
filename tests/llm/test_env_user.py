"""The LLM user inside the env loop (a2a.llm.env_user) against the local fake OpenAI server.

The fake user replies "About '<question>': I want the <target description>." (llm_fake_server).
"""
from __future__ import annotations

import json

import pytest

from a2a import _core
from a2a.env.spaces import CHARSET
from a2a.llm import EnvUser, LLMClient, LLMUser, UserConfig, UserSpec
from a2a.llm.env_user import UNKNOWN_QUESTION, fit_answer, question_of
from llm_fake_server import TEST_KEY_ENV, Reply, Status, closed_port_url


def env_user(make_config, route: str, num_envs: int = 2, seed: int = 3):
    eps = _core.EpisodeSet.generate("train", 8, seed=seed)
    env = _core.BatchedEnv(eps, num_envs=num_envs, width=0, height=0)
    user = LLMUser(LLMClient(make_config()), UserConfig(route=route, max_answer_chars=_core.ANSWER_CHARS - 1))
    return env, EnvUser(user, env, num_envs)


def test_question_of_and_fit_answer():
    assert question_of("ask( what color is it? )") == "what color is it?"
    assert question_of("pick(red cup)") == "pick(red cup)"
    long = "word " * 100
    out = fit_answer(long)
    assert len(out) < _core.ANSWER_CHARS and out.endswith(b"word") and b"  " not in out
    assert fit_answer("Café\tnaïve ✓ “quoted”") == b"Cafe naive quoted"
    assert set(fit_answer("Ünïcode — and\nnewlines €5").decode()) <= CHARSET


def test_builtin_first_answers_only_what_the_grammar_user_does_not_understand(server, make_config):
    env, user = env_user(make_config, "builtin_first")
    user.apply(env.reset())
    targets = [env.privileged_state(i)["target_description"] for i in range(2)]
    b = env.step(["ask(what color is it?)", "ask(which one do you mean, the shiny one?)"])
    grammar_answer = b.answer[0]
    assert b.question_type[1] == UNKNOWN_QUESTION and b.answer[1] == b"I don't understand."
    assert user.apply(b) == 1
    assert b.answer[0] == grammar_answer  # the built-in user's answer stands
    assert b.answer[1].decode() == fit_answer(f"About 'which one do you mean, the shiny one?': I want the {targets[1]}.").decode()
    assert len(server.bodies) == 1
    # The dialogue so far (both questions, with the answers as written) goes with the next request.
    b = env.step(["ask(is it heavy?)", "navigate(nowhere)"])
    assert user.apply(b) == 1 and len(server.bodies) == 2
    prompt = server.bodies[-1]["messages"][-1]["content"]
    assert "what color is it?" in prompt and grammar_answer.decode() in prompt
    assert user.dialogues[1] and user.dialogues[0][-1][0] == "is it heavy?"
    assert user.stats()["user/answered"] == 2


def test_llm_route_answers_every_question_and_a_reset_starts_a_new_dialogue(server, make_config):
    env, user = env_user(make_config, "llm_only", num_envs=1)
    user.apply(env.reset())
    b = env.step(["ask(what color is it?)"])
    assert user.apply(b) == 1 and b.answer[0].startswith(b"About 'what color is it?'")
    b = env.step(["ask(what size is it?)"])
    user.apply(b)
    assert len(user.dialogues[0]) == 2
    user.apply(env.reset())
    assert user.dialogues[0] == []
    b = env.step(["pick(nothing at all)"])  # not a question: nothing is sent
    assert user.apply(b) == 0 and len(server.bodies) == 2


def test_garbage_and_failed_replies_fall_back_and_are_counted(server, make_config):
    env, user = env_user(make_config, "llm_only")
    user.apply(env.reset())
    server.script.extend([Reply("   "), Reply("As an AI, I cannot role-play.")])
    b = env.step(["ask(a?)", "ask(b?)"])
    assert user.apply(b) == 2
    assert list(b.answer) == [b"I don't understand."] * 2
    stats = user.stats()
    assert stats["user/fallbacks"] == 2 and stats["user/answered"] == 2


def test_user_spec_validates_and_fails_fast_on_an_unreachable_endpoint():
    with pytest.raises(ValueError, match="needs an OpenAI-compatible endpoint"):
        UserSpec("llm")
    with pytest.raises(ValueError, match="user must be one of"):
        UserSpec("telepathy", "http://127.0.0.1:1/v1", "m")
    assert UserSpec().build(None, 1) is None  # the built-in user needs no layer
    spec = UserSpec("llm", closed_port_url(), "m", api_key_env=TEST_KEY_ENV)
    eps = _core.EpisodeSet.generate("train", 2, seed=1)
    env = _core.BatchedEnv(eps, num_envs=1, width=0, height=0)
    with pytest.raises(Exception, match="(?i)unreachable|connect|unavailable"):
        spec.build(env, 1)


def test_make_vec_with_an_llm_user_keeps_observations_in_their_space(server):
    import a2a

    spec = UserSpec("builtin-first", server.url, "fake-model", api_key_env=TEST_KEY_ENV)
    env = a2a.make_vec("train", num_envs=2, frame_size=0, user=spec)
    obs, _ = env.reset(seed=0)
    obs, *_ = env.step(["ask(which one do you mean, the shiny one?)", "ask(what color is it?)"])
    assert obs["answer"][0].startswith("About 'which one do you mean")
    assert obs["answer"][1] != obs["answer"][0] and len(server.bodies) == 1
    assert env.observation_space.contains(obs)
    env.close()


class _CuriousAgent:
    """Asks one free-form question, then waits (asks nothing the built-in user understands)."""

    name = "curious"
    privileged = False
    frame_size = 0

    def reset(self, env_ids):
        pass

    def act(self, obs, env):
        return ["ask(which one do you mean?)" if s == 0 else "navigate(nowhere)" for s in obs.step]


def test_eval_runs_record_the_llm_users_answers(server, tmp_path):
    from a2a.eval.records import read_records
    from a2a.eval.runner import EvalConfig, RunnerConfig, evaluate

    spec = UserSpec("builtin-first", server.url, "fake-model", api_key_env=TEST_KEY_ENV)
    cfg = EvalConfig(agent="curious", split="train", episodes=3, out=str(tmp_path / "run"), user=spec,
                     runner=RunnerConfig(num_envs=2), progress=False, bootstrap=0)
    res = evaluate(cfg, agent=_CuriousAgent(), log=lambda s: None)
    records = read_records(tmp_path / "run" / "episodes.jsonl")
    assert len(records) == 3
    for r in records:
        assert r.answers[0].startswith("About 'which one do you mean?'"), r.answers[:2]
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["user"] == {"route": "builtin-first", "base_url": server.url, "model": "fake-model"}
    assert run["user_stats"]["user/answered"] == 3 == len(server.bodies)
    assert res.run["user_stats"]["user/fallbacks"] == 0
    # Resuming with another user is refused (it is a different evaluation).
    from a2a.eval.run_dir import ResumeError

    with pytest.raises(ResumeError, match="user"):
        evaluate(EvalConfig(agent="curious", split="train", episodes=3, out=str(tmp_path / "run"), resume=True,
                            progress=False), agent=_CuriousAgent(), log=lambda s: None)


def test_a2a_eval_cli_with_the_llm_user(server, dataset_dir, tmp_path, capsys):
    from a2a.cli.main import main

    out = tmp_path / "cli"
    # The oracle asks grammar questions: with --user llm every one of them is answered by the LLM.
    rc = main(["eval", "--agent", "oracle", "--split", "val_unseen_tasks", "--dataset", str(dataset_dir), "--episodes", "6",
               "--out", str(out), "--no-progress", "--bootstrap", "0", "--user", "llm", "--base-url", server.url,
               "--llm-model", "fake-model", "--api-key-env", TEST_KEY_ENV])
    assert rc == 0
    printed = capsys.readouterr().out
    run = json.loads((out / "run.json").read_text())
    answered = run["user_stats"]["user/answered"]
    assert answered == len(server.bodies) and f"LLM user: {answered:.0f} answers (0 fallbacks)" in printed
    records = [json.loads(line) for line in (out / "episodes.jsonl").read_text().splitlines()]
    asked = [a for r in records for a in r["answers"] if a]
    assert len(asked) == answered > 0 and all(a.startswith("About '") for a in asked)
    # No endpoint: a clear error, exit code 2.
    assert main(["eval", "--agent", "oracle", "--split", "train", "--dataset", str(dataset_dir), "--user", "llm",
                 "--out", str(tmp_path / "x")]) == 2
    assert "needs an OpenAI-compatible endpoint" in capsys.readouterr().err


def test_a2a_eval_stops_in_one_line_when_the_llm_user_endpoint_fails_every_request(server, dataset_dir, tmp_path,
                                                                                   capsys):
    from a2a.cli.main import main
    from a2a.llm.breaker import MAX_FAILED_STEPS

    server.default = lambda body: Status(401, "key revoked")  # not retried: one request per question
    rc = main(["eval", "--agent", "oracle", "--split", "val_unseen_tasks", "--dataset", str(dataset_dir),
               "--episodes", "6", "--num-envs", "1", "--out", str(tmp_path / "run"), "--no-progress", "--bootstrap",
               "0", "--user", "llm", "--base-url", server.url, "--llm-model", "fake-model", "--api-key-env",
               TEST_KEY_ENV])
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert rc == 2 and "Traceback" not in err, err
    assert last.startswith(f"a2a eval: error: LLM user: every LLM request failed in {MAX_FAILED_STEPS} steps in a "
                           "row, so the run stops (LLM request to ") and "HTTP 401" in last
    assert last.endswith(f"then run again with --resume --out {tmp_path / 'run'} (the finished episodes are kept)")
    assert len(server.bodies) == MAX_FAILED_STEPS  # one question per step (one env), then the run stopped


def test_the_llm_user_is_told_the_preference_of_a_multi_object_task(server, make_config):
    eps = _core.EpisodeSet.generate("train", 4, seed=3, multi_share=1.0)
    env = _core.BatchedEnv(eps, num_envs=1, width=0, height=0)
    user = EnvUser(LLMUser(LLMClient(make_config()), UserConfig(route="llm_only", max_answer_chars=_core.ANSWER_CHARS - 1)),
                   env, 1)
    user.apply(env.reset())
    p = env.privileged_state(0)
    b = env.step(["ask(which things bother you most?)"])
    assert user.apply(b) == 1
    prompt = server.bodies[-1]["messages"][-1]["content"]
    assert "The user wants these objects moved:" in p["preference"]
    assert p["preference"] in prompt  # which objects go where, and what stays
    for _, goal in p["targets"]:
        assert goal in prompt
