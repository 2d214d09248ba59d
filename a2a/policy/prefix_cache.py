"""Per-env keys/values kept across acting steps.

Step t+1's prompt starts with step t's prompt followed by the action tokens fed while decoding step
t, so their keys and values stay valid: `act(..., cache_keys=env_ids)` gives each key a row of one
preallocated `KVCache` (decoder.py) and remembers the token ids and frames in it, and the next step
feeds only the new tokens. A row is reused only when everything it depends on is unchanged: its ids
are a prefix of the new prompt, the frames in it are the same objects, the trainable parameters have
the same version counters, adapters enabled, eval mode. Anything else (a new episode, truncation by
max_past_steps, an optimizer step) refills that row from its first token.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

from .decoder import KVCache
from .history import FrameFeatures


@dataclass
class RowContents:
    ids: list[int]                 # token ids in the row, in order
    frames: list[FrameFeatures]    # frames of the frame slots among them, in order
    key: tuple                     # trainable parameters' versions when they were computed

    def prefix_of(self, ids: list[int], frames: list[FrameFeatures], key: tuple) -> bool:
        n = len(self.ids)
        return (key == self.key and n < len(ids) and len(self.frames) <= len(frames)
                and all(a is b for a, b in zip(self.frames, frames)) and ids[:n] == self.ids)


class PrefixCache:
    def __init__(self) -> None:
        self.cache: KVCache | None = None
        self._row: dict[Hashable, int] = {}
        self._contents: dict[int, RowContents] = {}
        self._free: list[int] = []
        self.hits = 0
        self.misses = 0
        self.reused_tokens = 0

    def rows(self, keys: list[Hashable], new_cache: Callable[[int], KVCache]) -> list[int]:
        """The cache row of each key (new keys get a free or new row)."""
        if self.cache is None:
            self.cache = new_cache(len(keys))
            self._free = list(range(len(keys)))[::-1]
        out = []
        for k in keys:
            r = self._row.get(k)
            if r is None:
                if not self._free:
                    self._free.append(self.cache.rows)
                    self.cache.add_rows(1)
                r = self._row[k] = self._free.pop()
                self.cache.lengths[r] = 0
            out.append(r)
        return out

    def contents(self, row: int) -> RowContents | None:
        return self._contents.get(row)

    def set_contents(self, row: int, contents: RowContents | None) -> None:
        if contents is None:
            self._contents.pop(row, None)
            if self.cache is not None:
                self.cache.lengths[row] = 0
        else:
            self._contents[row] = contents

    def forget(self, keys: Iterable[Hashable]) -> None:
        for k in keys:
            r = self._row.pop(k, None)
            if r is not None:
                self.set_contents(r, None)
                self._free.append(r)

    def clear(self) -> None:
        self.cache = None
        self._row.clear()
        self._contents.clear()
        self._free.clear()

    def __len__(self) -> int:
        return len(self._row)

    @property
    def nbytes(self) -> int:
        return self.cache.nbytes if self.cache is not None else 0
