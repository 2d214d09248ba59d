"""Tiny LLaVA-OneVision-architecture checkpoints built offline (`a2a model init-tiny DIR`).

The model has the real architecture (SigLIP vision tower, LLaVA-OneVision projector, Qwen2 LLM)
with a few small layers, randomly initialised; the vision tower's input size matches the env's
frames (default 128 px, patch 16 -> an 8x8 grid). The tokenizer is a byte-level BPE trained with
`tokenizers` on the task's own text: catalog words, the canonical actions of a few generated scenes
(receptacle names, object descriptions, every question), instructions, the built-in user's answers
and the prompt format, with ChatML special tokens, `<image>`/`<video>` and a chat template.
Everything is saved with `save_pretrained` and loads through `A2APolicy.from_pretrained`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from .prompt import CHAT_TEMPLATE, IM_END, IM_START, IMAGE_TOKEN, PAD_TOKEN, VIDEO_TOKEN, PromptFormat

if TYPE_CHECKING:
    from transformers import LlavaOnevisionForConditionalGeneration

SPECIAL_TOKENS = (PAD_TOKEN, IM_START, IM_END, IMAGE_TOKEN, VIDEO_TOKEN)
TINY_FILE = "a2a_tiny.json"


@dataclass(frozen=True)
class TinySpec:
    image_size: int = 128
    patch_size: int = 16
    vision_hidden: int = 64
    vision_layers: int = 2
    vision_heads: int = 4
    hidden: int = 64
    layers: int = 2
    heads: int = 4
    kv_heads: int = 2
    intermediate: int = 128
    vocab_size: int = 1024
    scenes: int = 6
    seed: int = 0
    vision_intermediate: int = 0   # 0: 2 x vision_hidden
    model_vocab: int = 0           # 0: the tokenizer's size (larger: rows never produced, e.g. to match a real LLM)
    tie_embeddings: bool = False

    def __post_init__(self) -> None:
        small = [f"{k} {v}" for k, v in (("layers", self.layers), ("vision_layers", self.vision_layers),
                                         ("heads", self.heads), ("kv_heads", self.kv_heads)) if v < 1]
        if small:
            raise ValueError(f"{', '.join(small)}: must be >= 1")
        if self.image_size < self.patch_size:  # like SigLIP, a remainder is dropped (384 px / 14 -> 27x27)
            raise ValueError(f"image_size {self.image_size} must be >= patch_size {self.patch_size}")
        if self.hidden % self.heads or self.heads % self.kv_heads or self.vision_hidden % self.vision_heads:
            raise ValueError("hidden sizes must divide by the head counts (and heads by kv_heads)")


def task_corpus(scenes: int = 6, seed: int = 0) -> list[str]:
    """Text the policy will read and write: vocabulary, actions, instructions, answers, prompts."""
    from .. import _core
    from ..env.config import EnvConfig

    cat = _core.catalog()
    lines: list[str] = []
    words = [w for key in ("room_types", "colors", "sizes", "patterns", "finishes") for w in cat[key]]
    words += [r["name"] for r in cat["receptacle_types"]] + [r["plural"] for r in cat["receptacle_types"]]
    words += [c["name"] for c in cat["categories"]]
    lines.append(" ".join(words))
    fmt = PromptFormat()
    lines += [fmt.system_prompt, fmt.invalid_notice, fmt.answer_prefix, "user", "assistant", "system"]
    lines += [fmt.header("Bring the cup and place it on the coffee table.")]
    eps = _core.EpisodeSet.generate("train", max(1, scenes) * 4, seed=seed, train_scenes=max(1, scenes))
    env = EnvConfig(frame_size=0, autoreset="disabled").make_core(eps, 1)
    seen_scenes: set[int] = set()
    for i in range(len(eps)):
        ep = eps[i]
        lines.append(ep["instruction"])
        if ep["scene_seed"] in seen_scenes:
            continue
        seen_scenes.add(ep["scene_seed"])
        env.reset([0], [i])
        actions = env.valid_actions(0)
        lines += actions
        for a in actions:
            if a.startswith("ask("):
                ans = env.answer(0, a[4:-1])
                if ans:
                    lines.append(fmt.answer_prefix + ans)
        lines += [r["name"] for r in ep["world"]["receptacles"]]
    lines += list(_core.invalid_reasons()[1:])
    return lines


def train_tokenizer(corpus: list[str], vocab_size: int = 1024):
    """Byte-level BPE (no unknown tokens: any text round-trips) with ChatML special tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(SPECIAL_TOKENS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=IM_END, pad_token=PAD_TOKEN,
                                   additional_special_tokens=[IM_START, IMAGE_TOKEN, VIDEO_TOKEN])
    fast.chat_template = CHAT_TEMPLATE
    return fast


