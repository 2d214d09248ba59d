"""a2a's decoder forward (a2a/policy/decoder.py) against transformers' own forward of the same LLM."""

from __future__ import annotations

import pytest
import torch

from a2a.policy.decoder import Decoder


def _lm_and_inputs(policy, B=3, T=23, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, T, policy.hidden_size, generator=g)
    lengths = [T, T - 7, 5][:B]
    valid = torch.zeros(B, T, dtype=torch.bool)
    pos = torch.zeros(B, T, dtype=torch.long)
    for b, n in enumerate(lengths):  # left padding
        valid[b, T - n:] = True
        pos[b, T - n:] = torch.arange(n)
    return x, valid, pos, lengths


@pytest.mark.parametrize("lora", [False, True])
def test_forward_matches_transformers(tiny_dir, lora):
    from policy_helpers import make_policy

    pol = make_policy(tiny_dir, lora_r=4 if lora else 0, finetune_llm=not lora).eval()
    if lora:  # non-zero LoRA weights, so that the adapters change the result
        with torch.no_grad():
            for n, p in pol.lm.named_parameters():
                if "lora_B" in n:
                    p.normal_(std=0.5)
    x, valid, pos, lengths = _lm_and_inputs(pol)
    with torch.no_grad():
        ref = pol.lm(inputs_embeds=x, attention_mask=valid.long(), position_ids=pos, use_cache=False).last_hidden_state
        ours = pol.decoder.forward(x, pos, valid)
    torch.testing.assert_close(ours[valid], ref[valid], rtol=1e-5, atol=1e-5)
    assert torch.isfinite(ours).all()  # padding rows too


def test_cached_feeds_equal_one_forward(policy):
    """Feeding a sequence in pieces (left- or right-padded blocks, rows of different lengths, a subset of
    the cache's rows) gives the hidden states of one full forward."""
    B, T = 3, 30
    x = torch.randn(B, T, policy.hidden_size, generator=torch.Generator().manual_seed(1))
    full_valid = torch.ones(B, T, dtype=torch.bool)
    pos = torch.arange(T).expand(B, T)
    with torch.no_grad():
        ref = policy.decoder.forward(x, pos, full_valid)
        cache = policy.decoder.new_cache(4, capacity=8, dtype=x.dtype, device=x.device)  # grows on the way
        rows = [0, 2, 3]  # cache row of each sequence (row 1 stays empty)
        pieces = [[11, 4, 9], [3, 10, 1], [8, 8, 8], [8, 8, 12]]  # tokens fed per call and sequence
        done = [0, 0, 0]
        for k, counts in enumerate(pieces):
            left = k % 2 == 0
            W = max(counts)
            block = torch.zeros(B, W, x.shape[-1])
            for b, c in enumerate(counts):
                chunk = x[b, done[b]:done[b] + c]
                if left:
                    block[b, W - c:] = chunk
                else:
                    block[b, :c] = chunk
            h = policy.decoder.feed(cache, rows, block, counts, left_padded=left)
            for b, c in enumerate(counts):
                got = h[b, W - c:] if left else h[b, :c]
                torch.testing.assert_close(got, ref[b, done[b]:done[b] + c], rtol=1e-5, atol=1e-5)
                done[b] += c
        assert [cache.lengths[r] for r in rows] == [T] * 3 and cache.lengths[1] == 0
        assert cache.capacity >= T + 1


def test_unsupported_language_model_is_refused():
    from transformers import GPT2Config, GPT2Model

    with pytest.raises(ValueError, match="Llama-family"):
        Decoder(GPT2Model(GPT2Config(n_layer=1, n_embd=16, n_head=2, vocab_size=10)))


@pytest.mark.parametrize("left_padded", [False, True])
def test_last_layer_at_some_columns_only(policy, left_padded):
    """Asking for a few columns gives exactly those columns of the full result, with gradients."""
    x, valid, pos, lengths = _lm_and_inputs(policy)
    if not left_padded:  # right padding: rows from column 0, causal attention without a mask
        T = x.shape[1]
        valid = torch.arange(T)[None, :] < torch.tensor(lengths)[:, None]
        pos = torch.arange(T).expand_as(valid)
    cols = torch.stack([torch.nonzero(v).squeeze(1)[torch.tensor([0, 2, -1])] for v in valid])
    x = x.requires_grad_(True)
    full = policy.decoder.forward(x, pos, valid if left_padded else None)
    part = policy.decoder.forward(x, pos, valid if left_padded else None, queries=cols)
    want = full.gather(1, cols[:, :, None].expand(-1, -1, full.shape[-1]))
    torch.testing.assert_close(part, want, rtol=1e-5, atol=1e-5)
    g_full, = torch.autograd.grad(want.sum(), x)
    g_part, = torch.autograd.grad(part.sum(), x)
    torch.testing.assert_close(g_part, g_full, rtol=1e-4, atol=1e-5)
