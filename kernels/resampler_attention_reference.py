"""Canonical pure-torch reference for Perceiver-style resampler attention.

``out[f, h] = softmax(q[f, h] @ k[f, h].T * scale) @ v[f, h]`` with ``q`` either shared by all
frames (``[nH, Lq, D]``) or per frame (``[F, nH, Lq, D]``). Matmuls run in the input dtype, the
softmax in float32 (as transformers' eager attention does), the result is cast back to ``q``'s
dtype. Differentiable through autograd; a shared ``q`` gets the gradient summed over frames.
"""

from __future__ import annotations

import torch


def resampler_attention_reference(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float | None = None
) -> torch.Tensor:
    """q [nH, Lq, D] or [F, nH, Lq, D]; k, v [F, nH, T, D] -> [F, nH, Lq, D]."""
    if scale is None:
        scale = q.shape[-1] ** -0.5
    if q.dim() == 3:
        q = q.unsqueeze(0).expand(k.shape[0], *q.shape)
    scores = torch.matmul(q, k.transpose(-1, -2)) * scale
    probs = torch.softmax(scores, dim=-1, dtype=torch.float32).to(v.dtype)
    return torch.matmul(probs, v).to(q.dtype)
