"""The LLM agents, the LLM user and the LLM judge against a **real** OpenAI-compatible server:
llama-cpp-python serving SmolLM2-135M-Instruct on 127.0.0.1 (CPU). The score of a 135M model is not
the point; that every request and parse path works with a real server is. Episodes come from the
easy preset (short episodes, small apartments) so the test stays within a few minutes on 2 cores.
Marked `real_llm`; CI installs the server and runs it (.ci/run)."""
from __future__ import annotations

import json

import pytest

from llama_server import MODEL_ALIAS, LlamaServer, missing

# Seconds on an idle 2-core machine; a loaded one is many times slower, hence the generous timeout.
pytestmark = [pytest.mark.real_llm, pytest.mark.skipif(missing() is not None, reason=str(missing())),
              pytest.mark.timeout(2400)]


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with LlamaServer(n_ctx=8192, threads=2, log=log) as srv:
        yield srv


@pytest.fixture(scope="module")
def easy_dataset(tmp_path_factory):
    from a2a.data import SPLITS, generate_dataset

    root = tmp_path_factory.mktemp("easy")
    generate_dataset(root, {s: 6 for s in SPLITS}, seed=5, progress=False, preset="easy")
    return root


@pytest.mark.parametrize("agent, extra", [("wg-react", ["--observability", "full"]),
                                          ("wg-direct", ["--observability", "partial", "--shots", "1"])])
def test_text_agents_complete_episodes_with_a_real_server(llama, easy_dataset, tmp_path, capsys, agent, extra):
    from a2a.cli.main import main

    out = tmp_path / "run"
    # one episode in flight: consecutive prompts extend each other, so the server's prefix cache makes
    # each step cost only its new tokens (two episodes in turns would re-read the whole prompt each time)
    args = ["eval", "--agent", agent, "--split", "val_unseen_scenes", "--dataset", str(easy_dataset), "--episodes", "1",
            "--num-envs", "1", "--base-url", llama.url, "--llm-model", MODEL_ALIAS, "--llm-timeout", "300",
            "--llm-concurrency", "1", "--max-tokens", "48", "--llm-cache", str(tmp_path / "cache.sqlite"),
            "--out", str(out), "--no-progress", "--bootstrap", "0", *extra]
    assert main(args) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    records = [json.loads(line) for line in (out / "episodes.jsonl").read_text().splitlines()]
    assert len(records) == 1
    steps = [s for r in records for s in r["agent_steps"]]
    assert len(steps) == sum(r["length"] for r in records) > 0
    assert all(s["source"] == "llm" for s in steps)  # every request reached the server and came back
    assert all(s["prompt_tokens"] > 0 for s in steps) and all(s["latency_s"] > 0 for s in steps)
    for r in records:  # each step is the parsed action, or an invalid step with the reason and raw text kept
        for action, invalid, s in zip(r["actions"], r["invalid"], r["agent_steps"]):
            assert action == s["action"]
            assert (s["error"] != "") <= invalid
    summary = json.loads((out / "summary.json").read_text())
    assert summary["llm"]["calls"] == len(steps) and "LLM:" in printed
    # the same evaluation again costs no tokens: every call comes from the cache
    again = tmp_path / "again"
    assert main([str(again) if a == str(out) else a for a in args]) == 0
    capsys.readouterr()
    u = json.loads((again / "summary.json").read_text())["llm"]
    assert u["calls"] == len(steps) and u["cache_hits"] == u["calls"] and u["prompt_tokens"] == 0


def test_llm_user_and_judge_with_a_real_server(llama, easy_dataset, tmp_path, capsys):
    from a2a.cli.main import main
    from a2a.llm import JudgeConfig, JudgeRequest, LLMClient, LLMConfig, LLMJudge

    out = tmp_path / "run"
    assert main(["eval", "--agent", "greedy-explore", "--split", "val_unseen_scenes", "--dataset", str(easy_dataset),
                 "--episodes", "2", "--num-envs", "2", "--user", "llm", "--base-url", llama.url, "--llm-model", MODEL_ALIAS,
                 "--llm-timeout", "300", "--llm-concurrency", "1", "--out", str(out), "--no-progress",
                 "--bootstrap", "0"]) == 0
    run = json.loads((out / "run.json").read_text())
    stats = run["user_stats"]
    assert stats["user/answered"] > 0
    assert stats["user/source_llm"] + stats["user/fallbacks"] == stats["user/answered"]  # answered or counted
    assert "LLM user:" in capsys.readouterr().out
    client = LLMClient(LLMConfig(base_url=llama.url, model=MODEL_ALIAS, timeout_s=300, concurrency=1))
    judge = LLMJudge(client, JudgeConfig(json_mode=True))
    req = JudgeRequest(world_graph="room: kitchen\nreceptacle: dark table (table) in the kitchen, 3 slots\n"
                       "object 0: small red cup on the dark table in the kitchen (slot 0)\n"
                       "object 1: small blue cup on the dark table in the kitchen (slot 1)",
                       instruction="Bring the cup to the coffee table.", target="small red cup on the dark table",
                       goal="coffee table", dialogue=(), question="is it red?")
    verdicts = judge.judge_many([req, req], [True, True])
    s = judge.stats()
    assert len(verdicts) == 2 and s["requests"] == 2
    assert s["source_llm"] + s["source_cache"] + s["fallbacks"] == 2  # a verdict, or a counted fallback
    assert 0.0 <= s["agreement_rate"] <= 1.0 and "agreement_kappa" in s
    client.close()
