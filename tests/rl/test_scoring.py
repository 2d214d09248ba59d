"""Segment-wise re-scoring equals per-step scoring, and minibatches cover every step once."""

import torch

from a2a import _core
from a2a.rl.distributed import DistInfo
from a2a.rl.rollout import RolloutCollector
from a2a.rl.scoring import score_segments, segments, split_minibatches
from a2a.rl import trainer as trainer_mod


def test_segments_score_like_single_steps(make_cfg, dataset):
    from a2a.data import load_split

    cfg = make_cfg("s", policy={"max_past_steps": 6})
    policy = trainer_mod._load_policy(cfg, cfg.model, DistInfo())
    core = _core.BatchedEnv(load_split("train", dataset), num_envs=3, width=64, height=64, sampling="random", seed=1)
    col = RolloutCollector(core, policy, pipeline=False, generator=torch.Generator().manual_seed(0))
    ro = col.collect(14)  # episodes of up to 12 steps: some end, some exceed the window (per-step fallback)
    segs = segments(ro)
    cells = [c for s in segs for c in s]
    assert sorted(cells) == sorted(map(tuple, ro.valid.nonzero().tolist()))
    with torch.no_grad():
        got_cells, logp, ent, val = score_segments(policy, ro, segs)
        ref = policy.score([ro.inputs[t][e] for t, e in got_cells], [ro.actions[t][e] for t, e in got_cells],
                           [ro.vocabs[t][e] for t, e in got_cells])
    torch.testing.assert_close(logp, ref.logprobs, atol=2e-5, rtol=1e-4)
    torch.testing.assert_close(val, ref.values, atol=2e-5, rtol=1e-4)
    # ... and equals what the policy computed while acting (the behaviour log-probs PPO divides by).
    tt = torch.tensor([t for t, _ in got_cells]); ee = torch.tensor([e for _, e in got_cells])
    torch.testing.assert_close(logp, ro.logprobs[tt, ee], atol=2e-5, rtol=1e-4)
    mbs = split_minibatches(segs, 4, torch.Generator().manual_seed(0))
    assert sorted(c for mb in mbs for s in mb for c in s) == sorted(cells)


def test_dagger_runs_the_policys_actions_and_scores_the_experts_labels(make_cfg, dataset):
    from a2a.data import load_split

    cfg = make_cfg("d", policy={"max_past_steps": 20})  # whole episodes fit: the segment path is the one tested
    policy = trainer_mod._load_policy(cfg, cfg.model, DistInfo())
    core = _core.BatchedEnv(load_split("train", dataset), num_envs=3, width=64, height=64, sampling="random", seed=1)
    col = RolloutCollector(core, policy, pipeline=False, generator=torch.Generator().manual_seed(0))
    seen_last: list[str] = []

    def expert(ids, first, instruction, last_action, answer, invalid):  # labels every step "navigate(<first>)"
        seen_last.extend(a for a, f in zip(last_action, first) if not f)
        return [next(a for a in core.valid_actions(int(i)) if a.startswith("navigate(")) for i in ids]

    ro = col.collect(14, expert=expert, dagger=1.0)
    cells = list(map(tuple, ro.valid.nonzero().tolist()))
    assert all(ro.imitated[t, e] for t, e in cells)  # every step is trained on, with the expert's label
    assert all(ro.actions[t][e].startswith("navigate(") for t, e in cells)
    ran = [s.action for t, e in cells for s in ro.inputs[t][e].steps[:-1]]  # the histories: what the env executed
    assert any(not a.startswith("navigate(") for a in ran)  # the random policy's samples, not the labels
    assert any(not a.startswith("navigate(") for a in seen_last)  # the expert is told what ran
    with torch.no_grad():
        got_cells, logp, _ent, val = score_segments(policy, ro, segments(ro))
        ref = policy.score([ro.inputs[t][e] for t, e in got_cells], [ro.actions[t][e] for t, e in got_cells],
                           [ro.vocabs[t][e] for t, e in got_cells])
    assert sorted(got_cells) == sorted(cells)
    torch.testing.assert_close(logp, ref.logprobs, atol=2e-5, rtol=1e-4)  # each label's log-prob on its own input
    torch.testing.assert_close(val, ref.values, atol=2e-5, rtol=1e-4)
    ro = col.collect(14, expert=expert, dagger=0.0)  # without DAgger the labels are what runs
    # episodes begun after this rollout's first step (its first action was acted in the DAgger rollout)
    fresh = [(t, e) for t, e in map(tuple, ro.valid.nonzero().tolist()) if len(ro.inputs[t][e].steps) <= t]
    assert fresh  # their histories hold the expert's actions only
    assert all(s.action.startswith("navigate(") for t, e in fresh for s in ro.inputs[t][e].steps[:-1])


