"""What a scene_text policy reads as text (PolicyConfig.scene_text): the scene's places and objects once per
episode, and every step its number, where the robot stands (that place's room and whether it is closed), what it holds,
the objects in view (each with the other places where an object of its description was seen) and the places not yet
visited; once it has been everywhere, what it saw where. With PolicyConfig.candidates, also the object descriptions
that fit the instruction and the answers so far (`candidates`). It also narrows each step's actions to picks of what
is in view (`actions`).

All of it is what any agent may know: the action vocabulary (`valid_actions`), the Set-of-Marks table of the
current view (`marks`), the room of the place the robot stands at and whether it is closed (the observed world
graph, `observed_state`) and the policy's own past actions. It spells out the state a robot's own bookkeeping
keeps, because a tiny 2-layer policy did not work it out from its action history: cloning look-then-ask with the
view alone, it paced between two places (0% SR on validation after 50 updates); with the frontier added, it
navigated again and again to a closed cabinet instead of opening it, and placed what it did not hold (0% after
100 updates); with where it stands and what it holds added, it followed look-then-ask's tour but never stopped
it (0% after 100 updates): stopping needs the step count (the tour's budget), whether a lookalike was seen
elsewhere, and where the one object seen was, each of which was spread over many earlier steps. The frontier lists
places not visited (not "not looked into") and `At:` names the room: look-then-ask passes a closed place in another room
than the instruction's without opening it, so a frontier of places not looked into kept naming it first (77% of the
script's navigations went to that frontier's first place on 100 validation episodes; 91% go to this one's, the rest
to the goal or a place seen before: bench/experiments/tour_frontier.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..baselines.greedy_explore import target_fits, told_attributes
from ..baselines.instruction import ParsedInstruction, Vocabulary, is_form_of, parse_instruction
from ..env.observed_graph import ObservedGraph, ReceptacleSeen
from . import wording

PLACES = "Places: "
OBJECTS = "Objects: "
AT = "At: "
HOLDING = "Holding: "
IN_VIEW = "In view: "
UNVISITED = "Not visited: "
CANDIDATES = "Candidates: "
STEP = "Step "
ALSO_AT = "also at "
SEEN = "Seen: "
ASKED = "Asked: "
NO_ANSWER = "No answer."
PICK = "pick("
FRONTIER_SHOWN = 2  # places not visited named each step (the next one, and the one after it)


def _names(valid_actions: Sequence[str], verb: str) -> list[str]:
    head = verb + "("
    return list(dict.fromkeys(a[len(head):-1] for a in valid_actions if a.startswith(head) and a.endswith(")")))


def full_descriptions(valid_actions: Sequence[str]) -> list[str]:
    """The scene's object descriptions without their shorter forms (`pick(cup)`, `pick(red cup)` and
    `pick(small cup)` are forms of `pick(small red cup)`: their words in order within a longer description), in
    vocabulary order."""
    names = _names(valid_actions, "pick")
    return [n for n in names if not any(len(m) > len(n) and is_form_of(n, m) for m in names)]


class SceneText:
    """One episode's scene text: built from the vocabulary, then told each last action (`took`) and each view
    (`observe`)."""

    def __init__(self, valid_actions: Sequence[str], kind_first: bool = False, candidates: bool = False):
        self.word = wording.kind_first if kind_first else str  # how an object is named (PolicyConfig.kind_first)
        self.vocabulary = Vocabulary.from_actions(list(valid_actions)) if candidates else None
        self.target: ParsedInstruction | None = None  # the instruction parsed (candidates only)
        self.asked: dict[str, str] = {}  # ask(...) action -> the user's answer
        self.places = _names(valid_actions, "navigate")
        self.objects = full_descriptions(valid_actions)
        self.visited: set[str] = set()  # places the robot stood at
        self.at: str | None = None
        self.holding: str | None = None
        self.steps = 0
        self.seen_at: dict[str, list[str]] = {}  # description -> places it was seen at, in order
        self.dialogue: list[str] = []  # "question answer" of every question asked
        self._actions: dict[tuple[str, ...], list[str]] = {}  # view -> that step's actions

    def header(self, instruction: str) -> str:
        """The instruction followed by the places and the objects."""
        objects = ", ".join(map(self.word, self.objects))
        if self.vocabulary is not None:
            self.target = parse_instruction(instruction, self.vocabulary)
        return f"{instruction}\n{PLACES}{', '.join(self.places)}.\n{OBJECTS}{objects}."

    def took(self, action: str, invalid: bool, answer: str = "") -> None:
        """The previous action, whether the env refused it and the user's answer (to a question)."""
        if invalid:
            return
        verb, _, rest = action.partition("(")
        name = rest[:-1]
        if verb == "ask":
            self.dialogue.append(f"{name} {answer or NO_ANSWER}")
            self.asked[action] = answer
        elif verb == "navigate":
            self.at = name
            self.visited.add(name)
        elif verb == "pick":
            self.holding = name
        elif verb == "place":
            self.holding = None

    def actions(self, vocab: Sequence[str], marks: Sequence[str]) -> list[str]:
        """This step's actions: the scene's vocabulary without the picks of objects not in view (a pick names an
        object in view or a shorter form of one). Non-privileged (the view is the Set-of-Marks table) and what any
        pick the env accepts satisfies: cloning look-then-ask, about half of the clone's wrong picks named objects
        it could not see. The same list for the same view, so its trie is built once."""
        key = tuple(marks)
        if key not in self._actions:
            self._actions[key] = [a for a in vocab if not a.startswith(PICK)
                                  or any(is_form_of(a[len(PICK):-1], m) for m in marks)]
        return self._actions[key]

    def observe(self, marks: Sequence[str], here: ReceptacleSeen | None = None) -> str:
        """Takes in this step's view (`here`: what the observed world graph says of the place the robot stands at,
        its room and whether it is closed now; None at the start) and returns the step's text: its number, where
        the robot is, what it holds, the objects in view (with the other places where their description was seen),
        the next places not visited, the dialogue so far and, once there are no places left, what was seen where."""
        self.steps += 1
        view = []
        for m in marks:
            places = self.seen_at.setdefault(m, [])
            others = [p for p in places if p != self.at]
            view.append(f"{self.word(m)} ({ALSO_AT}{', '.join(others)})" if others else self.word(m))
            if self.at is not None and self.at not in places:
                places.append(self.at)
        frontier = [p for p in self.places if p not in self.visited][:FRONTIER_SHOWN]
        at = self.at or "start"
        if here is not None and here.room is not None:
            at += f" in the {here.room}"
        if here is not None and here.closed:
            at += " (closed)"
        holding = self.word(self.holding) if self.holding else "nothing"
        text = (f"{STEP}{self.steps}. {AT}{at}. "
                f"{HOLDING}{holding}. {IN_VIEW}{', '.join(view) if view else 'nothing'}. ")
        candidates = self.candidates()
        if candidates is not None:
            text += f"{CANDIDATES}{', '.join(map(self.word, candidates)) or 'none'}. "
        text += f"{UNVISITED}{', '.join(frontier) if frontier else 'none'}."
        if self.dialogue:
            text += f" {ASKED}{' '.join(self.dialogue)}"
        if not frontier:
            text += f" {SEEN}{self.seen()}."
        return text

    def candidates(self) -> list[str] | None:
        """The scene's object descriptions the target may have: its kind, and the size and colour the instruction and
        the answers so far name (the descriptions look-then-ask keeps); None without PolicyConfig.candidates or when
        the instruction names no single object kind (a multi-object task)."""
        if self.target is None or self.target.category is None:
            return None
        color, size = told_attributes(self.target, self.asked)
        fits = target_fits(self.target.category, color, size)
        return [d for d in self.objects if fits(d)]

    def seen(self) -> str:
        """Every place an object was seen at with the objects seen there (places in the order their first-listed
        description was first seen; this is the robot's own record of its views, the same facts look-then-ask
        reads from the observed world graph)."""
        by_place: dict[str, list[str]] = {}
        for desc, places in self.seen_at.items():
            for p in places:
                by_place.setdefault(p, []).append(desc)
        return "; ".join(f"{p}: {', '.join(map(self.word, ds))}" for p, ds in by_place.items()) or "nothing"


