"""PolicyConfig.candidates: the scene text names the object descriptions that fit the instruction and the answers."""

from __future__ import annotations

import pytest

from a2a.policy import PolicyConfig
from a2a.policy.scene import SceneText

VOCAB = ["navigate(shelf)", "navigate(table)", "pick(hat)", "pick(large black hat)", "pick(small red hat)",
         "pick(small black hat)", "pick(small red clock)"]


def _candidates_line(text: str) -> str | None:
    return next((part for part in text.split(". ") if part.startswith("Candidates: ")), None)


def test_the_candidates_narrow_with_the_instruction_and_each_answer():
    scene = SceneText(VOCAB, candidates=True)
    scene.header("Bring the hat and place it on the table.")
    assert _candidates_line(scene.observe([])) == "Candidates: large black hat, small red hat, small black hat"
    scene.took("ask(what color is it?)", invalid=False, answer="It is black.")
    assert _candidates_line(scene.observe([])) == "Candidates: large black hat, small black hat"
    scene.took("ask(what size is it?)", invalid=False, answer="It is small.")
    assert _candidates_line(scene.observe(["small black hat"])) == "Candidates: small black hat"
    # an answer that names no value rules nothing out
    other = SceneText(VOCAB, candidates=True)
    other.header("Bring the small hat and place it on the table.")
    other.took("ask(what color is it?)", invalid=False, answer="I don't know.")
    assert _candidates_line(other.observe([])) == "Candidates: small red hat, small black hat"


def test_the_candidates_line_follows_kind_first_and_is_absent_without_the_option():
    scene = SceneText(VOCAB, kind_first=True, candidates=True)
    scene.header("Bring the large hat and place it on the table.")
    text = scene.observe(["large black hat"])
    assert _candidates_line(text) == "Candidates: hat large black"
    assert text.index("In view: ") < text.index("Candidates: ") < text.index("Not visited: ")
    plain = SceneText(VOCAB)
    plain.header("Bring the large hat and place it on the table.")
    assert "Candidates" not in plain.observe(["large black hat"])
    # an instruction that names no single kind (a multi-object task) gets no line
    multi = SceneText(VOCAB, candidates=True)
    multi.header("Clean up the clutter from the kitchen.")
    assert "Candidates" not in multi.observe([])


def test_candidates_need_the_scene_text():
    with pytest.raises(ValueError, match="candidates .*scene_text"):
        PolicyConfig(candidates=True)
    assert PolicyConfig(scene_text=True, candidates=True).candidates


def test_candidates_are_saved_with_the_policy_and_set_from_the_command_line(tiny_dir, tmp_path):
    from policy_helpers import make_policy

    from a2a.cli.main import build_parser
    from a2a.cli.train_cmd import config_from_args
    from a2a.policy.loading import load_policy

    make_policy(tiny_dir, scene_text=True, candidates=True).save_trainable(tmp_path / "p")
    assert load_policy(str(tmp_path / "p"), device="cpu").config.candidates is True
    assert load_policy(str(tmp_path / "p"), device="cpu", candidates=False).config.candidates is False
    args = build_parser().parse_args(["train", "--scene-text", "--candidates", "--run-dir", str(tmp_path / "r")])
    assert config_from_args(args).policy["candidates"] is True
