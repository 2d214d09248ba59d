"""`no-ask`: never asks. Explores receptacles in a fixed order, picks the first object matching the
instruction's description, delivers it to the named goal (or the first receptacle of the goal type).

Uses only: the instruction text (parsed with the catalog vocabulary), the scene's receptacle names
(`valid_actions`) and whether its own last action was invalid. No questions, no images, no
privileged state. A lower bound: it succeeds when the instruction is unambiguous (K = 0), and by
luck otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from .instruction import Vocabulary, catalog, parse_instruction
from .scripted import Script, ScriptedAgent, deliver_to, exploration_order, fetch_from


@dataclass(frozen=True)
class NoAskConfig:
    guess_size: bool = False  # when the instruction gives no size and the pick fails, try each size
    seed: int = 0            # unused (deterministic); accepted like every agent's

    def __post_init__(self) -> None:
        if not isinstance(self.guess_size, bool):
            raise TypeError(f"NoAskConfig.guess_size must be a bool, got {self.guess_size!r}")


class NoAskAgent(ScriptedAgent):
    name = "no-ask"

    def __init__(self, config: NoAskConfig | None = None):
        super().__init__()
        self.config = config or NoAskConfig()

    def script(self, instruction: str, vocab: Vocabulary) -> Script:
        p = parse_instruction(instruction, vocab)
        if p.category is None:
            return
        goals = [p.goal_receptacle] if p.goal_receptacle else vocab.of_type(p.goal_type or "")
        if not goals:
            return
        order = exploration_order(vocab, p.source_receptacle, p.source_room,
                                  exclude=[p.goal_receptacle] if p.goal_receptacle else [])
        goal = goals[0]
        for r in order:
            found = yield from fetch_from(r, vocab, p.description())
            if not found and p.size is None and self.config.guess_size:
                # Lookalikes of several sizes may stand here together: take the first size that works.
                for size in catalog()["sizes"]:
                    fb = yield f"pick({p.description(size=size)})"
                    if not fb.invalid:
                        found = True
                        break
            if found:
                yield from deliver_to(goal, vocab)
                return


def make(options: dict) -> NoAskAgent:
    """Registry factory (options: guess_size, seed)."""
    guess = options.get("guess_size")
    return NoAskAgent(NoAskConfig(guess_size=bool(guess) if guess is not None else False,
                                  seed=int(options.get("seed", 0))))
