"""Non-privileged understanding of multi-object instructions (clean clutter, preference reasoning),
from the instruction text, the catalog and the scene's vocabulary (see csrc/core/instruction.cpp for
the templates)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .instruction import Vocabulary, catalog, compiled, normalize

_CLEAN_UP = re.compile(r"\b(clutter|tidy|declutter|mess|clean up|don't belong|dont belong)\b")


@dataclass(frozen=True)
class MultiInstruction:
    task: str                              # "clean_clutter" or "preference_reasoning"
    area_receptacle: str | None = None     # clean clutter: "... on the dark table"
    area_room: str | None = None           # ... or "in the kitchen"
    categories: tuple[str, ...] = ()       # preference: the group's categories ("the dishes", "the cups")
    color: str | None = None               # "the red cups"
    size: str | None = None
    all: bool = False                      # "all of the cups": every one of them
    goal_receptacle: str | None = None     # "to the dark shelf"
    goal_type: str | None = None           # "to the drawers"

    def in_scope(self, description: str) -> bool:
        """Whether an object (by its full description, "small red cup") is one the group names."""
        size, color, category = description.split(" ", 2)
        return (category in self.categories and (self.color is None or color == self.color)
                and (self.size is None or size == self.size))


def _longest(text: str, names, template: str) -> str | None:
    for name in sorted(names, key=len, reverse=True):
        if compiled(template.format(re.escape(name))).search(text):
            return name
    return None


def parse_multi_instruction(instruction: str, vocab: Vocabulary) -> MultiInstruction | None:
    """The multi-object task an instruction poses, or None when it is not one (a fetch instruction)."""
    text = normalize(instruction)
    cat = catalog()
    if _CLEAN_UP.search(text):
        rec = _longest(text, vocab.receptacles, r"\bthe {}\b")
        if rec is not None:
            return MultiInstruction("clean_clutter", area_receptacle=rec)
        room = _longest(text, cat["room_types"], r"\bthe {}\b")
        return MultiInstruction("clean_clutter", area_room=room) if room else None
    groups = {f["name"]: tuple(f["categories"]) for f in cat["families"]}
    groups.update({c["plural"]: (c["name"],) for c in cat["categories"]})
    words = r"(?:(?P<size>{sizes}) )?(?:(?P<color>{colors}) )?".format(sizes="|".join(cat["sizes"]),
                                                                       colors="|".join(cat["colors"]))
    for name in sorted(groups, key=len, reverse=True):
        m = compiled(rf"\b(?P<all>all of )?the {words}{re.escape(name)}\b").search(text)
        if not m:
            continue
        goal = _longest(text, vocab.receptacles, r"\b(?:to|on|in) the {}\b")
        goal_type = None
        if goal is None:
            plural = {t["plural"]: t["name"] for t in cat["receptacle_types"]}
            found = _longest(text, plural, r"\b(?:to|on|in) the {}\b")
            goal_type = plural[found] if found else None
        if goal is None and goal_type is None:
            return None
        return MultiInstruction("preference_reasoning", categories=groups[name], color=m.group("color"),
                                size=m.group("size"), all=bool(m.group("all")), goal_receptacle=goal,
                                goal_type=goal_type)
    return None
