"""How a policy words the objects it reads and the picks it writes (PolicyConfig.kind_first).

The env names an object by its attributes, then its kind (`pick(large black hat)`). Decoding that text, a policy
commits to a size and a colour before the token that says which object it means; cloning look-then-ask, most of a
scene-text clone's wrong picks were of another kind of object (a clock for a hat). With `kind_first` the policy reads
and writes the kind first (`pick(hat large black)`), so its first choice in a pick is the instruction's object. Only
the policy's tokens change: actions stay the env's strings everywhere else (tries, histories, the env).
"""

from __future__ import annotations

from ..baselines.instruction import catalog

PICK = "pick("


def kind_first(description: str) -> str:
    """`large black hat` -> `hat large black`: the leading size and colour words after the rest (the kind)."""
    words = description.split()
    cat = catalog()
    attrs = set(cat["sizes"]) | set(cat["colors"])
    n = 0
    while n < len(words) - 1 and words[n] in attrs:
        n += 1
    return " ".join(words[n:] + words[:n])


def spoken(action: str) -> str:
    """The text a kind_first policy writes for an env action: picks kind first, every other action as it is."""
    if action.startswith(PICK) and action.endswith(")"):
        return PICK + kind_first(action[len(PICK):-1]) + ")"
    return action
