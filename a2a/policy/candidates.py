"""The policy's action distribution over trie candidates: the one definition `act` and `score` share.

At a trie node with candidate tokens c_1..c_n, p(c_i) = softmax(logit(c_i) / T) over the candidates
only. Forced tokens (a node with one candidate) have p = 1: they add 0 to the log-prob and 0 to the
entropy, so neither acting nor scoring evaluates them (see outputs.py for the definitions).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# (output row, batch row, column, candidate token ids, index of the taken token among them)
Pick = tuple[int, int, int, tuple[int, ...], int]

# candidate_logits computes every logit for a vocabulary of at most this many tokens (the tiny policy's 1,024);
# decided by the model alone, so that acting and scoring always take the same path
DENSE_LOGITS_MAX_VOCAB = 4096


def candidate_logits(lm_head: nn.Module, h: torch.Tensor, cand: torch.Tensor) -> torch.Tensor:
    """fp32 logits [N, C] of the candidate token ids `cand` [N, C] given hidden states h [N, H]."""
    w = getattr(lm_head, "weight", None)
    if type(lm_head) is nn.Linear and w is not None and w.dtype.is_floating_point:
        bias = lm_head.bias
        if w.shape[0] <= DENSE_LOGITS_MAX_VOCAB:
            # a small vocabulary: all logits in one GEMM beat gathering C rows of W per pick, whose
            # backward scatter-adds N x C x H
            b = bias.float() if bias is not None else None
            return F.linear(h.float(), w.float(), b).gather(1, cand)
        logits = torch.bmm(w[cand].float(), h.float().unsqueeze(-1)).squeeze(-1)
        if bias is not None:
            logits = logits + bias[cand].float()
        return logits
    return lm_head(h).float().gather(1, cand)


def pad_candidates(lists: list[tuple[int, ...]], device) -> tuple[torch.Tensor, torch.Tensor]:
    """Candidate lists -> (token ids [N, C], valid mask [N, C]), padded with id 0 (masked)."""
    C = max(len(c) for c in lists)
    cand = torch.zeros((len(lists), C), dtype=torch.long)
    valid = torch.zeros((len(lists), C), dtype=torch.bool)
    for i, c in enumerate(lists):
        cand[i, : len(c)] = torch.tensor(c, dtype=torch.long)
        valid[i, : len(c)] = True
    return cand.to(device, non_blocking=True), valid.to(device, non_blocking=True)


def log_probs(logits: torch.Tensor, valid: torch.Tensor, temperature: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(masked log-probs [N, C], entropy [N]) of softmax(logits / T) over the valid candidates."""
    logp = torch.log_softmax((logits / temperature).masked_fill(~valid, float("-inf")), dim=-1)
    # masked entries: p = 0 and log p = -inf; zero log p there first so that neither the value
    # nor the gradient of p * log p is NaN
    ent = -(logp.exp() * logp.masked_fill(~valid, 0.0)).sum(-1)
    return logp, ent


def pick_terms(lm_head: nn.Module, hs: torch.Tensor, picks: list[Pick], n_out: int,
               temperature: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Sum of log p and of entropy over `picks` into n_out rows (differentiable through hs)."""
    dev = hs.device
    zeros = torch.zeros(n_out, dtype=torch.float32, device=dev)
    if not picks:
        return zeros, zeros.clone()
    out_t = torch.tensor([p[0] for p in picks], dtype=torch.long, device=dev)
    row_t = torch.tensor([p[1] for p in picks], dtype=torch.long, device=dev)
    col_t = torch.tensor([p[2] for p in picks], dtype=torch.long, device=dev)
    cand, valid = pad_candidates([p[3] for p in picks], dev)
    logp, ent = log_probs(candidate_logits(lm_head, hs[row_t, col_t], cand), valid, temperature)
    tgt = torch.tensor([p[4] for p in picks], dtype=torch.long, device=dev)
    lp = logp.gather(1, tgt[:, None]).squeeze(1)
    return zeros.index_add(0, out_t, lp), zeros.clone().index_add(0, out_t, ent)


def action_picks(trie, action: str, out_row: int, batch_row: int, first_column: int) -> tuple[list[Pick], int]:
    """The decision picks of `action` whose first token is predicted from column `first_column`
    (token j from column first_column + j), and the action's number of tokens incl. the terminal."""
    toks, nodes = trie.path(action)
    picks = []
    for j, (tok, node) in enumerate(zip(toks, nodes)):
        c = trie.cands[node]
        if len(c) > 1:
            picks.append((out_row, batch_row, first_column + j, c, c.index(tok)))
    return picks, len(toks)
