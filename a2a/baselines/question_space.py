"""PYTHON FALLBACK of the core's question semantics, for the privileged oracle only.

!!! This mirrors C++ code: `question_space` and `min_questions` (csrc/core/hypotheses.cpp) and
`answer_code` (csrc/core/user.cpp), over the world dict of `privileged_state`. It exists because the
bindings do not expose how grammar questions split a set of hypotheses, nor K of an arbitrary
consistent set. Duplicated semantics drift: the oracle therefore checks itself against the core on
every episode (K of the initial set must equal the episode's K, and after every question the core's
consistent set must equal the predicted one), and tests/baselines run that check over whole splits.
Replace this module by a binding (e.g. `BatchedEnv.question_partitions(env_id)` returning
[(question_text, [hypothesis indices per answer])] and `BatchedEnv.min_questions(env_id)`, both over
the env's current consistent set) as soon as the core has one.

Answers are computed in the world as it is at the start of an episode (the oracle asks all its
questions before it moves anything; the robot's position does not change any answer then).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .instruction import catalog


@dataclass(frozen=True)
class QuestionSpace:
    """The grammar questions that split the hypotheses, grouped by the partition they induce."""

    hypotheses: tuple[tuple[int, int], ...]   # (object index, goal receptacle index)
    questions: tuple[str, ...]                # one canonical question text per distinct partition
    partitions: tuple[tuple[int, ...], ...]   # per question: bitmasks of hypotheses per answer


@lru_cache(maxsize=1)
def _tables():
    cat = catalog()
    colors = {c: i for i, c in enumerate(cat["colors"])}
    sizes = {s: i for i, s in enumerate(cat["sizes"])}
    cats = {c["name"]: i for i, c in enumerate(cat["categories"])}
    preps = {t["name"]: t["prep"] for t in cat["receptacle_types"]}
    return cat, colors, sizes, cats, preps


def _describe(size: int, color: int, category: int) -> str:
    cat = _tables()[0]
    parts = []
    if size >= 0:
        parts.append(cat["sizes"][size])
    if color >= 0:
        parts.append(cat["colors"][color])
    if category >= 0:
        parts.append(cat["categories"][category]["name"])
    return " ".join(parts)


def build_question_space(world: dict, hypotheses: list[tuple[int, int]]) -> QuestionSpace:
    """Mirror of question_space() + answer_code() (see the module docstring)."""
    cat, colors, sizes, cats, preps = _tables()
    objs, recs, rooms = world["objects"], world["receptacles"], world["rooms"]
    n_obj = len(objs)
    o_color = np.array([colors[o["color"]] for o in objs] + [-9], dtype=np.int64)   # last: "no object"
    o_size = np.array([sizes[o["size"]] for o in objs] + [-9], dtype=np.int64)
    o_cat = np.array([cats[o["category"]] for o in objs] + [-9], dtype=np.int64)
    o_rec = np.array([-2 if o["receptacle"] is None else o["receptacle"] for o in objs] + [-9], dtype=np.int64)

    def neighbours(i: int) -> tuple[int, int]:
        o = objs[i]
        if o["receptacle"] is None:
            return -1, -1
        slots = recs[o["receptacle"]]["slot_objects"]
        left = next((slots[s] for s in range(o["slot"] - 1, -1, -1) if slots[s] >= 0), -1)
        right = next((slots[s] for s in range(o["slot"] + 1, len(slots)) if slots[s] >= 0), -1)
        return left, right

    h_obj = np.array([h[0] for h in hypotheses], dtype=np.int64)
    h_goal = np.array([h[1] for h in hypotheses], dtype=np.int64)
    h_room = np.array([recs[o_rec[o]]["room"] if o_rec[o] >= 0 else -1 for o in h_obj], dtype=np.int64)
    nb = [neighbours(int(o)) for o in h_obj]
    h_left = np.array([l if l >= 0 else n_obj for l, _ in nb], dtype=np.int64)
    h_right = np.array([r if r >= 0 else n_obj for _, r in nb], dtype=np.int64)

    texts: list[str] = []
    rows: list[np.ndarray] = []

    def add(text: str, codes: np.ndarray) -> None:
        texts.append(text)
        rows.append(codes.astype(np.int64))

    hc, hs = o_color[h_obj], o_size[h_obj]
    for c in range(len(cat["colors"])):
        add(f"is it {_describe(-1, c, -1)}?", hc == c)
        for s in range(len(cat["sizes"])):
            add(f"is it {_describe(s, c, -1)}?", (hc == c) & (hs == s))
    for s in range(len(cat["sizes"])):
        add(f"is it {_describe(s, -1, -1)}?", hs == s)
    for r, rec in enumerate(recs):
        phrase = f"{preps[rec['type']]} the {rec['name']}"
        add(f"is it {phrase}?", o_rec[h_obj] == r)
        add(f"should i put it {phrase}?", h_goal == r)
    for room, name in enumerate(rooms):
        add(f"is it in the {name}?", h_room == room)
    descs: list[tuple[int, int, int]] = []
    for left, right in zip(h_left, h_right):
        for n in (left, right):
            if n == n_obj:
                continue
            for m in range(4):
                d = (int(o_size[n]) if m & 1 else -1, int(o_color[n]) if m & 2 else -1, int(o_cat[n]))
                if d not in descs:
                    descs.append(d)
    for size, color, category in descs:
        match = (o_cat == category) & ((o_size == size) | (size < 0)) & ((o_color == color) | (color < 0))
        match[n_obj] = False
        add(f"is it next to the {_describe(size, color, category)}?", match[h_left] | match[h_right])
    add("what color is it?", hc)
    add("what size is it?", hs)
    add("where is it?", o_rec[h_obj])
    add("where should i put it?", h_goal)

    codes = np.stack(rows) if rows else np.zeros((0, len(hypotheses)), dtype=np.int64)
    splitting = np.flatnonzero(codes.min(axis=1) != codes.max(axis=1)) if len(hypotheses) else []
    seen: dict[tuple[int, ...], int] = {}
    questions, partitions = [], []
    for q in splitting:
        classes: dict[int, int] = {}
        for i, code in enumerate(codes[q].tolist()):
            classes[code] = classes.get(code, 0) | (1 << i)
        part = tuple(sorted(classes.values()))
        if part not in seen:
            seen[part] = len(questions)
            questions.append(texts[q])
            partitions.append(part)
    return QuestionSpace(tuple(map(tuple, hypotheses)), tuple(questions), tuple(partitions))


class MinimaxSolver:
    """K of any subset of the hypotheses: the minimum worst-case number of questions that leaves one
    (mirror of min_questions: iterative deepening, memoised per (mask, depth))."""

    def __init__(self, space: QuestionSpace, max_depth: int = 8):
        self.space = space
        self.max_depth = max_depth
        self._solvable: dict[tuple[int, int], bool] = {}
        self._k: dict[int, int] = {}

    def splits(self, q: int, mask: int) -> list[int]:
        return [p & mask for p in self.space.partitions[q] if p & mask]

    def solvable(self, mask: int, depth: int) -> bool:
        if mask & (mask - 1) == 0:
            return True
        if depth == 0:
            return False
        key = (mask, depth)
        hit = self._solvable.get(key)
        if hit is not None:
            return hit
        ok = False
        for part in self.space.partitions:
            subs = [p & mask for p in part if p & mask]
            if len(subs) < 2:
                continue
            if all(self.solvable(s, depth - 1) for s in subs):
                ok = True
                break
        self._solvable[key] = ok
        return ok

    def k(self, mask: int) -> int:
        """K of the hypotheses in `mask`; -1 if more than max_depth questions would be needed."""
        if mask & (mask - 1) == 0:
            return 0
        hit = self._k.get(mask)
        if hit is None:
            hit = next((d for d in range(1, self.max_depth + 1) if self.solvable(mask, d)), -1)
            self._k[mask] = hit
        return hit

    def best_questions(self, mask: int) -> list[int]:
        """Questions whose worst answer leaves a set of K = k(mask) - 1 (the minimax-optimal ones)."""
        k = self.k(mask)
        out = []
        for q in range(len(self.space.partitions)):
            subs = self.splits(q, mask)
            if len(subs) >= 2 and max(self.k(s) for s in subs) == k - 1:
                out.append(q)
        return out
