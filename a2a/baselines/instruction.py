"""Non-privileged text understanding shared by the scripted baselines.

Everything here uses only what any policy may see: the instruction, the user's answers, the
world's vocabulary (`_core.catalog()`) and the scene's canonical action vocabulary
(`valid_actions`, which names receptacles but reveals no object positions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .. import _core


@lru_cache(maxsize=1)
def catalog() -> dict:
    return _core.catalog()


@lru_cache(maxsize=16384)
def compiled(regex: str) -> re.Pattern:
    """`regex` compiled once. The parsers' patterns name the scene's receptacles, so a run uses thousands:
    more than `re`'s own cache holds, which then compiles them again on every instruction."""
    return re.compile(regex)


def normalize(text: str) -> str:
    return _core.normalize_text(text)


def is_form_of(short: str, full: str) -> bool:
    """Whether description `short` is a form of `full`: its words in order within `full`'s (`cup`, `red cup` and
    `small cup` are forms of `small red cup`; so is `small red cup` itself)."""
    rest = iter(full.split())
    return all(w in rest for w in short.split())  # a subsequence: `in` advances the iterator


@dataclass(frozen=True)
class Vocabulary:
    """A scene's receptacles as the action vocabulary names them, with their types (from the names)."""

    receptacles: tuple[str, ...]
    types: dict[str, str]            # receptacle name -> receptacle type ("left kitchen drawer" -> "drawer")
    articulated: frozenset[str]      # receptacles whose type opens and closes
    objects: tuple[str, ...] = ()    # full descriptions ("small red cup") of the scene's objects (not where they are)

    @staticmethod
    def from_actions(actions: list[str]) -> Vocabulary:
        names = tuple(a[len("navigate("):-1] for a in actions if a.startswith("navigate("))
        types = {n: receptacle_type(n) for n in names}
        arts = {t["name"] for t in catalog()["receptacle_types"] if t["articulated"]}
        cat = catalog()
        objects = []
        for a in actions:
            if a.startswith("pick("):
                words = a[len("pick("):-1].split()
                if len(words) >= 3 and words[0] in cat["sizes"] and words[1] in cat["colors"]:
                    objects.append(" ".join(words))
        return Vocabulary(names, types, frozenset(n for n in names if types[n] in arts), tuple(dict.fromkeys(objects)))

    def of_type(self, rtype: str) -> list[str]:
        return [n for n in self.receptacles if self.types[n] == rtype]


def receptacle_type(name: str) -> str:
    """The type a receptacle name ends with (longest match: "coffee table" before "table")."""
    best = ""
    for t in catalog()["receptacle_types"]:
        tn = t["name"]
        if (name == tn or name.endswith(" " + tn)) and len(tn) > len(best):
            best = tn
    return best


@dataclass(frozen=True)
class ParsedInstruction:
    """What an instruction says (see csrc/core/instruction.cpp for its templates)."""

    category: str | None
    color: str | None = None
    size: str | None = None
    pattern: str | None = None
    source_receptacle: str | None = None  # "... from the dark table"
    source_room: str | None = None        # "... from the kitchen"
    goal_receptacle: str | None = None    # "... on the coffee table"
    goal_type: str | None = None          # "... on one of the tables"
    words: tuple[str, ...] = field(default=(), repr=False)

    def description(self, size: str | None = None, color: str | None = None) -> str:
        """The pick description "[size] [color] <category>" with what is known (overrides given)."""
        parts = [size or self.size, color or self.color, self.category]
        return " ".join(p for p in parts if p)


_PHRASE_END = frozenset({"from", "and", "on", "in", "to", "over", "into", "onto", "for", "please"})


def _find_name(text: str, names: list[str], before: tuple[str, ...]) -> tuple[str | None, int]:
    """Longest name that appears as "<one of before> the <name>" (word-bounded); returns (name, position)."""
    for name in sorted(names, key=len, reverse=True):
        for prep in before:
            m = compiled(rf"\b{prep} the {re.escape(name)}\b").search(text)
            if m:
                return name, m.start()
    return None, -1


def parse_instruction(instruction: str, vocab: Vocabulary) -> ParsedInstruction:
    text = normalize(instruction)
    cat = catalog()
    # The object phrase ends where the goal phrase starts; parse the source first ("from the X").
    src_rec, src_pos = _find_name(text, list(vocab.receptacles), ("from",))
    src_room = None
    if src_rec is None:
        src_room, src_pos = _find_name(text, list(cat["room_types"]), ("from",))
    # Goal: "one of the <plural>" or "(on|in|to) the <receptacle>" (not the source).
    goal_type = None
    for t in sorted(cat["receptacle_types"], key=lambda t: len(t["plural"]), reverse=True):
        if compiled(rf"\bone of the {re.escape(t['plural'])}\b").search(text):
            goal_type = t["name"]
            break
    goal = None
    if goal_type is None:
        rest = [n for n in vocab.receptacles if n != src_rec]
        goal, _ = _find_name(text, rest, ("on", "in", "to", "into", "onto"))
    # Object: the words after the first "the" up to the goal or source phrase; the category ends it.
    words = text.split()
    start = words.index("the") + 1 if "the" in words else 0
    phrase: list[str] = []
    for w in words[start:]:
        if w in _PHRASE_END:
            break
        phrase.append(w)
    category = None
    color = size = pattern = None
    for c in sorted((c["name"] for c in cat["categories"]), key=len, reverse=True):
        cw = c.split()
        if len(phrase) >= len(cw) and phrase[-len(cw):] == cw:
            category = c
            attrs = phrase[:-len(cw)]
            for w in attrs:
                if w in cat["colors"] and color is None:
                    color = w
                elif w in cat["sizes"] and size is None:
                    size = w
                elif w in cat["patterns"] and pattern is None:
                    pattern = w
            break
    return ParsedInstruction(category, color, size, pattern, src_rec, src_room, goal, goal_type, tuple(words))


_LOCATION = re.compile(r"^it is (?:on|in) the (.+) in the ([a-z ]+)$")
_PLACEMENT = re.compile(r"^please put it (?:on|in) the (.+)$")
_VALUE = re.compile(r"^it is ([a-z]+)$")


def parse_location_answer(answer: str, vocab: Vocabulary) -> str | None:
    """"It is on the dark table in the kitchen." -> "dark table" (None if not such an answer)."""
    m = _LOCATION.match(normalize(answer))
    if m and m.group(1) in vocab.receptacles:
        return m.group(1)
    return None


def parse_placement_answer(answer: str, vocab: Vocabulary) -> str | None:
    """"Please put it on the coffee table." -> "coffee table"."""
    m = _PLACEMENT.match(normalize(answer))
    if m and m.group(1) in vocab.receptacles:
        return m.group(1)
    return None


def parse_value_answer(answer: str, allowed: list[str]) -> str | None:
    """"It is red." -> "red" when "red" is allowed."""
    m = _VALUE.match(normalize(answer))
    return m.group(1) if m and m.group(1) in allowed else None


def is_yes(answer: str) -> bool | None:
    a = normalize(answer)
    return True if a == "yes" else False if a == "no" else None
