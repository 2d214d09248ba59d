"""Observation and action spaces, and decoding of the core's fixed-width text fields."""

from __future__ import annotations

import string

import numpy as np
from gymnasium import spaces

from .. import _core

# Everything the instruction, actions and answers may contain.
CHARSET = frozenset(string.ascii_letters + string.digits + string.punctuation + " ")


def decode_texts(arr: np.ndarray) -> tuple[str, ...]:
    """Decodes a numpy 'S' array (NUL-padded UTF-8) into Python strings."""
    return tuple(b.decode("utf-8", "replace") for b in arr.tolist())


def single_observation_space(frame_size: int, history: int, max_steps: int) -> spaces.Dict:
    d: dict[str, spaces.Space] = {}
    if frame_size:
        d["image"] = spaces.Box(0, 255, (frame_size, frame_size, 3), np.uint8)
        if history > 1:
            d["history"] = spaces.Box(0, 255, (history, frame_size, frame_size, 3), np.uint8)
            d["history_len"] = spaces.Discrete(history + 1)
    d["instruction"] = spaces.Text(_core.INSTRUCTION_CHARS, min_length=0, charset=CHARSET)
    d["last_action"] = spaces.Text(_core.ACTION_CHARS, min_length=0, charset=CHARSET)
    d["answer"] = spaces.Text(_core.ANSWER_CHARS, min_length=0, charset=CHARSET)
    d["invalid"] = spaces.Discrete(2)
    d["step"] = spaces.Discrete(max_steps + 1)
    return spaces.Dict(d)


def action_space() -> spaces.Text:
    """Text actions: navigate(...), pick(...), place(...), open(...), close(...), ask(...)."""
    return spaces.Text(_core.MAX_ACTION_CHARS, min_length=1, charset=CHARSET)


def observation_from_batch(batch, frame_size: int, history: int, rows: slice | None = None) -> dict:
    """Builds the (batched) observation dict from a core Batch; images are zero-copy views."""
    obs: dict = {}
    if frame_size:
        frames = batch.frames
        obs["image"] = frames[:, -1]
        if history > 1:
            obs["history"] = frames
            obs["history_len"] = batch.frame_count.astype(np.int64)
    obs["instruction"] = decode_texts(batch.instruction)
    obs["last_action"] = decode_texts(batch.last_action)
    obs["answer"] = decode_texts(batch.answer)
    obs["invalid"] = batch.invalid.astype(np.int64)
    obs["step"] = batch.step.astype(np.int64)
    return obs


INFO_FIELDS = ("first", "success", "failure", "invalid_reason", "asked", "useful", "question_type", "questions",
               "useful_questions", "invalid_actions", "K", "budget", "episode", "env_id", "targets", "delivered")


def info_from_batch(batch) -> dict:
    """Per-env infos in Gymnasium's vector layout: each key has an array and a `_key` mask."""
    info: dict = {}
    n = batch.rows
    mask = np.ones(n, dtype=bool)
    for name in INFO_FIELDS:
        info[name] = getattr(batch, name)
        info["_" + name] = mask
    info["reward_terms"] = batch.reward_terms
    info["_reward_terms"] = mask
    return info
