"""Building `AgentObservation`s from the core's batches (rows of one or two batches)."""

from __future__ import annotations

import numpy as np

from .. import _core
from ..env.spaces import decode_texts
from .agent import AgentObservation

_REASONS = tuple(_core.invalid_reasons())


def observation_from_batch(batch, rows: np.ndarray | None = None) -> AgentObservation:
    """The observation of some rows of a core Batch (all rows when `rows` is None).

    Text fields are decoded; images are views of the batch when all rows are taken, copies otherwise."""
    def take(a: np.ndarray) -> np.ndarray:
        return a if rows is None else a[rows]

    frames = batch.frames
    image = history = history_len = None
    if frames is not None:
        f = take(frames)
        image = f[:, -1]
        if f.shape[1] > 1:
            history = f
            history_len = take(batch.frame_count).astype(np.int64)
    return AgentObservation(
        env_ids=take(batch.env_id).astype(np.int64),
        first=take(batch.first).copy(),
        image=image,
        history=history,
        history_len=history_len,
        instruction=decode_texts(take(batch.instruction)),
        last_action=decode_texts(take(batch.last_action)),
        answer=decode_texts(take(batch.answer)),
        invalid=take(batch.invalid).copy(),
        step=take(batch.step).astype(np.int64),
        invalid_reason=tuple(_REASONS[c] if flag else "" for c, flag in
                             zip(take(batch.invalid_reason).tolist(), take(batch.invalid).tolist())),
    )


def concat_observations(parts: list[AgentObservation]) -> AgentObservation:
    """Rows of several observations, in order."""
    parts = [p for p in parts if len(p)]
    if len(parts) == 1:
        return parts[0]
    if not parts:
        raise ValueError("concat_observations: no rows")

    def cat(name: str):
        vals = [getattr(p, name) for p in parts]
        if vals[0] is None:
            return None
        if isinstance(vals[0], tuple):
            return tuple(x for v in vals for x in v)
        return np.concatenate(vals)

    return AgentObservation(**{name: cat(name) for name in AgentObservation.__dataclass_fields__})
