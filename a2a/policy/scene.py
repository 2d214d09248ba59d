"""What a scene_text policy reads as text (PolicyConfig.scene_text): the scene's places and objects once per
episode, and every step where the robot stands (and whether that place is closed), what it holds, the objects
in view and the places not yet looked into.

All of it is what any agent may know: the action vocabulary (`valid_actions`), the Set-of-Marks table of the
current view (`marks`), whether the place the robot stands at is closed (the observed world graph,
`observed_state`) and the policy's own past actions. It spells out the state a robot's own bookkeeping
keeps, because a tiny 2-layer policy did not work it out from its action history: cloning look-then-ask with the
view alone, it paced between two places (0% SR on validation after 50 updates); with the frontier added, it
navigated again and again to a closed cabinet instead of opening it, and placed what it did not hold (0% after
100 updates).
"""

from __future__ import annotations

from collections.abc import Sequence

PLACES = "Places: "
OBJECTS = "Objects: "
AT = "At: "
HOLDING = "Holding: "
IN_VIEW = "In view: "
UNEXPLORED = "Unexplored: "
FRONTIER_SHOWN = 2  # places of the frontier named each step (the next one, and the one after it)


def _names(valid_actions: Sequence[str], verb: str) -> list[str]:
    head = verb + "("
    return list(dict.fromkeys(a[len(head):-1] for a in valid_actions if a.startswith(head) and a.endswith(")")))


def full_descriptions(valid_actions: Sequence[str]) -> list[str]:
    """The scene's object descriptions without their shorter forms (`pick(cup)`, `pick(red cup)` and
    `pick(small cup)` are forms of `pick(small red cup)`: their words in order within a longer description), in
    vocabulary order."""
    names = _names(valid_actions, "pick")

    def within(short: list[str], long: list[str]) -> bool:
        rest = iter(long)
        return all(w in rest for w in short)  # a subsequence: `in` advances the iterator

    words = [n.split() for n in names]
    return [n for n, w in zip(names, words) if not any(len(v) > len(w) and within(w, v) for v in words)]


class SceneText:
    """One episode's scene text: built from the vocabulary, then told each last action (`took`) and each view
    (`observe`)."""

    def __init__(self, valid_actions: Sequence[str]):
        self.places = _names(valid_actions, "navigate")
        self.objects = full_descriptions(valid_actions)
        self.explored: set[str] = set()
        self.at: str | None = None
        self.holding: str | None = None

    def header(self, instruction: str) -> str:
        """The instruction followed by the places and the objects."""
        return f"{instruction}\n{PLACES}{', '.join(self.places)}.\n{OBJECTS}{', '.join(self.objects)}."

    def took(self, action: str, invalid: bool) -> None:
        """The previous action and whether the env refused it."""
        if invalid:
            return
        verb, _, rest = action.partition("(")
        name = rest[:-1]
        if verb == "navigate":
            self.at = name
        elif verb == "pick":
            self.holding = name
        elif verb == "place":
            self.holding = None

    def observe(self, marks: Sequence[str], closed: bool) -> str:
        """Takes in this step's view (`closed`: the place the robot stands at is closed now; a place is looked into
        once the robot stood there open) and returns the step's text: where the robot is, what it holds, the
        objects in view and the next places not looked into."""
        if self.at is not None and not closed:
            self.explored.add(self.at)
        frontier = [p for p in self.places if p not in self.explored][:FRONTIER_SHOWN]
        return (f"{AT}{self.at or 'start'}{' (closed)' if closed else ''}. {HOLDING}{self.holding or 'nothing'}. "
                f"{IN_VIEW}{', '.join(marks) if marks else 'nothing'}. "
                f"{UNEXPLORED}{', '.join(frontier) if frontier else 'none'}.")


def is_closed(observed_graph: str, place: str | None) -> bool:
    """Whether the observed world graph (`observed_state(...)["world_graph"]`) shows `place` closed."""
    if place is None:
        return False
    head = f"receptacle: {place} ("
    line = next((ln for ln in observed_graph.splitlines() if ln.startswith(head)), "")
    return ", closed," in line
