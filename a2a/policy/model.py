"""A2APolicy: LLaVA-OneVision composed into a vision-language-action policy.

Components (taken from a `LlavaOnevisionForConditionalGeneration` loaded with `from_pretrained`;
no transformers class is patched):
  - frozen vision tower (and frozen projector unless `train_projector`): run once per frame
    (`encode_frames`), the result is cached in a `FrameFeatures`;
  - trainable compression adapter (Perceiver resampler or LLaVA-OneVision pooling, a2a.kernels);
  - the language model with LoRA adapters (peft `get_peft_model` on the language model only),
    optionally 4-bit NF4 (bitsandbytes); the LM head (frozen);
  - a value head (MLP) on the hidden state at the last prompt token.

Acting decodes actions constrained to the scene's action trie, batched across envs with a KV
cache for the prompt; scoring recomputes log-probs, entropies and values of given actions in one
teacher-forced forward. Definitions in `outputs.py`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import torch
from torch import nn

from .adapter import PerceiverResampler, PoolCompressor
from .config import PolicyConfig
from .history import FrameFeatures, PolicyInput, Step
from .outputs import ActOutput, ScoreOutput
from .prefix_cache import PrefixCache
from .prompt import PromptFormat
from .quant import disable_bnb_cpu_weight_repacking, linear4bit_modules, nf4_config
from .runtime import resolve_attn_implementation, resolve_device, resolve_dtype
from .sequence import PAST_ACTION, SequenceBatch, SequenceBuilder
from .trie import ActionTrie, TrieCache
from .value_head import ValueHead
from .vision import FrameEncoder, ImageConfig, load_image_config

logger = logging.getLogger("a2a.policy")

POLICY_FILE = "a2a_policy.json"
TRAINABLE_FILE = "trainable.safetensors"
FORMAT = "a2a-policy-trainable/1"
# config fields that change the shapes of trainable weights (must match between save and load)
SHAPE_FIELDS = ("compression", "resampler_latents", "resampler_heads", "resampler_ffn_mult", "pool_size",
                "train_projector", "lora_r", "lora_target_modules", "value_hidden", "finetune_llm")
# config fields a caller may override when loading a saved policy
RUNTIME_FIELDS = ("backend", "attn_implementation", "quantization", "dtype", "device", "temperature",
                  "max_past_steps", "gradient_checkpointing", "lora_dropout", "value_detach")

Vocab = Sequence[str] | ActionTrie


class A2APolicy(nn.Module):
    def __init__(self, hf_model: nn.Module, tokenizer, config: PolicyConfig, *, image: ImageConfig,
                 name_or_path: str = "", attn_implementation: str = "", attn_reason: str = ""):
        super().__init__()
        self.config = config
        self.tokenizer = tokenizer
        self.name_or_path = name_or_path
        hf_cfg = hf_model.config
        self.hf_config = hf_cfg
        inner = hf_model.model
        for p in hf_model.parameters():
            p.requires_grad_(False)
        self.quantized = bool(linear4bit_modules(inner.language_model))
        device = next(hf_model.parameters()).device
        if self.quantized and device.type == "cpu":
            disable_bnb_cpu_weight_repacking(hf_model)

        layer = hf_cfg.vision_feature_layer
        if not isinstance(layer, int):
            raise ValueError(f"vision_feature_layer must be one int, got {layer!r}")
        # frozen frame encoder (tower, plus the projector when it is not trained)
        self.encoder = FrameEncoder(inner.vision_tower, image, feature_layer=layer,
                                    select_strategy=hf_cfg.vision_feature_select_strategy,
                                    projector=None if config.train_projector else inner.multi_modal_projector)
        self.encoder.vision_tower.eval()
        grid = hf_cfg.vision_config.image_size // hf_cfg.vision_config.patch_size
        self.grid = grid
        hidden = hf_cfg.text_config.hidden_size
        self.hidden_size = hidden

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            self.projector: nn.Module | None = None
            if config.train_projector:
                self.projector = inner.multi_modal_projector.float()
                for p in self.projector.parameters():
                    p.requires_grad_(True)
            if config.compression == "resampler":
                self.compressor: nn.Module = PerceiverResampler(hidden, config.resampler_latents, config.resampler_heads,
                                                                config.resampler_ffn_mult, backend=config.backend)
            else:
                size = config.pool_size or -(-grid // 2)  # 0: LLaVA-OneVision's own ceil(grid / 2)
                self.compressor = PoolCompressor(size, backend=config.backend)
            self.value_head = ValueHead(hidden, config.value_hidden)

            language_model = inner.language_model
            if config.gradient_checkpointing:
                language_model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
            if config.finetune_llm:
                # A randomly initialised (tiny) LLM has nothing to preserve: all of it trains.
                for p in list(language_model.parameters()) + list(hf_model.lm_head.parameters()):
                    p.requires_grad_(True)
                self.lm = language_model
            elif config.lora_r > 0:
                from peft import LoraConfig, get_peft_model

                lora = LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
                                  target_modules=list(config.lora_target_modules), bias="none")
                self.lm = get_peft_model(language_model, lora)
            else:
                self.lm = language_model
        self.lm_head = hf_model.lm_head
        self.compressor.to(device)
        self.value_head.to(device)
        self.tokens_per_frame = self.compressor.tokens_per_frame

        # tokens
        self.format = PromptFormat()
        vocab = tokenizer.get_vocab()
        for tok in (self.format.im_start, self.format.im_end):
            if tok not in vocab:
                raise ValueError(f"the tokenizer has no {tok!r} token: a2a's prompt format is ChatML")
        self.terminal_id = int(vocab[self.format.terminal_token])
        self.image_token_id = int(hf_cfg.image_token_id)
        pad = tokenizer.pad_token_id
        self.pad_id = int(pad if pad is not None else self.terminal_id)
        self.builder = SequenceBuilder(self._encode, self.format, image_token_id=self.image_token_id, pad_id=self.pad_id,
                                       terminal_id=self.terminal_id, tokens_per_frame=self.tokens_per_frame,
                                       max_past_steps=config.max_past_steps)
        self.tries = TrieCache(self._encode_batch, self.terminal_id)
        self.prefix_cache = PrefixCache()
        self._adapters_disabled = False
        self.attn_implementation = attn_implementation or getattr(hf_cfg, "_attn_implementation", "") or "unknown"
        self.attn_reason = attn_reason
        self.compute_dtype = self._embeddings().weight.dtype
        logger.info(
            "a2a.policy: attention=%s (%s), device=%s, dtype=%s, quantization=%s, compression=%s "
            "(%d tokens/frame, backend=%s), LoRA r=%d",
            self.attn_implementation, attn_reason or "given", self.device, str(self.compute_dtype).replace("torch.", ""),
            "nf4" if self.quantized else "none", config.compression, self.tokens_per_frame, config.backend, config.lora_r,
        )

    # ---- loading -----------------------------------------------------------------------------------

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike, config: PolicyConfig | None = None, **overrides) -> "A2APolicy":
        """Load a LLaVA-OneVision checkpoint (a local directory or a model id in the local cache), or a
        directory written by `save_trainable` (its base checkpoint, config and trained weights).
        `overrides` are PolicyConfig fields."""
        path = os.fspath(path)
        saved = Path(path, POLICY_FILE)
        if saved.is_file():
            meta = json.loads(saved.read_text())
            cfg = PolicyConfig.from_dict(meta["config"])
            if config is not None:
                changed = {f for f in SHAPE_FIELDS if getattr(config, f) != getattr(cfg, f)}
                if changed:
                    raise ValueError(f"config differs from the saved policy in {', '.join(sorted(changed))}")
                cfg = config
            bad = set(overrides) - set(RUNTIME_FIELDS)
            if bad:
                raise ValueError(f"a saved policy's {', '.join(sorted(bad))} cannot be overridden")
            cfg = cfg.replace(**overrides)
            base = meta["base_model"]
            if not os.path.isabs(base) and Path(path, base).exists():
                base = str(Path(path, base))
            policy = cls._load_base(base, cfg)
            policy.load_trainable(path)
            return policy
        cfg = (config or PolicyConfig()).replace(**overrides) if overrides else (config or PolicyConfig())
        return cls._load_base(path, cfg)

    @classmethod
    def _load_base(cls, path: str, cfg: PolicyConfig) -> "A2APolicy":
        from transformers import AutoTokenizer, LlavaOnevisionForConditionalGeneration

        device = resolve_device(cfg.device)
        dtype = resolve_dtype(cfg.dtype, device)
        attn, reason = resolve_attn_implementation(cfg.attn_implementation, device, dtype)
        kwargs: dict = {"dtype": dtype, "attn_implementation": attn}
        if cfg.quantization == "nf4":
            kwargs["quantization_config"] = nf4_config(dtype)
            kwargs["device_map"] = {"": str(device)}
        hf = LlavaOnevisionForConditionalGeneration.from_pretrained(path, **kwargs)
        if cfg.quantization != "nf4":
            hf.to(device)
        hf.eval()
        tokenizer = AutoTokenizer.from_pretrained(path)
        image = load_image_config(path, hf.config.vision_config.image_size)
        return cls(hf, tokenizer, cfg, image=image, name_or_path=os.path.abspath(path) if os.path.isdir(path) else path,
                   attn_implementation=getattr(hf.config, "_attn_implementation", attn), attn_reason=reason)

    def train(self, mode: bool = True) -> "A2APolicy":
        """Train mode for the trainable parts; the frozen vision tower always stays in eval mode."""
        super().train(mode)
        self.encoder.eval()
        return self

    # ---- small helpers -----------------------------------------------------------------------------

    @property
    def device(self) -> torch.device:
        """The language model's device (where inputs, frame features and outputs live)."""
        return self._embeddings().weight.device

    def _embeddings(self) -> nn.Embedding:
        return self.lm.get_input_embeddings()

    def _encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False)

    def _encode_batch(self, texts: list[str]) -> list[tuple[int, ...]]:
        # through the builder's cache: the prompt shows past actions with exactly these ids
        return self.builder.encode_many(texts, lambda ts: self.tokenizer(ts, add_special_tokens=False)["input_ids"])

    def trie(self, actions: Vocab) -> ActionTrie:
        """The action trie of a vocabulary (e.g. `valid_actions(env_id)`), cached per vocabulary."""
        return self.tries.get(actions)

    def _tries_for(self, vocabs, n: int) -> list[ActionTrie]:
        if isinstance(vocabs, ActionTrie) or (len(vocabs) and isinstance(vocabs[0], str)):
            t = self.trie(vocabs)
            return [t] * n
        if len(vocabs) != n:
            raise ValueError(f"{len(vocabs)} vocabularies for {n} inputs")
        return [self.trie(v) for v in vocabs]

    # ---- frames ------------------------------------------------------------------------------------

    @torch.no_grad()
    def encode_frames(self, images: np.ndarray | torch.Tensor) -> list[FrameFeatures]:
        """uint8 [n, h, w, 3] -> one FrameFeatures per frame (frozen tower output, computed once)."""
        feats = self.encoder(images)
        return [FrameFeatures(f) for f in feats]

    def _compress_params(self) -> list[nn.Parameter]:
        ps = list(self.compressor.parameters())
        if self.projector is not None:
            ps += list(self.projector.parameters())
        return ps

    def _cache_key(self) -> tuple:
        return (id(self),) + tuple(p._version for p in self._compress_params())

    def _compress(self, frames: list[FrameFeatures]) -> torch.Tensor:
        """Compressed tokens [F, k, H] (float32) of distinct frames; without grad, cached per frame
        while the adapter's parameters are unchanged."""
        use_cache = not torch.is_grad_enabled()
        key = self._cache_key() if use_cache else None
        out: list[torch.Tensor | None] = [None] * len(frames)
        todo = []
        for i, f in enumerate(frames):
            if use_cache and f.tokens_cache is not None and f.tokens_cache[0] == key:
                out[i] = f.tokens_cache[1]
            else:
                todo.append(i)
        if todo:
            x = torch.stack([frames[i].features for i in todo]).float()
            if self.projector is not None:
                x = self.projector(x)
            y = self.compressor(x)
            for j, i in enumerate(todo):
                out[i] = y[j]
                if use_cache:
                    frames[i].tokens_cache = (key, y[j])
        return torch.stack(out)  # type: ignore[arg-type]

    def embed(self, batch: SequenceBatch) -> torch.Tensor:
        """Input embeddings [B, W, H]: token embeddings with the frame slots replaced by frame tokens."""
        emb = self._embeddings()(batch.input_ids)
        if batch.slot_row.numel() == 0:
            return emb
        B, W, H = emb.shape
        if isinstance(self.compressor, PoolCompressor) and self.projector is None:
            # frozen pooling: pool every slot's frame straight into the embedding buffer
            x = torch.stack([f.features for f in batch.frames])[batch.slot_frame].to(emb.dtype)
            emb = emb.clone() if emb.requires_grad else emb
            self.compressor.pack(x, emb, batch.slot_row)
            return emb
        tokens = self._compress(batch.frames)[batch.slot_frame]  # [S, k, H]
        flat = emb.reshape(B * W, H).index_copy(0, batch.slot_token_rows(), tokens.reshape(-1, H).to(emb.dtype))
        return flat.view(B, W, H)

    def build(self, inputs: Sequence[PolicyInput], action_tokens=None) -> SequenceBatch:
        return self.builder.build(inputs, action_tokens).to(self.device)

    # ---- logits over trie candidates ---------------------------------------------------------------

    def _candidate_logits(self, h: torch.Tensor, cand: torch.Tensor) -> torch.Tensor:
        """fp32 logits [N, C] of the candidate token ids `cand` [N, C] given hidden states h [N, H]."""
        head = self.lm_head
        w = getattr(head, "weight", None)
        if type(head) is nn.Linear and w is not None and w.dtype.is_floating_point:
            logits = torch.bmm(w[cand].float(), h.float().unsqueeze(-1)).squeeze(-1)
            if head.bias is not None:
                logits = logits + head.bias[cand].float()
            return logits
        return head(h).float().gather(1, cand)

    @staticmethod
    def _pad_candidates(lists: list[tuple[int, ...]], device) -> tuple[torch.Tensor, torch.Tensor]:
        C = max(len(c) for c in lists)
        cand = torch.zeros((len(lists), C), dtype=torch.long)
        valid = torch.zeros((len(lists), C), dtype=torch.bool)
        for i, c in enumerate(lists):
            cand[i, : len(c)] = torch.tensor(c, dtype=torch.long)
            valid[i, : len(c)] = True
        return cand.to(device, non_blocking=True), valid.to(device, non_blocking=True)

    @staticmethod
    def _log_probs(logits: torch.Tensor, valid: torch.Tensor, temperature: float) -> tuple[torch.Tensor, torch.Tensor]:
        """(masked log-probs [N, C], entropy [N]) of softmax(logits / T) over the valid candidates."""
        logp = torch.log_softmax((logits / temperature).masked_fill(~valid, float("-inf")), dim=-1)
        # masked entries: p = 0 and log p = -inf; zero log p there first so that neither the value
        # nor the gradient of p * log p is NaN
        ent = -(logp.exp() * logp.masked_fill(~valid, 0.0)).sum(-1)
        return logp, ent

    def _temperature(self, temperature: float | None) -> float:
        T = float(self.config.temperature if temperature is None else temperature)
        if not T > 0:
            raise ValueError(f"temperature must be > 0 (use sample=False for greedy decoding), got {temperature!r}")
        return T

    def _values(self, h_last: torch.Tensor) -> torch.Tensor:
        h = h_last.detach() if self.config.value_detach else h_last
        return self.value_head(h.float())

    def _lm(self, **kw):
        return self.lm(**kw)

    # ---- acting ------------------------------------------------------------------------------------

    @torch.no_grad()
    def act(self, inputs: Sequence[PolicyInput], vocabs, *, sample: bool = True, temperature: float | None = None,
            generator: torch.Generator | None = None, cache_keys: Sequence | None = None) -> ActOutput:
        """One action per input, decoded under its vocabulary's trie, batched with a KV cache.

        vocabs: one vocabulary per input (a list of action strings, e.g. `valid_actions(env_id)`, or an
        ActionTrie), or a single one for all. sample=False decodes greedily; the log-prob is always the
        one under the policy's distribution at `temperature` (default config.temperature).
        cache_keys: one hashable per input (e.g. env ids) to keep each row's keys/values for the next
        step, whose prompt extends this one (see prefix_cache.py); rows whose cached prefix is still
        valid then run the LLM only over their new tokens. Same results either way."""
        T = self._temperature(temperature)
        B = len(inputs)
        if cache_keys is not None and len(cache_keys) != B:
            raise ValueError(f"{len(cache_keys)} cache keys for {B} inputs")
        tries = self._tries_for(vocabs, B)
        batch = self.build(inputs)
        emb = self.embed(batch)
        reuse = cache_keys is not None and self._prefix_reuse_possible()
        pkey = self._prefix_param_key() if reuse else ()
        L = batch.prompt_width
        row_ids = row_frames = None
        if reuse:
            row_ids, row_frames = self._rows_ids_frames(batch)
            entries = [self.prefix_cache.get(k) for k in cache_keys]  # type: ignore[union-attr]
            cached = [e if e is not None and e.matches(i, f, pkey) else None
                      for e, i, f in zip(entries, row_ids, row_frames)]
            self.prefix_cache.hits += sum(e is not None for e in cached)
            self.prefix_cache.misses += sum(e is None for e in cached)
        if reuse and any(e is not None for e in cached):
            out, mask, pos = self._forward_with_prefixes(batch, emb, cached)
        else:
            out = self._lm(inputs_embeds=emb, attention_mask=batch.attention_mask, position_ids=batch.position_ids,
                           use_cache=True)
            mask, pos = batch.attention_mask, batch.position_ids[:, -1]
        h = out.last_hidden_state[:, -1]
        cache = out.past_key_values
        values = self._values(h)
        dev = self.device
        nodes = [t.root for t in tries]
        active = [True] * B
        n_tok = [0] * B
        tokens: list[list[int]] = [[] for _ in range(B)]
        logp_sum = torch.zeros(B, dtype=torch.float32, device=dev)
        ent_sum = torch.zeros(B, dtype=torch.float32, device=dev)
        while True:
            lists = [t.cands[n] if a else (t.terminal_id,) for t, n, a in zip(tries, nodes, active)]
            cand, valid = self._pad_candidates(lists, dev)
            logp, ent = self._log_probs(self._candidate_logits(h, cand), valid, T)
            if sample:
                probs = logp.exp()
                if generator is not None and generator.device != probs.device:  # e.g. a CPU generator, GPU policy
                    choice = torch.multinomial(probs.to(generator.device), 1, generator=generator).squeeze(1).to(dev)
                else:
                    choice = torch.multinomial(probs, 1, generator=generator).squeeze(1)
            else:
                choice = logp.argmax(-1)
            act_mask = torch.tensor(active, dtype=torch.bool, device=dev)
            logp_sum += torch.where(act_mask, logp.gather(1, choice[:, None]).squeeze(1), 0.0)
            ent_sum += torch.where(act_mask, ent, 0.0)
            toks = cand.gather(1, choice[:, None]).squeeze(1)
            tok_list = toks.tolist()
            for b in range(B):
                if active[b]:
                    nodes[b] = tries[b].child(nodes[b], tok_list[b])
                    n_tok[b] += 1
                    tokens[b].append(tok_list[b])
                    if tries[b].is_leaf(nodes[b]):
                        active[b] = False
            if not any(active):
                break
            mask = torch.cat([mask, mask.new_ones(B, 1)], dim=1)
            pos = pos + 1
            out = self._lm(inputs_embeds=self._embeddings()(toks[:, None]), attention_mask=mask,
                           position_ids=pos[:, None], past_key_values=cache, use_cache=True)
            h = out.last_hidden_state[:, -1]
            cache = out.past_key_values
        if reuse:
            self._store_prefixes(cache_keys, cache, mask, row_ids, row_frames, tokens, pkey)  # type: ignore[arg-type]
        actions = [t.action_at(n) for t, n in zip(tries, nodes)]
        return ActOutput(actions, logp_sum, ent_sum, values.float(), torch.tensor(n_tok, dtype=torch.long), T)

    # ---- KV reuse across acting steps (prefix_cache.py) -----------------------------------------------

    def _prefix_reuse_possible(self) -> bool:
        # eval mode (no dropout), LoRA enabled, and an attention whose padding masks may have holes
        return (not self.training and not self._adapters_disabled
                and self.attn_implementation in ("sdpa", "eager"))

    def _prefix_param_key(self) -> tuple:
        return (id(self),) + tuple(p._version for p in self.trainable_parameters())

    def _rows_ids_frames(self, batch: SequenceBatch) -> tuple[list[list[int]], list[list[FrameFeatures]]]:
        L = batch.prompt_width
        ids = batch.input_ids[:, :L].tolist()
        lens = batch.prompt_lengths.tolist()
        row_ids = [r[L - n:] for r, n in zip(ids, lens)]
        row_frames: list[list[FrameFeatures]] = [[] for _ in lens]
        W = batch.width
        for slot, f in zip(batch.slot_row.tolist(), batch.slot_frame.tolist()):
            row_frames[slot // W].append(batch.frames[f])
        return row_ids, row_frames

    def _forward_with_prefixes(self, batch: SequenceBatch, emb: torch.Tensor, cached: list):
        """Prompt forward where rows with a valid cached prefix only feed their new tokens.
        Layout: past [left pad | cached prefix] then suffix [left pad | new tokens]."""
        from transformers import DynamicCache

        B, L = batch.batch_size, batch.prompt_width
        dev = self.device
        lens = batch.prompt_lengths.tolist()
        c = [len(e.ids) if e is not None else 0 for e in cached]
        s = [n - ci for n, ci in zip(lens, c)]
        C, S = max(c), max(s)
        H = emb.shape[-1]
        suffix = emb.new_zeros(B, S, H)
        smask = torch.zeros(B, S, dtype=batch.attention_mask.dtype, device=dev)
        spos = torch.zeros(B, S, dtype=torch.long, device=dev)
        pmask = torch.zeros(B, C, dtype=batch.attention_mask.dtype, device=dev)
        for b in range(B):
            suffix[b, S - s[b]:] = emb[b, L - s[b]:L]
            smask[b, S - s[b]:] = 1
            spos[b, S - s[b]:] = torch.arange(c[b], lens[b], device=dev)
            pmask[b, C - c[b]:] = 1
        layers = []
        ref = next(e for e in cached if e is not None).kv
        for li, (k0, v0) in enumerate(ref):
            K = k0.new_zeros(B, k0.shape[0], C, k0.shape[2])
            V = v0.new_zeros(B, v0.shape[0], C, v0.shape[2])
            for b, e in enumerate(cached):
                if e is not None:
                    K[b, :, C - c[b]:] = e.kv[li][0]
                    V[b, :, C - c[b]:] = e.kv[li][1]
            layers.append((K, V))
        self.prefix_cache.reused_tokens += sum(c)
        mask = torch.cat([pmask, smask], dim=1)
        out = self._lm(inputs_embeds=suffix, attention_mask=mask, position_ids=spos,
                       past_key_values=DynamicCache(ddp_cache_data=layers), use_cache=True)
        return out, mask, spos[:, -1]

    def _store_prefixes(self, keys, cache, mask: torch.Tensor, row_ids, row_frames, tokens, pkey) -> None:
        """Keep each row's keys/values of prompt + decoded action tokens (the terminal was not fed)."""
        from .prefix_cache import PrefixEntry

        kvs = [(k, v) for k, v, *_ in cache]
        for b, key in enumerate(keys):
            ids = row_ids[b] + tokens[b][:-1]
            cols = mask[b].nonzero().squeeze(1)[: len(ids)]
            if cols.numel() != len(ids):  # pragma: no cover - the decoding loop feeds every action token
                self.prefix_cache.forget([key])
                continue
            kv = [(k[b].index_select(1, cols), v[b].index_select(1, cols)) for k, v in kvs]
            self.prefix_cache.put(key, PrefixEntry(tuple(ids), tuple(row_frames[b]), pkey, kv))

    # ---- scoring -----------------------------------------------------------------------------------

    def score(self, inputs: Sequence[PolicyInput], actions: Sequence[str], vocabs, *,
              temperature: float | None = None) -> ScoreOutput:
        """Log-probs, entropies and values of given actions in one teacher-forced forward
        (differentiable; same definitions as act())."""
        T = self._temperature(temperature)
        B = len(inputs)
        if len(actions) != B:
            raise ValueError(f"{len(actions)} actions for {B} inputs")
        tries = self._tries_for(vocabs, B)
        paths = [t.path(a) for t, a in zip(tries, actions)]  # (tokens incl. terminal, nodes)
        batch = self.build(inputs, [toks[:-1] for toks, _ in paths])
        emb = self.embed(batch)
        out = self._lm(inputs_embeds=emb, attention_mask=batch.attention_mask, position_ids=batch.position_ids,
                       use_cache=False)
        hs = out.last_hidden_state  # [B, W, H]
        L = batch.prompt_width
        values = self._values(hs[:, L - 1])
        picks = []
        for b, ((toks, nodes), t) in enumerate(zip(paths, tries)):
            for j, (tok, node) in enumerate(zip(toks, nodes)):
                c = t.cands[node]
                picks.append((b, b, L - 1 + j, c, c.index(tok)))
        logp_sum, ent_sum = self._candidate_terms(hs, picks, B, T)
        n_tok = torch.tensor([len(p[0]) for p in paths], dtype=torch.long)
        return ScoreOutput(logp_sum, ent_sum, values.float(), n_tok, T)

    def _candidate_terms(self, hs: torch.Tensor, picks: list[tuple[int, int, int, tuple[int, ...], int]], n_out: int,
                         T: float) -> tuple[torch.Tensor, torch.Tensor]:
        """Sum log p and entropy over `picks` = (out_row, batch_row, column, candidates, target index)."""
        dev = self.device
        out_t = torch.tensor([p[0] for p in picks], dtype=torch.long, device=dev)
        row_t = torch.tensor([p[1] for p in picks], dtype=torch.long, device=dev)
        col_t = torch.tensor([p[2] for p in picks], dtype=torch.long, device=dev)
        cand, valid = self._pad_candidates([p[3] for p in picks], dev)
        logp, ent = self._log_probs(self._candidate_logits(hs[row_t, col_t], cand), valid, T)
        tgt = torch.tensor([p[4] for p in picks], dtype=torch.long, device=dev)
        lp = logp.gather(1, tgt[:, None]).squeeze(1)
        zeros = torch.zeros(n_out, dtype=torch.float32, device=dev)
        return zeros.index_add(0, out_t, lp), zeros.index_add(0, out_t, ent)

    def score_episodes(self, episodes: Sequence, vocabs, *, temperature: float | None = None) -> ScoreOutput:
        """Every step of whole episodes in ONE forward per episode (differentiable).

        `episodes`: objects with `.instruction` and `.steps` (e.g. `EpisodeHistory`) whose steps all
        carry their action. Because attention is causal and step t's prompt is a prefix of the
        episode's sequence, the hidden states before action t's tokens are exactly those of step
        t's own prompt: the result equals `score()` of every step's input (same definitions), at the
        cost of one forward of the last step's prompt instead of one per step. Needs
        len(steps) - 1 <= config.max_past_steps (no truncation). Rows of the output are the steps,
        episode-major (`episode_index`, `step_index`)."""
        T = self._temperature(temperature)
        B = len(episodes)
        tries = self._tries_for(vocabs, B)
        inputs, last_paths = [], []
        for e, ep in enumerate(episodes):
            steps = tuple(ep.steps)
            if not steps or any(s.action is None for s in steps):
                raise ValueError(f"episode {e}: every step needs its action (score the current step with score())")
            if len(steps) - 1 > self.config.max_past_steps:
                raise ValueError(f"episode {e}: {len(steps)} steps exceed max_past_steps + 1 = "
                                 f"{self.config.max_past_steps + 1} (the prompt is truncated); use score() per step")
            last = steps[-1]
            inputs.append(PolicyInput(ep.instruction, steps[:-1] + (Step(last.frame, last.feedback, None),)))
            last_paths.append(tries[e].path(last.action))
        batch = self.build(inputs, [toks[:-1] for toks, _ in last_paths])
        emb = self.embed(batch)
        hs = self._lm(inputs_embeds=emb, attention_mask=batch.attention_mask, position_ids=batch.position_ids,
                      use_cache=False).last_hidden_state
        L = batch.prompt_width
        kinds = batch.kinds.tolist()
        picks, value_at, ep_idx, step_idx, n_tok = [], [], [], [], []
        for e, ep in enumerate(episodes):
            row = kinds[e]
            # each past action is one run of PAST_ACTION columns (its tokens + terminal); the last follows L
            starts = [c for c in range(L) if row[c] == PAST_ACTION and row[c - 1] != PAST_ACTION] + [L]
            for t, (step, start) in enumerate(zip(ep.steps, starts)):
                toks, nodes = tries[e].path(step.action)
                out_row = len(value_at)
                value_at.append((e, start - 1))
                ep_idx.append(e)
                step_idx.append(t)
                n_tok.append(len(toks))
                for j, (tok, node) in enumerate(zip(toks, nodes)):
                    c = tries[e].cands[node]
                    picks.append((out_row, e, start - 1 + j, c, c.index(tok)))
            if len(starts) != len(ep.steps):  # pragma: no cover - the builder lays out one run per action
                raise RuntimeError("sequence layout does not match the episode's steps")
        dev = self.device
        vr = torch.tensor([v[0] for v in value_at], dtype=torch.long, device=dev)
        vc = torch.tensor([v[1] for v in value_at], dtype=torch.long, device=dev)
        values = self._values(hs[vr, vc])
        logp_sum, ent_sum = self._candidate_terms(hs, picks, len(value_at), T)
        return ScoreOutput(logp_sum, ent_sum, values.float(), torch.tensor(n_tok, dtype=torch.long), T,
                           episode_index=torch.tensor(ep_idx, dtype=torch.long),
                           step_index=torch.tensor(step_idx, dtype=torch.long))

    # ---- training support --------------------------------------------------------------------------

    def named_trainable_parameters(self) -> Iterator[tuple[str, nn.Parameter]]:
        for n, p in self.named_parameters():
            if p.requires_grad:
                yield n, p

    def trainable_parameters(self) -> list[nn.Parameter]:
        return [p for _, p in self.named_trainable_parameters()]

    @contextlib.contextmanager
    def disable_adapters(self):
        """The LLM without its LoRA adapters (the KL reference); the compression adapter and the
        value head are unchanged."""
        if self.config.finetune_llm:
            raise RuntimeError("disable_adapters: with finetune_llm the LLM has no adapters (no frozen reference for a KL)")
        if self.config.lora_r == 0:
            yield
            return
        self._adapters_disabled = True
        try:
            with self.lm.disable_adapter():
                yield
        finally:
            self._adapters_disabled = False

    def save_trainable(self, directory: str | os.PathLike) -> Path:
        """Write the trainable weights (LoRA, compression adapter, value head, projector if trained),
        the config and the base checkpoint's path. `A2APolicy.from_pretrained(directory)` reloads all."""
        from safetensors.torch import save_file

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        state = {n: p.detach().to("cpu").contiguous() for n, p in self.named_trainable_parameters()}
        save_file(state, str(d / TRAINABLE_FILE), metadata={"format": FORMAT})
        meta = {"format": FORMAT, "base_model": self.name_or_path, "config": self.config.to_dict(),
                "tokens_per_frame": self.tokens_per_frame, "parameters": {n: list(t.shape) for n, t in state.items()}}
        (d / POLICY_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True))
        return d

    def load_trainable(self, directory: str | os.PathLike) -> None:
        from safetensors.torch import load_file

        d = Path(directory)
        meta = json.loads((d / POLICY_FILE).read_text())
        if meta.get("format") != FORMAT:
            raise ValueError(f"{d}: unknown trainable-weights format {meta.get('format')!r}")
        saved = PolicyConfig.from_dict(meta["config"])
        changed = [f for f in SHAPE_FIELDS if getattr(saved, f) != getattr(self.config, f)]
        if changed:
            raise ValueError(f"{d}: saved with a different {', '.join(changed)} than this policy")
        state = load_file(str(d / TRAINABLE_FILE))
        params = dict(self.named_trainable_parameters())
        missing, unexpected = set(params) - set(state), set(state) - set(params)
        if missing or unexpected:
            raise ValueError(f"{d}: trainable weights do not match: missing {sorted(missing)[:5]}, "
                             f"unexpected {sorted(unexpected)[:5]}")
        with torch.no_grad():
            for n, p in params.items():
                if tuple(state[n].shape) != tuple(p.shape):
                    raise ValueError(f"{d}: {n} has shape {tuple(state[n].shape)}, expected {tuple(p.shape)}")
                p.copy_(state[n].to(p.dtype))

    # ---- reporting ---------------------------------------------------------------------------------

    def memory_footprint(self) -> dict[str, int]:
        """Bytes held by parameters and buffers, per component (4-bit weights count as stored)."""
        def size(mod: nn.Module | None, trainable: bool | None = None) -> int:
            if mod is None:
                return 0
            total = 0
            for p in mod.parameters():
                if trainable is None or p.requires_grad == trainable:
                    total += p.numel() * p.element_size()
                    qs = getattr(p, "quant_state", None)
                    if qs is not None:
                        for t in (getattr(qs, "absmax", None), getattr(getattr(qs, "state2", None), "absmax", None)):
                            if isinstance(t, torch.Tensor):
                                total += t.numel() * t.element_size()
            return total

        return {
            "vision_tower": size(self.encoder.vision_tower),
            "projector": size(self.encoder.projector) + size(self.projector),
            "language_model": size(self.lm, trainable=False),
            "lm_head": size(self.lm_head) if self.lm_head.weight is not self._embeddings().weight else 0,
            "lora": size(self.lm, trainable=True),
            "adapter": size(self.compressor),
            "value_head": size(self.value_head),
        }

    def describe(self) -> dict:
        counts = {
            "trainable": sum(p.numel() for p in self.trainable_parameters()),
            "total": sum(p.numel() for p in self.parameters()),
        }
        return {
            "name_or_path": self.name_or_path, "attn_implementation": self.attn_implementation,
            "attn_reason": self.attn_reason, "device": str(self.device), "dtype": str(self.compute_dtype),
            "quantized": self.quantized, "compression": self.config.compression, "backend": self.config.backend,
            "tokens_per_frame": self.tokens_per_frame, "grid": self.grid, "parameters": counts,
            "memory_bytes": self.memory_footprint(),
        }
