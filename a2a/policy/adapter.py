"""Frame-compression adapters: a frame's projected patch grid [g, g, C] -> a few LLM tokens [k, C].

Both run on a2a.kernels with an explicit `backend` ("torch" reference or "triton"), chosen in the
config; nothing is swapped at import time.

- `PoolCompressor`: LLaVA-OneVision's video pooling, bilinear, to s x s tokens (no parameters).
  `pack()` pools straight into the sequence's embedding buffer (a2a.kernels.pool_and_pack).
- `PerceiverResampler`: learned latent queries cross-attend over the frame's tokens
  (a2a.kernels.resampler_attention), then a feed-forward block; k = number of latents.
"""

from __future__ import annotations

import math
from typing import cast

import torch
from torch import nn

from .. import kernels


class PoolCompressor(nn.Module):
    def __init__(self, out_size: int, backend: str = "torch", mode: str = "bilinear"):
        super().__init__()
        if out_size < 1:
            raise ValueError(f"out_size must be >= 1, got {out_size}")
        self.out_size = int(out_size)
        self.backend = backend
        self.mode = mode

    @property
    def tokens_per_frame(self) -> int:
        return self.out_size * self.out_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x [F, g, g, C] -> [F, s*s, C] (differentiable)."""
        y = kernels.frame_pool(x, (self.out_size, self.out_size), mode=self.mode, backend=self.backend)
        return y.reshape(y.shape[0], -1, y.shape[-1])

    def pack(self, x: torch.Tensor, dest: torch.Tensor, rows: torch.Tensor) -> None:
        """Pool every frame of x [F, g, g, C] and write its tokens into dest [B, W, C] in place,
        frame f starting at flat row rows[f]."""
        kernels.pool_and_pack(x, (self.out_size, self.out_size), dest, rows, mode=self.mode, backend=self.backend)

    def extra_repr(self) -> str:
        return f"out_size={self.out_size}, mode={self.mode!r}, backend={self.backend!r}"


class PerceiverResampler(nn.Module):
    """Perceiver-style resampler (one cross-attention block + feed-forward), LLM hidden size in and out.

    Initialised close to "latent + mean of the frame's tokens": values and output projection start as
    identities and the latents are small, so the attention starts near-uniform and the LLM first
    sees tokens in the projector's space; training then specialises the latents.
    """

    def __init__(self, dim: int, num_latents: int = 4, num_heads: int = 4, ffn_mult: int = 2, backend: str = "torch"):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"resampler: hidden size {dim} is not divisible by {num_heads} heads")
        self.dim = dim
        self.num_latents = num_latents
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.backend = backend
        self.latents = nn.Parameter(torch.randn(num_latents, dim) * 0.02)
        self.norm_q = nn.LayerNorm(dim)
        self.norm_kv = nn.LayerNorm(dim)
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(dim, dim, bias=False)
        self.to_v = nn.Linear(dim, dim, bias=False)
        self.to_out = nn.Linear(dim, dim, bias=True)
        self.ffn = None
        if ffn_mult > 0:
            self.ffn = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, ffn_mult * dim), nn.GELU(),
                                     nn.Linear(ffn_mult * dim, dim))
        self.reset_parameters()

    @property
    def tokens_per_frame(self) -> int:
        return self.num_latents

    @torch.no_grad()
    def reset_parameters(self) -> None:
        nn.init.normal_(self.latents, std=0.02)
        for lin in (self.to_q, self.to_k):
            nn.init.normal_(lin.weight, std=1.0 / math.sqrt(self.dim))
        nn.init.eye_(self.to_v.weight)
        nn.init.eye_(self.to_out.weight)
        nn.init.zeros_(self.to_out.bias)
        if self.ffn is not None:
            up, down = cast(nn.Linear, self.ffn[1]), cast(nn.Linear, self.ffn[3])  # the Sequential built above
            nn.init.normal_(up.weight, std=1.0 / math.sqrt(self.dim))
            nn.init.zeros_(up.bias)
            nn.init.normal_(down.weight, std=0.02 / math.sqrt(down.in_features))
            nn.init.zeros_(down.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x [F, T, C] or [F, g, g, C] -> [F, num_latents, C]."""
        if x.dim() == 4:
            x = x.reshape(x.shape[0], -1, x.shape[-1])
        F, T, C = x.shape
        nH, D = self.num_heads, self.head_dim
        kv = self.norm_kv(x)
        k = self.to_k(kv).view(F, T, nH, D).transpose(1, 2)          # [F, nH, T, D]
        v = self.to_v(kv).view(F, T, nH, D).transpose(1, 2)
        q = self.to_q(self.norm_q(self.latents)).view(-1, nH, D).transpose(0, 1)  # [nH, Lq, D], shared by frames
        o = kernels.resampler_attention(q.contiguous(), k.contiguous(), v.contiguous(),
                                        backend=self.backend)  # [F, nH, Lq, D]
        o = o.transpose(1, 2).reshape(F, self.num_latents, C)
        y = self.latents + self.to_out(o)
        if self.ffn is not None:
            y = y + self.ffn(y)
        return y

    def extra_repr(self) -> str:
        return f"dim={self.dim}, latents={self.num_latents}, heads={self.num_heads}, backend={self.backend!r}"
