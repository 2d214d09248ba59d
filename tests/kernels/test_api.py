"""Public API contract: explicit backends, clear ValueErrors, importable without triton."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch

import a2a.kernels as K
from a2a.kernels import frame_pool, pool_and_pack, resampler_attention
from a2a.kernels._backend import check_triton_device

BACKENDS = ["torch", "triton"]


def test_public_names():
    for name in ("frame_pool", "pool_and_pack", "resampler_attention", "llava_onevision_pool_size"):
        assert callable(getattr(K, name)), name
    assert K.BACKENDS == ("torch", "triton")
    assert K.POOL_MODES == ("bilinear", "avg")


def test_triton_modules_do_not_shadow_public_functions(device):
    """Importing a kernel submodule sets it on the package; names must not collide with the API."""
    x = torch.randn(1, 4, 4, 2, device=device)
    frame_pool(x, (2, 2), backend="triton")
    q = torch.randn(1, 2, 4, device=device)
    resampler_attention(q, torch.randn(1, 1, 3, 4, device=device), torch.randn(1, 1, 3, 4, device=device),
                        backend="triton")
    pool_and_pack(x, (2, 2), torch.zeros(1, 4, 2, device=device), torch.tensor([0], device=device),
                  backend="triton")
    assert callable(K.frame_pool) and callable(K.resampler_attention) and callable(K.pool_and_pack)


@pytest.mark.parametrize("bad", ["cuda", "Triton", "", None, 1])
def test_unknown_backend_names_choices(bad):
    x = torch.randn(1, 4, 4, 2)
    with pytest.raises(ValueError, match=r"unknown backend .*'torch', 'triton'"):
        frame_pool(x, (2, 2), backend=bad)
    with pytest.raises(ValueError, match=r"'torch', 'triton'"):
        pool_and_pack(x, (2, 2), torch.zeros(1, 4, 2), torch.tensor([0]), backend=bad)
    with pytest.raises(ValueError, match=r"'torch', 'triton'"):
        resampler_attention(torch.randn(1, 2, 4), torch.randn(1, 1, 3, 4), torch.randn(1, 1, 3, 4), backend=bad)


@pytest.mark.parametrize("backend", BACKENDS)
def test_unknown_mode_names_choices(backend):
    x = torch.randn(1, 4, 4, 2)
    with pytest.raises(ValueError, match=r"unknown mode 'nearest'.*'bilinear', 'avg'"):
        frame_pool(x, (2, 2), mode="nearest", backend=backend)
    with pytest.raises(ValueError, match=r"'bilinear', 'avg'"):
        pool_and_pack(x, (2, 2), torch.zeros(1, 4, 2), torch.tensor([0]), mode="max", backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "x,out_size,match",
    [
        (torch.randn(4, 4, 2), (2, 2), "4-D"),
        (torch.randn(1, 0, 4, 2), (2, 2), "H, W >= 1"),
        (torch.randn(1, 4, 4, 2, dtype=torch.float64), (2, 2), "dtype torch.float64"),
        (torch.ones(1, 4, 4, 2, dtype=torch.int32), (2, 2), "dtype torch.int32"),
        ("not a tensor", (2, 2), "torch.Tensor"),
        (torch.randn(1, 4, 4, 2), (2, 0), "positive ints"),
        (torch.randn(1, 4, 4, 2), (2, 2, 2), "2 entries"),
        (torch.randn(1, 4, 4, 2), (2.0, 2), "positive ints"),
        (torch.randn(1, 4, 4, 2), "22", "positive ints"),
        (torch.randn(1, 4, 4, 2), None, "int or a pair"),
    ],
)
def test_frame_pool_rejects_bad_inputs(backend, x, out_size, match):
    with pytest.raises(ValueError, match=match):
        frame_pool(x, out_size, backend=backend)


def test_frame_pool_int_out_size():
    x = torch.randn(2, 6, 6, 3)
    torch.testing.assert_close(frame_pool(x, 3), frame_pool(x, (3, 3)))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "q,k,v,scale,match",
    [
        (torch.randn(2, 4), torch.randn(1, 1, 3, 4), torch.randn(1, 1, 3, 4), None, "3-D or 4-D"),
        (torch.randn(1, 2, 4), torch.randn(1, 3, 4), torch.randn(1, 3, 4), None, "k must be 4-D"),
        (torch.randn(2, 2, 4), torch.randn(1, 1, 3, 4), torch.randn(1, 1, 3, 4), None, r"nH=1"),
        (torch.randn(1, 2, 5), torch.randn(1, 1, 3, 4), torch.randn(1, 1, 3, 4), None, r"D=4"),
        (torch.randn(2, 1, 2, 4), torch.randn(1, 1, 3, 4), torch.randn(1, 1, 3, 4), None, r"F=1"),
        (torch.randn(1, 2, 4), torch.randn(1, 1, 3, 4), torch.randn(1, 1, 5, 4), None, "same shape"),
        (torch.randn(1, 2, 4), torch.randn(1, 1, 0, 4), torch.randn(1, 1, 0, 4), None, "T >= 1"),
        (torch.randn(1, 2, 4), torch.randn(1, 1, 3, 4).half(), torch.randn(1, 1, 3, 4), None, "one dtype"),
        (torch.randn(1, 2, 4).double(), torch.randn(1, 1, 3, 4).double(), torch.randn(1, 1, 3, 4).double(),
         None, "float64"),
        (torch.randn(1, 2, 4), torch.randn(1, 1, 3, 4), torch.randn(1, 1, 3, 4), float("nan"), "finite"),
        (torch.randn(1, 2, 4), torch.randn(1, 1, 3, 4), torch.randn(1, 1, 3, 4), "0.5", "finite"),
        (torch.randn(1, 2, 4), torch.randn(1, 1, 3, 4, device="meta"), torch.randn(1, 1, 3, 4, device="meta"),
         None, "one device"),
    ],
)
def test_resampler_rejects_bad_inputs(backend, q, k, v, scale, match):
    with pytest.raises(ValueError, match=match):
        resampler_attention(q, k, v, scale=scale, backend=backend)


def test_triton_backend_on_cpu_without_interpreter_is_a_clear_error():
    with pytest.raises(ValueError, match="needs CUDA tensors.*TRITON_INTERPRET=1"):
        check_triton_device(torch.device("cpu"), interpreted=False)
    check_triton_device(torch.device("cpu"), interpreted=True)
    with pytest.raises(ValueError, match="does not support device meta"):
        check_triton_device(torch.device("meta"), interpreted=True)


def test_package_imports_and_runs_without_triton():
    """Block `import triton`: the package imports, backend='torch' works, 'triton' raises ImportError."""
    code = textwrap.dedent(
        """
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "triton" or name.startswith("triton."):
                    raise ImportError("blocked for the test: no module named 'triton'")
        sys.meta_path.insert(0, Block())
        import torch
        import a2a.kernels as K
        x = torch.randn(2, 5, 5, 3)
        assert K.frame_pool(x, (3, 3)).shape == (2, 3, 3, 3)
        assert "triton" not in sys.modules
        try:
            K.frame_pool(x, (3, 3), backend="triton")
        except ImportError as e:
            assert "needs the `triton` package" in str(e), e
            print("OK")
        """
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and res.stdout.strip().endswith("OK"), res.stderr[-2000:]
