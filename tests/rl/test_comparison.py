"""The main job's closing table: the trained policy beside its starting points and the scripted agents,
all on the same episodes, and the sentence that reads it."""

from __future__ import annotations

from a2a.rl import train
from a2a.rl.comparison import MEANING, metric, points_against, table


def test_a_run_with_cloning_and_ppo_ends_with_the_comparison(make_cfg):
    result = train(make_cfg("compared", eval_episodes=4, compare=True, sft_updates=2, ppo={"updates": 2}))
    labels = [r.label for r in result.comparison]
    assert labels == ["this policy", "initial", "behavior cloned", "no-ask", "greedy-explore", "oracle"]
    for r in result.comparison:  # every row played the same episodes
        assert r.summary["overall"]["episodes"] == 4, r.label
        assert r.eval_dir.is_dir()
    assert metric(result.comparison[-1].summary, "SR") == 1.0  # the oracle solves every episode
    assert "2 updates of behavior cloning" in result.comparison[0].what
    assert (result.run_dir / "learning_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    text = table(result.comparison, "val_unseen_scenes", 4).splitlines()
    assert text[0] == "val_unseen_scenes, the same 4 episodes for every row (greedy decoding):"
    assert [line.split()[0] for line in text[2:8]] == ["this", "initial", "behavior", "no-ask", "greedy-explore", "oracle"]
    assert text[8] == MEANING
    mine, start, no_ask = (metric(result.comparison[i].summary, "SR") for i in (0, 1, 3))
    assert text[9].startswith(f"this policy finishes {100 * mine:.0f}% (95% CI ")
    assert points_against(mine, start, "its start") in text[9]
    assert points_against(mine, no_ask, "no-ask") in text[9]


def test_points_against_reads_the_sign():
    assert points_against(0.73, 0.37, "its start") == "+36 points over its start"
    assert points_against(0.25, 0.30, "no-ask") == "5 points below no-ask"
    assert points_against(0.301, 0.30, "no-ask") == "level with no-ask"
