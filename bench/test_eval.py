"""Evaluation cost: the oracle through the full `evaluate` path (batched core, records written and
flushed, summary with 1,000-sample bootstrap intervals) on 1,000 episodes of each split.

    pytest bench/test_eval.py --benchmark-only

Target: well under a minute per 1,000 episodes for scripted agents on a 2-core machine.
"""

from __future__ import annotations

import itertools

import pytest

from a2a.data import SPLITS, generate_dataset
from a2a.eval.runner import EvalConfig, RunnerConfig, evaluate

EPISODES = 1000


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench-data")
    generate_dataset(root, {s: EPISODES for s in SPLITS}, seed=0, progress=False)
    return root


def _bench(benchmark, record, dataset, tmp_path, agent: str, split: str, frame_size: int | None = None,
           rounds: int = 3):
    counter = itertools.count()
    results = []

    def setup():
        out = tmp_path / f"run{next(counter)}"
        cfg = EvalConfig(agent=agent, split=split, dataset=str(dataset), out=str(out), progress=False,
                         runner=RunnerConfig(num_envs=16, frame_size=frame_size))
        return (cfg,), {"log": lambda s: None}

    def target(cfg, log):
        results.append(evaluate(cfg, log=log))

    benchmark.pedantic(target, setup=setup, rounds=rounds, iterations=1)
    res = results[-1]
    assert len(res.records) == EPISODES
    steps = sum(r.length for r in res.records)
    info = {"agent": agent, "split": split, "episodes": EPISODES, "steps": steps, "frame_size": res.run["frame_size_used"],
            "SR": res.summary["overall"]["SR"]["value"]}
    benchmark.extra_info.update(info)
    if benchmark.stats:  # None with --benchmark-disable
        best = benchmark.stats.stats.min
        record("eval", f"{agent}_{split}_fs{info['frame_size']}", seconds_per_1000_episodes=best * 1000 / EPISODES,
               episodes_per_s=EPISODES / best, steps_per_s=steps / best, **info)
    return res


@pytest.mark.parametrize("split", SPLITS)
def test_eval_oracle_1000(benchmark, record, dataset, tmp_path, split):
    res = _bench(benchmark, record, dataset, tmp_path, "oracle", split)
    assert res.summary["overall"]["SR"]["value"] == 1.0
    assert all(r.Q == r.K for r in res.records)


@pytest.mark.parametrize("agent", ["greedy-explore", "no-ask", "random"])
def test_eval_scripted_1000(benchmark, record, dataset, tmp_path, agent):
    _bench(benchmark, record, dataset, tmp_path, agent, "val_unseen_scenes", rounds=1)


def test_eval_oracle_1000_rendering_128px(benchmark, record, dataset, tmp_path):
    """The same with 128x128 views rendered every step (what an image policy pays for the env)."""
    _bench(benchmark, record, dataset, tmp_path, "oracle", "val_unseen_scenes", frame_size=128, rounds=1)
