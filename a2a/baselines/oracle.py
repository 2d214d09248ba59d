"""`oracle`: the privileged planner — the upper bound and an end-to-end check of the simulator.

It reads `privileged_state` (world, target, goal, the hypotheses still consistent with the dialogue).
While more than one (object, goal) hypothesis is consistent it asks a grammar question that
minimises the worst-case K of what remains (so it never needs more than K questions); among those
it prefers one whose answer for the true target still leaves K - 1 (its dialogue then follows a
worst-case path: Q = K exactly, QR = 1, ARS = SR). Then it fetches: navigate to the target's
receptacle, open it if closed, pick the target by its full description, navigate to the goal, open
it if closed, place.

Strict mode (the default) turns the run into a check of the core: K computed by the Python mirror
(question_space.py) must equal the episode's K, the core's consistent set after each answer must be
the predicted one, and the last hypothesis must be the true (target, goal). A mismatch raises
`OracleCheckError` naming the episode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from ..eval.agent import AgentObservation, EnvAccess
from .question_space import MinimaxSolver, build_question_space


class OracleCheckError(AssertionError):
    """The core disagreed with the oracle's model of questions, answers or K."""


@dataclass(frozen=True)
class OracleConfig:
    exact_k_path: bool = True  # prefer questions that keep the true answer on a worst-case path (Q = K)
    strict: bool = True        # check K and every answer against the core (raise on disagreement)
    seed: int = 0              # unused (deterministic); accepted like every agent's

    def __post_init__(self) -> None:
        for name in ("exact_k_path", "strict"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"OracleConfig.{name} must be a bool")


@dataclass
class _Plan:
    episode: str
    solver: MinimaxSolver | None
    mask: int
    true_mask: int
    fetch: list[str]
    asked: int = 0
    pending_question: int = -1
    expected: int = 0
    log: list[str] = field(default_factory=list)


def _fetch_actions(world: dict, target: int, goal_name: str) -> list[str]:
    obj = world["objects"][target]
    src = world["receptacles"][obj["receptacle"]]
    goal = next(r for r in world["receptacles"] if r["name"] == goal_name)
    acts = [f"navigate({src['name']})"]
    if not src["open"]:
        acts.append(f"open({src['name']})")
    acts += [f"pick({obj['description']})", f"navigate({goal['name']})"]
    if not goal["open"] and goal["name"] != src["name"]:
        acts.append(f"open({goal['name']})")
    acts.append(f"place({goal['name']})")
    return acts


def _mask_of(hyps: Sequence[tuple[int, int]], subset: Sequence[tuple[int, int]], where: str) -> int:
    index = {tuple(h): i for i, h in enumerate(hyps)}
    mask = 0
    for h in subset:
        if tuple(h) not in index:
            raise OracleCheckError(f"{where}: the core's consistent hypothesis {tuple(h)} is not one of the episode's")
        mask |= 1 << index[tuple(h)]
    return mask


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
        ps = env.privileged_state(env_id)
        world = ps["world"]
        goal_index = next(i for i, r in enumerate(world["receptacles"]) if r["name"] == ps["goal"])
        hyps = [tuple(h) for h in ps["consistent_hypotheses"]]
        where = f"episode {ps['instruction']!r}"
        truth = (ps["target"], goal_index)
        if truth not in hyps:
            raise OracleCheckError(f"{where}: the true (target, goal) {truth} is not among the consistent hypotheses")
        true_mask = 1 << hyps.index(truth)
        plan = _Plan(where, None, (1 << len(hyps)) - 1, true_mask, _fetch_actions(world, ps["target"], ps["goal"]))
        if len(hyps) > 1:
            plan.solver = MinimaxSolver(build_question_space(world, hyps))
            k = plan.solver.k(plan.mask)
            if k != ps["K"]:
                self._fail(f"{where}: K by the Python mirror is {k}, the episode says {ps['K']}")
        elif ps["K"] != 0:
            self._fail(f"{where}: one consistent hypothesis but K = {ps['K']}")
        return plan

    def _check_answer(self, env_id: int, env: EnvAccess, plan: _Plan) -> None:
        ps = env.privileged_state(env_id)
        hyps = plan.solver.space.hypotheses
        got = _mask_of(hyps, ps["consistent_hypotheses"], plan.episode)
        q = plan.solver.space.questions[plan.pending_question]
        if got != plan.expected:
            self._fail(f"{plan.episode}: after {q!r} the core keeps hypotheses {bin(got)}, the mirror predicts {bin(plan.expected)}")
        plan.mask = got if got else plan.expected
        plan.pending_question = -1

    def _choose(self, plan: _Plan) -> int:
        solver = plan.solver
        best = solver.best_questions(plan.mask)
        if not best:
            raise OracleCheckError(f"{plan.episode}: no question splits the consistent set {bin(plan.mask)}")
        if self.config.exact_k_path:
            k = solver.k(plan.mask)
            for q in best:
                true_sub = next(s for s in solver.splits(q, plan.mask) if s & plan.true_mask)
                if solver.k(true_sub) == k - 1:
                    return q
        return best[0]

    def act(self, obs: AgentObservation, env: EnvAccess) -> list[str]:
        out = []
        for env_id in obs.env_ids.tolist():
            plan = self._plans.get(env_id)
            if plan is None:
                plan = self._plans[env_id] = self._plan(env_id, env)
            if plan.pending_question >= 0:
                self._check_answer(env_id, env, plan)
            if plan.mask & (plan.mask - 1):  # more than one hypothesis left: ask
                q = self._choose(plan)
                plan.pending_question = q
                plan.expected = next(s for s in plan.solver.splits(q, plan.mask) if s & plan.true_mask)
                plan.asked += 1
                out.append(f"ask({plan.solver.space.questions[q]})")
                continue
            if plan.mask != plan.true_mask:
                self._fail(f"{plan.episode}: the dialogue left hypothesis {bin(plan.mask)}, not the true one")
            out.append(plan.fetch.pop(0) if plan.fetch else "place(nowhere)")
        return out


def make(options: dict) -> OracleAgent:
    """Registry factory (options: seed)."""
    return OracleAgent(OracleConfig(seed=int(options.get("seed", 0))))
