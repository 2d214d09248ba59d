"""Constrained decoding: every action is valid text for the core; act() and score() agree exactly."""

from __future__ import annotations

import math

import pytest
import torch
from policy_helpers import PARSE_FAILURES, make_policy, ragged_inputs, seeded

from a2a import _core
from a2a.policy import EpisodeHistory

REASONS = _core.invalid_reasons()


def _check_parsed_by_core(core, actions: list[str]) -> None:
    """Step one env per action (all at the same state) and check the core parsed every action."""
    batch = core.step(actions)
    for env_id, (a, r) in enumerate(zip(actions, batch.invalid_reason.tolist())):
        assert REASONS[r] not in PARSE_FAILURES, f"{a!r} was not understood by the core: {REASONS[r]}"
        if a.startswith("ask("):
            assert core.understands(env_id, a[4:-1]), f"the built-in user does not understand {a!r}"


@pytest.mark.parametrize("episode", [0, 5, 9])
def test_sampled_actions_are_valid_for_the_core(policy, episodes, episode):
    n = 24
    core = _core.BatchedEnv(episodes, num_envs=n, width=128, height=128, autoreset="disabled")
    batch = core.reset(list(range(n)), [episode] * n)
    vocab = core.valid_actions(0)
    frame = policy.encode_frames(batch.frames[:1, -1])[0]
    hist = EpisodeHistory(batch.instruction[0].decode())
    inp = hist.observe(frame)
    # hot sampling explores the whole vocabulary; every row is one env in the same state
    out = policy.act([inp] * n, vocab, sample=True, temperature=3.0, generator=seeded(episode))
    assert len(set(out.actions)) > 3
    assert all(a in vocab for a in out.actions)
    _check_parsed_by_core(core, out.actions)


def test_decoding_over_an_episode(policy, episodes):
    """A few steps of a real loop: histories grow, actions stay valid, asks are understood."""
    n = 4
    core = _core.BatchedEnv(episodes, num_envs=n, width=128, height=128, autoreset="disabled")
    batch = core.reset(list(range(n)), [1, 2, 3, 4])
    hists = [EpisodeHistory(s.decode()) for s in batch.instruction.tolist()]
    vocabs = [core.valid_actions(i) for i in range(n)]
    gen = seeded(7)
    for _ in range(4):
        frames = policy.encode_frames(batch.frames[:, -1])
        fb = [policy.format.feedback(a.decode(), bool(v)) for a, v in zip(batch.answer.tolist(), batch.invalid.tolist())]
        inputs = [h.observe(f, t) for h, f, t in zip(hists, frames, fb)]
        out = policy.act(inputs, vocabs, sample=True, temperature=2.0, generator=gen)
        for i, a in enumerate(out.actions):
            assert a in vocabs[i]
            if a.startswith("ask("):
                assert core.understands(i, a[4:-1])
            hists[i].record(a)
        batch = core.step(out.actions)
        for a, r in zip(out.actions, batch.invalid_reason.tolist()):
            assert REASONS[r] not in PARSE_FAILURES, (a, REASONS[r])


@pytest.mark.parametrize("compression", ["resampler", "pool"])
@pytest.mark.parametrize("temperature", [1.0, 0.6])
def test_act_logprob_equals_score(tiny_dir, envs, compression, temperature):
    pol = make_policy(tiny_dir, compression=compression).eval()
    inputs, vocabs = ragged_inputs(pol, envs, past_steps=(0, 4, 2))
    out = pol.act(inputs, vocabs, sample=True, temperature=temperature, generator=seeded(1))
    sc = pol.score(inputs, out.actions, vocabs, temperature=temperature)
    torch.testing.assert_close(sc.logprobs.detach(), out.logprobs, rtol=0, atol=2e-5)
    torch.testing.assert_close(sc.entropies.detach(), out.entropies, rtol=0, atol=2e-5)
    torch.testing.assert_close(sc.values.detach(), out.values, rtol=0, atol=2e-5)
    assert sc.num_tokens.tolist() == out.num_tokens.tolist()
    assert (out.logprobs < 0).all() and (out.entropies >= 0).all()
    # re-scoring in another batch composition (order, padding) gives the same numbers
    order = [2, 0, 1]
    sc2 = pol.score([inputs[i] for i in order], [out.actions[i] for i in order], [vocabs[i] for i in order],
                    temperature=temperature)
    torch.testing.assert_close(sc2.logprobs.detach(), out.logprobs[order], rtol=0, atol=2e-5)
    sc1 = pol.score(inputs[1:2], out.actions[1:2], vocabs[1:2], temperature=temperature)
    torch.testing.assert_close(sc1.logprobs.detach(), out.logprobs[1:2], rtol=0, atol=2e-5)


