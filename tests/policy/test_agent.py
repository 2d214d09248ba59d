"""MLLMAgent behind the evaluation interface: per-env histories, frames encoded once, registry wiring."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from policy_helpers import PARSE_FAILURES

from a2a import _core
from a2a.eval.agent import Agent, AgentObservation
from a2a.policy import PromptFormat
from a2a.policy.agent import MLLMAgent, make_mllm_agent

REASONS = _core.invalid_reasons()


class Access:
    def __init__(self, core):
        self.core = core
        self.calls = 0

    def valid_actions(self, env_id: int) -> list[str]:
        self.calls += 1
        return self.core.valid_actions(env_id)

    def privileged_state(self, env_id: int) -> dict:  # pragma: no cover - must never be called
        raise AssertionError("the mllm agent is not privileged")


def _obs(batch, env_ids=None) -> AgentObservation:
    n = batch.rows
    rows = list(range(n)) if env_ids is None else list(env_ids)
    dec = lambda a: tuple(a[i].decode() for i in rows)  # noqa: E731
    return AgentObservation(
        env_ids=np.asarray(batch.env_id)[rows], first=np.asarray(batch.first)[rows],
        image=np.asarray(batch.frames[:, -1])[rows], history=None, history_len=None,
        instruction=dec(batch.instruction), last_action=dec(batch.last_action), answer=dec(batch.answer),
        invalid=np.asarray(batch.invalid)[rows], step=np.asarray(batch.step)[rows])


def test_agent_loop_histories_and_frame_cache(policy, episodes):
    agent = MLLMAgent(policy, sample=True, seed=0)
    assert isinstance(agent, Agent) and agent.privileged is False and agent.frame_size == 128
    core = _core.BatchedEnv(episodes, num_envs=3, width=128, height=128, autoreset="disabled")
    access = Access(core)
    encoded = []
    hook = policy.encoder.vision_tower.register_forward_hook(lambda m, i, o: encoded.append(i[0].shape[0]))
    try:
        batch = core.reset([0, 1, 2], [0, 1, 2])
        agent.reset([0, 1, 2])
        steps = 4
        for t in range(steps):
            acts = agent.act(_obs(batch), access)
            assert len(acts) == 3 and all(isinstance(a, str) for a in acts)
            batch = core.step(acts)
            for a, r in zip(acts, batch.invalid_reason.tolist()):
                assert REASONS[r] not in PARSE_FAILURES, (a, REASONS[r])
            for e in range(3):
                h = agent.histories.get(e)
                assert len(h.steps) == t + 1 and h.steps[-1].action == acts[e]
        # every frame went through the vision tower exactly once (one batch per step)
        assert encoded == [3] * steps
        assert access.calls == 3  # vocabulary fetched once per env and episode
        # the user's answer to a question reaches the next step's input
        hist = agent.histories.get(0)
        for prev, cur in zip(hist.steps, hist.steps[1:]):
            if prev.action.startswith("ask("):
                assert cur.feedback.startswith("Answer: ") or cur.feedback.startswith("That action")
        out = agent.last_output
        assert out is not None and out.logprobs.shape == (3,) and torch.isfinite(out.values).all()

        # reset drops env 1's memory only; a row flagged `first` starts over too
        agent.reset([1])
        assert agent.histories.get(1) is None and len(agent.histories.get(0).steps) == steps
        batch = core.reset([1], [5])
        obs = _obs(batch)
        acts = agent.act(obs, access)
        assert len(agent.histories.get(1).steps) == 1
        assert agent.histories.get(1).instruction == episodes[5]["instruction"]
    finally:
        hook.remove()


def test_agent_needs_frames(policy, episodes):
    agent = MLLMAgent(policy)
    core = _core.BatchedEnv(episodes, num_envs=1, width=128, height=128, autoreset="disabled")
    obs = _obs(core.reset([0], [0]))
    obs = AgentObservation(**{**obs.__dict__, "image": None})
    with pytest.raises(ValueError, match="rendering"):
        agent.act(obs, Access(core))


def test_compressed_tokens_cached_until_the_adapter_changes(tiny_dir, envs):
    from policy_helpers import make_policy, ragged_inputs

    pol = make_policy(tiny_dir).eval()
    inputs, vocabs = ragged_inputs(pol, envs, past_steps=(2, 0, 1))
    calls = []
    hook = pol.compressor.register_forward_hook(lambda m, i, o: calls.append(i[0].shape[0]))
    try:
        pol.act(inputs, vocabs, sample=False)
        first = calls[-1]
        pol.act(inputs, vocabs, sample=False)
        assert len(calls) == 1, "the second act() reuses every frame's compressed tokens"
        with torch.no_grad():
            pol.compressor.latents.add_(0.1)  # an optimizer step changes the version counters
        pol.act(inputs, vocabs, sample=False)
        assert calls[-1] == first and len(calls) == 2
        pol.score(inputs, [v[0] for v in vocabs], vocabs)  # with grad: always recomputed
        assert len(calls) == 3
    finally:
        hook.remove()


def test_factory_and_registry(tiny_dir, tmp_path):
    agent = make_mllm_agent({"model": tiny_dir, "device": "cpu", "sample": True, "seed": 3, "compression": "pool"})
    assert isinstance(agent, MLLMAgent) and agent.sample and agent.policy.config.compression == "pool"
    with pytest.raises(ValueError, match="model"):
        make_mllm_agent({})
    agent.policy.save_trainable(tmp_path / "trained")
    again = make_mllm_agent({"model": str(tmp_path / "trained"), "device": "cpu", "compression": "resampler"})
    assert again.policy.config.compression == "pool"  # a saved policy keeps its own

    registry = pytest.importorskip("a2a.eval.registry")
    assert "mllm" in registry.available_agents()
    built = registry.make_agent("mllm", {"model": tiny_dir, "device": "cpu"})
    assert isinstance(built, MLLMAgent) and built.name == "mllm"


def test_kv_reuse_across_steps_gives_the_same_actions(tiny_dir, episodes):
    """Acting with each env's cached prefix (only new tokens through the LLM) matches full recompute."""
    from policy_helpers import make_policy

    pol = make_policy(tiny_dir).eval()
    runs = {}
    for reuse in (False, True):
        pol.prefix_cache.clear()
        agent = MLLMAgent(pol, sample=True, seed=4, reuse_kv=reuse)
        core = _core.BatchedEnv(episodes, num_envs=3, width=128, height=128, autoreset="disabled")
        batch = core.reset([0, 1, 2], [3, 4, 5])
        agent.reset([0, 1, 2])
        acts, lps, vals = [], [], []
        for t in range(6):
            if t == 3:  # env 1 starts a new episode mid-run: its cache must not be reused
                nb = core.reset([1], [7])
                obs = _obs(batch)
                obs1 = _obs(nb)
                obs = AgentObservation(**{k: (v if k in ("history", "history_len") else _merge(v, getattr(obs1, k)))
                                          for k, v in obs.__dict__.items()})
                agent.reset([1])
            else:
                obs = _obs(batch)
            a = agent.act(obs, Access(core))
            acts.append(a)
            lps.append(agent.last_output.logprobs.clone())
            vals.append(agent.last_output.values.clone())
            batch = core.step(a)
        runs[reuse] = (acts, torch.stack(lps), torch.stack(vals))
        if reuse:
            assert pol.prefix_cache.hits >= 3 * 4 and pol.prefix_cache.reused_tokens > 0
    assert runs[True][0] == runs[False][0]
    torch.testing.assert_close(runs[True][1], runs[False][1], rtol=0, atol=2e-5)
    torch.testing.assert_close(runs[True][2], runs[False][2], rtol=0, atol=2e-5)
    # an optimizer step invalidates every cached prefix
    misses = pol.prefix_cache.misses
    with torch.no_grad():
        pol.value_head.fc2.bias.add_(0.1)
    agent.act(_obs(batch), Access(core))
    assert pol.prefix_cache.misses == misses + 3


