"""Per-env KV cache reused across steps while acting.

Step t+1's prompt starts with step t's prompt followed by the action decoded at step t, so the keys
and values computed at step t stay valid: `act(..., cache_keys=env_ids)` keeps, per key, the token
ids, the frames and the per-layer K/V of that prefix, and the next step only runs the LLM over the
new tokens. An entry is used only when everything it depends on is unchanged: the token ids are a
prefix of the new prompt, the frames in it are the same objects, and the trainable parameters
(LoRA, adapter, projector) have the same version counters, adapters enabled, eval mode. Anything
else (a new episode, truncation by max_past_steps, an optimizer step) recomputes that row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Iterable

import torch

from .history import FrameFeatures


@dataclass
class PrefixEntry:
    ids: tuple[int, ...]
    frames: tuple[FrameFeatures, ...]
    key: tuple
    kv: list[tuple[torch.Tensor, torch.Tensor]]  # per layer: keys, values [kv_heads, len(ids), head_dim]

    def matches(self, ids: list[int], frames: list[FrameFeatures], key: tuple) -> bool:
        n = len(self.ids)
        return (key == self.key and n < len(ids) and len(self.frames) <= len(frames)
                and all(a is b for a, b in zip(self.frames, frames)) and tuple(ids[:n]) == self.ids)

    @property
    def nbytes(self) -> int:
        return sum(k.numel() * k.element_size() + v.numel() * v.element_size() for k, v in self.kv)


class PrefixCache:
    def __init__(self) -> None:
        self._entries: dict[Hashable, PrefixEntry] = {}
        self.hits = 0
        self.misses = 0
        self.reused_tokens = 0

    def get(self, key: Hashable) -> PrefixEntry | None:
        return self._entries.get(key)

    def put(self, key: Hashable, entry: PrefixEntry) -> None:
        self._entries[key] = entry

    def forget(self, keys: Iterable[Hashable]) -> None:
        for k in keys:
            self._entries.pop(k, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def nbytes(self) -> int:
        return sum(e.nbytes for e in self._entries.values())
