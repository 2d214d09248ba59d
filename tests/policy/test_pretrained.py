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


def test_export_makes_a_run_policy_self_contained(tmp_path, capsys):
    """A run's policy names its base checkpoint by path; the export carries it along, so the copy still loads
    (with the same weights) after the run's folder is gone."""
    import torch

    from a2a.cli.main import main
    from a2a.policy.tiny import init_tiny

    base = init_tiny(tmp_path / "run" / "base_model")
    trained = A2APolicy.from_pretrained(str(base), device="cpu", finetune_llm=True)
    with torch.no_grad():
        next(iter(trained.trainable_parameters())).add_(0.5)  # differs from the base's own weights
    trained.save_trainable(tmp_path / "run" / "policy")
    assert main(["model", "export", str(tmp_path / "run" / "policy"), str(tmp_path / "my shared")]) == 0
    hint = capsys.readouterr().out
    assert f"--model '{tmp_path / 'my shared'}' ..." in hint  # quoted: the hint pastes as one argument
    shutil.rmtree(tmp_path / "run")
    moved = shutil.move(str(tmp_path / "my shared"), str(tmp_path / "elsewhere"))
    assert json.loads((tmp_path / "elsewhere" / "a2a_policy.json").read_text())["base_model"] == "base"
    loaded = A2APolicy.from_pretrained(moved, device="cpu")
    for (name, a), (_, b) in zip(trained.named_trainable_parameters(), loaded.named_trainable_parameters()):
        torch.testing.assert_close(a, b, msg=name)


@pytest.mark.parametrize("make, says", [
    (lambda d: d.mkdir(), "no a2a_policy.json (not a saved policy"),
    (lambda d: (d.mkdir(), (d / "a2a_policy.json").write_text("{}")), "not a saved policy's description"),
    (lambda d: (d.mkdir(), (d / "a2a_policy.json").write_text('{"base_model": "/nowhere"}')),
     "its base checkpoint is missing: /nowhere: no such directory"),
])
def test_export_mistakes_are_one_line(make, says, tmp_path, capsys):
    from a2a.cli.main import main

    make(tmp_path / "p")
    assert main(["model", "export", str(tmp_path / "p"), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("a2a model: error: ") and says in err and err.count("\n") == 1, err
    assert not (tmp_path / "out").exists()


def test_export_refuses_a_folder_that_holds_files(tmp_path, capsys):
    from a2a.cli.main import main

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    assert main(["model", "export", str(shipped_tiny()), str(tmp_path / "out")]) == 2
    assert "exists and is not an empty directory" in capsys.readouterr().err
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"


@pytest.mark.timeout(600)
def test_the_shipped_recipe_policy_still_does_what_its_record_says(tmp_path, monkeypatch):
    """The recipe's policy, evaluated greedily on all 200 val_unseen_scenes episodes of the built-in dataset, scores
    what its record says (up to a few episodes, for floating-point ties on other CPUs): a change to the prompt, the
    tokenizer or the decoding that breaks what a trained policy learned fails here, where random models cannot tell."""
    from a2a.cli.main import main
    from a2a.policy.pretrained import SHIPPED_RECIPE

    rec = pretraining_record(SHIPPED_RECIPE)
    assert rec["eval"]["split"] == "val_unseen_scenes" and rec["eval"]["episodes"] == 200
    assert json.loads((SHIPPED_RECIPE / "a2a_policy.json").read_text())["base_model"] == "base"
    monkeypatch.setenv("A2A_DATA_DIR", str(tmp_path / "data"))  # the built-in dataset, generated here
    out = tmp_path / "eval"
    assert main(["eval", "--agent", "mllm", "--model", str(SHIPPED_RECIPE), "--split", "val_unseen_scenes",
                 "--device", "cpu", "--dtype", "float32", "--out", str(out), "--no-progress"]) == 0  # as recorded
    overall = json.loads((out / "summary.json").read_text())["overall"]
    assert overall["episodes"] == 200
    for metric in ("SR", "ARS"):
        assert abs(overall[metric]["value"] - rec["eval"][metric]) <= 0.03, (metric, overall[metric], rec["eval"])


def test_export_copies_a_base_given_by_model_id_from_the_local_cache(tmp_path, monkeypatch):
    """A run started with --model org/name records the id; the export copies the cached snapshot (links
    resolved), so the copy loads where that cache does not exist."""
    from a2a.policy.pretrained import export_policy
    from a2a.policy.tiny import init_tiny

    cache = tmp_path / "hub"
    snapshot = cache / "models--someone--tiny-vlm" / "snapshots" / "0123abcd"
    init_tiny(snapshot)
    (cache / "models--someone--tiny-vlm" / "refs").mkdir()
    (cache / "models--someone--tiny-vlm" / "refs" / "main").write_text("0123abcd")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(cache))
    policy = A2APolicy.from_pretrained("someone/tiny-vlm", device="cpu", finetune_llm=True)
    policy.save_trainable(tmp_path / "policy")
    assert json.loads((tmp_path / "policy" / "a2a_policy.json").read_text())["base_model"] == "someone/tiny-vlm"
    out = export_policy(tmp_path / "policy", tmp_path / "shared")
    shutil.rmtree(cache)
    loaded = A2APolicy.from_pretrained(str(out), device="cpu")
    assert loaded.name_or_path.endswith("base")


def test_a_failed_export_leaves_nothing_and_a_retry_works(tmp_path, monkeypatch):
    import os
    import stat

    from a2a.policy import pretrained

    calls = {"n": 0}
    real = shutil.copyfile

    def failing(src, dst, **kw):
        calls["n"] += 1
        if str(src).endswith("trainable.safetensors"):
            raise OSError(28, "No space left on device", str(dst))
        return real(src, dst, **kw)

    monkeypatch.setattr(pretrained.shutil, "copyfile", failing)
    with pytest.raises(OSError, match="No space left"):
        pretrained.export_policy(shipped_tiny(), tmp_path / "out")
    assert calls["n"] > 1 and sorted(p.name for p in tmp_path.iterdir()) == []  # neither the folder nor its draft
    monkeypatch.setattr(pretrained.shutil, "copyfile", real)
    out = pretrained.export_policy(shipped_tiny(), tmp_path / "out")
    umask = os.umask(0)
    os.umask(umask)
    # the run's weights are private (0600); the copy gets the default permissions, to share
    assert stat.S_IMODE(os.stat(out / "trainable.safetensors").st_mode) == 0o666 & ~umask