def _merge(a, b):
    """Row 1 of observation `a` replaced by the single row of `b`."""
    if isinstance(a, tuple):
        return a[:1] + b + a[2:]
    out = np.array(a, copy=True)
    out[1] = b[0]
    return out


def test_registry_plugin_is_light():
    """The registry imports a2a.policy.eval_agents to list agents: that must not import torch."""
    import subprocess
    import sys

    code = "import sys, a2a.policy.eval_agents; sys.exit(1 if 'torch' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0


class MarksAccess(Access):
    """Access that also hands out a Set-of-Marks table (what a scene_text policy reads), a different one at every
    call (a random tiny policy rarely stands where objects are), and remembers them."""

    def __init__(self, core):
        super().__init__(core)
        self.given: dict[int, list[list[str]]] = {}
        self.graphs: dict[int, list[str]] = {}  # observed world graphs handed out (from the second step on)

    def marks(self, env_id: int) -> list[str]:
        given = self.given.setdefault(env_id, [])
        given.append([f"small red cup {len(given)}"] * (len(given) % 3))
        return given[-1]

    def observed_state(self, env_id: int) -> dict:
        self.graphs.setdefault(env_id, []).append(self.core.observed_state(env_id)["world_graph"])
        return {"world_graph": self.graphs[env_id][-1]}


