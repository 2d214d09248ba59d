"""Evaluation cost: the oracle through the full `evaluate` path (batched core, records written and
flushed, summary with 1,000-sample bootstrap intervals) on 1,000 episodes of each split.

    pytest bench/test_eval.py -s

Target: well under a minute per 1,000 episodes for scripted agents on a 2-core machine.
"""

from __future__ import annotations

import itertools

import pytest

from a2a.data import SPLITS, generate_dataset
from a2a.eval.runner import EvalConfig, RunnerConfig, evaluate

EPISODES = 1000
TARGET_S = 60.0  # per 1,000 episodes


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench-data")
    generate_dataset(root, {s: EPISODES for s in SPLITS}, seed=0, progress=False)
    return root


def _bench(record, dataset, tmp_path, agent: str, split: str, frame_size: int | None = None, repeats: int = 3):
    counter = itertools.count()
    results = []

    def run():
        cfg = EvalConfig(agent=agent, split=split, dataset=str(dataset), out=str(tmp_path / f"run{next(counter)}"),
                         progress=False, runner=RunnerConfig(num_envs=16, frame_size=frame_size))
        results.append(evaluate(cfg, log=lambda s: None))

    samples = record.time(run, repeats=repeats, warmup=1)
    res = results[-1]
    assert len(res.records) == EPISODES
    steps = sum(r.length for r in res.records)
    info = {"agent": agent, "split": split, "episodes": EPISODES, "steps": steps, "frame_size": res.run["frame_size_used"],
            "SR": res.summary["overall"]["SR"]["value"]}
    record("eval", f"{agent}_{split}_fs{info['frame_size']}", samples, "s", better="lower", target=TARGET_S,
           params={"agent": agent, "split": split, "frame_size": info["frame_size"]}, steps=steps, SR=info["SR"],
           episodes=EPISODES, steps_per_s=steps / samples.median)
    print(f"\n{agent} on {split}, frame size {info['frame_size']}: {samples.median:.2f} s per {EPISODES} episodes "
          f"(min {min(samples.values):.2f}, max {max(samples.values):.2f}; load {samples.load_1min:.2f}, "
          f"other processes {samples.others_busy_cores} cores)")
    return res


@pytest.mark.parametrize("split", SPLITS)
def test_eval_oracle_1000(record, dataset, tmp_path, split):
    res = _bench(record, dataset, tmp_path, "oracle", split)
    assert res.summary["overall"]["SR"]["value"] == 1.0
    assert all(r.Q == r.K for r in res.records)


@pytest.mark.parametrize("agent", ["greedy-explore", "no-ask", "random"])
def test_eval_scripted_1000(record, dataset, tmp_path, agent):
    _bench(record, dataset, tmp_path, agent, "val_unseen_scenes")


def test_eval_oracle_1000_rendering_128px(record, dataset, tmp_path):
    """The same with 128x128 views rendered every step (what an image policy pays for the env)."""
    _bench(record, dataset, tmp_path, "oracle", "val_unseen_scenes", frame_size=128)
