"""The tiny policy a2a ships (a2a/pretrained/tiny) and the recipe that makes it."""

from __future__ import annotations

import json
import shutil

import pytest

from a2a import _core
from a2a.policy import A2APolicy, EpisodeHistory
from a2a.policy.pretrained import PRETRAINING_FILE, PretrainConfig, pretrain_tiny, pretraining_record, shipped_tiny


def test_the_shipped_tiny_policy_loads_and_says_what_it_knows(episodes):
    path = shipped_tiny()
    rec = pretraining_record(path)
    assert rec["command"].startswith("a2a model pretrain-tiny") and rec["updates"] > 0 and rec["env_steps"] > 0
    assert rec["eval"]["split"] == "val_unseen_scenes" and 0 <= rec["eval"]["SR"] <= 1
    assert json.loads((path / "a2a_policy.json").read_text())["base_model"] == "base"  # self-contained
    policy = A2APolicy.from_pretrained(path, device="cpu").eval()
    core = _core.BatchedEnv(episodes, num_envs=2, width=128, height=128, autoreset="disabled")
    b = core.reset([0, 1], [0, 1])
    frames = policy.encode_frames(b.frames[:, -1])
    inputs = [EpisodeHistory(s.decode()).observe(f) for s, f in zip(b.instruction.tolist(), frames)]
    vocabs = [core.valid_actions(i) for i in range(2)]
    out = policy.act(inputs, vocabs, sample=False)
    assert all(a in v for a, v in zip(out.actions, vocabs))


@pytest.mark.timeout(600)
def test_the_recipe_writes_a_self_contained_policy(tmp_path):
    out = pretrain_tiny(PretrainConfig(out=str(tmp_path / "made"), updates=1, eval_episodes=2, preset="easy"),
                        command="a2a model pretrain-tiny made --updates 1", progress=False)
    rec = json.loads((out / PRETRAINING_FILE).read_text())
    assert rec["updates"] == 1 and rec["config"]["preset"] == "easy" and rec["eval"]["episodes"] == 2
    assert all(0.0 <= rec["eval"][k] <= 1.0 for k in ("SR", "ARS"))  # the start's evaluation really ran
    assert not (out / ".work").exists()
    moved = shutil.move(str(out), str(tmp_path / "elsewhere"))  # the base checkpoint travels with it
    policy = A2APolicy.from_pretrained(moved, device="cpu")
    assert policy.config.finetune_llm and policy.name_or_path.endswith("base")
