"""`oracle`: the privileged planner — the upper bound and an end-to-end check of the simulator.

It reads `privileged_state` (world, target, goal, the hypotheses still consistent with the dialogue).
While more than one hypothesis — an (object, goal) pair, or for multi-object tasks a whole assignment
of objects to goals — is consistent it asks the core's `oracle_question`: a grammar question that
keeps the worst-case number of further questions minimal, so it never needs more than K questions.
Then it fetches each target in turn: navigate to its receptacle, open it if closed, pick it by its
full description, navigate to its goal, open it if closed, place.

Strict mode (the default) turns a run into a check of the core: the remaining questions the core
reports at the start must equal the episode's K, they may never exceed K - Q, and the dialogue
must end with the true hypothesis as the only consistent one. A disagreement raises
`OracleCheckError` naming the episode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, cast

from ..eval.agent import AgentObservation, EnvAccess


class OracleEnvAccess(EnvAccess, Protocol):
    """The evaluation runner's env access, with the core's oracle question (beyond EnvAccess)."""

    def oracle_question(self, env_id: int) -> tuple[str | None, int]: ...


class OracleCheckError(AssertionError):
    """The core disagreed with the oracle's model of questions, answers or K."""


@dataclass(frozen=True)
class OracleConfig:
    strict: bool = True        # check K and the dialogue's end against the core (raise on disagreement)
    seed: int = 0              # unused (deterministic); accepted like every agent's

    def __post_init__(self) -> None:
        if not isinstance(self.strict, bool):
            raise TypeError("OracleConfig.strict must be a bool")


@dataclass
class _Plan:
    episode: str
    fetch: list[str]
    K: int = 0
    asked: int = 0
    dialogue_over: bool = False


def fetch_plan(world: dict, targets: list[tuple[int, str]]) -> list[str]:
    """Fetch each (object, goal name) in turn, opening what is closed (once)."""
    opened = {r["name"] for r in world["receptacles"] if r["open"]}
    acts: list[str] = []
    for target, goal in targets:
        obj = world["objects"][target]
        src = world["receptacles"][obj["receptacle"]]["name"]
        acts.append(f"navigate({src})")
        if src not in opened:
            acts.append(f"open({src})")
            opened.add(src)
        acts += [f"pick({obj['description']})", f"navigate({goal})"]
        if goal not in opened:
            acts.append(f"open({goal})")
            opened.add(goal)
        acts.append(f"place({goal})")
    return acts


def _truth_and_hypotheses(ps: dict) -> tuple[object, list]:
    """The true hypothesis and the consistent ones, comparable: (object, goal index) pairs for a fetch
    task, frozensets of such pairs (the objects an assignment moves) for a multi-object task."""
    names = [r["name"] for r in ps["world"]["receptacles"]]
    if ps.get("task", "fetch") == "fetch":
        return (ps["target"], names.index(ps["goal"])), [tuple(h) for h in ps["consistent_hypotheses"]]
    truth = frozenset((o, names.index(g)) for o, g in ps["targets"])
    return truth, [frozenset(tuple(p) for p in h) for h in ps["consistent_hypotheses"]]


class OracleAgent:
    name = "oracle"
    privileged = True
    frame_size = 0  # does not look at images

    def __init__(self, config: OracleConfig | None = None):
        self.config = config or OracleConfig()
        self._plans: dict[int, _Plan] = {}
        self.k_mismatches: list[str] = []  # filled when strict is False

    def reset(self, env_ids: Sequence[int]) -> None:
        for i in env_ids:
            self._plans.pop(int(i), None)

    def _fail(self, message: str) -> None:
        if self.config.strict:
            raise OracleCheckError(message)
        self.k_mismatches.append(message)

    def _plan(self, env_id: int, env: EnvAccess) -> _Plan:
        if not callable(getattr(env, "oracle_question", None)):
            raise TypeError("the oracle needs an env access with oracle_question() (the evaluation runner's)")
        ps = env.privileged_state(env_id)
        truth, hyps = _truth_and_hypotheses(ps)
        where = f"episode {ps['instruction']!r}"
        if truth not in hyps:
            raise OracleCheckError(f"{where}: the true hypothesis "
                                   f"{sorted(truth) if isinstance(truth, frozenset) else truth} "
                                   "is not among the consistent hypotheses")
        if len(hyps) == 1 and ps["K"] != 0:
            self._fail(f"{where}: one consistent hypothesis but K = {ps['K']}")
        multi = ps.get("task", "fetch") != "fetch"
        targets = [tuple(t) for t in ps["targets"]] if multi else [(ps["target"], ps["goal"])]
        return _Plan(where, fetch_plan(ps["world"], targets), K=int(ps["K"]))

    def _core_step(self, env_id: int, env: EnvAccess, plan: _Plan) -> str | None:
        """The core's next question, or None when the dialogue is over (after checking it)."""
        question, remaining = cast(OracleEnvAccess, env).oracle_question(env_id)  # _plan checked it has one
        if plan.asked == 0 and remaining != plan.K:
            self._fail(f"{plan.episode}: the core says {remaining} questions are needed, the episode's K is {plan.K}")
        if remaining < 0 or plan.asked + remaining > plan.K:
            self._fail(f"{plan.episode}: after {plan.asked} questions the core still needs {remaining}: more than K = "
                       f"{plan.K}")
        if question is not None:
            plan.asked += 1
            return f"ask({question})"
        if plan.asked or plan.K:
            truth, left = _truth_and_hypotheses(env.privileged_state(env_id))
            if left != [truth]:
                self._fail(f"{plan.episode}: the dialogue left hypotheses {left}, not only the true {truth}")
        plan.dialogue_over = True
        return None

    def act(self, obs: AgentObservation, env: EnvAccess) -> list[str]:
        out = []
        for env_id in obs.env_ids.tolist():
            plan = self._plans.get(env_id)
            if plan is None:
                plan = self._plans[env_id] = self._plan(env_id, env)
            if not plan.dialogue_over:
                action = self._core_step(env_id, env, plan)
                if action is not None:
                    out.append(action)
                    continue
            out.append(plan.fetch.pop(0) if plan.fetch else "place(nowhere)")
        return out


def make(options: dict) -> OracleAgent:
    """Registry factory (options: seed)."""
    return OracleAgent(OracleConfig(seed=int(options.get("seed", 0))))
