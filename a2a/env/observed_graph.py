"""Reading the observed world graph (`observed_state(env_id)["world_graph"]`, the core's observed_graph_text):
what the robot's own views showed, as text. One parser for every agent that reads it.

    receptacle: dark table (table) in the kitchen, open, 4 slots
    receptacle: fridge (not visited yet)
    object: small red striped cup on the dark table (slot 2)
"""

from __future__ import annotations

from dataclasses import dataclass

NOT_VISITED = "(not visited yet)"


@dataclass(frozen=True)
class ReceptacleSeen:
    """A receptacle line: its room and state once visited (None before); `closed` only for a receptacle that
    opens and was last seen shut."""

    room: str | None
    closed: bool

    @property
    def looked_into(self) -> bool:
        """The robot stood there and saw its contents (visited, and open or not articulated)."""
        return self.room is not None and not self.closed


@dataclass(frozen=True)
class ObjectSeen:
    """An object line: the words of its description (size, color, pattern if any, category) and the receptacle
    it was seen on (None: held by the robot)."""

    words: tuple[str, ...]
    receptacle: str | None


@dataclass(frozen=True)
class ObservedGraph:
    receptacles: dict[str, ReceptacleSeen]  # every receptacle, in the graph's order
    objects: tuple[ObjectSeen, ...]

    @staticmethod
    def parse(graph: str) -> ObservedGraph:
        receptacles: dict[str, ReceptacleSeen] = {}
        object_lines: list[str] = []
        for line in graph.splitlines():
            kind, _, rest = line.partition(": ")
            if kind == "receptacle":
                if rest.endswith(NOT_VISITED):
                    receptacles[rest[: -len(NOT_VISITED)].rstrip()] = ReceptacleSeen(None, False)
                else:  # "<name> (<type>) in the <room>[, open|, closed], <n> slots"
                    name, _, after = rest.partition(" (")
                    fields = after.partition(") in the ")[2].split(", ")
                    receptacles[name] = ReceptacleSeen(fields[0], "closed" in fields[1:])
            elif kind == "object":
                object_lines.append(rest)
        return ObservedGraph(receptacles, tuple(_object(rest, receptacles) for rest in object_lines))


def _object(rest: str, receptacles: dict[str, ReceptacleSeen]) -> ObjectSeen:
    """"<description> on the <receptacle> (slot n)" (the preposition varies: on, in) or
    "<description> (held by the robot)"."""
    for name in receptacles:
        head, sep, _ = rest.partition(f" the {name} (slot ")
        if sep:
            return ObjectSeen(tuple(head.split()[:-1]), name)  # the preposition dropped
    return ObjectSeen(tuple(rest.partition(" (")[0].split()), None)
