"""Re-scoring rollout steps for PPO and behavior cloning, one forward per episode segment.

Step (t, e) is scored on `ro.actions[t][e]` given `ro.inputs[t][e]`. A rollout's steps of one env form
segments of one episode each; step t's prompt is a prefix of the segment's last prompt, so
`policy.score_episodes` scores a whole segment in one forward (equal to scoring every step alone).
Minibatches are therefore made of segments. Episodes longer than the prompt window (max_past_steps),
steps scored on an action other than the one the env executed (DAgger's labels), and every step of a
scene_text policy (its actions change with the view, and one forward scores an episode's steps on one
vocabulary) fall back to per-step `policy.score`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..policy.history import Step
from .rollout import Rollout

Cell = tuple[int, int]  # (t, env)


@dataclass(frozen=True)
class _Episode:
    instruction: str
    steps: tuple


def segments(ro: Rollout) -> list[list[Cell]]:
    """Maximal runs of real steps of one env within one episode, in time order."""
    T, N = ro.valid.shape
    out: list[list[Cell]] = []
    for e in range(N):
        cur: list[Cell] = []
        key = None
        for t in range(T):
            if not ro.valid[t, e]:
                if cur:
                    out.append(cur)
                cur, key = [], None
                continue
            k = id(ro.input_at(t, e).steps[0].frame)  # an episode's first frame identifies it
            if cur and k != key:
                out.append(cur)
                cur = []
            cur.append((t, e))
            key = k
        if cur:
            out.append(cur)
    return out


def split_minibatches(segs: list[list[Cell]], n: int, generator: torch.Generator,
                      lengths: list[int] | None = None) -> list[list[list[Cell]]]:
    """Segments dealt into n minibatches of about equal numbers of steps (some may be empty), in a
    shuffled order. With `lengths` (each segment's sequence length, e.g. its episode's step count),
    segments of similar length go together, so a minibatch's forward carries little padding."""
    order = torch.randperm(len(segs), generator=generator).tolist()
    if lengths is not None:
        order.sort(key=lambda i: lengths[i])  # stable: random among equal lengths
    total = sum(len(s) for s in segs)
    batches: list[list[list[Cell]]] = [[] for _ in range(n)]
    filled = 0
    for i in order:  # contiguous runs of the (sorted) order, cut at equal shares of the steps
        k = min(n - 1, filled * n // max(total, 1))
        batches[k].append(segs[i])
        filled += len(segs[i])
    perm = torch.randperm(n, generator=generator).tolist()
    return [batches[k] for k in perm]


def segment_lengths(ro: Rollout, segs: list[list[Cell]]) -> list[int]:
    """Steps in each segment's scored sequence (its episode up to the segment's last step)."""
    return [len(ro.input_at(t, e).steps) for t, e in (seg[-1] for seg in segs)]


def score_segments(policy, ro: Rollout, segs: list[list[Cell]]):
    """(cells, logprobs, entropies, values) for every step of the given segments, differentiable."""
    window = policy.config.max_past_steps
    whole: list[_Episode] = []
    whole_vocabs: list[list[str] | None] = []
    cells: list[Cell] = []
    picks: list[tuple[int, int]] = []
    single: list[Cell] = []
    per_step = policy.config.scene_text  # each step on its own actions (SceneText.actions)
    for seg in segs:
        t1, e = seg[-1]
        inp = ro.input_at(t1, e)
        if per_step or len(inp.steps) - 1 > window:
            single += seg
            continue
        last = inp.steps[-1]
        steps = tuple(inp.steps[:-1]) + (Step(last.frame, last.feedback, ro.actions[t1][e]),)
        j = len(whole)
        mine = []
        for t, _ in seg:  # step index of rollout step t within the episode
            s = len(steps) - 1 - (t1 - t)
            if steps[s].action == ro.actions[t][e]:
                mine.append((j, s))
                cells.append((t, e))
            else:  # scored on an action the env did not execute (a DAgger label): alone, on its own input
                single.append((t, e))
        if mine:
            picks += mine
            whole.append(_Episode(inp.instruction, steps))
            whole_vocabs.append(ro.vocabs[t1][e])
    parts = []
    if whole:
        out = policy.score_episodes(whole, whole_vocabs)
        offset, start = 0, []
        for ep in whole:
            start.append(offset)
            offset += len(ep.steps)
        rows = torch.tensor([start[j] + s for j, s in picks], dtype=torch.long, device=out.logprobs.device)
        parts.append((out.logprobs[rows], out.entropies[rows], out.values[rows]))
    if single:
        out = policy.score([ro.input_at(t, e) for t, e in single], [ro.actions[t][e] for t, e in single],
                           [ro.vocabs[t][e] for t, e in single])
        parts.append((out.logprobs, out.entropies, out.values))
        cells += single
    logp = torch.cat([p[0] for p in parts])
    ent = torch.cat([p[1] for p in parts])
    val = torch.cat([p[2] for p in parts])
    return cells, logp, ent, val
