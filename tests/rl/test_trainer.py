"""The PPO trainer end to end on a tiny model: reproducibility, resume, checkpoints, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from a2a.cli.main import main
from a2a.rl import checkpoint as ckpt_mod
from a2a.rl import train
from a2a.rl import trainer as trainer_mod

from rl_helpers import weights_hash


def updates_logged(run_dir: Path) -> list[int]:
    return [int(json.loads(line)["update"]) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def test_short_seeded_run_is_reproducible(make_cfg):
    a = train(make_cfg("a"))
    b = train(make_cfg("b"))
    c = train(make_cfg("c", seed=1))
    assert a.updates == 2 and a.env_steps > 0
    assert weights_hash(a.policy_dir) == weights_hash(b.policy_dir)
    assert weights_hash(a.policy_dir) != weights_hash(c.policy_dir)
    # It learned something: the trained weights differ from the initial ones.
    init = trainer_mod._load_policy(make_cfg("x"), make_cfg("x").model, trainer_mod.init_distributed("cpu"))
    init.save_trainable(Path(a.run_dir) / "init")
    assert weights_hash(Path(a.run_dir) / "init") != weights_hash(a.policy_dir)
    rows = [json.loads(x) for x in (Path(a.run_dir) / "metrics.jsonl").read_text().splitlines()]
    assert {"loss/policy", "reward/total", "ppo/approx_kl", "env_steps", "steps_per_s"} <= set(rows[-1])


def test_killed_run_resumes_without_losing_or_repeating_updates(make_cfg, monkeypatch):
    cfg = make_cfg("killed", ppo={"updates": 4})
    real_update = trainer_mod.ppo_update
    calls = {"n": 0}

    def dying_update(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("killed in the middle of update 3")
        return real_update(*args, **kwargs)

    monkeypatch.setattr(trainer_mod, "ppo_update", dying_update)
    with pytest.raises(KeyboardInterrupt):
        train(cfg)
    run = Path(cfg.run_dir)
    assert ckpt_mod.latest_checkpoint(run).name == "update_000002"
    assert updates_logged(run) == [1, 2]
    monkeypatch.setattr(trainer_mod, "ppo_update", real_update)
    result = train(cfg)  # same config: resumes
    assert result.updates == 4
    assert updates_logged(run) == [1, 2, 3, 4]
    state = json.loads((ckpt_mod.latest_checkpoint(run) / "state.json").read_text())
    assert state["update"] == 4 and state["env_steps"] > 0
    steps = [json.loads(x)["env_steps"] for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == sorted(steps) and len(set(steps)) == 4  # counters continue, nothing counted twice


def test_a_checkpoint_that_fails_midway_is_never_visible(make_cfg, tmp_path):
    policy = trainer_mod._load_policy(make_cfg("p"), make_cfg("p").model, trainer_mod.init_distributed("cpu"))
    opt = torch.optim.AdamW(policy.trainable_parameters(), lr=1e-3)
    run = tmp_path / "ck"
    ckpt_mod.save_checkpoint(run, 1, {"env_steps": 10}, policy.save_trainable, opt)

    def broken(path):
        policy.save_trainable(path)
        raise OSError("disk full")

    with pytest.raises(OSError):
        ckpt_mod.save_checkpoint(run, 2, {"env_steps": 20}, broken, opt)
    assert ckpt_mod.latest_checkpoint(run).name == "update_000001"
    assert not (run / "checkpoints" / "update_000002").exists()
    assert not [p for p in (run / "checkpoints").iterdir() if p.name.startswith(".update")]


def test_reward_ablation_sets():
    from a2a.rl.config import TrainConfig

    full = TrainConfig(run_dir="x").effective_rewards()
    sub = TrainConfig(run_dir="x", reward_set="success+subgoal").effective_rewards()
    succ = TrainConfig(run_dir="x", reward_set="success").effective_rewards()
    assert full.useful_question > 0 and sub.useful_question == 0 and sub.subgoal > 0
    assert succ.subgoal == 0 and succ.useful_question == 0 and succ.success == full.success
    with pytest.raises(ValueError, match="reward_set"):
        TrainConfig(run_dir="x", reward_set="everything")
    with pytest.raises(ValueError, match="llm_base_url"):
        TrainConfig(run_dir="x", judge="llm")


def test_cli_refuses_to_mix_runs(make_cfg, tiny_model, dataset, tmp_path, capsys):
    run = tmp_path / "cli"
    common = ["train", "--run-dir", str(run), "--model", tiny_model, "--dataset", dataset, "--updates", "1",
              "--num-envs", "2", "--rollout-steps", "2", "--minibatches", "1", "--epochs", "1", "--eval-episodes", "2",
              "--eval-split", "val_unseen_scenes", "--no-tensorboard", "--minutes", "0", "--sft-updates", "0"]
    assert main(["train", "--run-dir", str(tmp_path / "none"), "--resume"]) == 2
    assert "nothing to resume" in capsys.readouterr().err
    assert main(common) == 0
    out = capsys.readouterr().out
    assert "report:" in out and str(run) in out and (run / "report" / "report.md").exists()
    assert main(common) == 2
    assert "--resume" in capsys.readouterr().err
    saved = (run / "train_config.json").read_text()
    assert main(common + ["--resume", "--lr", "0.1", "--num-envs", "4"]) == 2  # other training settings: refused
    err = capsys.readouterr().err
    assert err.startswith("a2a train: error: refusing to resume") and err.count("\n") == 1, err
    assert "ppo.lr (the run: 3e-05, now 0.1)" in err and "ppo.num_envs (the run: 2, now 4)" in err
    assert (run / "train_config.json").read_text() == saved and updates_logged(run) == [1]
    assert main(common + ["--resume", "--updates", "2"]) == 0  # a longer budget: resumed
    capsys.readouterr()
    assert updates_logged(run) == [1, 2]
    assert json.loads((run / "train_config.json").read_text())["ppo"]["updates"] == 2  # the record follows
    # budgets not given keep the run's own (not the defaults: 4 minutes on the continued clock, 1,000 cloning updates)
    budgets = {"--minutes", "--sft-updates", "--updates"}
    bare = [a for i, a in enumerate(common) if a not in budgets and common[i - 1] not in budgets]
    assert main(bare + ["--resume", "--updates", "3"]) == 0
    capsys.readouterr()
    saved = json.loads((run / "train_config.json").read_text())
    assert updates_logged(run) == [1, 2, 3] and saved["minutes"] is None and saved["sft_updates"] == 0
    (run / "train_config.json").write_text(json.dumps({**saved, "minutes": "abc"}))  # a broken record: one line
    assert main(bare + ["--resume", "--updates", "4"]) == 2
    err = capsys.readouterr().err
    assert "train_config.json: a budget the run recorded is not valid" in err and err.count("\n") == 1, err


def test_resume_config_allows_budgets_and_spellings_and_refuses_what_it_trains(tmp_path, monkeypatch):
    from a2a.rl.config import PPOConfig, TrainConfig
    from a2a.rl.trainer import ResumeConflict, resume_config

    (tmp_path / "data").mkdir()
    monkeypatch.chdir(tmp_path)
    run = tmp_path / "run"
    run.mkdir()
    started = TrainConfig(run_dir=str(run), dataset="data", ppo=PPOConfig(pipeline=False))
    (run / "train_config.json").write_text(json.dumps(started.to_dict(), default=str))
    same = dict(run_dir=str(run), dataset=str(tmp_path / "data"))  # the same folder, spelled otherwise
    resumed = resume_config(run, TrainConfig(**same, minutes=60.0, ppo=PPOConfig(updates=5000, pipeline=True)))
    assert resumed.minutes == 60.0 and resumed.ppo.updates == 5000  # budgets given: kept
    resumed = resume_config(run, TrainConfig(**same, minutes=60.0), given={"updates"})
    assert resumed.minutes == started.minutes and resumed.ppo.updates == 1000  # not given: the run's own
    with pytest.raises(ResumeConflict, match=r"ppo\.lr \(the run: 3e-05, now 0\.1\)"):
        resume_config(run, TrainConfig(**same, ppo=PPOConfig(lr=0.1)))
    with pytest.raises(ResumeConflict, match=r"rewards\.success"):
        resume_config(run, TrainConfig(**same, rewards=started.rewards.__class__(success=5.0)))
    with pytest.raises(ResumeConflict, match=r"eval_episodes \(the run: 100, now 7\)"):
        resume_config(run, TrainConfig(**same, eval_episodes=7))  # its evaluations resume by folder
    old = started.to_dict()
    del old["from_scratch"]  # written before the flag: no --model meant a random tiny model
    old["ppo"] = None
    (run / "train_config.json").write_text(json.dumps(old, default=str))
    resume_config(run, TrainConfig(**same, from_scratch=True))
    with pytest.raises(ResumeConflict, match=r"from_scratch \(the run: True, now False\)"):
        resume_config(run, TrainConfig(**same))


def test_scene_text_policy_trains_on_prompts_that_show_the_view(make_cfg, monkeypatch):
    from a2a.policy import inputs as inputs_mod
    from a2a.policy.loading import load_policy

    seen: list = []
    observe = inputs_mod.EnvHistories.observe

    def spy(self, *args, **kwargs):
        out = observe(self, *args, **kwargs)
        seen.extend(out.inputs)
        return out

    monkeypatch.setattr(inputs_mod.EnvHistories, "observe", spy)
    result = train(make_cfg("scene", policy={"max_past_steps": 4, "scene_text": True}, sft_updates=1,
                            sft_expert="look-then-ask", ppo={"updates": 1}))
    assert result.updates == 2  # one cloning update, one PPO update
    assert seen and all("In view: " in inp.steps[-1].feedback for inp in seen)
    assert all("\nPlaces: " in inp.instruction and "\nObjects: " in inp.instruction for inp in seen)
    assert load_policy(result.policy_dir, device="cpu").config.scene_text is True


def test_expert_picks_a_scene_text_policy_cannot_take_are_not_imitated_and_said(make_cfg, tmp_path, capsys):
    from a2a.data import generate_dataset

    # greedy-explore probes a clean-clutter area with blind picks; a scene_text policy picks only what is in view
    data = tmp_path / "clutter"
    generate_dataset(data, {"train": 8}, seed=5, progress=False, tasks="clean_clutter")
    result = train(make_cfg("blind", dataset=str(data), policy={"max_past_steps": 4, "scene_text": True},
                            sft_updates=2, sft_expert="greedy-explore", ppo={"updates": 0, "rollout_steps": 12}))
    assert result.updates == 2
    rows = [json.loads(line) for line in (Path(result.run_dir) / "metrics.jsonl").read_text().splitlines()]
    rates = [r["sft/imitated_rate"] for r in rows]
    assert all(0.0 < x <= 1.0 for x in rates) and min(rates) < 1.0
    out = capsys.readouterr().out
    assert out.count("note: greedy-explore took actions this policy cannot take") == 1  # said once