def test_dagger_leaves_dart_rows_to_dart(make_cfg, dataset):
    """A DART-perturbed step runs its random non-question action, whatever the DAgger probability: the policy's
    own samples replace only steps whose label is the expert's."""
    from a2a.data import load_split

    cfg = make_cfg("d", policy={"max_past_steps": 20})
    policy = trainer_mod._load_policy(cfg, cfg.model, DistInfo())
    core = _core.BatchedEnv(load_split("train", dataset), num_envs=3, width=64, height=64, sampling="random", seed=1)
    col = RolloutCollector(core, policy, pipeline=False, generator=torch.Generator().manual_seed(0))

    def expert(ids, first, instruction, last_action, answer, invalid):
        return [next(a for a in core.valid_actions(int(i)) if a.startswith("navigate(")) for i in ids]

    ro = col.collect(14, expert=expert, perturb=1.0, dagger=1.0)
    cells = list(map(tuple, ro.valid.nonzero().tolist()))
    assert not ro.imitated.any()  # every step perturbed: none is trained on
    ran = [s.action for t, e in cells for s in ro.inputs[t][e].steps[:-1]]
    assert ran and not any(a.startswith("ask(") for a in ran)  # DART's actions ran, not the policy's samples
    assert any(not a.startswith("navigate(") for a in ran)
    ro = col.collect(14, expert=expert, perturb=0.0, dagger=1.0)  # the same policy's samples do ask
    assert any(s.action.startswith("ask(") for t, e in map(tuple, ro.valid.nonzero().tolist())
               for s in ro.inputs[t][e].steps[:-1])


def test_length_grouped_minibatches_cover_every_step_once_and_group_lengths():
    g = torch.Generator().manual_seed(3)
    lengths = torch.randint(1, 40, (60,), generator=g).tolist()
    segs = [[(t, e) for t in range(n % 7 + 1)] for e, n in enumerate(lengths)]
    mbs = split_minibatches(segs, 4, torch.Generator().manual_seed(1), lengths)
    assert sorted(c for mb in mbs for s in mb for c in s) == sorted(c for s in segs for c in s)
    total = sum(len(s) for s in segs)
    assert all(abs(sum(len(s) for s in mb) - total / 4) <= 7 for mb in mbs)  # within one segment of equal
    ranges = sorted((min(lengths[s[0][1]] for s in mb), max(lengths[s[0][1]] for s in mb)) for mb in mbs if mb)
    for (_, hi), (lo, _) in zip(ranges, ranges[1:]):
        assert hi <= lo  # minibatches hold disjoint, ordered length ranges: little padding in each


def test_a_scene_text_policy_picks_only_what_is_in_view_and_an_expert_pick_it_cannot_take_is_not_a_target(
        make_cfg, dataset):
    import random

    from a2a.baselines.instruction import is_form_of
    from a2a.data import load_split

    cfg = make_cfg("v", policy={"max_past_steps": 20, "scene_text": True})
    policy = trainer_mod._load_policy(cfg, cfg.model, DistInfo())
    core = _core.BatchedEnv(load_split("train", dataset), num_envs=3, width=64, height=64, sampling="random", seed=1)
    col = RolloutCollector(core, policy, pipeline=False, generator=torch.Generator().manual_seed(0))
    rng = random.Random(0)
    views: list[dict[int, list[str]]] = []  # the Set-of-Marks table at every step the expert labelled
    scenes: list[dict[int, list[str]]] = []  # and the scene's whole vocabulary

    def expert(ids, first, instruction, last_action, answer, invalid):  # picks what it sees, or blindly, or moves
        views.append({int(i): list(core.marks(int(i))) for i in ids})
        scenes.append({int(i): list(core.valid_actions(int(i))) for i in ids})
        out = []
        for i in map(int, ids):
            vocab, seen = scenes[-1][i], views[-1][i]
            r = rng.random()
            if seen and r < 0.5:
                out.append(f"pick({seen[0]})")
            elif r < 0.4:
                out.append(next(a for a in vocab if a.startswith("pick(")))  # the scene's first object
            else:
                out.append(rng.choice([a for a in vocab if a.startswith("navigate(")]))
        return out

    ro = col.collect(16, expert=expert)

    def in_view(action, seen):
        return any(is_form_of(action[len("pick("):-1], m) for m in seen)

    cells = list(map(tuple, ro.valid.nonzero().tolist()))
    not_imitated = 0
    for t, e in cells:
        seen, label, vocab = views[t][e], ro.actions[t][e], ro.vocabs[t][e]
        full = scenes[t][e]
        assert [a for a in vocab if not a.startswith("pick(")] == [a for a in full if not a.startswith("pick(")]
        assert [a for a in vocab if a.startswith("pick(") and a != label] == [
            a for a in full if a.startswith("pick(") and a != label and in_view(a, seen)]
        can_take = not label.startswith("pick(") or in_view(label, seen)
        assert bool(ro.imitated[t, e]) == can_take  # an expert pick of what is not in view is not a target
        not_imitated += not can_take
    assert 0 < not_imitated < len(cells) and col.not_imitable >= not_imitated  # (also counts ignored actions)
    assert any(in_view(a, views[t][e]) for t, e in cells for a in ro.vocabs[t][e] if a.startswith("pick("))
    with torch.no_grad():  # every step can still be scored, on the actions the policy had at that step
        got_cells, logp, _ent, _val = score_segments(policy, ro, segments(ro))
    assert sorted(got_cells) == sorted(cells) and torch.isfinite(logp).all()
    ro = col.collect(12)  # the policy acting on its narrowed actions: scoring gives the log-probs it acted with
    with torch.no_grad():
        got_cells, logp, _ent, _val = score_segments(policy, ro, segments(ro))
    tt = torch.tensor([t for t, _ in got_cells]); ee = torch.tensor([e for _, e in got_cells])
    torch.testing.assert_close(logp, ro.logprobs[tt, ee], atol=2e-5, rtol=1e-4)
    assert all(ro.actions[t][e] in ro.vocabs[t][e] for t, e in got_cells)
