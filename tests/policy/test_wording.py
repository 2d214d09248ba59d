"""PolicyConfig.kind_first: the policy reads objects and writes picks kind first; the env keeps its own strings."""

from __future__ import annotations

import pytest
import torch
from policy_helpers import make_policy, ragged_inputs, seeded

from a2a.policy import PolicyConfig
from a2a.policy.scene import SceneText
from a2a.policy.wording import kind_first, spoken


@pytest.mark.parametrize("description, worded", [
    ("large black hat", "hat large black"),
    ("large brown teddy bear", "teddy bear large brown"),
    ("small cup", "cup small"),
    ("red toy car", "toy car red"),
    ("hat", "hat"),
    ("teddy bear", "teddy bear"),
])
def test_kind_first_moves_the_size_and_colour_after_the_kind(description, worded):
    assert kind_first(description) == worded


def test_only_picks_are_spoken_kind_first():
    assert spoken("pick(large black hat)") == "pick(hat large black)"
    for action in ("place(large black table)", "navigate(left kitchen drawer)", "ask(what color is it?)",
                   "open(cabinet)", "pick(hat)"):
        assert spoken(action) == action


def test_scene_text_words_every_object_kind_first():
    from a2a.env.observed_graph import ReceptacleSeen

    vocab = ["navigate(shelf)", "navigate(table)", "pick(cup)", "pick(red cup)", "pick(small red cup)",
             "pick(large blue toy car)"]
    scene = SceneText(vocab, kind_first=True)
    assert scene.header("Bring the cup.").endswith("Objects: cup small red, toy car large blue.")
    scene.took("navigate(shelf)", invalid=False)
    scene.observe(["small red cup"], ReceptacleSeen("hallway", False))
    scene.took("pick(small red cup)", invalid=False)
    scene.took("navigate(table)", invalid=False)
    assert scene.observe(["small red cup", "large blue toy car"], ReceptacleSeen("kitchen", False)) == (
        "Step 2. At: table in the kitchen. Holding: cup small red. In view: cup small red (also at shelf), "
        "toy car large blue. Not visited: none. Seen: shelf: cup small red; table: cup small red, toy car large blue.")
    # the actions stay the env's strings: only how the policy reads and writes them changes
    assert scene.actions(vocab, ["small red cup"]) == vocab[:5]
    assert SceneText(vocab).header("x").endswith("Objects: small red cup, large blue toy car.")


def test_a_kind_first_policy_writes_picks_kind_first_and_acts_with_the_envs_strings(tiny_dir, envs):
    plain = make_policy(tiny_dir).eval()
    pol = make_policy(tiny_dir, kind_first=True).eval()
    inputs, vocabs = ragged_inputs(pol, envs, past_steps=(0, 4, 2))
    picks = [[a for a in v if a.startswith("pick(")] for v in vocabs]
    long_pick = next(a for a in picks[0] if len(a.split()) >= 3)
    encode = lambda text: list(pol.tokenizer.encode(text, add_special_tokens=False))  # noqa: E731
    # the trie holds the env's action, spelled with the kind-first text's tokens
    toks, _ = pol.trie(picks[0]).path(long_pick)
    assert toks[:-1] == encode(spoken(long_pick)) != encode(long_pick)
    assert plain.trie(picks[0]).path(long_pick)[0][:-1] == encode(long_pick)
    # a past pick reads in the prompt as the policy writes it
    from a2a.policy import EpisodeHistory

    hist = EpisodeHistory(envs.instructions()[0])
    frames = pol.encode_frames(envs.frames())
    hist.observe(frames[0], "")
    hist.record(long_pick)
    prompt = pol.tokenizer.decode(pol.builder.prompt(hist.observe(frames[1], ""))[0])
    assert spoken(long_pick) in prompt and long_pick not in prompt
    # acting returns the env's strings, and scoring them gives the same log-probs (one definition)
    out = pol.act(inputs, picks, sample=True, generator=seeded(3))
    assert all(a in v for a, v in zip(out.actions, picks))
    sc = pol.score(inputs, out.actions, picks)
    torch.testing.assert_close(sc.logprobs.detach(), out.logprobs, rtol=0, atol=2e-5)
    # the same weights read the other spelling: another distribution over the same picks
    assert not torch.allclose(plain.score(inputs, out.actions, picks).logprobs.detach(), out.logprobs)


def test_kind_first_is_saved_with_the_policy_and_checked(tiny_dir, tmp_path):
    from a2a.policy.loading import load_policy

    assert PolicyConfig().kind_first is False
    with pytest.raises(ValueError, match="kind_first"):
        PolicyConfig(kind_first="yes")
    make_policy(tiny_dir, kind_first=True).save_trainable(tmp_path / "p")
    assert load_policy(str(tmp_path / "p"), device="cpu").config.kind_first is True
    assert load_policy(str(tmp_path / "p"), device="cpu", kind_first=False).config.kind_first is False
