"""Replies of a small model that look like answers but are not: prompt echoes and copied template
slots. The LLM user and the LLM judge count them as garbage (a fallback) instead of using them."""
from __future__ import annotations

import re

# Pieces of the user prompt (a2a.llm.prompts) that a small model copies back instead of answering.
_ECHO = re.compile(r"the robot asks\s*:|your answer\s*:|conversation so far\s*:|target object\s*:|goal receptacle\s*:"
                   r"|your instruction to the robot\s*:|<world_graph>|privileged world graph|\(no questions asked "
                   r"yet\)", re.I)
_PLACEHOLDER = re.compile(r"<[a-z][a-z _-]{2,40}>", re.I)  # "<one short sentence>", "<answer>"


def garbage_kind(text: str) -> str | None:
    """Why a model's reply is not an answer: "echo" (it repeats the prompt), "placeholder" (it
    copies a template slot such as "<one short sentence>"), or None."""
    if _ECHO.search(text):
        return "echo"
    if _PLACEHOLDER.search(text):
        return "placeholder"
    return None
