"""The training progress bar (a2a.rl.trainer.Progress): named for its phase from its first frame, counting in
the unit that stops the run, with live SR / return and never `nan`."""

from __future__ import annotations

import re

import pytest

from a2a.rl.config import PPOConfig, TrainConfig
from a2a.rl.trainer import Clock, Progress, budget_note


def _frames(err: str) -> list[str]:
    return [f.strip() for f in re.split(r"[\r\n]", err) if f.strip()]


@pytest.mark.parametrize("first_phase, name", [("sft", "behavior cloning"), ("ppo", "PPO")])
def test_every_frame_names_the_phase_and_counts_minutes(first_phase, name, tmp_path, capsys):
    cfg = TrainConfig(run_dir=str(tmp_path), minutes=4.0)
    bar = Progress(cfg, Clock(cfg, 0.0), 0, True, first_phase)
    bar.step(first_phase, 1, {"steps_per_s": 120.4}, [{"success": 1.0, "return": 30.0}])  # censored: no SR, no nan
    bar.step(first_phase, 2, {"steps_per_s": 130.0}, [{"success": 1.0, "return": 12.5}, {"success": 0.0, "return": 3.5}])
    bar.close()
    frames = _frames(capsys.readouterr().err)
    assert frames and all(f.startswith(name + ":") for f in frames), frames
    assert all("/4.0 min" in f for f in frames) and not any("nan" in f for f in frames)
    who = "expert " if first_phase == "sft" else ""
    assert f"{who}SR=0.50" in frames[-1] and f"{who}return=8.0" in frames[-1] and "steps/s=130" in frames[-1]


def test_without_a_time_budget_it_counts_updates(tmp_path, capsys):
    cfg = TrainConfig(run_dir=str(tmp_path), minutes=None, sft_minutes=None, sft_updates=2, ppo=PPOConfig(updates=3))
    bar = Progress(cfg, Clock(cfg, 0.0), 0, True, "sft")
    for u, phase in enumerate(("sft", "sft", "ppo", "ppo"), start=1):
        bar.step(phase, u, {"steps_per_s": 100.0}, [{"success": float(u < 4), "return": 1.0}])
    bar.close()
    frames = _frames(capsys.readouterr().err)
    assert frames[0].startswith("behavior cloning:") and frames[-1].startswith("PPO:")
    assert "4/5" in frames[-1] and "min" not in frames[-1]
    # PPO shows the policy's own episodes, without its first update's (censored: only the shortest ended there)
    assert "SR=0.00" in frames[-1] and "expert" not in frames[-1]
    assert not any(f.startswith("PPO:") and "SR=" in f and "update=3" in f for f in frames)


@pytest.mark.parametrize("minutes, sft_minutes, ppo_updates, noted", [
    (4.0, 3.0, 1000, False),   # the main job: a minute of PPO
    (3.0, 3.0, 1000, True),    # --minutes 3 alone: cloning can take all of it
    (2.0, 3.0, 1000, True),
    (2.0, 3.0, 0, False),      # no PPO asked for
    (None, 3.0, 1000, False),  # no run budget: PPO runs its updates after cloning
    (2.0, None, 1000, False),  # cloning stops on its updates
])
def test_a_budget_that_leaves_ppo_no_time_is_noted(tmp_path, minutes, sft_minutes, ppo_updates, noted):
    cfg = TrainConfig(run_dir=str(tmp_path), minutes=minutes, sft_minutes=sft_minutes, ppo=PPOConfig(updates=ppo_updates))
    note = budget_note(cfg)
    assert (note is not None) == noted
    if noted:
        assert f"--sft-minutes {sft_minutes:g}" in note and f"--minutes {minutes:g}" in note and "\n" not in note
