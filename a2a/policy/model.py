"""A2APolicy: LLaVA-OneVision composed into a vision-language-action policy.

Components (taken from a `LlavaOnevisionForConditionalGeneration` loaded with `from_pretrained`;
no transformers class is patched):
  - frozen vision tower (and frozen projector unless `train_projector`): run once per frame
    (`encode_frames`), the result is cached in a `FrameFeatures`;
  - trainable compression adapter (Perceiver resampler or LLaVA-OneVision pooling, a2a.kernels),
    whose frame tokens are placed into the sequence by `frames.FrameTokens`;
  - the language model with LoRA adapters (peft `get_peft_model` on the language model only; or,
    `finetune_llm`, all of it), optionally 4-bit NF4 (bitsandbytes), driven by `decoder.Decoder`;
    the LM head (frozen);
  - a value head (MLP) on the hidden state at the last prompt token.

This file builds and holds the components; each job lives in its own file: loading and saving
(loading.py), acting by constrained decoding (decoding.py), scoring (scoring.py), the action
distribution both share (candidates.py), KV reuse across steps (prefix_cache.py), reporting (report.py).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from . import decoding, loading, report, scoring
from .adapter import PerceiverResampler, PoolCompressor
from .config import PolicyConfig
from .decoder import Decoder
from .frames import FrameTokens
from .history import FrameFeatures, PolicyInput
from .outputs import ActOutput, ScoreOutput
from .prefix_cache import PrefixCache
from .prompt import PromptFormat
from .quant import disable_bnb_cpu_weight_repacking, linear4bit_modules
from .sequence import SequenceBatch, SequenceBuilder
from .trie import ActionTrie, TrieCache
from .value_head import ValueHead
from .vision import FrameEncoder, ImageConfig
from .wording import spoken

logger = logging.getLogger("a2a.policy")

# kept importable from here (older callers)
POLICY_FILE, SHAPE_FIELDS, RUNTIME_FIELDS = loading.POLICY_FILE, loading.SHAPE_FIELDS, loading.RUNTIME_FIELDS

Vocab = Sequence[str] | ActionTrie


class A2APolicy(nn.Module):
    def __init__(self, hf_model: nn.Module, tokenizer, config: PolicyConfig, *, image: ImageConfig,
                 name_or_path: str = "", attn_implementation: str = "", attn_reason: str = ""):
        super().__init__()
        self.config = config
        self.tokenizer = tokenizer
        self.name_or_path = name_or_path
        # a transformers LLaVA-OneVision model: its config fields and submodules are dynamic attributes
        hf_cfg: Any = hf_model.config
        self.hf_config = hf_cfg
        inner: Any = hf_model.model
        lm_head: Any = hf_model.lm_head
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
                self.compressor: nn.Module = PerceiverResampler(hidden, config.resampler_latents,
                                                                config.resampler_heads,
                                                                config.resampler_ffn_mult, backend=config.backend)
            else:
                size = config.pool_size or -(-grid // 2)  # 0: LLaVA-OneVision's own ceil(grid / 2)
                self.compressor = PoolCompressor(size, backend=config.backend)
            self.value_head = ValueHead(hidden, config.value_hidden)

            language_model = inner.language_model
            if config.finetune_llm:
                # A randomly initialised (tiny) LLM has nothing to preserve: all of it trains.
                for p in list(language_model.parameters()) + list(lm_head.parameters()):
                    p.requires_grad_(True)
                self.lm = language_model
            elif config.lora_r > 0:
                from peft import LoraConfig, get_peft_model

                lora = LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
                                  target_modules=list(config.lora_target_modules), bias="none")
                self.lm = get_peft_model(language_model, lora)
            else:
                self.lm = language_model
        self.lm_head = lm_head
        self.compressor.to(device)
        self.value_head.to(device)
        self.tokens_per_frame = self.compressor.tokens_per_frame
        self.decoder = Decoder(self.lm, gradient_checkpointing=config.gradient_checkpointing)
        self.frame_tokens = FrameTokens(self.compressor, self.projector)

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
        self.builder = SequenceBuilder(self._encode, self.format, image_token_id=self.image_token_id,
                                       pad_id=self.pad_id,
                                       terminal_id=self.terminal_id, tokens_per_frame=self.tokens_per_frame,
                                       max_past_steps=config.max_past_steps,
                                       action_text=spoken if config.kind_first else str)
        self.tries = TrieCache(self._encode_batch, self.terminal_id)
        self.prefix_cache = PrefixCache()
        self._adapters_disabled = False
        self.detach_values = False
        self.attn_implementation = attn_implementation or getattr(hf_cfg, "_attn_implementation", "") or "unknown"
        self.attn_reason = attn_reason
        self.compute_dtype = self.embeddings.weight.dtype
        self.eval()  # acting mode until a trainer says otherwise (dropout off, KV reuse on)
        logger.info(
            "a2a.policy: attention=%s (%s), device=%s, dtype=%s, quantization=%s, compression=%s "
            "(%d tokens/frame, backend=%s), LoRA r=%d",
            self.attn_implementation, attn_reason or "given", self.device,
            str(self.compute_dtype).replace("torch.", ""),
            "nf4" if self.quantized else "none", config.compression, self.tokens_per_frame, config.backend,
            config.lora_r,
        )

    # ---- loading and saving (loading.py) -----------------------------------------------------------

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike, config: PolicyConfig | None = None, **overrides) -> A2APolicy:
        """Load a LLaVA-OneVision checkpoint (a local directory or a model id in the local cache), or a
        directory written by `save_trainable` (its base checkpoint, config and trained weights).
        `overrides` are PolicyConfig fields."""
        return loading.load_policy(path, config, **overrides)

    def save_trainable(self, directory: str | os.PathLike) -> Path:
        return loading.save_trainable(self, directory)

    def load_trainable(self, directory: str | os.PathLike) -> None:
        loading.load_trainable(self, directory)

    def train(self, mode: bool = True) -> A2APolicy:
        """Train mode for the trainable parts; the frozen vision tower always stays in eval mode."""
        super().train(mode)
        self.encoder.eval()
        return self

    # ---- small helpers -----------------------------------------------------------------------------

    @property
    def device(self) -> torch.device:
        """The language model's device (where inputs, frame features and outputs live)."""
        return self.embeddings.weight.device

    @property
    def embeddings(self) -> nn.Embedding:
        return self.lm.get_input_embeddings()

    def _encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False)

    def _encode_batch(self, actions: list[str]) -> list[tuple[int, ...]]:
        # through the builder's cache: the prompt shows past actions with exactly these ids
        return self.builder.encode_actions(actions,
                                           lambda ts: self.tokenizer(ts, add_special_tokens=False)["input_ids"])

    def trie(self, actions: Vocab) -> ActionTrie:
        """The action trie of a vocabulary (e.g. `valid_actions(env_id)`), cached per vocabulary."""
        return self.tries.get(actions)

    def tries_for(self, vocabs, n: int) -> list[ActionTrie]:
        """One trie per input: `vocabs` is one vocabulary for all, or one per input."""
        if isinstance(vocabs, ActionTrie) or (len(vocabs) and isinstance(vocabs[0], str)):
            t = self.trie(vocabs)
            return [t] * n
        if len(vocabs) != n:
            raise ValueError(f"{len(vocabs)} vocabularies for {n} inputs")
        return [self.trie(v) for v in vocabs]

    def check_temperature(self, temperature: float | None) -> float:
        T = float(self.config.temperature if temperature is None else temperature)
        if not T > 0:
            raise ValueError(f"temperature must be > 0 (use sample=False for greedy decoding), got {temperature!r}")
        return T

    def value(self, h_last: torch.Tensor) -> torch.Tensor:
        """Value estimates from hidden states at last prompt tokens (without gradient into the LLM when
        config.value_detach, or while `detach_values` is set, e.g. by behavior cloning)."""
        h = h_last.detach() if self.config.value_detach or self.detach_values else h_last
        return self.value_head(h.float())

    def trainable_version(self) -> tuple:
        """Changes whenever a trainable parameter changes (keys of cached keys/values)."""
        return (id(self),) + tuple(p._version for p in self.trainable_parameters())

    def prefix_reuse_possible(self) -> bool:
        # eval mode (no dropout) and LoRA enabled: keys/values computed at one step hold at the next
        return not self.training and not self._adapters_disabled

    # ---- frames and sequences ----------------------------------------------------------------------

    @torch.no_grad()
    def encode_frames(self, images: np.ndarray | torch.Tensor) -> list[FrameFeatures]:
        """uint8 [n, h, w, 3] -> one FrameFeatures per frame (frozen tower output, computed once)."""
        feats = self.encoder(images)
        return [FrameFeatures(f) for f in feats]

    def build(self, inputs: Sequence[PolicyInput], action_tokens=None, align: str = "left") -> SequenceBatch:
        return self.builder.build(inputs, action_tokens, align).to(self.device)

    def embed(self, batch: SequenceBatch, start: int = 0) -> torch.Tensor:
        """Input embeddings [B, W - start, H] of columns [start, W): token embeddings with the frame
        slots replaced by frame tokens."""
        return self.frame_tokens.embed(batch, self.embeddings, start)

    def hidden_states(self, batch: SequenceBatch, queries: torch.Tensor | None = None) -> torch.Tensor:
        """The LLM's final hidden states over a whole batch (no cache; differentiable): [B, W, H], or
        [B, Q, H] at the columns `queries` [B, Q] only (the last layer then runs at those alone)."""
        valid = None if batch.align == "right" else batch.attention_mask.bool()  # right: causal suffices
        return self.decoder.forward(self.embed(batch), batch.position_ids, valid, queries)

    # ---- acting and scoring ------------------------------------------------------------------------

    def act(self, inputs: Sequence[PolicyInput], vocabs, *, sample: bool = True, temperature: float | None = None,
            generator: torch.Generator | None = None, cache_keys: Sequence | None = None) -> ActOutput:
        """One action per input, decoded under its vocabulary's trie (decoding.py).

        vocabs: one vocabulary per input (a list of action strings, e.g. `valid_actions(env_id)`, or an
        ActionTrie), or a single one for all. sample=False decodes greedily; the log-prob is always the
        one under the policy's distribution at `temperature` (default config.temperature).
        cache_keys: one hashable per input (e.g. env ids) to keep each row's keys/values for the next
        step, whose prompt extends this one (prefix_cache.py). Same results either way."""
        return decoding.act(self, inputs, vocabs, sample=sample, temperature=temperature, generator=generator,
                            cache_keys=cache_keys)

    def score(self, inputs: Sequence[PolicyInput], actions: Sequence[str], vocabs, *,
              temperature: float | None = None) -> ScoreOutput:
        """Log-probs, entropies and values of given actions in one teacher-forced forward
        (differentiable; same definitions as act())."""
        return scoring.score(self, inputs, actions, vocabs, temperature=temperature)

    def score_episodes(self, episodes: Sequence, vocabs, *, temperature: float | None = None) -> ScoreOutput:
        """Every step of whole episodes, one forward per episode (see scoring.score_episodes)."""
        return scoring.score_episodes(self, episodes, vocabs, temperature=temperature)

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
            raise RuntimeError("disable_adapters: with finetune_llm the LLM has no adapters (no frozen reference for a "
                               "KL)")
        if self.config.lora_r == 0:
            yield
            return
        self._adapters_disabled = True
        try:
            with self.lm.disable_adapter():
                yield
        finally:
            self._adapters_disabled = False

    # ---- reporting (report.py) ---------------------------------------------------------------------

    def memory_footprint(self) -> dict[str, int]:
        return report.memory_footprint(self)

    def describe(self) -> dict:
        return report.describe(self)
