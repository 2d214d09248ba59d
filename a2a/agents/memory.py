"""Per-env episode memory of an LLM agent: its ReAct turns, the dialogue, and the record of each step."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Turn:
    reply: str            # the assistant's turn as shown back to it (thought and action)
    action: str           # what was sent to the env ("" when the reply held no action)
    error: str = ""       # the agent's own reason the reply was not an action
    observation: str = ""  # filled at the next step


@dataclass
class EpisodeMemory:
    instruction: str
    turns: list[Turn] = field(default_factory=list)
    dialogue: list[tuple[str, str]] = field(default_factory=list)
    images: list[str] = field(default_factory=list)  # data URIs of the last views (vision agents)
    graphs: list[str] = field(default_factory=list)  # world graph before each turn's action (text agents)
    step_info: dict | None = None  # the record of the last step (for the runner)

    def open_turn(self) -> Turn | None:
        """The last turn if it still waits for its observation."""
        return self.turns[-1] if self.turns and not self.turns[-1].observation else None

    def shown_turns(self, max_turns: int) -> tuple[int, list[Turn]]:
        """(how many earlier turns are left out, the completed turns shown in the prompt)."""
        done = [t for t in self.turns if t.observation]
        shown = done[-max_turns:] if max_turns else []
        return len(done) - len(shown), shown
