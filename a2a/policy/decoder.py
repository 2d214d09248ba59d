"""The language model's forward on a2a's layouts, with a preallocated KV cache.

The LLM's own modules do the work (embedding table, decoder layers, final norm, rotary embedding;
LoRA and 4-bit linears included, since they are those modules); this file only drives them, so that

  - acting keeps each env's keys/values in a preallocated cache with explicit columns (no
    `torch.cat` growth) and feeds several tokens per row in one call (a run of forced trie tokens);
  - scoring runs a left-padded batch with an explicit mask (the same attention as acting).

Supported: Llama-family decoders (`model_type` qwen2 or llama: LLaVA-OneVision's Qwen2, SmolLM2)
whose layers are `input_layernorm -> self_attn (q/k/v/o projections, rotary) -> residual ->
post_attention_layernorm -> mlp -> residual`, without sliding-window layers.
`tests/policy/test_decoder.py` checks the result against transformers' own forward.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

SUPPORTED_MODEL_TYPES = ("qwen2", "llama")


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class KVCache:
    """Keys and values of the tokens fed so far, per row, preallocated.

    Row r's tokens occupy columns [0, lengths[r]) in the order fed (its positions 0..lengths-1);
    layer l's keys are `k[l][r, :, c]`. The last column is scratch: padding entries of a block are
    written there and never attended to. Capacity doubles when a row would run past it."""

    def __init__(self, num_layers: int, rows: int, kv_heads: int, head_dim: int, *, dtype: torch.dtype,
                 device: torch.device, capacity: int = 256):
        self.num_layers, self.kv_heads, self.head_dim = num_layers, kv_heads, head_dim
        self.dtype, self.device = dtype, device
        self.capacity = max(int(capacity), 2)
        self.k = [torch.zeros(rows, kv_heads, self.capacity, head_dim, dtype=dtype,
                              device=device) for _ in range(num_layers)]
        self.v = [torch.zeros_like(t) for t in self.k]
        self.lengths = [0] * rows

    @property
    def rows(self) -> int:
        return len(self.lengths)

    @property
    def scratch(self) -> int:
        return self.capacity - 1

    def add_rows(self, n: int) -> None:
        grow = lambda t: torch.cat([t, t.new_zeros(n, *t.shape[1:])])  # noqa: E731 - rare
        self.k = [grow(t) for t in self.k]
        self.v = [grow(t) for t in self.v]
        self.lengths += [0] * n

    def reserve(self, columns: int) -> None:
        """Room for `columns` real columns in every row (plus the scratch column)."""
        if columns + 1 <= self.capacity:
            return
        cap = self.capacity
        while cap < columns + 1:
            cap *= 2
        def grow(t: torch.Tensor) -> torch.Tensor:
            out = t.new_zeros(t.shape[0], t.shape[1], cap, t.shape[3])
            out[:, :, : self.capacity - 1] = t[:, :, : self.capacity - 1]
            return out
        self.k = [grow(t) for t in self.k]
        self.v = [grow(t) for t in self.v]
        self.capacity = cap

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self.k + self.v)


class Decoder:
    """Runs `lm` (a transformers Llama-family base model, possibly wrapped by peft) layer by layer."""

    def __init__(self, lm: Any, *, gradient_checkpointing: bool = False):
        # lm and base are transformers modules: their submodules and config fields are dynamic attributes
        base = lm.get_base_model() if hasattr(lm, "get_base_model") else lm
        cfg = base.config
        if getattr(cfg, "model_type", None) not in SUPPORTED_MODEL_TYPES:
            raise ValueError(f"a2a drives Llama-family language models ({', '.join(SUPPORTED_MODEL_TYPES)}); "
                             f"got model_type {getattr(cfg, 'model_type', None)!r}")
        if any(t == "sliding_attention" for t in (getattr(cfg, "layer_types", None) or ())):
            raise ValueError("language models with sliding-window attention layers are not supported")
        attn = base.layers[0].self_attn
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            if not hasattr(attn, name):
                raise ValueError(f"the language model's attention has no {name}: not a Llama-family layout")
        if hasattr(attn, "q_norm"):
            raise ValueError("language models with q/k norms (e.g. Qwen3) are not supported")
        self.base = base
        self.layers = base.layers
        self.norm = base.norm
        self.rotary = base.rotary_emb
        self.num_heads = cfg.num_attention_heads
        self.kv_heads = cfg.num_key_value_heads
        self.head_dim = attn.head_dim
        self.scaling = attn.scaling
        self.gradient_checkpointing = gradient_checkpointing

    def new_cache(self, rows: int, capacity: int, dtype: torch.dtype, device: torch.device) -> KVCache:
        return KVCache(len(self.layers), rows, self.kv_heads, self.head_dim, dtype=dtype, device=device,
                       capacity=capacity)

    # ---- the two entry points ------------------------------------------------------------------

    def forward(self, x: torch.Tensor, positions: torch.Tensor, valid: torch.Tensor | None = None,
                queries: torch.Tensor | None = None) -> torch.Tensor:
        """Hidden states (after the final norm) of a padded batch x [B, T, H] without cache: token t of
        row b attends to the valid tokens t' <= t of its row. valid: bool [B, T] (padding False), or
        None when every row starts at column 0 (padding only at the end, never seen by a real token:
        plain causal attention, the fastest kernel).

        queries: long [B, Q], the only columns whose final hidden states are wanted (e.g. where
        actions are predicted). Every earlier layer still runs over all tokens (they are the keys of
        later ones), but the last layer runs only at these columns: [B, Q, H] is returned."""
        T = x.shape[1]
        if valid is None:
            mask = None
        else:
            causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril_()
            eye = torch.eye(T, dtype=torch.bool, device=x.device)
            # padding queries attend to themselves only (never an empty row, so never NaN)
            mask = ((causal & valid[:, None, :]) | eye)[:, None]
        cos, sin = self.rotary(x, positions)
        last = len(self.layers) - 1
        for li, layer in enumerate(self.layers):
            args: tuple = (layer, x, cos, sin, mask, None)
            if li == last and queries is not None:
                key = torch.arange(T, device=x.device)
                qmask = key[None, None, :] <= queries[:, :, None]
                if valid is not None:
                    qmask = qmask & valid[:, None, :]
                args = (layer, x, cos, sin, qmask[:, None], None, queries)
            if self.gradient_checkpointing and torch.is_grad_enabled():
                x = checkpoint(self._layer, *args, use_reentrant=False)
            else:
                x = self._layer(*args)
        return self.norm(x)

    def feed(self, cache: KVCache, rows: list[int], x: torch.Tensor, counts: list[int], *,
             left_padded: bool) -> torch.Tensor:
        """Appends `counts[i]` tokens to cache row `rows[i]` and returns the hidden states [B, T, H]
        (after the final norm) of the block x [B, T, H]; row i's tokens are its last counts[i]
        entries (left_padded) or its first ones. Positions continue each row's cache."""
        B, T = x.shape[0], x.shape[1]
        dev = x.device
        lengths = [cache.lengths[r] for r in rows]
        new_len = [n + c for n, c in zip(lengths, counts)]
        cache.reserve(max(new_len))
        t = torch.arange(T, device=dev)
        start = torch.tensor([n - (T - c if left_padded else 0) for n, c in zip(lengths, counts)], device=dev)
        cnt = torch.tensor(counts, device=dev)
        real = (t[None, :] >= T - cnt[:, None]) if left_padded else (t[None, :] < cnt[:, None])
        cols = start[:, None] + t[None, :]                                     # cache column of each entry
        S = max(new_len)
        newl = torch.tensor(new_len, device=dev)
        # queries see the valid columns up to their own; padding queries see the whole row
        qcol = torch.where(real, cols, newl[:, None] - 1)
        key = torch.arange(S, device=dev)
        mask = ((key[None, None, :] <= qcol[:, :, None]) & (key[None, None, :] < newl[:, None, None]))[:, None]
        write_cols = torch.where(real, cols, torch.full_like(cols, cache.scratch))
        positions = qcol.clamp(min=0)
        row_t = torch.tensor(rows, device=dev)
        contiguous = rows == list(range(rows[0], rows[0] + B))
        cos, sin = self.rotary(x, positions)
        for li, layer in enumerate(self.layers):
            kv = (cache, li, row_t, write_cols, S, rows[0] if contiguous else None)
            x = self._layer(layer, x, cos, sin, mask, kv)
        for r, n in zip(rows, new_len):
            cache.lengths[r] = n
        return self.norm(x)

    # ---- one layer -----------------------------------------------------------------------------

    def _layer(self, layer: Any, x, cos, sin, mask, kv, queries: torch.Tensor | None = None) -> torch.Tensor:
        """One decoder layer over x [B, T, H]; with `queries` [B, Q] only those columns' outputs [B, Q, H]
        are computed (keys and values still come from all T tokens)."""
        a = layer.self_attn
        h = layer.input_layernorm(x)
        B, T, _ = h.shape
        k = a.k_proj(h).view(B, T, -1, self.head_dim).transpose(1, 2)
        v = a.v_proj(h).view(B, T, -1, self.head_dim).transpose(1, 2)
        c, s = cos.unsqueeze(1), sin.unsqueeze(1)
        k = k * c + _rotate_half(k) * s
        if queries is not None:
            pick = queries[:, :, None].expand(-1, -1, h.shape[-1])
            x, h = x.gather(1, pick), h.gather(1, pick)
            cq = cos.gather(1, queries[:, :, None].expand(-1, -1, cos.shape[-1])).unsqueeze(1)
            sq = sin.gather(1, queries[:, :, None].expand(-1, -1, sin.shape[-1])).unsqueeze(1)
        else:
            cq, sq = c, s
        Q = h.shape[1]
        q = a.q_proj(h).view(B, Q, -1, self.head_dim).transpose(1, 2)
        q = q * cq + _rotate_half(q) * sq
        if kv is not None:
            cache, li, row_t, write_cols, S, first = kv
            K, V = cache.k[li], cache.v[li]
            K[row_t[:, None], :, write_cols] = k.transpose(1, 2).to(K.dtype)
            V[row_t[:, None], :, write_cols] = v.transpose(1, 2).to(V.dtype)
            if first is not None:  # the rows are a contiguous range: views, no copy
                k, v = K[first:first + B, :, :S], V[first:first + B, :, :S]
            else:
                k, v = K[:, :, :S].index_select(0, row_t), V[:, :, :S].index_select(0, row_t)  # copy S columns only
        o = F.scaled_dot_product_attention(q, k.to(q.dtype), v.to(q.dtype), attn_mask=mask, is_causal=mask is None,
                                           scale=self.scaling, enable_gqa=self.kv_heads != self.num_heads)
        x = x + a.o_proj(o.transpose(1, 2).reshape(B, Q, -1))
        return x + layer.mlp(layer.post_attention_layernorm(x))
