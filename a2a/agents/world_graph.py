"""World-graph agents (text LLM): `wg-react` (a thought, then one action) and `wg-direct` (the action).

With full observability the model reads the privileged world graph of the whole apartment (the
paper's "*" rows; the agent is privileged); with partial observability, only what the robot has
observed so far (the core's observed world: start room, visited receptacles, objects seen there),
which grows as it explores. The graph comes with the instruction; each observation adds the graph
lines its step changed or revealed, so the model always has the current graph while every prompt
extends the previous one."""

from __future__ import annotations

from ..eval.agent import EnvAccess
from ..llm.client import ChatResult, LLMClient
from .base import LLMAgent
from .config import LLMAgentConfig
from .prompts import system_prompt
from .replies import parse_reply


class WorldGraphAgent(LLMAgent):
    stop = ("Observation:",)

    def __init__(self, config: LLMAgentConfig, client: LLMClient | None = None, check: bool = True,
                 examples: list[str] | None = None):
        super().__init__(config, client, check)
        self.name = "wg-react" if config.react else "wg-direct"
        self.full_observation = config.observability == "full"
        self.privileged = self.full_observation  # the full world graph is privileged state
        if examples is None and config.shots:
            from .shots import oracle_examples

            examples = oracle_examples(config.shots, config.observability, config.react, dataset=config.dataset,
                                       seed=config.seed)
        self.examples = list(examples or [])
        self.system = system_prompt(config.react, examples=self.examples)

    def graph(self, env: EnvAccess, env_id: int) -> str:
        if self.full_observation:
            return env.privileged_state(env_id)["world_graph"]
        return env.observed_state(env_id)["world_graph"]

    def read_reply(self, result: ChatResult, env: EnvAccess, env_id: int) -> tuple[str, str, str, str]:
        p = parse_reply(result.text, self.config.max_reply_chars)
        if p.action:
            shown = (f"Thought: {p.thought}\n" if self.config.react and p.thought else "") + f"Action: {p.action}"
        else:
            shown = " ".join(result.text.split())[:300] or "(empty reply)"
        return p.thought, p.action, p.error, shown

