"""Registers the LLM agents with the evaluation registry (the `a2a.agents` entry point `llm`, see
pyproject.toml). Light: nothing heavy is imported until an agent is built."""

from __future__ import annotations

from ..eval.registry import builtin_specs, register_agent
from .config import SET_OF_MARKS_OPTIONS, WORLD_GRAPH_OPTIONS

AGENTS = (
    ("wg-react", "a2a.agents.world_graph:WorldGraphAgent.react", WORLD_GRAPH_OPTIONS,
     "text LLM over a world graph (--observability full|partial), Thought + Action per step (ReAct); --shots N"),
    ("wg-direct", "a2a.agents.world_graph:WorldGraphAgent.direct", WORLD_GRAPH_OPTIONS,
     "text LLM over a world graph, the action alone (no thought)"),
    ("som-react", "a2a.agents.set_of_marks:SetOfMarksAgent.react", SET_OF_MARKS_OPTIONS,
     "vision LLM over Set-of-Marks views, a thought and one tool call per step (picks by mark)"),
    ("som-direct", "a2a.agents.set_of_marks:SetOfMarksAgent.direct", SET_OF_MARKS_OPTIONS,
     "vision LLM over Set-of-Marks views, one tool call per step (no thought)"),
)


def register() -> None:
    have = builtin_specs()
    for name, factory, options, help_text in AGENTS:
        if name not in have:
            register_agent(name, factory, options=options, help=help_text,
                           privileged=name.startswith("wg-"))  # with --observability full (the default)
