"""The learning curve's training points: a phase's first update is left out (its rollout can end only episodes
shorter than itself), unless it is the phase's only one."""

from a2a.rl.curves import training_points

SR = "episode/success_rate"


def test_a_phases_first_update_is_not_drawn():
    rows = [{"phase": "sft", "env_steps": 100, SR: 1.0}, {"phase": "sft", "env_steps": 200, SR: 0.9},
            {"phase": "ppo", "env_steps": 300, SR: 1.0}, {"phase": "ppo", "env_steps": 400, SR: 0.6},
            {"phase": "ppo", "env_steps": 500}]  # no episode ended in that update: no point
    assert training_points(rows, SR, "sft") == [(200, 0.9)]
    assert training_points(rows, SR, "ppo") == [(400, 0.6)]
    assert training_points(rows[2:3], SR, "ppo") == [(300, 1.0)]  # a lone update is all there is
    assert training_points(rows, SR, "other") == []
