"""The text the LLM agents read: the task, the skills and question grammar (docs/grammar.md), the
reply format, and the per-step context (world graph, dialogue, observation)."""

from __future__ import annotations

from collections.abc import Sequence

from ..llm.prompts import format_dialogue, one_line

TASK = """\
You control a household robot in an apartment. The user gave it an instruction that may be ambiguous: \
several objects, or several places to put it, may fit. Find out which object and which place the user \
means - by looking around and by asking the user - then bring the object there. Ask only questions you \
need: each question costs the user's time. Placing a wrong object on a possible goal fails the task."""

SKILLS = """\
Skills (exactly one per step):
  navigate(<receptacle>)  go to a receptacle; you see the objects on or in it only there, and only when it is open
  open(<receptacle>) / close(<receptacle>)  fridges, drawers and cabinets start closed
  pick(<object>)  pick the one visible object here matching "[size] [color] <category>", e.g. pick(small red cup)
  place(<receptacle>)  put the object you hold on or in the receptacle you are at
  ask(<question>)  ask the user one question in one of these forms:
    is it red? | is it small? | is it the small red cup? | is it on the dark table? | is it in the kitchen?
    is it next to the green bowl? | should i put it on the coffee table? | what color is it? | what size is it?
    where is it? | where should i put it?"""

REACT_FORMAT = """\
Reply in exactly two lines and nothing else:
Thought: <one or two short sentences of reasoning>
Action: <one skill call, e.g. navigate(dark table)>"""

DIRECT_FORMAT = """\
Reply with exactly one line and nothing else:
Action: <one skill call, e.g. navigate(dark table)>"""

TOOLS_REACT_FORMAT = """\
Each step the image shows your current view, with numbered marks on the objects you can see. \
Write one short sentence of reasoning, then call exactly one tool. To pick an object, give the \
number of its mark in the current view."""

TOOLS_DIRECT_FORMAT = """\
Each step the image shows your current view, with numbered marks on the objects you can see. \
Call exactly one tool and write nothing else. To pick an object, give the number of its mark \
in the current view."""

GRAPH_HEADINGS = {"full": "World graph (the whole apartment; privileged)",
                  "partial": "What you have observed so far (receptacles you have not visited hide their contents)"}


def system_prompt(react: bool, tools: bool = False, examples: Sequence[str] = ()) -> str:
    """Task, skills, grammar and reply format, then the worked examples (if any)."""
    if tools:
        fmt = TOOLS_REACT_FORMAT if react else TOOLS_DIRECT_FORMAT
    else:
        fmt = REACT_FORMAT if react else DIRECT_FORMAT
    parts = [TASK, SKILLS, fmt]
    if examples:
        parts.append("Worked examples (other apartments):\n\n" + "\n\n".join(examples))
    return "\n\n".join(parts)


def first_message(instruction: str, graph: str | None = None, observability: str = "full",
                  receptacles: Sequence[str] = ()) -> str:
    """The first user message: the instruction, then the world graph as it was at the first turn
    shown (text agents) or the receptacle names (vision agents). It stays the same from step to step,
    so servers with prefix caching (vLLM, llama.cpp, OpenAI) process it once per episode."""
    parts = [f"Instruction: {one_line(instruction)}"]
    if graph is not None:
        parts.append(f"{GRAPH_HEADINGS[observability]}:\n{graph.rstrip()}")
    if receptacles:
        parts.append("Receptacles in this apartment: " + ", ".join(receptacles))
    return "\n\n".join(parts)


def graph_changes(before: str, after: str) -> list[str]:
    """Lines of the world graph `after` that were not in `before` (what the last step changed or revealed)."""
    old = set(before.splitlines())
    return [line for line in after.splitlines() if line and line not in old]


def with_changes(observation: str, changes: Sequence[str]) -> str:
    """An observation followed by the world-graph lines its step changed or revealed."""
    return observation + ("\nWorld graph changes:\n" + "\n".join(changes) if changes else "")


def context(step: int, dialogue: Sequence[tuple[str, str]]) -> str:
    """What closes each prompt: the dialogue so far and the step count."""
    return f"Dialogue so far:\n{format_dialogue(dialogue)}\n\nStep {step + 1}. What next?"


def observation_text(invalid: bool, reason: str, answer: str, agent_error: str = "", changes: Sequence[str] = (),
                     marks: int | None = None) -> str:
    """The Observation of a ReAct turn: what the last action did, and what changed in the world graph."""
    if agent_error:
        text = f"Invalid action: {agent_error}."
    elif invalid:
        text = f"Invalid action: {reason or 'invalid'}."
    elif answer:
        text = f"The user answers: {one_line(answer)}"
    else:
        text = "Done."
    text = with_changes(text, changes)
    if marks is not None:
        text += f" The view shows {marks} marked object{'s' if marks != 1 else ''}."
    return text
