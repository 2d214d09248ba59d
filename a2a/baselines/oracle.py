"""`oracle`: the privileged planner — the upper bound and an end-to-end check of the simulator.

It reads `privileged_state` (world, target, goal, the hypotheses still consistent with the dialogue).
While more than one (object, goal) hypothesis is consistent it asks a grammar question that keeps the
worst-case number of further questions minimal, so it never needs more than K questions. Then it
fetches: navigate to the target's receptacle, open it if closed, pick the target by its full
description, navigate to the goal, open it if closed, place.

Where the questions come from (OracleConfig.questions):
- "core" — the core's `oracle_question(env_id)` (exact, C++; truth-blind: the first minimax question);
- "mirror" — the Python mirror of the question semantics (question_space.py). Among the minimax
  questions it prefers (exact_k_path) one whose answer for the true target still leaves K - 1, so
  its dialogue follows a worst-case path: Q = K exactly. It also checks the mirror against the core
  (K of the initial set; the core's consistent set after every answer);
- "auto" (default) — "core" when the env access offers `oracle_question`, else "mirror".

Strict mode (the default) turns a run into a check of the core: the remaining questions the core
reports at the start must equal the episode's K, they may never exceed K - Q, and the dialogue
must end with the true (target, goal) as the only consistent hypothesis. A disagreement raises
`OracleCheckError` naming the episode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from ..eval.agent import AgentObservation, EnvAccess
from .question_space import MinimaxSolver, build_question_space


class OracleCheckError(AssertionError):
    """The core disagreed with the oracle's model of questions, answers or K."""


QUESTION_SOURCES = ("auto", "core", "mirror")


@dataclass(frozen=True)
class OracleConfig:
    questions: str = "auto"    # "core", "mirror" or "auto" (see the module docstring)
    exact_k_path: bool = True  # mirror: prefer questions that keep the true answer on a worst-case path (Q = K)
    strict: bool = True        # check K and every answer against the core (raise on disagreement)
    seed: int = 0              # unused (deterministic); accepted like every agent's

    def __post_init__(self) -> None:
        if self.questions not in QUESTION_SOURCES:
            raise ValueError(f"OracleConfig.questions must be one of {QUESTION_SOURCES}, got {self.questions!r}")
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
    K: int = 0
    use_core: bool = False
    dialogue_over: bool = False
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

    def _use_core(self, env: EnvAccess) -> bool:
        has = callable(getattr(env, "oracle_question", None))
        if self.config.questions == "core" and not has:
            raise TypeError("OracleConfig(questions='core'): this env access has no oracle_question()")
        return has and self.config.questions != "mirror"

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
        plan = _Plan(where, None, (1 << len(hyps)) - 1, true_mask, _fetch_actions(world, ps["target"], ps["goal"]),
                     K=int(ps["K"]), use_core=self._use_core(env))
        if len(hyps) > 1:
            if not plan.use_core:
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

    def _core_step(self, env_id: int, env: EnvAccess, plan: _Plan) -> str | None:
        """The core's next question, or None when the dialogue is over (after checking it)."""
        question, remaining = env.oracle_question(env_id)
        if plan.asked == 0 and remaining != plan.K:
            self._fail(f"{plan.episode}: the core says {remaining} questions are needed, the episode's K is {plan.K}")
        if remaining < 0 or plan.asked + remaining > plan.K:
            self._fail(f"{plan.episode}: after {plan.asked} questions the core still needs {remaining}: more than K = {plan.K}")
        if question is not None:
            plan.asked += 1
            return f"ask({question})"
        if plan.asked or plan.K:
            ps = env.privileged_state(env_id)
            left = [tuple(h) for h in ps["consistent_hypotheses"]]
            world = ps["world"]
            truth = (ps["target"], next(i for i, r in enumerate(world["receptacles"]) if r["name"] == ps["goal"]))
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
            if plan.use_core:
                if not plan.dialogue_over:
                    action = self._core_step(env_id, env, plan)
                    if action is not None:
                        out.append(action)
                        continue
                out.append(plan.fetch.pop(0) if plan.fetch else "place(nowhere)")
                continue
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
    """Registry factory (options: questions, seed)."""
    return OracleAgent(OracleConfig(questions=options.get("questions") or "auto", seed=int(options.get("seed", 0))))
