"""Frame tokens: the trainable compression of each frame's frozen features into a few LLM tokens,
and their placement into a sequence's embeddings.

While acting (no grad) a frame's tokens are computed once and kept on its `FrameFeatures`, keyed by
the version counters of the adapter's parameters: an optimizer step makes them stale. With grad
(PPO, behavior cloning) they are recomputed, once per distinct frame of the batch.
"""

from __future__ import annotations

import torch
from torch import nn

from .adapter import PoolCompressor
from .history import FrameFeatures
from .sequence import SequenceBatch


class FrameTokens:
    def __init__(self, compressor: nn.Module, projector: nn.Module | None):
        self.compressor = compressor
        self.projector = projector  # trained projector (None: the frozen one ran when the frame was encoded)

    def _params(self) -> list[nn.Parameter]:
        ps = list(self.compressor.parameters())
        if self.projector is not None:
            ps += list(self.projector.parameters())
        return ps

    def _cache_key(self) -> tuple:
        return (id(self),) + tuple(p._version for p in self._params())

    def compress(self, frames: list[FrameFeatures]) -> torch.Tensor:
        """Compressed tokens [F, k, H] (float32) of distinct frames."""
        if torch.is_grad_enabled():
            # training: every frame afresh, in order. (Picking y[j] one frame at a time would make the
            # backward add one full-size zero gradient per frame: quadratic in the minibatch's frames.)
            x = torch.stack([f.features for f in frames]).float()
            return self.compressor(self.projector(x) if self.projector is not None else x)
        key = self._cache_key()  # acting: a frame's tokens are kept until a parameter changes
        out: list[torch.Tensor | None] = [None] * len(frames)
        todo = []
        for i, f in enumerate(frames):
            if f.tokens_cache is not None and f.tokens_cache[0] == key:
                out[i] = f.tokens_cache[1]
            else:
                todo.append(i)
        if todo:
            x = torch.stack([frames[i].features for i in todo]).float()
            if self.projector is not None:
                x = self.projector(x)
            y = self.compressor(x)
            for j, i in enumerate(todo):
                out[i] = y[j]
                frames[i].tokens_cache = (key, y[j])
        return torch.stack(out)  # type: ignore[arg-type]

    def embed(self, batch: SequenceBatch, embeddings: nn.Embedding, start: int = 0) -> torch.Tensor:
        """Input embeddings [B, W - start, H] of the batch's columns [start, W): token embeddings with the
        frame slots replaced by frame tokens (acting feeds only each row's new tokens: start > 0)."""
        emb = embeddings(batch.input_ids[:, start:])
        if batch.slot_row.numel() == 0:
            return emb
        B, W2, H = emb.shape
        if start == 0 and isinstance(self.compressor, PoolCompressor) and self.projector is None:
            # frozen pooling: pool every slot's frame straight into the embedding buffer
            x = torch.stack([f.features for f in batch.frames])[batch.slot_frame].to(emb.dtype)
            emb = emb.clone() if emb.requires_grad else emb
            self.compressor.pack(x, emb, batch.slot_row)
            return emb
        tokens = self.compress(batch.frames)[batch.slot_frame].reshape(-1, H)  # [S * k, H], slot-major
        rows = batch.slot_token_rows()
        if start:
            W = batch.width
            col = rows % W
            keep = col >= start
            rows = (rows // W)[keep] * W2 + col[keep] - start
            tokens = tokens[keep]
        flat = emb.reshape(B * W2, H).index_copy(0, rows, tokens.to(emb.dtype))
        return flat.view(B, W2, H)
