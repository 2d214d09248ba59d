"""Set-of-Marks agents (vision LLM): `som-react` and `som-direct`.

No world graph: the model sees the current egocentric view (and optionally the last few) with
numbered marks on the visible objects, the names of the apartment's receptacles (the non-privileged
action vocabulary), and acts through the chat API's tool calls. `pick` takes a mark number, which
the agent maps to the object's description through the core's mark table. Views go as PNG data-URI
image parts, as the OpenAI API and vLLM accept them."""

from __future__ import annotations

import base64
import io

import numpy as np

from ..eval.agent import AgentObservation, EnvAccess
from ..llm.client import ChatResult, LLMClient
from .base import LLMAgent
from .config import LLMAgentConfig
from .memory import EpisodeMemory
from .prompts import system_prompt
from .replies import one_line_cut, parse_tool_call


def _tool(name: str, description: str, param: str, kind: str, param_help: str) -> dict:
    return {"type": "function", "function": {
        "name": name, "description": description,
        "parameters": {"type": "object", "properties": {param: {"type": kind, "description": param_help}},
                       "required": [param]}}}


TOOLS = (
    _tool("navigate", "Go to a receptacle.", "receptacle", "string", "a receptacle name"),
    _tool("open", "Open a fridge, drawer or cabinet you are at.", "receptacle", "string", "a receptacle name"),
    _tool("close", "Close a receptacle you are at.", "receptacle", "string", "a receptacle name"),
    _tool("pick", "Pick the object with this mark in the current view.", "mark", "integer", "the mark number"),
    _tool("place", "Put the held object on or in the receptacle you are at.", "receptacle", "string",
          "a receptacle name"),
    _tool("ask", "Ask the user one clarification question.", "question", "string", "the question"),
)


def png_data_uri(image: np.ndarray) -> str:
    """A uint8 [h, w, 3] view as a data:image/png;base64 URI."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


class SetOfMarksAgent(LLMAgent):
    set_of_marks = True
    tools = TOOLS

    def __init__(self, config: LLMAgentConfig, client: LLMClient | None = None, check: bool = True):
        super().__init__(config, client, check)
        self.name = "som-react" if config.react else "som-direct"
        self.frame_size = config.image_size
        self.system = system_prompt(config.react, tools=True)

    def receptacles(self, env: EnvAccess, env_id: int) -> list[str]:
        return [a[len("navigate("):-1] for a in env.valid_actions(env_id) if a.startswith("navigate(")]

    def images(self, row: int, obs: AgentObservation, mem: EpisodeMemory) -> list[str]:
        if obs.image is None:
            raise RuntimeError(f"{self.name}: the runner rendered no views (frame size 0); it needs images")
        mem.images.append(png_data_uri(obs.image[row]))
        del mem.images[:-self.config.image_history]
        return list(mem.images)

    def read_reply(self, result: ChatResult, env: EnvAccess, env_id: int) -> tuple[str, str, str, str]:
        thought = " ".join(result.text.split()) if self.config.react else ""
        if len(result.text) > self.config.max_reply_chars:
            return "", "", f"oversized reply ({len(result.text)} characters)", "(oversized reply)"
        if not result.tool_calls:
            error = "no tool call in the reply (call exactly one of the tools)"
            return thought, "", error, thought or "(no tool call)"
        call = result.tool_calls[0]
        action, error = parse_tool_call(call.name, call.arguments, env.marks(env_id))
        if not error and len(result.tool_calls) > 1:
            error = f"{len(result.tool_calls)} tool calls in one step (call exactly one)"
            action = ""
        shown = (thought + "\n" if thought else "") + f"Called: {call.name}({one_line_cut(call.arguments, 120)})"
        return thought, action, error, shown

