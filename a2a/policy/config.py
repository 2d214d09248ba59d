"""PolicyConfig: every knob of the MLLM policy, validated at construction (no global config tree)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

COMPRESSIONS = ("resampler", "pool")
BACKENDS = ("torch", "triton")
ATTN_IMPLEMENTATIONS = ("auto", "sdpa", "flash_attention_2", "eager")
QUANTIZATIONS = ("none", "nf4")
DTYPES = ("auto", "float32", "bfloat16", "float16")
DEFAULT_LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class PolicyConfig:
    """How the LLaVA-OneVision checkpoint is turned into a vision-language-action policy.

    Compression (one frame -> `tokens_per_frame` LLM tokens):
      - "resampler": a Perceiver-style learned resampler, `resampler_latents` latent queries with
        `resampler_heads` heads cross-attending over the frame's projected patch tokens
        (a2a.kernels.resampler_attention). The paper's adapter: 4 latents.
      - "pool": LLaVA-OneVision's video pooling (bilinear) of the projected patch grid to
        `pool_size` x `pool_size` tokens (a2a.kernels.pool_and_pack / frame_pool). pool_size=0 means
        LLaVA-OneVision's own ceil(grid/2) (27x27 -> 14x14 = 196 tokens).
    `backend` chooses the kernels' implementation ("torch" reference or "triton").
    `train_projector`: the LLaVA projector becomes trainable (then it runs on every forward instead
    of being applied once per frame when the frame is encoded).
    """

    compression: str = "resampler"
    resampler_latents: int = 4
    resampler_heads: int = 4
    resampler_ffn_mult: int = 2
    pool_size: int = 2
    backend: str = "torch"
    train_projector: bool = False
    attn_implementation: str = "auto"
    quantization: str = "none"          # "nf4": LLM in 4-bit NF4 with double quantization (bitsandbytes)
    dtype: str = "auto"                 # compute dtype of the frozen parts; "auto": bf16 on CUDA, fp32 on CPU
    device: str = "auto"                # "auto": cuda if available, else cpu
    finetune_llm: bool = False          # train every LLM weight instead of LoRA adapters (tiny models from scratch)
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.0
    lora_target_modules: tuple[str, ...] = DEFAULT_LORA_TARGETS
    value_hidden: int = 256
    # True: the value loss trains the value head only, not the LLM's weights: on the cloned tiny
    # policy a shared trunk let the critic's gradient undo behavior cloning during PPO.
    value_detach: bool = True
    temperature: float = 1.0            # the policy's distribution is softmax(logits / temperature)
    max_past_steps: int = 64            # older steps are dropped from the prompt (0: current step only)
    # True: the prompt also reads the scene as text (a2a/policy/scene.py): the places and objects of the action
    # vocabulary once, and every step its number, where the robot stands (closed or not), what it holds, the objects
    # in view (the Set-of-Marks table), the next places not looked into and the dialogue. Not privileged.
    scene_text: bool = False
    # True: objects are read and picks written kind first (`pick(hat large black)`, a2a/policy/wording.py); the env
    # still gets its own action strings.
    kind_first: bool = False
    # True (with scene_text): every step also names the scene's object descriptions that fit the instruction and the
    # answers so far (`Candidates:`, a2a/policy/scene.py): what look-then-ask computes from the same words.
    candidates: bool = False
    gradient_checkpointing: bool = False
    seed: int = 0                       # initialisation of the adapter, value head and LoRA weights

    def __post_init__(self) -> None:
        def choice(name: str, allowed: tuple[str, ...]) -> None:
            v = getattr(self, name)
            if v not in allowed:
                raise ValueError(f"PolicyConfig.{name} must be one of {', '.join(map(repr, allowed))}, got {v!r}")

        choice("compression", COMPRESSIONS)
        choice("backend", BACKENDS)
        choice("attn_implementation", ATTN_IMPLEMENTATIONS)
        choice("quantization", QUANTIZATIONS)
        choice("dtype", DTYPES)
        if self.device != "auto" and not (self.device == "cpu" or self.device.startswith("cuda")):
            raise ValueError(f"PolicyConfig.device must be 'auto', 'cpu' or 'cuda[:N]', got {self.device!r}")
        for name, lo in (("resampler_latents", 1), ("resampler_heads", 1), ("resampler_ffn_mult", 0), ("pool_size", 0),
                         ("lora_r", 0), ("lora_alpha", 1), ("value_hidden", 1), ("max_past_steps", 0)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise ValueError(f"PolicyConfig.{name} must be an int >= {lo}, got {v!r}")
        for name in ("scene_text", "kind_first", "candidates"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"PolicyConfig.{name} must be a bool, got {getattr(self, name)!r}")
        if self.candidates and not self.scene_text:
            raise ValueError("PolicyConfig.candidates is a line of the scene text: it needs scene_text=True")
        if self.finetune_llm and self.quantization != "none":
            raise ValueError("PolicyConfig.finetune_llm trains the LLM's own weights: it needs quantization='none'")
        if not 0.0 <= self.lora_dropout < 1.0:
            raise ValueError(f"PolicyConfig.lora_dropout must be in [0, 1), got {self.lora_dropout}")
        if not (isinstance(self.temperature, (int, float)) and self.temperature > 0):
            raise ValueError(f"PolicyConfig.temperature must be > 0, got {self.temperature!r}")
        if isinstance(self.lora_target_modules, str) or not all(isinstance(t, str) for t in self.lora_target_modules):
            raise ValueError("PolicyConfig.lora_target_modules must be a sequence of module names")
        object.__setattr__(self, "lora_target_modules", tuple(self.lora_target_modules))

    # -- conversions ---------------------------------------------------------------------------------

    def replace(self, **changes: Any) -> PolicyConfig:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["lora_target_modules"] = list(self.lora_target_modules)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> PolicyConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown PolicyConfig fields: {', '.join(sorted(unknown))}")
        return cls(**d)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @property
    def tokens_per_frame_hint(self) -> int | None:
        """Tokens per frame when it does not depend on the checkpoint (None for pool_size=0)."""
        if self.compression == "resampler":
            return self.resampler_latents
        return self.pool_size * self.pool_size if self.pool_size else None
