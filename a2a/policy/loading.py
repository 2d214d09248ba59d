"""Loading and saving policies: the one loader every caller uses (trainer, eval agent, CLI, benches).

A path is either a LLaVA-OneVision checkpoint (a local directory, or a model id already in the local
Hugging Face cache: nothing is downloaded) or a directory written by `save_trainable` (its base
checkpoint, its config and the trained weights). A path that does not exist or holds no model is a
`ModelPathError` with one line saying so, raised before anything is loaded.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from .config import PolicyConfig

if TYPE_CHECKING:
    from .model import A2APolicy

POLICY_FILE = "a2a_policy.json"
TRAINABLE_FILE = "trainable.safetensors"
FORMAT = "a2a-policy-trainable/1"
# the weights of a checkpoint directory, as transformers looks for them (one file or the index of shards)
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                "pytorch_model.bin.index.json")
# config fields that change the shapes of trainable weights (must match between save and load)
SHAPE_FIELDS = ("compression", "resampler_latents", "resampler_heads", "resampler_ffn_mult", "pool_size",
                "train_projector", "lora_r", "lora_target_modules", "value_hidden", "finetune_llm")
# config fields a caller may override when loading a saved policy
RUNTIME_FIELDS = ("backend", "attn_implementation", "quantization", "dtype", "device", "temperature",
                  "max_past_steps", "gradient_checkpointing", "lora_dropout", "value_detach", "scene_text",
                  "kind_first", "candidates")


class ModelPathError(ValueError):
    """The model path names nothing loadable (one line, for the user)."""


def is_saved_policy(path: str | os.PathLike) -> bool:
    return Path(path, POLICY_FILE).is_file()


def _looks_like_path(name: str) -> bool:
    """Anything but a hub-style model id "org/name" is taken for a local path."""
    return name.startswith((".", "/", "~")) or name.count("/") != 1 or "\\" in name


def check_model_path(path: str | os.PathLike) -> str:
    """The local directory or cached model id to load from; ModelPathError if there is none. Never
    touches the network: a name that is not a local directory must be a model id in the local cache."""
    name = os.fspath(path)
    p = Path(name).expanduser()
    if p.exists():
        if not p.is_dir():
            raise ModelPathError(f"{name}: not a directory (a checkpoint or a saved a2a policy is a directory)")
        if not (p / POLICY_FILE).is_file() and not (p / "config.json").is_file():
            raise ModelPathError(f"{name}: holds no model (no config.json of a checkpoint, no {POLICY_FILE} "
                                 "of a policy saved by a2a train)")
        # found here, not as a traceback from transformers or safetensors once loading has begun
        if (p / POLICY_FILE).is_file() and not (p / TRAINABLE_FILE).is_file():
            raise ModelPathError(f"{name}: a saved policy without its weights (no {TRAINABLE_FILE})")
        if not (p / POLICY_FILE).is_file() and not any((p / f).is_file() for f in WEIGHT_FILES):
            raise ModelPathError(f"{name}: a checkpoint without weights (config.json but no "
                                 f"{' or '.join(WEIGHT_FILES)})")
        return str(p)
    if _looks_like_path(name):
        from .pretrained import shipped_hint

        raise ModelPathError(f"{name}: no such directory{shipped_hint(name)}")
    from huggingface_hub import try_to_load_from_cache

    if not isinstance(try_to_load_from_cache(name, "config.json"), str):
        raise ModelPathError(f"{name}: not a local directory and not in the local Hugging Face cache "
                             f"(a2a does not download models; fetch it first, e.g. `hf download {name}`)")
    return name


def base_of(policy_dir: str | os.PathLike, meta: dict) -> str:
    """Where a saved policy's base checkpoint is: a relative path that exists inside the policy directory (a
    self-contained policy: base/), else the path or model id as saved (absolute, relative to the working
    directory, or a Hugging Face model id)."""
    base = str(meta["base_model"])
    if not os.path.isabs(base) and Path(policy_dir, base).exists():
        return str(Path(policy_dir, base))
    return base


def load_policy(path: str | os.PathLike, config: PolicyConfig | None = None, **overrides) -> A2APolicy:
    """A policy from a checkpoint or a saved policy. `overrides` are PolicyConfig fields: for a base
    checkpoint they complete `config`; for a saved policy the runtime fields (RUNTIME_FIELDS) are
    applied, shape fields must equal the saved ones, and `seed` is ignored (the weights exist)."""
    name = check_model_path(path)
    if is_saved_policy(name):
        meta = json.loads(Path(name, POLICY_FILE).read_text())
        cfg = PolicyConfig.from_dict(meta["config"])
        if config is not None:
            changed = {f for f in SHAPE_FIELDS if getattr(config, f) != getattr(cfg, f)}
            if changed:
                raise ValueError(f"config differs from the saved policy in {', '.join(sorted(changed))}")
            cfg = config
        overrides.pop("seed", None)
        changed = {k for k, v in overrides.items() if k in SHAPE_FIELDS and v != getattr(cfg, k)}
        bad = (set(overrides) - set(RUNTIME_FIELDS) - set(SHAPE_FIELDS)) | changed
        if bad:
            raise ValueError(f"a saved policy's {', '.join(sorted(bad))} cannot be overridden")
        cfg = cfg.replace(**{k: v for k, v in overrides.items() if k in RUNTIME_FIELDS})
        try:
            base = check_model_path(base_of(name, meta))
        except ModelPathError as e:  # (a relative base names nothing on its own: say whose base it is)
            raise ModelPathError(f"{name}: its base checkpoint is missing: {e}") from None
        policy = load_base(base, cfg)
        load_trainable(policy, name)
        return policy
    cfg = (config or PolicyConfig()).replace(**overrides) if overrides else (config or PolicyConfig())
    return load_base(name, cfg)


def load_base(path: str, cfg: PolicyConfig) -> A2APolicy:
    """A policy on a LLaVA-OneVision checkpoint, its trainable parts freshly initialised."""
    from transformers import AutoTokenizer, LlavaOnevisionForConditionalGeneration

    from .model import A2APolicy
    from .quant import nf4_config
    from .runtime import resolve_attn_implementation, resolve_device, resolve_dtype
    from .vision import load_image_config

    device = resolve_device(cfg.device)
    dtype = resolve_dtype(cfg.dtype, device)
    attn, reason = resolve_attn_implementation(cfg.attn_implementation, device, dtype)
    kwargs: dict = {"dtype": dtype, "attn_implementation": attn, "local_files_only": True}
    if cfg.quantization == "nf4":
        kwargs["quantization_config"] = nf4_config(dtype)
        kwargs["device_map"] = {"": str(device)}
    hf = LlavaOnevisionForConditionalGeneration.from_pretrained(path, **kwargs)
    if cfg.quantization != "nf4":
        hf.to(device)
    hf.eval()
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    image = load_image_config(path, hf.config.vision_config.image_size)
    return A2APolicy(hf, tokenizer, cfg, image=image,
                     name_or_path=os.path.abspath(path) if os.path.isdir(path) else path,
                     attn_implementation=getattr(hf.config, "_attn_implementation", attn), attn_reason=reason)


def save_trainable(policy: A2APolicy, directory: str | os.PathLike) -> Path:
    """Write the trainable weights (LoRA or the whole LLM, compression adapter, value head, projector
    if trained), the config and the base checkpoint's path; `load_policy(directory)` rebuilds all."""
    from safetensors.torch import save_file

    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    state = {n: p.detach().to("cpu").contiguous() for n, p in policy.named_trainable_parameters()}
    save_file(state, str(d / TRAINABLE_FILE), metadata={"format": FORMAT})
    meta = {"format": FORMAT, "base_model": policy.name_or_path, "config": policy.config.to_dict(),
            "tokens_per_frame": policy.tokens_per_frame, "parameters": {n: list(t.shape) for n, t in state.items()}}
    (d / POLICY_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True))
    return d


