"""`greedy-explore`: a non-privileged scripted agent that asks only questions it can template from
what it knows, then explores and probes.

Information it uses (and nothing else — no privileged state, no images):
- the instruction text, parsed with the catalog vocabulary (category, color, size, a named source
  receptacle or room, a named goal or a goal type);
- the scene's receptacle names from `valid_actions` (their types follow from the names);
- the episode's dialogue so far: its actions, the user's answers (parsed text) and which actions were
  invalid (the reason is not observed).

It decides each action from that history alone (`next_action`), so it can take over from any state,
including states that another actor (a policy being trained) reached:
1. Goal given as a type with several receptacles of that type in the scene ("one of the tables"):
   ask "where should i put it?" (the ambiguity is certain from the text and the vocabulary).
2. Object location not named in the instruction: ask "where is it?" (option ask_location).
3. Go to the told (or named) receptacle, open it if its type opens, and try to pick with the
   instruction's description. If that fails, lookalikes stand there: ask for the missing
   attributes ("what color is it?", then "what size is it?"), retrying the pick after each answer.
4. Without a location (ask_location off, or an unexpected answer) explore every receptacle in a
   fixed order with the same probe.
5. Holding the object: navigate to the goal, open it if its type opens, place. Holding an object that
   does not fit what it knows of the target: put it back where it is.

Multi-object instructions (clean clutter, preference reasoning) go to the scripts of greedy_multi.py,
which use the same information plus the descriptions of the scene's objects from `valid_actions`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..eval.agent import AgentObservation, EnvAccess
from .greedy_multi import clean_clutter_script, preference_script
from .instruction import (
    ParsedInstruction,
    Vocabulary,
    catalog,
    parse_instruction,
    parse_location_answer,
    parse_placement_answer,
    parse_value_answer,
)
from .multi_instruction import parse_multi_instruction
from .scripted import Script, ScriptedAgent, exploration_order

PLACE_Q, WHERE_Q = "ask(where should i put it?)", "ask(where is it?)"
COLOR_Q, SIZE_Q = "ask(what color is it?)", "ask(what size is it?)"


@dataclass(frozen=True)
class GreedyExploreConfig:
    ask_location: bool = True  # ask "where is it?" when the instruction does not name the receptacle
    seed: int = 0              # unused (deterministic); accepted like every agent's

    def __post_init__(self) -> None:
        if not isinstance(self.ask_location, bool):
            raise TypeError(f"GreedyExploreConfig.ask_location must be a bool, got {self.ask_location!r}")


@dataclass
class Step:
    action: str
    answer: str = ""
    invalid: bool = False


def _arg(action: str, verb: str) -> str | None:
    return action[len(verb) + 1:-1] if action.startswith(verb + "(") and action.endswith(")") else None


def told_attributes(p: ParsedInstruction, asked: dict[str, str]) -> tuple[str | None, str | None]:
    """The target's color and size as far as the instruction and the user's answers to "what color/size is it?"
    (in `asked`: question -> answer) say them (None: not known)."""
    cat = catalog()
    colors = next(c["colors"] for c in cat["categories"] if c["name"] == p.category)
    color = p.color or (parse_value_answer(asked[COLOR_Q], colors) if COLOR_Q in asked else None)
    size = p.size or (parse_value_answer(asked[SIZE_Q], cat["sizes"]) if SIZE_Q in asked else None)
    return color, size


def target_fits(category: str, color: str | None, size: str | None) -> Callable[[str], bool]:
    """Whether an object description can be the target's: the category, and the color and size known so far (a
    description that names no color or size word is not ruled out by them)."""
    cat = catalog()
    colors = next(c["colors"] for c in cat["categories"] if c["name"] == category)
    n = len(category.split())

    def fits(desc: str) -> bool:
        words = desc.split()
        return (" ".join(words[-n:]) == category
                and (color is None or color in words or not any(w in colors for w in words))
                and (size is None or size in words or not any(w in cat["sizes"] for w in words)))
    return fits


def next_action(instruction: str | ParsedInstruction, vocab: Vocabulary, history: Sequence[Step],
                ask_location: bool = True) -> str:
    """greedy-explore's action after `history` (the episode's steps so far, with their outcomes).
    `instruction` may be given parsed (parse_instruction), as the agent does once per episode."""
    idle = f"navigate({vocab.receptacles[0]})"
    p = parse_instruction(instruction, vocab) if isinstance(instruction, str) else instruction
    category = p.category
    if category is None:
        return idle
    # ---- what the history says ----
    asked: dict[str, str] = {}          # question -> answer
    at: str | None = None                # receptacle the robot stands at
    open_tried: set[str] = set()         # opened (or found already open) since it was last closed
    failed: dict[str, set[str]] = {}     # receptacle -> pick descriptions that failed there
    holding: str | None = None           # description of the picked object
    picked_at: str | None = None         # where it was picked
    put_down: list[tuple[str, str]] = []  # (description, receptacle) of objects the robot placed
    for s in history:
        a = s.action
        if a.startswith("ask("):
            asked.setdefault(a, s.answer)
            continue
        if s.invalid:
            if (r := _arg(a, "open")) is not None and r == at:
                open_tried.add(r)  # already open (or not openable): nothing to do here
            if (d := _arg(a, "pick")) is not None and at is not None:
                failed.setdefault(at, set()).add(d)
            continue
        if (r := _arg(a, "navigate")) is not None:
            at = r
        elif (r := _arg(a, "open")) is not None:
            open_tried.add(r)
        elif (r := _arg(a, "close")) is not None:
            open_tried.discard(r)
        elif (d := _arg(a, "pick")) is not None:
            holding, picked_at = d, at
        elif _arg(a, "place") is not None:
            if holding is not None and at is not None:
                put_down.append((holding, at))
            holding = None
    # ---- what is known of the goal and the target ----
    goal = p.goal_receptacle
    if goal is None:
        candidates = vocab.of_type(p.goal_type or "")
        if not candidates:
            return idle
        goal = candidates[0]
        if len(candidates) > 1:
            if PLACE_Q not in asked:
                return PLACE_Q
            goal = parse_placement_answer(asked[PLACE_Q], vocab) or goal
    source = p.source_receptacle
    if source is None and ask_location:
        if WHERE_Q not in asked:
            return WHERE_Q
        source = parse_location_answer(asked[WHERE_Q], vocab)
    color, size = told_attributes(p, asked)
    fits = target_fits(category, color, size)

    def go(r: str, then: str) -> str:
        if at != r:
            return f"navigate({r})"
        if r in vocab.articulated and r not in open_tried:
            return f"open({r})"
        return then

    # ---- deliver what it holds, or put back what does not fit ----
    if holding is not None:
        if not fits(holding):  # another actor picked something else: put it back where it was
            back = picked_at or at
            return go(back, f"place({back})") if back else idle
        return go(goal, f"place({goal})")
    # ---- fetch: the told receptacle (asking for missing attributes there), then explore ----
    desc = p.description(size, color)
    where_now = next((r for d, r in reversed(put_down) if fits(d)), None)  # the target, put down elsewhere
    places = [where_now] if where_now else []
    if source is not None and source != where_now:
        places.append(source)
    places += exploration_order(vocab, None, p.source_room, exclude=[goal] + ([source] if source else []))
    for r in places:
        if desc not in failed.get(r, ()):
            return go(r, f"pick({desc})")
        if r == source:
            if color is None and COLOR_Q not in asked:
                return COLOR_Q
            if size is None and SIZE_Q not in asked:
                return SIZE_Q
    return idle


class _MultiObjectScripts(ScriptedAgent):
    """greedy-explore's multi-object scripts (greedy_multi.py), one generator per env."""

    def script(self, instruction: str, vocab: Vocabulary) -> Script:
        m = parse_multi_instruction(instruction, vocab)
        if m is None:
            raise ValueError(f"greedy-explore: not a multi-object instruction: {instruction!r}")
        yield from (clean_clutter_script if m.task == "clean_clutter" else preference_script)(m, vocab)


