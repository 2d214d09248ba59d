"""Throughput of the LLM agents' loop: episodes/s of `wg-react` against a local OpenAI-compatible
server with 1 vs 16 episodes in flight (`--concurrency`), measured in the same run; the ratio is what
concurrency buys against a server that serves requests in parallel.

    pytest bench/test_llm_agents.py -s

The server is the tests' fake one with a fixed 50 ms per request (a stand-in for a batched vLLM or a
remote API: it measures the agent, client and runner, not a model). With A2A_BENCH_REAL_LLM=1 the same
comparison also runs against llama-cpp-python serving SmolLM2-135M (one slot on a CPU: expect ~1x).
Each repeat evaluates the same episodes at both concurrencies; the recorded samples are the ratios.
A2A_BENCH_SMALL=1 runs the fake-server case on 4 episodes (a smoke run of the bench code, seconds).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path

import pytest

from a2a.data import SPLITS, generate_dataset
from a2a.eval.runner import EvalConfig, RunnerConfig, evaluate

TESTS = Path(__file__).resolve().parents[1] / "tests"
SMALL = os.environ.get("A2A_BENCH_SMALL", "0") == "1"
EPISODES = 4 if SMALL else 16
REPEATS = 3
LATENCY_S = 0.05


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


fake = _load("a2a_bench_llm_fake_server", TESTS / "llm" / "llm_fake_server.py")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench-llm-data")
    generate_dataset(root, {s: EPISODES for s in SPLITS}, seed=0, progress=False, preset="easy")
    return root


def _episodes_per_s(url: str, model: str, dataset, out: Path, concurrency: int, episodes: int, key_env: str) -> tuple[float, int]:
    cfg = EvalConfig(agent="wg-react", split="val_unseen_scenes", dataset=str(dataset), episodes=episodes, out=str(out),
                     progress=False, bootstrap=0, runner=RunnerConfig(num_envs=concurrency),
                     agent_options={"base_url": url, "llm_model": model, "api_key_env": key_env, "llm_cache": "none",
                                    "llm_concurrency": concurrency, "llm_timeout": 600.0, "max_tokens": 48})
    t0 = time.perf_counter()
    res = evaluate(cfg, log=lambda s: None)
    seconds = time.perf_counter() - t0
    return episodes / seconds, sum(r.length for r in res.records)


def _compare(record, name: str, url: str, model: str, dataset, tmp_path, episodes: int, key_env: str = "A2A_NO_KEY",
             warmup: int = 1) -> float:
    """Records the ratio of episodes/s at concurrency 16 to concurrency 1 (REPEATS pairs); returns its median."""
    rates = {1: [], 16: []}
    steps = {1: set(), 16: set()}

    def ratio_once() -> float:
        for c in rates:
            out = tmp_path / f"c{c}-{len(rates[c])}"
            rate, n_steps = _episodes_per_s(url, model, dataset, out, c, episodes, key_env)
            rates[c].append(rate)
            steps[c].add(n_steps)
        return rates[16][-1] / rates[1][-1]

    samples = record.repeat(ratio_once, repeats=REPEATS, warmup=warmup)
    c1, c16 = (rates[c][warmup:] for c in (1, 16))
    print(f"\n{name}: x{samples.median:.1f} ({min(samples.values):.1f} - {max(samples.values):.1f}); "
          f"episodes/s at concurrency 1: {c1}, at 16: {c16} ({episodes} episodes; load {samples.load_1min:.1f})")
    record("llm_agents", name, samples, "x concurrency 1", params={"episodes": episodes, "concurrency": 16},
           episodes_per_s_c1=c1, episodes_per_s_c16=c16, steps_c1=sorted(steps[1]), steps_c16=sorted(steps[16]))
    return samples.median


def test_wg_react_concurrency_against_a_parallel_server(record, dataset, tmp_path, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    server = fake.FakeOpenAIServer()
    server.hold_s = LATENCY_S
    server.default = lambda body: fake.Reply("Thought: I need to know where it is.\nAction: ask(where is it?)")
    try:
        ratio = _compare(record, f"wg-react_fake_server_{int(LATENCY_S * 1000)}ms", server.url, "fake-model", dataset,
                         tmp_path, EPISODES)
    finally:
        server.close()
    assert server.max_in_flight == min(16, EPISODES)
    assert ratio > 2  # 16 requests in flight must beat one at a time by far against a parallel server


@pytest.mark.skipif(os.environ.get("A2A_BENCH_REAL_LLM") != "1", reason="set A2A_BENCH_REAL_LLM=1 (slow on a CPU)")
def test_wg_react_concurrency_against_llama_cpp(record, dataset, tmp_path):
    sys.path.insert(0, str(TESTS / "agents"))
    from llama_server import MODEL_ALIAS, LlamaServer, missing

    if missing():
        pytest.skip(missing())
    with LlamaServer(threads=2) as srv:
        _compare(record, "wg-react_llama_cpp_smollm2_135m", srv.url, MODEL_ALIAS, dataset, tmp_path, 4, warmup=0)
