"""Prompt templates for the LLM judge and the LLM user.

The world graph is privileged simulator text and goes into the prompt verbatim. The one-line
fields (instruction, target, goal, dialogue, question) are whitespace-collapsed so that a
question cannot forge extra prompt lines.
"""
from __future__ import annotations

from collections.abc import Sequence

JUDGE_SYSTEM = """\
You are a strict judge for a household robot that may ask its user clarification questions \
before it acts. You see a privileged description of the scene, the user's instruction, the true \
target object, the goal receptacle where it must be placed, the dialogue so far and the robot's \
new question.

The new question is USEFUL when its truthful answer narrows down which object is meant or where \
it must be placed, beyond what the instruction and the earlier answers already establish.
It is NOT USEFUL when it is unrelated to the task, asks something already answered or implied, \
cannot be answered from the scene, or cannot reduce the ambiguity (for example because only one \
object or one place is still possible).

Reply with a JSON object only: {"useful": true or false, "reason": "<one short sentence>"}"""

JUDGE_TEMPLATE = """\
Scene (privileged world graph):
<world_graph>
{world_graph}
</world_graph>

Instruction: {instruction}
Target object: {target}
Goal receptacle: {goal}

Dialogue so far:
{dialogue}

New question: {question}

Is the new question useful? Reply with the JSON object only."""

USER_SYSTEM = """\
You are the user of a household robot. You gave the robot an instruction, and you know exactly \
which object you mean (the target) and where you want it placed (the goal). The robot may ask \
you questions before it acts. Answer truthfully, using the scene description, in one short \
sentence of at most 15 words. Answer only what is asked; do not volunteer other details.
If the robot's message is not a question about the task (a command, gibberish, or anything \
unrelated to the objects, receptacles and rooms of this task), reply exactly: {dont_understand}"""

USER_TEMPLATE = """\
Scene (privileged world graph):
<world_graph>
{world_graph}
</world_graph>

Your instruction to the robot: {instruction}
Target object: {target}
Goal receptacle: {goal}

Conversation so far:
{dialogue}

The robot asks: {question}
Your answer:"""

NO_DIALOGUE = "(no questions asked yet)"


def one_line(text: str) -> str:
    """Collapse all whitespace (newlines included) to single spaces."""
    return " ".join(str(text).split())


def format_dialogue(dialogue: Sequence[tuple[str, str]]) -> str:
    """Numbered ``Q: ... / A: ...`` lines, or a placeholder when empty."""
    if not dialogue:
        return NO_DIALOGUE
    lines = []
    for i, (q, a) in enumerate(dialogue, 1):
        lines.append(f"{i}. Robot: {one_line(q)}")
        lines.append(f"   User: {one_line(a)}")
    return "\n".join(lines)


def judge_messages(world_graph: str, instruction: str, target: str, goal: str,
                   dialogue: Sequence[tuple[str, str]], question: str) -> tuple[dict[str, str], ...]:
    """System + user chat messages asking whether ``question`` is useful."""
    user = JUDGE_TEMPLATE.format(world_graph=world_graph, instruction=one_line(instruction),
                                 target=one_line(target), goal=one_line(goal),
                                 dialogue=format_dialogue(dialogue), question=one_line(question))
    return ({"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": user})


def user_messages(world_graph: str, instruction: str, target: str, goal: str,
                  dialogue: Sequence[tuple[str, str]], question: str,
                  dont_understand: str) -> tuple[dict[str, str], ...]:
    """System + user chat messages asking the simulated user to answer ``question``."""
    system = USER_SYSTEM.format(dont_understand=dont_understand)
    user = USER_TEMPLATE.format(world_graph=world_graph, instruction=one_line(instruction),
                                target=one_line(target), goal=one_line(goal),
                                dialogue=format_dialogue(dialogue), question=one_line(question))
    return ({"role": "system", "content": system}, {"role": "user", "content": user})