def load_trainable(policy: A2APolicy, directory: str | os.PathLike) -> None:
    """Load weights written by `save_trainable` into a policy of the same shapes."""
    from safetensors.torch import load_file

    d = Path(directory)
    meta = json.loads((d / POLICY_FILE).read_text())
    if meta.get("format") != FORMAT:
        raise ValueError(f"{d}: unknown trainable-weights format {meta.get('format')!r}")
    saved = PolicyConfig.from_dict(meta["config"])
    changed = [f for f in SHAPE_FIELDS if getattr(saved, f) != getattr(policy.config, f)]
    if changed:
        raise ValueError(f"{d}: saved with a different {', '.join(changed)} than this policy")
    state = load_file(str(d / TRAINABLE_FILE))
    params = dict(policy.named_trainable_parameters())
    missing, unexpected = set(params) - set(state), set(state) - set(params)
    if missing or unexpected:
        raise ValueError(f"{d}: trainable weights do not match: missing {sorted(missing)[:5]}, "
                         f"unexpected {sorted(unexpected)[:5]}")
    with torch.no_grad():
        for n, p in params.items():
            if tuple(state[n].shape) != tuple(p.shape):
                raise ValueError(f"{d}: {n} has shape {tuple(state[n].shape)}, expected {tuple(p.shape)}")
            p.copy_(state[n].to(p.dtype))


def load_for_run(path: str | os.PathLike, options: dict) -> A2APolicy:
    """What `a2a train --model` and `a2a eval --agent mllm --model` load: `options` are PolicyConfig
    fields given on the command line; architecture fields (SHAPE_FIELDS) and `seed` apply to a base
    checkpoint only, a saved policy keeps its own."""
    name = check_model_path(path)
    if is_saved_policy(name):
        return load_policy(name, **{k: v for k, v in options.items() if k in RUNTIME_FIELDS})
    return load_policy(name, PolicyConfig(**options))