def place_seen(observed_graph: str, place: str | None) -> ReceptacleSeen | None:
    """What the observed world graph (`observed_state(...)["world_graph"]`) says of `place`: its room (once visited)
    and whether it is closed; None for no place."""
    return ObservedGraph.parse(observed_graph).receptacles.get(place) if place is not None else None


class SceneReplay:
    """Each env's scene text replayed beside another agent (a script): what a scene_text policy would read at that
    agent's steps, for probes that compare the script's decisions with the text (bench/experiments/tour_frontier.py)."""

    def __init__(self, candidates: bool = False) -> None:
        self.candidates = candidates  # the scene text of a PolicyConfig.candidates policy
        self.scenes: dict[int, SceneText] = {}
        self.last: dict[int, str] = {}  # each env's last action

    def step(self, obs, env, actions: Sequence[str]) -> list[SceneText]:
        """Takes in a step the agent acted on (its observation, the env access it read and its actions) and returns
        each row's scene as the text showed it when the agent chose that row's action."""
        scenes = []
        for row, env_id in enumerate(obs.env_ids.tolist()):
            if obs.first[row] or env_id not in self.scenes:
                scene = self.scenes[env_id] = SceneText(list(env.valid_actions(env_id)), candidates=self.candidates)
                scene.header(obs.instruction[row])
                scene.observe(env.marks(env_id))
            else:
                scene = self.scenes[env_id]
                scene.took(self.last[env_id], bool(obs.invalid[row]), obs.answer[row])
                scene.observe(env.marks(env_id), place_seen(env.observed_state(env_id)["world_graph"], scene.at))
            self.last[env_id] = actions[row]
            scenes.append(scene)
        return scenes