def test_greedy_is_deterministic_and_sampling_reproducible(policy, envs):
    inputs, vocabs = ragged_inputs(policy, envs, past_steps=(1, 0, 3))
    g1 = policy.act(inputs, vocabs, sample=False)
    g2 = policy.act(inputs, vocabs, sample=False)
    assert g1.actions == g2.actions
    s1 = policy.act(inputs, vocabs, sample=True, generator=seeded(3))
    s2 = policy.act(inputs, vocabs, sample=True, generator=seeded(3))
    assert s1.actions == s2.actions
    torch.testing.assert_close(s1.logprobs, s2.logprobs)
    # a row's result does not depend on the other rows of the batch
    alone = policy.act(inputs[2:], vocabs[2:], sample=False)
    assert alone.actions == g1.actions[2:]
    torch.testing.assert_close(alone.logprobs, g1.logprobs[2:], rtol=0, atol=2e-5)


@pytest.mark.parametrize("temperature", [1.0, 0.5])
def test_action_distribution_is_normalised_and_entropy_consistent(policy, envs, temperature):
    """Over a small vocabulary: the probabilities of all actions sum to 1, and the expected
    path entropy equals the entropy of the action distribution (chain rule)."""
    vocab = ["navigate(sofa)", "navigate(dark table)", "navigate(dark kitchen drawer)", "pick(small red cup)",
             "pick(red cup)", "ask(is it red?)", "ask(is it on the sofa?)", "open(fridge)"]
    inputs, _ = ragged_inputs(policy, envs, past_steps=(2,))
    with torch.no_grad():
        sc = policy.score(inputs * len(vocab), vocab, vocab, temperature=temperature)
    p = sc.logprobs.double().exp()
    assert math.isclose(p.sum().item(), 1.0, abs_tol=1e-5)
    entropy = -(p * sc.logprobs.double()).sum().item()
    expected_path_entropy = (p * sc.entropies.double()).sum().item()
    assert math.isclose(entropy, expected_path_entropy, abs_tol=1e-5)


def test_actions_outside_the_vocabulary_are_rejected(policy, envs):
    inputs, vocabs = ragged_inputs(policy, envs, past_steps=(0,))
    with pytest.raises(ValueError, match="not in this scene's action vocabulary"):
        policy.score(inputs, ["navigate(the moon)"], vocabs)


