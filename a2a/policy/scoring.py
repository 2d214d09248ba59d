"""Scoring given actions (PPO's and behavior cloning's re-scoring): log-probs, entropies and values in
one teacher-forced forward, differentiable, with the same definitions as acting (candidates.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

from .candidates import Pick, action_picks, pick_terms
from .history import PolicyInput, Step
from .outputs import ScoreOutput
from .sequence import PAST_ACTION

if TYPE_CHECKING:
    from .model import A2APolicy


def score(policy: A2APolicy, inputs: Sequence[PolicyInput], actions: Sequence[str], vocabs, *,
          temperature: float | None = None) -> ScoreOutput:
    """Each input's action scored after its prompt (one forward for the batch)."""
    T = policy.check_temperature(temperature)
    B = len(inputs)
    if len(actions) != B:
        raise ValueError(f"{len(actions)} actions for {B} inputs")
    tries = policy.tries_for(vocabs, B)
    paths = [t.path(a)[0] for t, a in zip(tries, actions)]  # validates every action first
    batch = policy.build(inputs, [toks[:-1] for toks in paths], align="right")
    last = batch.prompt_lengths.tolist()  # a row's last prompt token is at column last - 1
    picks, n_tok = [], []
    for b, (t, a) in enumerate(zip(tries, actions)):
        p, n = action_picks(t, a, b, b, last[b] - 1)
        picks += p
        n_tok.append(n)
    hs, picks, value_at = _hidden_at(policy, batch, picks, [(b, last[b] - 1) for b in range(B)])
    logp, ent = pick_terms(policy.lm_head, hs, picks, B, T)
    return ScoreOutput(logp, ent, policy.value(hs[value_at]).float(), torch.tensor(n_tok, dtype=torch.long), T)


def _hidden_at(policy: A2APolicy, batch, picks: list[Pick], value_at: list[tuple[int, int]]):
    """The final hidden states at the columns that picks and values read (only there, see
    Decoder.forward), with the picks' columns and the value positions re-indexed into them."""
    cols: list[dict[int, int]] = [{} for _ in range(batch.batch_size)]
    for p in picks:
        cols[p[1]].setdefault(p[2], 0)
    for b, c in value_at:
        cols[b].setdefault(c, 0)
    Q = max(len(c) for c in cols)
    queries = torch.zeros(batch.batch_size, Q, dtype=torch.long)
    for b, index_of in enumerate(cols):
        order = sorted(index_of)
        for j, col in enumerate(order):
            index_of[col] = j
        queries[b, : len(order)] = torch.tensor(order)
        queries[b, len(order):] = order[-1]  # padding: repeat a real column, never read
    hs = policy.hidden_states(batch, queries.to(policy.device))
    picks = [(o, b, cols[b][col], cand, tgt) for o, b, col, cand, tgt in picks]
    dev = hs.device
    rows = torch.tensor([b for b, _ in value_at], dtype=torch.long, device=dev)
    at = torch.tensor([cols[b][c] for b, c in value_at], dtype=torch.long, device=dev)
    return hs, picks, (rows, at)


def score_episodes(policy: A2APolicy, episodes: Sequence, vocabs, *, temperature: float | None = None) -> ScoreOutput:
    """Every step of whole episodes in ONE forward per episode (differentiable).

    `episodes`: objects with `.instruction` and `.steps` (e.g. `EpisodeHistory`) whose steps all
    carry their action. Because attention is causal and step t's prompt is a prefix of the
    episode's sequence, the hidden states before action t's tokens are exactly those of step
    t's own prompt: the result equals `score()` of every step's input (same definitions), at the
    cost of one forward of the last step's prompt instead of one per step. Needs
    len(steps) - 1 <= config.max_past_steps (no truncation). Rows of the output are the steps,
    episode-major (`episode_index`, `step_index`)."""
    T = policy.check_temperature(temperature)
    B = len(episodes)
    tries = policy.tries_for(vocabs, B)
    inputs, last_paths = [], []
    for e, ep in enumerate(episodes):
        steps = tuple(ep.steps)
        if not steps or any(s.action is None for s in steps):
            raise ValueError(f"episode {e}: every step needs its action (score the current step with score())")
        if len(steps) - 1 > policy.config.max_past_steps:
            raise ValueError(f"episode {e}: {len(steps)} steps exceed max_past_steps + 1 = "
                             f"{policy.config.max_past_steps + 1} (the prompt is truncated); use score() per step")
        last = steps[-1]
        inputs.append(PolicyInput(ep.instruction, steps[:-1] + (Step(last.frame, last.feedback, None),)))
        last_paths.append(tries[e].path(last.action)[0])
    batch = policy.build(inputs, [toks[:-1] for toks in last_paths], align="right")
    # each past action is one run of PAST_ACTION columns (its tokens + terminal); the last action
    # follows the prompt
    k = batch.kinds
    run_start = (k == PAST_ACTION) & torch.nn.functional.pad(k[:, :-1] != PAST_ACTION, (1, 0), value=True)
    past_starts: list[list[int]] = [[] for _ in episodes]
    for e, c in run_start.nonzero().tolist():
        past_starts[e].append(c)
    plen = batch.prompt_lengths.tolist()
    picks: list[Pick] = []
    value_at: list[tuple[int, int]] = []
    ep_idx, step_idx, n_tok = [], [], []
    for e, ep in enumerate(episodes):
        starts = past_starts[e] + [plen[e]]
        if len(starts) != len(ep.steps):  # pragma: no cover - the builder lays out one run per action
            raise RuntimeError("sequence layout does not match the episode's steps")
        for t, (step, start) in enumerate(zip(ep.steps, starts)):
            p, n = action_picks(tries[e], step.action, len(value_at), e, start - 1)
            picks += p
            n_tok.append(n)
            value_at.append((e, start - 1))
            ep_idx.append(e)
            step_idx.append(t)
    hs, picks, value_rows = _hidden_at(policy, batch, picks, value_at)
    logp, ent = pick_terms(policy.lm_head, hs, picks, len(value_at), T)
    return ScoreOutput(logp, ent, policy.value(hs[value_rows]).float(), torch.tensor(n_tok, dtype=torch.long), T,
                       episode_index=torch.tensor(ep_idx, dtype=torch.long),
                       step_index=torch.tensor(step_idx, dtype=torch.long))