@pytest.mark.parametrize("candidates", [False, True])
def test_scene_text_prompt_reads_the_vocabulary_once_and_the_view_every_step(tiny_dir, episodes, candidates):
    from policy_helpers import make_policy

    from a2a.policy.scene import SceneText, place_seen

    policy = make_policy(tiny_dir, scene_text=True, candidates=candidates).eval()
    agent = MLLMAgent(policy, seed=0)
    core = _core.BatchedEnv(episodes, num_envs=2, width=128, height=128, autoreset="disabled")
    access = MarksAccess(core)
    batch = core.reset([0, 1], [0, 1])
    for _ in range(6):
        acts = agent.act(_obs(batch), access)
        batch = core.step(acts)
    assert access.calls == 2 and [len(access.given[e]) for e in range(2)] == [6, 6]  # vocabulary once, view each step
    views = access.given
    for e in range(2):
        hist = agent.histories.get(e)
        vocab = core.valid_actions(e)
        places = [a[len("navigate("):-1] for a in vocab if a.startswith("navigate(")]
        assert hist.instruction.startswith(f"{episodes[e]['instruction']}\nPlaces: {', '.join(places)}.\nObjects: ")
        scene = SceneText(vocab, candidates=candidates)  # the same text, replayed from the actions taken
        scene.header(episodes[e]["instruction"])
        assert len(access.graphs[e]) == 5  # the observed graph is read from the second step on
        for k, (step, seen) in enumerate(zip(hist.steps, views[e])):
            here = None
            if k:
                answer = step.feedback.partition("Answer: ")[2].partition(" Step ")[0]
                scene.took(hist.steps[k - 1].action, step.feedback.startswith("That action was invalid."), answer)
                here = place_seen(access.graphs[e][k - 1], scene.at)
            assert step.feedback.endswith(scene.observe(seen, here))  # after the answer / invalid notice, if any
            assert ("Candidates: " in step.feedback) is candidates


