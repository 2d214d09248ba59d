"""`greedy-explore` on multi-object tasks: scripts that use only the instruction, the catalog, the
scene's vocabulary (receptacle names and the descriptions of its objects, not where they are) and the
user's answers to their own questions.

- Preference reasoning ("Move the dishes to the drawers."): every object of the scene the group
  names is a candidate; ask "where should i put the <object>?" about each, then "where is the
  <object>?" about those that go somewhere, fetch them and deliver them.
- Clean clutter ("Clean up the clutter on the dark table."): go to the area's receptacles (for a room,
  those whose name says the room) and probe them with picks by category, out-of-place categories
  first (the catalog's usual rooms); whatever comes up, ask "where should i put it?" and deliver it,
  or put it back when the user says to leave it. In a room, also ask where the objects of the
  categories that do not belong there are, and deal with those found in the room.
"""

from __future__ import annotations

import re

from .instruction import Vocabulary, catalog, normalize, parse_location_answer, parse_placement_answer
from .multi_instruction import MultiInstruction
from .scripted import Script, deliver_to, fetch_from

_LOCATION_ROOM = re.compile(r"^it is (?:on|in) the .+ in the ([a-z ]+)$")


def _goes_to(answer: str, vocab: Vocabulary) -> str | None:
    """The receptacle of "Please put it on the X.", None for "Leave it where it is." or anything else."""
    return parse_placement_answer(answer, vocab)


def preference_script(m: MultiInstruction, vocab: Vocabulary) -> Script:
    moves = []
    for d in (d for d in vocab.objects if m.in_scope(d)):
        fb = yield f"ask(where should i put the {d}?)"
        goal = _goes_to(fb.answer, vocab)
        if goal is not None:
            moves.append((d, goal))
    for d, goal in moves:
        fb = yield f"ask(where is the {d}?)"
        source = parse_location_answer(fb.answer, vocab)
        if source is not None and (yield from fetch_from(source, vocab, d)):
            yield from deliver_to(goal, vocab)


def _usual(category: str, room: str | None) -> bool:
    c = next(c for c in catalog()["categories"] if c["name"] == category)
    return room is not None and room in c["rooms"]


def _room_of(receptacle: str) -> str | None:
    """The room a receptacle's name says it is in ("kitchen counter" -> "kitchen"), if any."""
    return next((r for r in sorted(catalog()["room_types"], key=len, reverse=True) if receptacle.startswith(r + " ")
                 or f" {r} " in f" {receptacle} "), None)


def _sort_out(receptacle: str, vocab: Vocabulary) -> Script:
    """Holding an object at `receptacle`: ask where it goes; deliver it and come back, or put it back."""
    fb = yield "ask(where should i put it?)"
    goal = _goes_to(fb.answer, vocab)
    if goal is None:
        yield f"place({receptacle})"
        return
    yield from deliver_to(goal, vocab)
    yield f"navigate({receptacle})"
    if receptacle in vocab.articulated:
        yield f"open({receptacle})"


def clean_clutter_script(m: MultiInstruction, vocab: Vocabulary) -> Script:
    room = m.area_room or _room_of(m.area_receptacle or "")
    area = [m.area_receptacle] if m.area_receptacle else [r for r in vocab.receptacles if _room_of(r) == room]
    descriptions = list(vocab.objects)
    categories = list(dict.fromkeys(d.split(" ", 2)[2] for d in descriptions))
    categories.sort(key=lambda c: _usual(c, room))  # out of place here first (stable: vocabulary order otherwise)
    for r in area:
        yield f"navigate({r})"
        if r in vocab.articulated:
            yield f"open({r})"
        for c in categories:
            fb = yield f"pick({c})"
            if fb.invalid:
                continue
            yield from _sort_out(r, vocab)
    if m.area_room is None:
        return
    # Receptacles of the room whose names do not say so: find what is out of place by asking.
    for d in (d for d in descriptions if not _usual(d.split(" ", 2)[2], room)):
        fb = yield f"ask(where is the {d}?)"
        source = parse_location_answer(fb.answer, vocab)
        where = _LOCATION_ROOM.match(normalize(fb.answer))
        if source is None or source in area or not where or where.group(1) != room:
            continue
        if (yield from fetch_from(source, vocab, d)):
            yield from _sort_out(source, vocab)
