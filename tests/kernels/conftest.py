"""Kernel tests: Triton kernels run natively on CUDA, or on Triton's CPU interpreter elsewhere.

Triton reads ``TRITON_INTERPRET`` when a kernel is defined, i.e. when ``a2a.kernels``' Triton modules
are first imported (lazily, on the first ``backend="triton"`` call), so it is set here, before any
test runs. It is only defaulted on when no CUDA device is present: on a GPU machine the same tests
run natively (set ``TRITON_INTERPRET=1`` yourself to force the interpreter there).
"""

from __future__ import annotations

import os

import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")
# kernels allocate their outputs NaN-filled, so an element a kernel never writes fails the comparison
os.environ["A2A_KERNELS_POISON"] = "1"

import pytest  # noqa: E402


def _interpreted() -> bool:
    return os.environ.get("TRITON_INTERPRET", "0").strip().lower() in ("1", "true", "on", "yes")


DEVICES = [
    pytest.param("cpu", id="cpu-interpreter"),
    pytest.param("cuda", id="cuda", marks=pytest.mark.gpu),
]


@pytest.fixture(params=DEVICES)
def device(request) -> str:
    """Device the Triton backend is tested on: CPU tensors under the interpreter, or native CUDA."""
    dev = request.param
    if dev == "cpu" and not _interpreted():
        pytest.skip("Triton on CPU tensors needs TRITON_INTERPRET=1 (native CUDA runs cover the kernels here)")
    if dev == "cuda":
        if not torch.cuda.is_available():
            pytest.skip("no CUDA device: native GPU run skipped (the interpreter run covers the kernels)")
        if _interpreted():
            pytest.skip("TRITON_INTERPRET=1 forces the interpreter; unset it for native GPU runs")
    return dev
