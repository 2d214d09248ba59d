"""backend="torch" vs backend="triton" for the compression adapters and the whole policy.

Without a GPU the Triton kernels run on Triton's CPU interpreter, which must be switched on
(TRITON_INTERPRET=1) before a2a.kernels defines its Triton kernels: this module sets it at import,
i.e. at collection time, before any test runs. If the kernels were already defined without the
interpreter in this process (and there is no GPU), the comparisons are skipped. Sizes are tiny.
"""

from __future__ import annotations

import importlib.util
import os
import sys

import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

import pytest  # noqa: E402
from policy_helpers import make_policy, ragged_inputs  # noqa: E402

from a2a.policy.adapter import PerceiverResampler, PoolCompressor  # noqa: E402

_MODULES = ("a2a.kernels.resampler_attention_triton", "a2a.kernels.frame_pool_triton", "a2a.kernels.pool_pack_triton")


def _skip_reason() -> str | None:
    if importlib.util.find_spec("triton") is None:
        return "triton is not installed"
    if torch.cuda.is_available():
        return None
    if os.environ.get("TRITON_INTERPRET", "0").lower() not in ("1", "true", "on", "yes"):
        return "no GPU and TRITON_INTERPRET is not enabled"
    for name in _MODULES:
        mod = sys.modules.get(name)
        if mod is not None and not getattr(mod, "INTERPRETED", False):
            return f"{name} was defined before TRITON_INTERPRET=1 was set in this process"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def test_resampler_torch_vs_triton_forward_and_backward():
    torch.manual_seed(0)
    ref = PerceiverResampler(32, num_latents=4, num_heads=4, ffn_mult=2, backend="torch").to(DEVICE)
    tri = PerceiverResampler(32, num_latents=4, num_heads=4, ffn_mult=2, backend="triton").to(DEVICE)
    tri.load_state_dict(ref.state_dict())
    x = torch.randn(3, 4, 4, 32, device=DEVICE)
    x1, x2 = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    y1, y2 = ref(x1), tri(x2)
    torch.testing.assert_close(y2, y1, rtol=1e-4, atol=1e-5)
    g = torch.randn_like(y1)
    (y1 * g).sum().backward()
    (y2 * g).sum().backward()
    torch.testing.assert_close(x2.grad, x1.grad, rtol=1e-4, atol=1e-5)
    for (n, p1), p2 in zip(ref.named_parameters(), tri.parameters()):
        torch.testing.assert_close(p2.grad, p1.grad, rtol=1e-4, atol=1e-5, msg=n)


def test_pool_torch_vs_triton_forward_and_pack():
    torch.manual_seed(0)
    x = torch.randn(3, 8, 8, 16, device=DEVICE)
    ref, tri = PoolCompressor(2, backend="torch"), PoolCompressor(2, backend="triton")
    torch.testing.assert_close(tri(x), ref(x), rtol=1e-5, atol=1e-6)
    rows = torch.tensor([1, 9, 14], dtype=torch.long, device=DEVICE)
    d1 = torch.zeros(2, 10, 16, device=DEVICE)
    d2 = d1.clone()
    ref.pack(x, d1, rows)
    tri.pack(x, d2, rows)
    torch.testing.assert_close(d2, d1, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("compression", ["resampler", "pool"])
def test_policy_torch_vs_triton(tiny_dir, envs, compression):
    pt = make_policy(tiny_dir, compression=compression, backend="torch").eval()
    pk = make_policy(tiny_dir, compression=compression, backend="triton").eval()
    inputs, vocabs = ragged_inputs(pt, envs, past_steps=(1, 0))
    a = pt.act(inputs, vocabs, sample=False)
    b = pk.act(inputs, vocabs, sample=False)
    assert a.actions == b.actions
    torch.testing.assert_close(b.logprobs, a.logprobs, rtol=0, atol=1e-4)
    torch.testing.assert_close(b.values, a.values, rtol=0, atol=1e-4)