def test_trie_structure(policy, envs):
    from a2a.policy import ActionTrie

    vocab = envs.vocabs()[0]
    trie = policy.trie(vocab)
    assert policy.trie(list(vocab)) is trie  # cached per vocabulary
    assert len(trie) == len(set(vocab))
    for a in vocab[:: max(1, len(vocab) // 50)]:
        toks, nodes = trie.path(a)
        assert toks[-1] == policy.terminal_id
        assert toks[:-1] == list(policy.builder.encode(a))
        node = trie.root
        for t in toks:
            assert t in trie.cands[node]
            node = trie.child(node, t)
        assert trie.is_leaf(node) and trie.action_at(node) == a
    with pytest.raises(ValueError, match="duplicate"):
        ActionTrie(["a", "a"], [[1], [1]], terminal_id=0)
    with pytest.raises(ValueError, match="same tokens"):
        ActionTrie(["a", "b"], [[1], [1]], terminal_id=0)


def test_temperature_must_be_positive(policy, envs):
    inputs, vocabs = ragged_inputs(policy, envs, past_steps=(0,))
    with pytest.raises(ValueError, match="temperature"):
        policy.act(inputs, vocabs, temperature=0.0)
    with pytest.raises(ValueError, match="temperature"):
        policy.score(inputs, [vocabs[0][0]], vocabs, temperature=-1.0)


def test_score_episodes_equals_per_step_scores(policy, episodes):
    """One forward per episode gives every step's log-prob, entropy and value exactly as score() of
    each step's own prompt (and as act() when the step was taken)."""
    n = 2
    core = _core.BatchedEnv(episodes, num_envs=n, width=128, height=128, autoreset="disabled")
    batch = core.reset(list(range(n)), [2, 6])
    hists = [EpisodeHistory(s.decode()) for s in batch.instruction.tolist()]
    vocabs = [core.valid_actions(i) for i in range(n)]
    acted = {0: [], 1: []}
    gen = seeded(11)
    for t in range(5):
        frames = policy.encode_frames(batch.frames[:, -1])
        fb = [policy.format.feedback(a.decode(), bool(v)) for a, v in zip(batch.answer.tolist(), batch.invalid.tolist())]
        rows = [0, 1] if t < 3 else [0]  # episodes of different lengths (5 and 3 steps)
        inputs = [hists[i].observe(frames[i], fb[i]) for i in rows]
        out = policy.act(inputs, [vocabs[i] for i in rows], sample=True, temperature=2.0, generator=gen)
        for k, i in enumerate(rows):
            hists[i].record(out.actions[k])
            acted[i].append(float(out.logprobs[k]))
        batch = core.step(out.actions + ["ask(is it red?)"] * (n - len(rows)))
    ep = policy.score_episodes(hists, vocabs, temperature=2.0)
    assert ep.episode_index.tolist() == [0] * 5 + [1] * 3 and ep.step_index.tolist() == [0, 1, 2, 3, 4, 0, 1, 2]
    per_inputs = [hists[e].input_at(t) for e, t in zip(ep.episode_index.tolist(), ep.step_index.tolist())]
    per_actions = [hists[e].steps[t].action for e, t in zip(ep.episode_index.tolist(), ep.step_index.tolist())]
    per = policy.score(per_inputs, per_actions, [vocabs[e] for e in ep.episode_index.tolist()], temperature=2.0)
    for name in ("logprobs", "entropies", "values"):
        torch.testing.assert_close(getattr(ep, name).detach(), getattr(per, name).detach(), rtol=0, atol=2e-5, msg=name)
    assert ep.num_tokens.tolist() == per.num_tokens.tolist()
    torch.testing.assert_close(ep.logprobs.detach(), torch.tensor(acted[0] + acted[1]), rtol=0, atol=2e-5)
    with pytest.raises(ValueError, match="action"):
        policy.score_episodes([EpisodeHistory("x", [hists[0].steps[0].__class__(hists[0].steps[0].frame)])], vocabs[:1])


@pytest.mark.parametrize("vocab", [64, 5000])  # all logits in one GEMM vs gathering the candidates' rows
@pytest.mark.parametrize("bias", [False, True])
def test_candidate_logits_paths_agree_with_the_head(vocab, bias):
    from a2a.policy.candidates import DENSE_LOGITS_MAX_VOCAB, candidate_logits

    g = seeded(vocab)
    head = torch.nn.Linear(64, vocab, bias=bias)
    h = torch.randn(7, 64, generator=g, requires_grad=True)
    cand = torch.randint(0, vocab, (7, 5), generator=g)
    got = candidate_logits(head, h, cand)
    # each case takes its own path: the dense one ends in a gather of all logits
    assert (got.grad_fn.name() == "GatherBackward0") == (vocab <= DENSE_LOGITS_MAX_VOCAB) == (vocab == 64)
    want = head(h).gather(1, cand)
    torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-6)
    wrt = [h, head.weight] + ([head.bias] if bias else [])
    for a, b in zip(torch.autograd.grad(got.square().sum(), wrt), torch.autograd.grad(want.square().sum(), wrt)):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-6)
