"""Registers the scripted baselines with the evaluation registry (the `a2a.agents` entry point
`baselines`, see pyproject.toml). Light: factories are imported only when an agent is built."""

from __future__ import annotations

from ..eval.registry import AgentOption, builtin_specs, register_agent

_AGENTS = (
    ("oracle", "a2a.baselines.oracle:make", True, (),
     "privileged planner: asks a worst-case-minimal set of questions (Q <= K), then fetches (SR 100%)"),
    ("random", "a2a.baselines.random_agent:make", False, (),
     "uniform over the scene's canonical action vocabulary"),
    ("no-ask", "a2a.baselines.no_ask:make", False,
     (AgentOption("guess_size", bool, False,
                  "no-ask: when a pick fails and the instruction gives no size, try each size"),),
     "never asks: explores receptacles in a fixed order, picks the first match, delivers"),
    ("greedy-explore", "a2a.baselines.greedy_explore:make", False,
     (AgentOption("ask_location", bool, True,
                  "ask 'where is it?' when the instruction does not name where the object is"),),
     "non-privileged scripted agent: asks where things are from text, probes picks, delivers"),
    ("look-then-ask", "a2a.baselines.look_then_ask:make", False,
     (AgentOption("planned_steps", int, 40,
                  "look-then-ask: the step limit it plans its looking for (the dataset's --max-steps; 10 for "
                  "the easy preset)"),),
     "non-privileged scripted agent: greedy-explore, but looks around (the views it saw) before it asks "
     "'where is it?', and asks only if it saw the object's twin or could not look everywhere; asks for the "
     "attribute that tells the fitting descriptions apart first"),
)


def register() -> None:
    have = builtin_specs()
    for name, factory, privileged, options, help_text in _AGENTS:
        if name not in have:
            register_agent(name, factory, privileged=privileged, options=options, help=help_text)
