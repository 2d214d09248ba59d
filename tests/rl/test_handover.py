"""An episode counts for the actor that played it: when PPO takes over from behavior cloning (or the other way
round), the episodes in flight are left out of the rollout's episode statistics (SR, return), not credited to the
new actor."""

import torch

from a2a import _core
from a2a.data import load_split
from a2a.rl import trainer as trainer_mod
from a2a.rl.distributed import DistInfo
from a2a.rl.rollout import RolloutCollector, episode_metrics


def test_episodes_in_flight_at_a_handover_are_not_the_new_actors(make_cfg, dataset):
    cfg = make_cfg("h", policy={"max_past_steps": 20})
    policy = trainer_mod._load_policy(cfg, cfg.model, DistInfo())
    n = 3
    core = _core.BatchedEnv(load_split("train", dataset), num_envs=n, width=64, height=64, sampling="random", seed=1)
    col = RolloutCollector(core, policy, pipeline=False, generator=torch.Generator().manual_seed(0))

    def expert(ids, first, instruction, last_action, answer, invalid):  # navigates until the step limit (12)
        return [next(a for a in core.valid_actions(int(i)) if a.startswith("navigate(")) for i in ids]

    # Expert, policy, expert, policy. Each env's first step in a rollout is the other actor's (the action it had
    # pending), so every episode in flight at a switch is handed over, and every episode ends within 12 steps.
    ro = col.collect(11, expert=expert)  # every env one step short of its limit: nothing ended yet
    assert not ro.episodes and ro.handed_over == 0
    # The expert's pending step ends each episode: played by the expert alone, but ended in the policy's rollout.
    ro = col.collect(10)
    _only_handed_over_left_out(ro, n)
    col.collect(1, expert=expert)  # the policy's pending steps; the expert's are pending now
    # Episodes the policy began get the expert's step: begun by this rollout's actor, but not played by it alone.
    ro = col.collect(14)
    _only_handed_over_left_out(ro, n)


def _only_handed_over_left_out(ro, n: int) -> None:
    ends = int((ro.terminated | ro.truncated).sum())
    assert ro.handed_over == n
    assert len(ro.episodes) == ends - n
    assert episode_metrics(ro.episodes).get("episode/count", 0.0) == ends - n
