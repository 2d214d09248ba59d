"""`greedy-explore`: a non-privileged scripted agent that asks only questions it can template from
what it knows, then explores and probes.

Information it uses (and nothing else — no privileged state, no images):
- the instruction text, parsed with the catalog vocabulary (category, color, size, a named source
  receptacle or room, a named goal or a goal type);
- the scene's receptacle names from `valid_actions` (their types follow from the names);
- the user's answers to its own questions (parsed text);
- whether its own last action was invalid (the reason is not observed).

Policy:
1. Goal given as a type with several receptacles of that type in the scene ("one of the tables"):
   ask "where should i put it?" (the ambiguity is certain from the text and the vocabulary).
2. Object location not named in the instruction: ask "where is it?" (option ask_location).
3. Go to the told (or named) receptacle, open it if its type opens, and try to pick with the
   instruction's description. If that fails, lookalikes stand there: ask for the missing
   attributes ("what color is it?", then "what size is it?"), retrying the pick after each answer.
4. Without a location (ask_location off, or an unexpected answer) explore every receptacle in a
   fixed order with the same probe.
5. Deliver: navigate to the goal, open it if its type opens, place.

Multi-object instructions (clean clutter, preference reasoning) go to the scripts of greedy_multi.py,
which use the same information plus the descriptions of the scene's objects from `valid_actions`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .greedy_multi import clean_clutter_script, preference_script
from .instruction import (Vocabulary, catalog, parse_instruction, parse_location_answer, parse_placement_answer,
                          parse_value_answer)
from .multi_instruction import parse_multi_instruction
from .scripted import Script, ScriptedAgent, deliver_to, exploration_order, fetch_from


@dataclass(frozen=True)
class GreedyExploreConfig:
    ask_location: bool = True  # ask "where is it?" when the instruction does not name the receptacle
    seed: int = 0              # unused (deterministic); accepted like every agent's

    def __post_init__(self) -> None:
        if not isinstance(self.ask_location, bool):
            raise TypeError(f"GreedyExploreConfig.ask_location must be a bool, got {self.ask_location!r}")


class GreedyExploreAgent(ScriptedAgent):
    name = "greedy-explore"

    def __init__(self, config: GreedyExploreConfig | None = None):
        super().__init__()
        self.config = config or GreedyExploreConfig()

    def script(self, instruction: str, vocab: Vocabulary) -> Script:
        m = parse_multi_instruction(instruction, vocab)
        if m is not None:
            yield from (clean_clutter_script if m.task == "clean_clutter" else preference_script)(m, vocab)
            return
        p = parse_instruction(instruction, vocab)
        if p.category is None:
            return
        # 1. Where does it go?
        goal = p.goal_receptacle
        if goal is None:
            candidates = vocab.of_type(p.goal_type or "")
            if not candidates:
                return
            goal = candidates[0]
            if len(candidates) > 1:
                fb = yield "ask(where should i put it?)"
                goal = parse_placement_answer(fb.answer, vocab) or goal
        # 2. Where is it?
        source = p.source_receptacle
        if source is None and self.config.ask_location:
            fb = yield "ask(where is it?)"
            source = parse_location_answer(fb.answer, vocab)
        color, size = p.color, p.size
        # 3. Fetch from the told receptacle, asking for missing attributes when lookalikes stand there.
        if source is not None:
            if (yield from fetch_from(source, vocab, p.description(size, color))):
                yield from deliver_to(goal, vocab)
                return
            cat = catalog()
            colors = next(c["colors"] for c in cat["categories"] if c["name"] == p.category)
            for question, missing, allowed in (("what color is it?", color is None, colors),
                                               ("what size is it?", size is None, cat["sizes"])):
                if not missing:
                    continue
                fb = yield f"ask({question})"
                value = parse_value_answer(fb.answer, allowed)
                if value is None:
                    continue
                if allowed is colors:
                    color = value
                else:
                    size = value
                fb = yield f"pick({p.description(size, color)})"
                if not fb.invalid:
                    yield from deliver_to(goal, vocab)
                    return
        # 4. Explore everything else with the best description known.
        exclude = [goal] + ([source] if source else [])
        for r in exploration_order(vocab, None, p.source_room, exclude=exclude):
            if (yield from fetch_from(r, vocab, p.description(size, color))):
                yield from deliver_to(goal, vocab)
                return


def make(options: dict) -> GreedyExploreAgent:
    """Registry factory (options: ask_location, seed)."""
    ask = options.get("ask_location")
    return GreedyExploreAgent(GreedyExploreConfig(ask_location=True if ask is None else bool(ask),
                                                  seed=int(options.get("seed", 0))))
