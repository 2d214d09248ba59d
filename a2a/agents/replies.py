"""Turning a model's reply into (thought, action) — or into the reason it is not an action.

A reply is read as ReAct text: the last `Action:` line holds the action (code fences, backticks,
quotes and a trailing period are tolerated); `Thought:` the reasoning before it. Without an
`Action:` line, the first skill call anywhere in the reply is taken. A reply with no skill call, an
empty one, a garbage one or an oversized one is not an action: the agent sends an empty action (the
core counts it invalid) and keeps the raw text and the reason in the episode record.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

SKILLS = ("navigate", "pick", "place", "open", "close", "ask")
_CALL = re.compile(r"\b(" + "|".join(SKILLS) + r")\s*\(([^()\n]*)\)", re.I)
_ACTION_LINE = re.compile(r"^\W*action\W*:\s*(.*)$", re.I | re.M)
_THOUGHT = re.compile(r"thought\W*:\s*(.*?)(?=^\W*action\W*:|\Z)", re.I | re.S | re.M)


@dataclass(frozen=True)
class ParsedReply:
    thought: str
    action: str      # "" when the reply holds no action
    error: str = ""  # why it is not an action ("" when it is one)


def _clean_call(verb: str, arg: str) -> str:
    arg = " ".join(arg.strip().strip("\"'`<>[]").split())
    return f"{verb.lower()}({arg})"


def parse_reply(text: str, max_chars: int = 4000) -> ParsedReply:
    """The thought and action of a ReAct or direct reply (see the module docstring)."""
    if not isinstance(text, str) or not text.strip():
        return ParsedReply("", "", "empty reply")
    if len(text) > max_chars:
        return ParsedReply("", "", f"oversized reply ({len(text)} characters)")
    if not any(c.isalpha() for c in text):
        return ParsedReply("", "", "garbage reply (no words)")
    m = _THOUGHT.search(text)
    thought = " ".join(m.group(1).split()) if m else ""
    lines = _ACTION_LINE.findall(text)
    for line in reversed(lines):
        call = _CALL.search(line)
        if call:
            return ParsedReply(thought, _clean_call(call.group(1), call.group(2)))
    call = _CALL.search(text)
    if call:
        return ParsedReply(thought, _clean_call(call.group(1), call.group(2)))
    if lines:
        return ParsedReply(thought, "", f"the Action line {one_line_cut(lines[-1])!r} is not a skill call "
                                        "such as navigate(dark table)")
    return ParsedReply(thought, "", "no action in the reply (expected a line 'Action: skill(argument)')")


def one_line_cut(text: str, n: int = 80) -> str:
    t = " ".join(str(text).split())
    return t if len(t) <= n else t[: n - 3] + "..."


def parse_tool_call(name: str, arguments: str, marks: list[str]) -> tuple[str, str]:
    """(action, error) of one tool call of the Set-of-Marks agent; `marks` is the core's mark table
    of the current view (mark k describes item k - 1)."""
    if name not in SKILLS:
        return "", f"unknown tool {one_line_cut(name)!r}"
    try:
        args = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        return "", f"the arguments of {name} are not JSON: {one_line_cut(arguments)!r}"
    if not isinstance(args, dict):
        return "", f"the arguments of {name} must be an object, got {one_line_cut(arguments)!r}"
    if name == "pick":
        mark = args.get("mark")
        if isinstance(mark, str) and mark.strip().isdigit():
            mark = int(mark.strip())
        if not isinstance(mark, int) or isinstance(mark, bool):
            return "", f"pick needs an integer mark, got {one_line_cut(json.dumps(args))}"
        if not 1 <= mark <= len(marks):
            return "", (f"there is no mark {mark} in the current view ("
                        + (f"marks 1 to {len(marks)})" if marks else "no marked objects)"))
        return f"pick({marks[mark - 1]})", ""
    key = "question" if name == "ask" else "receptacle"
    value = args.get(key)
    if not isinstance(value, str) or not value.strip():
        return "", f"{name} needs a non-empty string {key!r}"
    return _clean_call(name, value), ""
