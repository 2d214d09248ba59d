"""A base for scripted agents: one Python generator per env yields actions and is sent what the
agent observed after each (the user's answer and whether the action was invalid)."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass

from ..eval.agent import AgentObservation, EnvAccess
from .instruction import Vocabulary


@dataclass(frozen=True)
class Feedback:
    """What a non-privileged agent learns from its last action's observation."""

    answer: str     # the user's answer if the action was a question, else ""
    invalid: bool   # the action was rejected (the reason is not observed)


Script = Generator[str, Feedback, None]


class ScriptedAgent:
    """Subclasses implement `script(instruction, vocab)`; the base runs one generator per env."""

    name = "scripted"
    privileged = False
    frame_size = 0  # scripted agents do not look at images

    def __init__(self) -> None:
        self._scripts: dict[int, Script | None] = {}
        self._idle: dict[int, str] = {}

    def script(self, instruction: str, vocab: Vocabulary) -> Script:
        raise NotImplementedError

    def reset(self, env_ids: Sequence[int]) -> None:
        for i in env_ids:
            self._scripts.pop(int(i), None)

    def act(self, obs: AgentObservation, env: EnvAccess) -> list[str]:
        return [self.act_row(obs, row, env) for row in range(len(obs))]

    def act_row(self, obs: AgentObservation, row: int, env: EnvAccess) -> str:
        """The action of one row of `obs`: its env's script advanced by the row's feedback."""
        env_id = int(obs.env_ids[row])
        gen = self._scripts.get(env_id)
        try:
            if gen is None or obs.first[row]:
                vocab = Vocabulary.from_actions(env.valid_actions(env_id))
                self._idle[env_id] = f"navigate({vocab.receptacles[0]})"
                gen = self._scripts[env_id] = self.script(obs.instruction[row], vocab)
                return next(gen)
            return gen.send(Feedback(obs.answer[row], bool(obs.invalid[row])))
        except StopIteration:
            # The script has nothing left to try: wait (a valid, harmless move) until the step limit.
            return self._idle[env_id]


def exploration_order(vocab: Vocabulary, source: str | None = None, room: str | None = None,
                      exclude: Sequence[str] = ()) -> list[str]:
    """Receptacles to search, in a fixed order: the named source, then those whose name contains the
    named room ("kitchen counter" for "kitchen"), then the rest in vocabulary order."""
    first = [source] if source else []
    in_room = [r for r in vocab.receptacles if room and room in r and r not in first]
    rest = [r for r in vocab.receptacles if r not in first and r not in in_room]
    return [r for r in first + in_room + rest if r not in exclude]


def fetch_from(receptacle: str, vocab: Vocabulary, description: str) -> Generator[str, Feedback, bool]:
    """Go to a receptacle, open it if it is of an articulated type, try to pick; returns whether the
    pick succeeded (via StopIteration.value)."""
    yield f"navigate({receptacle})"
    if receptacle in vocab.articulated:
        yield f"open({receptacle})"  # invalid (harmless) when it is already open
    fb = yield f"pick({description})"
    return not fb.invalid


def deliver_to(goal: str, vocab: Vocabulary) -> Script:
    yield f"navigate({goal})"
    if goal in vocab.articulated:
        yield f"open({goal})"
    yield f"place({goal})"