class GreedyExploreAgent:
    name = "greedy-explore"
    privileged = False
    frame_size = 0  # does not look at images
    takes_over = "fetch"  # the tasks whose actions follow from the executed history alone (next_action)

    def __init__(self, config: GreedyExploreConfig | None = None):
        self.config = config or GreedyExploreConfig()
        # per env: the parsed instruction, the vocabulary and the history; None: a multi-object episode
        self._episodes: dict[int, tuple[ParsedInstruction, Vocabulary, list[Step]] | None] = {}
        self._multi = _MultiObjectScripts()

    def reset(self, env_ids: Sequence[int]) -> None:
        for i in env_ids:
            self._episodes.pop(int(i), None)
        self._multi.reset(env_ids)

    def act(self, obs: AgentObservation, env: EnvAccess) -> list[str]:
        out = []
        for row, env_id in enumerate(obs.env_ids.tolist()):
            if obs.first[row] or env_id not in self._episodes:
                vocab = Vocabulary.from_actions(env.valid_actions(env_id))
                multi = parse_multi_instruction(obs.instruction[row], vocab) is not None
                self._episodes[env_id] = None if multi else (parse_instruction(obs.instruction[row], vocab), vocab, [])
                self._multi.reset([env_id])
            elif (episode := self._episodes[env_id]) is not None:
                # the action the env executed last (ours or not), its outcome
                episode[2].append(Step(obs.last_action[row], obs.answer[row], bool(obs.invalid[row])))
            ep = self._episodes[env_id]
            out.append(self._multi.act_row(obs, row, env) if ep is None else self.fetch_action(*ep, env, env_id))
        return out

    def fetch_action(self, p: ParsedInstruction, vocab: Vocabulary, history: list[Step], env: EnvAccess,
                     env_id: int) -> str:
        """The action in a fetch episode (subclasses may look at more than the history)."""
        return next_action(p, vocab, history, self.config.ask_location)


def make(options: dict) -> GreedyExploreAgent:
    """Registry factory (options: ask_location, seed)."""
    ask = options.get("ask_location")
    return GreedyExploreAgent(GreedyExploreConfig(ask_location=True if ask is None else bool(ask),
                                                  seed=int(options.get("seed", 0))))
