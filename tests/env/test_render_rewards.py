"""`a2a render`'s index.txt says why each step got its reward: the terms that fired (they sum to the
reward) and whether a question was useful."""

from __future__ import annotations

import re

from a2a import _core
from a2a.cli.main import main
from a2a.data import load_split
from a2a.eval.reward_text import EXPLAINED_APART, NOT_USEFUL, USEFUL


def step_lines(index: str) -> list[tuple[str, str]]:
    """(action line, reward line) per step."""
    lines = index.splitlines()
    return [(lines[i], lines[i + 1]) for i in range(len(lines) - 1) if re.match(r"\d{3}\.png  ", lines[i])]


def test_the_terms_explained_apart_are_the_core_s():
    assert set(EXPLAINED_APART) <= set(_core.reward_terms())


def test_index_shows_reward_terms_and_question_verdicts(dataset_dir, tmp_path):
    episodes = load_split("train")
    # An episode whose goal is ambiguous: asking where to put it is useful once, and not again.
    e = next(i for i in range(len(episodes)) if "placement" in episodes[i]["ambiguity"])
    out = tmp_path / "frames"
    actions = ["ask(where should i put it?)", "ask(where should i put it?)", "navigate(the moon)"]
    assert main(["render", str(out), "--episode", str(e), "--size", "64", "--actions", *actions]) == 0
    steps = step_lines((out / "index.txt").read_text())
    assert [a.split("  ")[1] for a, _ in steps] == actions
    for _, why in steps:  # the terms add up to the reward
        m = re.match(r"\s+reward ([+-]\d+\.\d\d) = (.*?)(  \(|$)", why)
        assert m, why
        terms = re.findall(r"(\w+) ([+-]\d+\.\d\d)", m.group(2))
        assert {name for name, _ in terms} <= set(_core.reward_terms())
        assert abs(sum(float(v) for _, v in terms) - float(m.group(1))) < 0.011, why
    first, again, invalid = (why for _, why in steps)
    assert "useful_question +1.00" in first and f"({USEFUL})" in first
    assert "useful_question" not in again and f"({NOT_USEFUL})" in again
    assert "invalid -0.10" in invalid and "invalid: no receptacle of that name in this scene" in invalid


def test_the_scripted_plan_says_what_each_term_rewards(dataset_dir, tmp_path):
    out = tmp_path / "frames"
    assert main(["render", str(out), "--episode", "1", "--size", "64"]) == 0
    text = (out / "index.txt").read_text()
    assert text.splitlines()[-1] == "success"
    described = {t["name"]: t["description"] for t in _core.reward_table()}
    _, last = step_lines(text)[-1]
    assert "success +10.00" in last and f"success: {described['success']}" in last
    assert any("subgoal +" in why and f"subgoal: {described['subgoal']}" in why for _, why in step_lines(text))