def test_scene_text_lists_objects_once_and_tracks_the_places_visited():
    from a2a.env.observed_graph import ReceptacleSeen
    from a2a.policy import PolicyConfig
    from a2a.policy.scene import SceneText, full_descriptions, place_seen

    vocab = ["navigate(shelf)", "navigate(left cabinet)", "navigate(table)", "open(left cabinet)",
             "close(left cabinet)", "pick(cup)", "pick(red cup)", "pick(small cup)", "pick(small red cup)",
             "pick(large red cup)", "pick(toy car)", "pick(small blue toy car)", "ask(where is it?)"]
    assert full_descriptions(vocab) == ["small red cup", "large red cup", "small blue toy car"]
    scene = SceneText(vocab)
    assert scene.header("Bring the cup.") == ("Bring the cup.\nPlaces: shelf, left cabinet, table.\n"
                                               "Objects: small red cup, large red cup, small blue toy car.")
    assert scene.observe([]) == \
        "Step 1. At: start. Holding: nothing. In view: nothing. Not visited: shelf, left cabinet."
    scene.took("navigate(shelf)", invalid=False)
    assert scene.observe(["small red cup"], ReceptacleSeen("hallway", False)) == (
        "Step 2. At: shelf in the hallway. Holding: nothing. In view: small red cup. Not visited: left cabinet, table.")
    scene.took("navigate(table)", invalid=True)  # refused: not visited
    scene.took("navigate(left cabinet)", invalid=False)  # closed: visited all the same (the text says it is closed)
    assert scene.observe([], ReceptacleSeen("kitchen", True)) == (
        "Step 3. At: left cabinet in the kitchen (closed). Holding: nothing. In view: nothing. Not visited: table.")
    scene.took("open(left cabinet)", invalid=False)
    # a lookalike of what was seen elsewhere says where that was (and only elsewhere: not here again)
    assert scene.observe(["small red cup", "large red cup"], ReceptacleSeen("kitchen", False)) == (
        "Step 4. At: left cabinet in the kitchen. Holding: nothing. In view: small red cup (also at shelf), "
        "large red cup. Not visited: table.")
    scene.took("ask(where should i put it?)", invalid=True)  # refused: no answer, not part of the dialogue
    scene.took("ask(what size is it?)", invalid=False, answer="It is small.")
    scene.took("pick(small red cup)", invalid=False)
    assert scene.observe(["large red cup"], ReceptacleSeen("kitchen", False)) == (
        "Step 5. At: left cabinet in the kitchen. Holding: small red cup. In view: large red cup. Not visited: table. "
        "Asked: what size is it? It is small.")
    scene.took("ask(where should i put it?)", invalid=False)  # a question the user left unanswered
    scene.took("navigate(table)", invalid=False)
    scene.took("place(table)", invalid=False)
    # been everywhere: what was seen where follows
    assert scene.observe(["small red cup", "small blue toy car"], ReceptacleSeen("kitchen", False)) == (
        "Step 6. At: table in the kitchen. Holding: nothing. In view: small red cup (also at shelf, left cabinet), "
        "small blue toy car. Not visited: none. Asked: what size is it? It is small. where should i put it? No answer. "
        "Seen: shelf: small red cup; left cabinet: small red cup, large red cup; table: small red cup, "
        "small blue toy car.")
    # each step's actions: picks of what is in view only (a shorter form of it too), the same list for the same view
    in_view = scene.actions(vocab, ["small red cup"])
    unseen = ("pick(large red cup)", "pick(toy car)", "pick(small blue toy car)")
    assert in_view == [a for a in vocab if a not in unseen]
    assert scene.actions(vocab, ["small red cup"]) is in_view
    assert scene.actions(vocab, []) == [a for a in vocab if not a.startswith("pick(")]
    graph = ("receptacle: shelf (shelf) in the hallway, 4 slots\n"
             "receptacle: left cabinet (cabinet) in the kitchen, closed, 3 slots\n"
             "receptacle: table (not visited yet)\n")
    assert place_seen(graph, "left cabinet") == ReceptacleSeen("kitchen", True)
    assert place_seen(graph, "shelf") == ReceptacleSeen("hallway", False)
    assert place_seen(graph, "table") == ReceptacleSeen(None, False) and place_seen(graph, None) is None
    fmt = PromptFormat()
    assert fmt.feedback("Yes.", True, "In view: nothing.") == "That action was invalid. Answer: Yes. In view: nothing."
    # off by default, and a config field of its own (a bool)
    assert PolicyConfig().scene_text is False
    with pytest.raises(ValueError, match="scene_text"):
        PolicyConfig(scene_text="yes")


def test_scene_text_is_saved_with_the_policy_and_can_be_set_on_load(tiny_dir, tmp_path):
    from policy_helpers import make_policy

    from a2a.policy.loading import load_policy

    make_policy(tiny_dir, scene_text=True).save_trainable(tmp_path / "p")
    assert load_policy(str(tmp_path / "p"), device="cpu").config.scene_text is True
    assert load_policy(str(tmp_path / "p"), device="cpu", scene_text=False).config.scene_text is False
