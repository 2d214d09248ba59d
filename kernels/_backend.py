"""Backend selection and the checks every public kernel entry point shares.

The package must import without Triton: ``triton`` is imported here lazily, the first time a
``backend="triton"`` call needs it, and the Triton kernel modules (``frame_pool_triton.py``,
``pool_pack_triton.py``, ``resampler_attention_triton.py``) are only imported through :func:`triton_module`.

``TRITON_INTERPRET=1`` (Triton's CPU interpreter, used by the tests on machines without a GPU)
is read by Triton when a kernel is *defined*, i.e. when those modules are first imported, so it
must be set in the environment before the first ``backend="triton"`` call.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from types import ModuleType
from typing import Any

import torch

BACKENDS: tuple[str, ...] = ("torch", "triton")

# dtypes the Triton kernels are written for; the torch references accept these too.
SUPPORTED_DTYPES: tuple[torch.dtype, ...] = (torch.float32, torch.float16, torch.bfloat16)

_TRITON_HINT = (
    "backend='triton' needs the `triton` package (install the extra: pip install 'a2a[kernels]'); "
    "use backend='torch' to run the pure-torch reference instead"
)


def check_backend(backend: object) -> str:
    """Return ``backend`` if it names a known backend, else raise ``ValueError`` naming the choices."""
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(map(repr, BACKENDS))}")
    return backend


def check_choice(what: str, value: object, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"unknown {what} {value!r}; choose one of {', '.join(map(repr, choices))}")
    return value


def require_triton() -> ModuleType:
    """Import and return ``triton``, or raise ``ImportError`` with an actionable message."""
    try:
        import triton  # noqa: PLC0415 - lazy on purpose
    except ImportError as exc:  # pragma: no cover - exercised only where triton is absent
        raise ImportError(_TRITON_HINT) from exc
    return triton


def triton_module(name: str) -> ModuleType:
    """Import one of this package's Triton kernel modules (``frame_pool_triton``, ...), lazily.

    Their names end in ``_triton`` on purpose: importing a submodule sets it as an attribute of the
    package, which would shadow a public function of the same name (``frame_pool``, ...)."""
    require_triton()
    return importlib.import_module(f".{name}", __package__)


def triton_interpreting() -> bool:
    """Whether Triton would define kernels for its CPU interpreter right now (read at kernel
    definition, i.e. when a ``*_triton`` module is imported)."""
    try:
        from triton import knobs  # noqa: PLC0415 - triton >= 3.4
    except ImportError:  # pragma: no cover - older triton reads the environment directly
        return interpret_requested()
    return bool(knobs.runtime.interpret)


def interpret_requested() -> bool:
    """True when ``TRITON_INTERPRET`` asks Triton to run kernels on the CPU interpreter."""
    return os.environ.get("TRITON_INTERPRET", "0").strip().lower() in ("1", "true", "on", "yes")


def check_tensor(name: str, t: object, *, dims: int | tuple[int, ...] | None = None,
                 dtypes: tuple[torch.dtype, ...] | None = SUPPORTED_DTYPES) -> torch.Tensor:
    if not isinstance(t, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if dims is not None:
        allowed = (dims,) if isinstance(dims, int) else dims
        if t.dim() not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be {want}, got shape {tuple(t.shape)}")
    if dtypes is not None and t.dtype not in dtypes:
        raise ValueError(
            f"{name} has dtype {t.dtype}; supported: {', '.join(str(d) for d in dtypes)}"
        )
    return t


def check_same_device(**tensors: torch.Tensor) -> torch.device:
    devices = {name: t.device for name, t in tensors.items()}
    first = next(iter(devices.values()))
    if any(d != first for d in devices.values()):
        listing = ", ".join(f"{n} on {d}" for n, d in devices.items())
        raise ValueError(f"all tensors must be on one device, got {listing}")
    return first


def check_triton_device(device: torch.device, interpreted: bool) -> None:
    """Triton runs on CUDA (or ROCm) tensors; on CPU only under ``TRITON_INTERPRET=1``."""
    if device.type == "cuda":
        return
    if device.type == "cpu" and interpreted:
        return
    if device.type == "cpu":
        raise ValueError(
            "backend='triton' needs CUDA tensors (got CPU tensors); use backend='torch', or set "
            "TRITON_INTERPRET=1 before the first triton call to run the kernels on Triton's CPU "
            "interpreter (slow; for tests)"
        )
    raise ValueError(f"backend='triton' does not support device {device}; use backend='torch'")


def new_empty(shape: tuple[int, ...], *, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """``torch.empty`` for kernel outputs; NaN-filled when ``A2A_KERNELS_POISON=1`` (tests set it) so
    that any element a kernel fails to write shows up as NaN instead of stale memory."""
    if os.environ.get("A2A_KERNELS_POISON", "0") == "1":
        return torch.full(shape, float("nan"), dtype=dtype, device=device)
    return torch.empty(shape, dtype=dtype, device=device)


def device_guard(device: torch.device) -> contextlib.AbstractContextManager:
    """Make ``device`` current while launching: Triton launches on the *current* CUDA device."""
    return torch.cuda.device(device) if device.type == "cuda" else contextlib.nullcontext()


def out_size_pair(out_size: Any) -> tuple[int, int]:
    """Validate ``out_size`` as a pair of positive ints (an int ``n`` means ``(n, n)``)."""
    if isinstance(out_size, bool):
        raise ValueError(f"out_size must be an int or a pair of ints, got {out_size!r}")
    if isinstance(out_size, int):
        pair: tuple[Any, ...] = (out_size, out_size)
    else:
        try:
            pair = tuple(out_size)
        except TypeError:
            raise ValueError(f"out_size must be an int or a pair of ints, got {out_size!r}") from None
        if len(pair) != 2:
            raise ValueError(f"out_size must have 2 entries (k1, k2), got {out_size!r}")
    out: list[int] = []
    for v in pair:
        if isinstance(v, torch.Tensor) and v.dim() == 0 and not v.is_floating_point():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"out_size entries must be positive ints, got {out_size!r}")
        out.append(int(v))
    return out[0], out[1]
