"""The value head: a small MLP on the LLM's hidden state at the last prompt token (before the action)."""

from __future__ import annotations

import torch
from torch import nn


class ValueHead(nn.Module):
    """Small MLP: the hidden state before the action -> a scalar value."""

    def __init__(self, dim: int, hidden: int = 256):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(hidden, 1)
        with torch.no_grad():
            nn.init.normal_(self.fc2.weight, std=0.01)
            nn.init.zeros_(self.fc2.bias)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(self.norm(h)))).squeeze(-1)
