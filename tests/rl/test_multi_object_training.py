"""PPO and the LLM judge's requests on multi-object tasks: nothing in the policy or the trainer is
task-specific, so a few updates on a multi-object-only dataset run as on fetch tasks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from a2a import _core
from a2a.data import generate_dataset
from a2a.rl import train
from a2a.rl import trainer as trainer_mod
from a2a.rl.question_reward import LLMQuestionReward

from rl_helpers import weights_hash


@pytest.fixture(scope="module")
def multi_dataset(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("multi")
    generate_dataset(root, {"train": 24, "val_unseen_scenes": 4}, seed=2, max_steps=12, progress=False, tasks="multi")
    return str(root)


def test_ppo_trains_on_multi_object_episodes(make_cfg, multi_dataset):
    cfg = make_cfg("multi", dataset=multi_dataset, ppo={"updates": 3})
    result = train(cfg)
    assert result.updates == 3 and result.env_steps == 3 * 4 * 4
    rows = [json.loads(x) for x in (Path(result.run_dir) / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 3 and all(np.isfinite(r["loss/policy"]) for r in rows)
    init = trainer_mod._load_policy(cfg, cfg.model, trainer_mod.init_distributed("cpu"))
    init.save_trainable(Path(result.run_dir) / "init")
    assert weights_hash(Path(result.run_dir) / "init") != weights_hash(result.policy_dir)


class RecordingJudge:
    def __init__(self):
        self.requests = []

    def judge_many(self, requests, oracle):
        self.requests += requests
        return [type("V", (), {"useful": u})() for u in oracle]

    def stats(self):
        return {}


def test_the_llm_judge_is_told_the_preference():
    eps = _core.EpisodeSet.generate("train", 2, seed=4, multi_share=1.0)
    env = _core.BatchedEnv(eps, num_envs=2, width=0, height=0)
    env.reset()
    judge = RecordingJudge()
    reward = LLMQuestionReward(judge, num_envs=2, weight=1.0)
    actions = ["ask(should i move it?)"] * 2
    reward.observe(0, env.step(actions), actions, env)
    reward.corrections(1, 2)
    reward.close()
    assert len(judge.requests) == 2
    for i, req in enumerate(judge.requests):
        assert req.target == env.privileged_state(i)["preference"] and "The user wants these objects moved" in req.target


@pytest.mark.parametrize("flag", ["sft_dagger", "sft_perturb"])
def test_an_expert_takeover_on_multi_object_episodes_is_refused(make_cfg, multi_dataset, dataset, flag):
    """greedy-explore's multi-object scripts follow their own plan: DAgger and DART would label steps
    from a history they never saw, so training refuses them on such episodes (fetch episodes are fine)."""
    cfg = make_cfg("takeover", dataset=multi_dataset, sft_updates=2, **{flag: 0.5})
    with pytest.raises(ValueError, match="greedy-explore does only on fetch episodes, and the training split holds 24"):
        train(cfg)
    assert not (Path(cfg.run_dir) / "metrics.jsonl").exists()
    fetch = make_cfg("takeover-fetch", dataset=dataset, sft_updates=1, ppo={"updates": 0}, **{flag: 0.5})
    assert train(fetch).updates == 1
