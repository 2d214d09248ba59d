"""Runtime choices made explicit: device, compute dtype and attention implementation."""

from __future__ import annotations

import importlib.util

import torch

DTYPE_NAMES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} requested but CUDA is not available")
    return dev


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    if name == "auto":
        if device.type == "cuda" and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32
    return DTYPE_NAMES[name]


def flash_attn_available() -> bool:
    return importlib.util.find_spec("flash_attn") is not None


def resolve_attn_implementation(requested: str, device: torch.device, dtype: torch.dtype) -> tuple[str, str]:
    """(implementation, reason). "auto": flash_attention_2 when flash-attn is installed, the device is
    a GPU and the dtype is 16-bit; PyTorch SDPA otherwise. An explicit request is honoured or refused."""
    fa_ok = flash_attn_available()
    if requested == "flash_attention_2":
        if not fa_ok:
            raise ValueError("attn_implementation='flash_attention_2' needs the flash-attn package (pip install "
                             "flash-attn)")
        if device.type != "cuda":
            raise ValueError("attn_implementation='flash_attention_2' needs a CUDA device")
        if dtype not in (torch.float16, torch.bfloat16):
            raise ValueError("attn_implementation='flash_attention_2' needs dtype bfloat16 or float16")
        return requested, "requested"
    if requested in ("sdpa", "eager"):
        return requested, "requested"
    if not fa_ok:
        return "sdpa", "auto: flash-attn is not installed"
    if device.type != "cuda":
        return "sdpa", "auto: flash-attn needs a GPU"
    if dtype not in (torch.float16, torch.bfloat16):
        return "sdpa", f"auto: flash-attn needs a 16-bit dtype, got {dtype}"
    return "flash_attention_2", "auto: flash-attn installed, GPU, 16-bit dtype"
