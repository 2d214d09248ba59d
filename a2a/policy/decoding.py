"""Acting: one action per input, decoded under its scene's action trie, all rows together.

1. Prompt: each row's new prompt tokens are fed into its KV-cache row (only the tokens after its
   cached prefix when `cache_keys` name a valid one, see prefix_cache.py); the value is read at the
   last prompt token.
2. Decisions: at a trie node with several candidates the token is sampled (or taken greedily) from
   the policy's distribution (candidates.py). The trie then forces every token up to the next node
   with a choice; the chosen token and that forced run are fed in ONE call per decision, so an action
   costs as many LLM calls as it has decisions, not tokens. The last run (up to the terminal) is not
   fed: the next step's prompt starts with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

from .candidates import candidate_logits, log_probs, pad_candidates
from .outputs import ActOutput
from .prefix_cache import RowContents

if TYPE_CHECKING:
    from .model import A2APolicy


def _sample(logp: torch.Tensor, sample: bool, generator: torch.Generator | None) -> torch.Tensor:
    if not sample:
        return logp.argmax(-1)
    probs = logp.exp()
    if generator is not None and generator.device != probs.device:  # e.g. a CPU generator, GPU policy
        return torch.multinomial(probs.to(generator.device), 1, generator=generator).squeeze(1).to(probs.device)
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)


@torch.no_grad()
def act(policy: A2APolicy, inputs, vocabs, *, sample: bool = True, temperature: float | None = None,
        generator: torch.Generator | None = None, cache_keys: Sequence | None = None) -> ActOutput:
    T = policy.check_temperature(temperature)
    B = len(inputs)
    if cache_keys is not None and len(cache_keys) != B:
        raise ValueError(f"{len(cache_keys)} cache keys for {B} inputs")
    tries = policy.tries_for(vocabs, B)
    batch = policy.build(inputs)
    L = batch.prompt_width
    dev = policy.device
    lengths = batch.prompt_lengths.tolist()
    row_ids, row_frames = batch.row_ids_and_frames()
    decoder = policy.decoder

    # ---- 1. the prompt: into persistent per-key rows, or a scratch cache ----
    store = policy.prefix_cache if cache_keys is not None and policy.prefix_reuse_possible() else None
    if store is not None and cache_keys is not None:  # (a store implies cache keys)
        pkey = policy.trainable_version()
        rows = store.rows(list(cache_keys), lambda n: decoder.new_cache(n, 2 * L, policy.compute_dtype, dev))
        cache = store.cache
        assert cache is not None  # store.rows made it
        cached = []
        for b, row in enumerate(rows):
            c = store.contents(row)
            if c is not None and c.prefix_of(row_ids[b], row_frames[b], pkey):
                cached.append(len(c.ids))
            else:
                store.set_contents(row, None)
                cached.append(0)
        store.hits += sum(n > 0 for n in cached)
        store.misses += sum(n == 0 for n in cached)
        store.reused_tokens += sum(cached)
    else:
        rows = list(range(B))
        cache = decoder.new_cache(B, L + max(t.max_depth for t in tries) + 1, policy.compute_dtype, dev)
        cached = [0] * B
    new = [n - c for n, c in zip(lengths, cached)]
    S = max(new)
    h = decoder.feed(cache, rows, policy.embed(batch, start=L - S), new, left_padded=True)[:, -1]
    values = policy.value(h)

    # ---- 2. decisions, each with the forced run that follows it ----
    nodes = [t.root for t in tries]
    tokens: list[list[int]] = [[] for _ in range(B)]
    fed = [0] * B  # action tokens fed into the cache
    logp_sum = torch.zeros(B, dtype=torch.float32, device=dev)
    ent_sum = torch.zeros(B, dtype=torch.float32, device=dev)
    todo = list(range(B))  # rows whose node has a choice; h[i] is row todo[i]'s hidden state there
    while todo:
        cand, valid = pad_candidates([tries[b].cands[nodes[b]] for b in todo], dev)
        logp, ent = log_probs(candidate_logits(policy.lm_head, h, cand), valid, T)
        choice = _sample(logp, sample, generator)
        idx = torch.tensor(todo, device=dev)
        logp_sum.index_add_(0, idx, logp.gather(1, choice[:, None]).squeeze(1))
        ent_sum.index_add_(0, idx, ent)
        chosen = cand.gather(1, choice[:, None]).squeeze(1).tolist()
        runs, next_todo = [], []
        for b, tok in zip(todo, chosen):
            trie, node, run = tries[b], tries[b].child(nodes[b], tok), [tok]
            while not trie.is_leaf(node) and len(trie.cands[node]) == 1:
                run.append(trie.cands[node][0])
                node = trie.child(node, run[-1])
            nodes[b] = node
            tokens[b] += run
            if not trie.is_leaf(node):
                next_todo.append(b)
                runs.append(run)
        if not next_todo:
            break
        W = max(len(r) for r in runs)
        ids = torch.full((len(runs), W), policy.pad_id, dtype=torch.long)
        for i, r in enumerate(runs):
            ids[i, : len(r)] = torch.tensor(r)
        counts = [len(r) for r in runs]
        out = decoder.feed(cache, [rows[b] for b in next_todo], policy.embeddings(ids.to(dev)), counts,
                           left_padded=False)
        h = out[torch.arange(len(runs), device=dev), torch.tensor(counts, device=dev) - 1]
        for b, n in zip(next_todo, counts):
            fed[b] += n
        todo = next_todo

    if store is not None:
        for b, row in enumerate(rows):
            store.set_contents(row, RowContents(row_ids[b] + tokens[b][: fed[b]], row_frames[b], pkey))
    actions = [t.action_at(n) for t, n in zip(tries, nodes)]
    n_tok = torch.tensor([len(t) for t in tokens], dtype=torch.long)
    return ActOutput(actions, logp_sum, ent_sum, values.float(), n_tok, T)
