"""Few-shot examples for the world-graph agents: the oracle's trajectories on the **train** split
(never an evaluation split), written as the same ReAct turns the agent produces and reads.

Each example shows the instruction, the world graph at the start of the episode as the agent would
see it (full or observed so far), then one Thought/Action/Observation turn per step of the oracle,
with a short templated thought naming why it takes that step."""

from __future__ import annotations

import random

from ..baselines.oracle import OracleAgent
from ..env.config import EnvConfig
from ..eval.env_access import RunnerEnvAccess
from ..eval.observation import observation_from_batch
from .prompts import first_message, graph_changes, observation_text

SPLIT = "train"


def _thought(action: str, held: bool) -> str:
    verb, arg = action.split("(", 1)[0], action[action.find("(") + 1:-1]
    if verb == "ask":
        return "Several objects or places still fit the instruction, so I ask a question that tells them apart."
    if verb == "navigate":
        return (f"I hold the object; I bring it to the {arg}." if held
                else f"I know which object is meant and it is at the {arg}, so I go there.")
    if verb == "open":
        return f"The {arg} is closed; I open it to reach inside."
    if verb == "pick":
        return f"The {arg} I need is here; I pick it."
    if verb == "place":
        return f"This is where the user wants it; I place it on the {arg}."
    return "I take the next step."


def example_episodes(n: int, dataset: str | None = None, seed: int = 0) -> tuple[object, list[int]]:
    """(the train split, indices of n example episodes): a seeded choice that covers as many
    ambiguity types as it can."""
    from ..data import load_split

    episodes = load_split(SPLIT, dataset)
    summary = episodes.summary()
    if any(s != SPLIT for s in summary["split"]):
        raise ValueError(f"few-shot examples must come from the train split; the {SPLIT} file holds other splits")
    order = list(range(len(episodes)))
    random.Random(seed).shuffle(order)
    chosen: list[int] = []
    kinds: set[str] = set()
    for i in order:  # first one episode per ambiguity label, then any
        if len(chosen) < n and summary["ambiguity"][i] not in kinds:
            chosen.append(i)
            kinds.add(summary["ambiguity"][i])
    chosen += [i for i in order if i not in chosen][: n - len(chosen)]
    return episodes, chosen[:n]


def oracle_examples(n: int, observability: str = "full", react: bool = True, dataset: str | None = None,
                    seed: int = 0) -> list[str]:
    """n worked examples as prompt text (see the module docstring)."""
    if n <= 0:
        return []
    episodes, chosen = example_episodes(n, dataset, seed)
    env = EnvConfig(frame_size=0, autoreset="disabled", seed=seed).make_core(episodes, 1)
    access = RunnerEnvAccess(env, privileged=True, agent_name="few-shot oracle")
    out = []
    for k, index in enumerate(chosen, 1):
        oracle = OracleAgent()
        batch = env.reset([0], [index])
        oracle.reset([0])
        def graph() -> str:
            return (env.privileged_state(0) if observability == "full" else env.observed_state(0))["world_graph"]

        before = graph()
        lines = [f"Example {k}", first_message(batch.instruction[0].decode(), before, observability)]
        held = False
        while True:
            obs = observation_from_batch(batch)
            action = oracle.act(obs, access)[0]
            if react:
                lines.append(f"Thought: {_thought(action, held)}")
            lines.append(f"Action: {action}")
            batch = env.step([action])
            held = held or action.startswith("pick(")
            obs = observation_from_batch(batch)
            after = graph()
            lines.append("Observation: " + observation_text(bool(obs.invalid[0]), obs.invalid_reason[0], obs.answer[0],
                                                            changes=graph_changes(before, after)))
            before = after
            if bool(batch.terminated[0] or batch.truncated[0]):
                lines.append("(The object is where the user wanted it: success.)" if bool(batch.success[0])
                             else "(The episode ended without success.)")
                break
        out.append("\n".join(lines))
    return out