def build_tiny_model(spec: TinySpec, tokenizer) -> LlavaOnevisionForConditionalGeneration:
    from transformers import (
        LlavaOnevisionConfig,
        LlavaOnevisionForConditionalGeneration,
        Qwen2Config,
        SiglipVisionConfig,
    )

    vocab = max(len(tokenizer), spec.model_vocab)
    vc = SiglipVisionConfig(hidden_size=spec.vision_hidden,
                            intermediate_size=spec.vision_intermediate or 2 * spec.vision_hidden,
                            num_hidden_layers=spec.vision_layers, num_attention_heads=spec.vision_heads,
                            image_size=spec.image_size, patch_size=spec.patch_size, vision_use_head=False)
    tc = Qwen2Config(hidden_size=spec.hidden, intermediate_size=spec.intermediate, num_hidden_layers=spec.layers,
                     num_attention_heads=spec.heads, num_key_value_heads=spec.kv_heads, vocab_size=vocab,
                     max_position_embeddings=32768, tie_word_embeddings=spec.tie_embeddings,
                     eos_token_id=tokenizer.convert_tokens_to_ids(IM_END), pad_token_id=tokenizer.pad_token_id,
                     bos_token_id=None)
    cfg = LlavaOnevisionConfig(vision_config=vc, text_config=tc,
                               image_token_index=tokenizer.convert_tokens_to_ids(IMAGE_TOKEN),
                               video_token_index=tokenizer.convert_tokens_to_ids(VIDEO_TOKEN),
                               vision_feature_select_strategy="full", vision_feature_layer=-1,
                               image_grid_pinpoints=[[spec.image_size, spec.image_size]],
                               tie_word_embeddings=spec.tie_embeddings)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(spec.seed)
        model = LlavaOnevisionForConditionalGeneration(cfg)
    return model.eval()


def save_image_processor(out: Path, image_size: int) -> None:
    try:  # the PIL processor needs no torchvision
        from transformers.models.llava_onevision.image_processing_pil_llava_onevision import (
            LlavaOnevisionImageProcessorPil as Processor,
        )
    except ImportError:  # pragma: no cover - older transformers
        from transformers import LlavaOnevisionImageProcessor as Processor

    proc = Processor(size={"height": image_size, "width": image_size}, image_mean=[0.5, 0.5, 0.5],
                                        image_std=[0.5, 0.5, 0.5], image_grid_pinpoints=[[image_size, image_size]])
    proc.save_pretrained(str(out))


# LLaVA-OneVision-0.5B's shapes (SigLIP-so400m at 384 px minus its last layer, Qwen2-0.5B with tied
# embeddings, 894M parameters): random weights of the real size, for memory measurements offline.
LLAVA_OV_05B_SHAPES = TinySpec(image_size=384, patch_size=14, vision_hidden=1152, vision_layers=26, vision_heads=16,
                               vision_intermediate=4304, hidden=896, layers=24, heads=14, kv_heads=2, intermediate=4864,
                               model_vocab=151936, tie_embeddings=True)


def init_tiny(out_dir: str | Path, spec: TinySpec | None = None, dtype: torch.dtype = torch.float32) -> Path:
    """Build and save a tiny checkpoint in `out_dir` (weights stored in `dtype`), which must be missing or an empty
    folder; returns the directory. Written in one piece (folders.built_aside): a killed build leaves nothing."""
    from .folders import built_aside

    spec = spec or TinySpec()
    out = Path(out_dir)
    tokenizer = train_tokenizer(task_corpus(spec.scenes, spec.seed), spec.vocab_size)
    model = build_tiny_model(spec, tokenizer).to(dtype)
    with built_aside(out) as tmp:
        model.save_pretrained(str(tmp))
        tokenizer.save_pretrained(str(tmp))
        save_image_processor(tmp, spec.image_size)
        (tmp / TINY_FILE).write_text(json.dumps({"spec": asdict(spec), "built_by": "a2a model init-tiny"}, indent=2))
    return out
