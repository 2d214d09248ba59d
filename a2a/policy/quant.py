"""4-bit NF4 loading of the LLM through bitsandbytes, and the CPU repacking switch it needs here.

`nf4_config()` quantizes the language model's linear layers (NF4, double quantization) and keeps
the vision tower, the projector and the LM head in the compute dtype (the compression adapter and
the value head are a2a modules, never quantized).

CPU quirk (bitsandbytes 0.50): on CPUs with AVX512-BF16, `bnb.nn.Linear4bit.forward` repacks its
weight into a CPU-specific layout the first time it runs in eval mode without grad; training
forwards of layers with a bias fail afterwards ("a view of a leaf Variable that requires grad is
being used in an in-place operation"). The switch is the per-module attribute
`Linear4bit.support_avx512bf16_for_cpu` (set in `bitsandbytes/nn/modules.py`, `Linear4bit.__init__`,
from `bitsandbytes.functional.has_avx512bf16()`; read in `Linear4bit.forward`), set by
`disable_bnb_cpu_weight_repacking(model)` on every 4-bit layer of a model (instances only: no class is
patched). A2APolicy calls it whenever a 4-bit model runs on CPU.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

# Module name prefixes kept out of quantization. transformers 5 matches llm_int8_skip_modules from
# the start of the full module name (or as a suffix), 4.x as substrings: list both spellings.
SKIP_MODULES = (
    "model.vision_tower",
    "model.multi_modal_projector",
    "vision_tower",
    "multi_modal_projector",
    "lm_head",
)


def nf4_config(compute_dtype: torch.dtype, skip_modules: tuple[str, ...] = SKIP_MODULES):
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=compute_dtype,
        llm_int8_skip_modules=list(skip_modules),
    )


def linear4bit_modules(model: nn.Module) -> list[tuple[str, Any]]:
    """The bitsandbytes 4-bit linear layers of a model (empty without bitsandbytes)."""
    try:
        import bitsandbytes as bnb
    except ImportError:
        return []
    return [(n, m) for n, m in model.named_modules() if isinstance(m, bnb.nn.Linear4bit)]


def disable_bnb_cpu_weight_repacking(model: nn.Module) -> int:
    """Keep bitsandbytes from repacking 4-bit weights for its AVX512-BF16 CPU kernels (see the module
    docstring): sets `support_avx512bf16_for_cpu = False` on every Linear4bit instance of `model`.
    Returns how many layers were switched. Harmless on GPUs (the attribute is only read on CPU)."""
    layers = linear4bit_modules(model)
    for _, m in layers:
        m.support_avx512bf16_for_cpu = False
    return len(layers)
