"""The batched loop shared by the LLM agents: one request per env in flight, all rows of a step sent
concurrently through the project's LLM client (bounded concurrency, retries, timeouts, on-disk
cache); each reply parsed into an action, or counted invalid with its raw text kept.

Subclasses say what the model reads (`context` and optional images) and how a reply becomes an
action (`read_reply`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from ..eval.agent import AgentObservation, EnvAccess
from ..llm.breaker import EndpointBreaker
from ..llm.client import ChatRequest, ChatResult, LLMClient
from ..llm.dialogue import question_of
from .config import LLMAgentConfig
from .memory import EpisodeMemory, Turn
from .prompts import context, first_message, graph_changes, observation_text, with_changes
from .replies import one_line_cut

log = logging.getLogger(__name__)


class LLMAgent:
    """Base of the LLM agents (see the module docstring). Not registered itself."""

    name = "llm"
    privileged = False
    full_observation = False
    frame_size = 0
    tools: tuple[dict, ...] | None = None
    stop: tuple[str, ...] | None = None  # stop sequences (text agents: before an invented observation)

    @classmethod
    def react(cls, options: dict) -> LLMAgent:
        """The registry's factory of the ReAct variant (a thought and an action per step)."""
        return cls(LLMAgentConfig.from_options(options, react=True))

    @classmethod
    def direct(cls, options: dict) -> LLMAgent:
        """The registry's factory of the direct variant (the action alone)."""
        return cls(LLMAgentConfig.from_options(options, react=False))

    def __init__(self, config: LLMAgentConfig, client: LLMClient | None = None, check: bool = True):
        self.config = config
        self.client = client or LLMClient(config.llm_config())
        if check:
            self.client.check()  # an unreachable endpoint fails now, in one line
        self._memory: dict[int, EpisodeMemory] = {}
        # A gone endpoint stops the evaluation (resume it with --resume; finished episodes are kept).
        self._breaker = EndpointBreaker()
        self.system = ""  # set by subclasses

    # ---- the Agent protocol ----
    def reset(self, env_ids: Sequence[int]) -> None:
        for i in env_ids:
            self._memory.pop(int(i), None)

    def act(self, obs: AgentObservation, env: EnvAccess) -> list[str]:
        mems = []
        for row, env_id in enumerate(obs.env_ids.tolist()):
            mem = self._memory.get(env_id)
            if mem is None or bool(obs.first[row]):
                mem = self._memory[env_id] = EpisodeMemory(obs.instruction[row])
            else:
                self._observe(mem, row, obs, env)
            mems.append(mem)
        requests = [self.request(row, obs, env, mem) for row, mem in enumerate(mems)]
        results = self.client.chat_many_sync(requests, return_exceptions=True)
        self._breaker.check(results, self.name)
        actions = []
        for row, (mem, result) in enumerate(zip(mems, results)):
            env_id = int(obs.env_ids[row])
            actions.append(self._take(mem, result, env, env_id))
        return actions

    def step_info(self, env_id: int) -> dict | None:
        """The record of the env's last step (raw output, thought, tool calls, tokens, latency)."""
        mem = self._memory.get(int(env_id))
        return None if mem is None else mem.step_info

    def close(self) -> None:
        self.client.close()

    # ---- what subclasses define ----
    def images(self, row: int, obs: AgentObservation, mem: EpisodeMemory) -> list[str]:
        return []

    def graph(self, env: EnvAccess, env_id: int) -> str | None:
        """The world graph the agent reads now (text agents); None: none."""
        return None

    def receptacles(self, env: EnvAccess, env_id: int) -> list[str]:
        """Receptacle names told in the first message (agents without a world graph)."""
        return []

    def read_reply(self, result: ChatResult, env: EnvAccess, env_id: int) -> tuple[str, str, str, str]:
        """(thought, action, error, the assistant turn as shown back to the model)."""
        raise NotImplementedError

    # ---- the loop ----
    def _observe(self, mem: EpisodeMemory, row: int, obs: AgentObservation, env: EnvAccess) -> None:
        turn = mem.open_turn()
        if turn is None:
            return
        env_id = int(obs.env_ids[row])
        reason = obs.invalid_reason[row] if len(obs.invalid_reason) == len(obs) else ""
        answer = obs.answer[row]
        invalid = bool(obs.invalid[row])
        marks = len(env.marks(env_id)) if self.tools is not None else None
        turn.observation = observation_text(invalid, reason, answer, turn.error, marks=marks)
        if answer and not invalid and turn.action.startswith("ask("):
            mem.dialogue.append((question_of(turn.action), answer))

    def request(self, row: int, obs: AgentObservation, env: EnvAccess, mem: EpisodeMemory) -> ChatRequest:
        """The prompt: system (task, skills, format, examples); the instruction with the world graph as
        it was at the first turn shown; each turn with its observation and the graph lines it changed;
        the dialogue so far and the step. Everything but the closing context is a prefix of the next
        step's prompt (cheap on servers with prefix caching)."""
        env_id = int(obs.env_ids[row])
        graph = self.graph(env, env_id)
        if graph is not None:
            mem.graphs.append(graph)  # graphs[k]: before turn k's action; the last one is now
        left_out, turns = mem.shown_turns(self.config.max_turns)
        first = first_message(mem.instruction, mem.graphs[left_out] if graph is not None else None,
                              self.config.observability, self.receptacles(env, env_id))
        if left_out:
            first += f"\n\n({left_out} earlier step{'s' if left_out != 1 else ''} not shown)"
        msgs: list[dict[str, Any]] = [{"role": "system", "content": self.system}, {"role": "user", "content": first}]
        for k, t in enumerate(turns, start=left_out):
            observation = t.observation
            if graph is not None:
                observation = with_changes(observation, graph_changes(mem.graphs[k], mem.graphs[k + 1]))
            msgs.append({"role": "assistant", "content": t.reply})
            msgs.append({"role": "user", "content": f"Observation: {observation}"})
        last = msgs[-1]["content"] + "\n\n" + context(int(obs.step[row]), mem.dialogue)
        images = self.images(row, obs, mem)
        if images:
            msgs[-1]["content"] = [{"type": "text", "text": last}] + [
                {"type": "image_url", "image_url": {"url": url}} for url in images]
        else:
            msgs[-1]["content"] = last
        return ChatRequest(messages=tuple(msgs), temperature=self.config.temperature, max_tokens=self.config.max_tokens,
                           seed=self.config.seed, stop=self.stop, tools=self.tools,
                           tool_choice="auto" if self.tools else None)

    def _take(self, mem: EpisodeMemory, result: object, env: EnvAccess, env_id: int) -> str:
        info: dict[str, Any] = {"raw": "", "thought": "", "tool_calls": [], "prompt_tokens": 0, "completion_tokens": 0,
                                "latency_s": 0.0, "source": "error", "error": "", "cost_usd": 0.0}
        if isinstance(result, ChatResult):
            thought, action, error, shown = self.read_reply(result, env, env_id)
            info.update(raw=result.text, thought=thought, source=result.source, latency_s=round(result.latency_s, 4),
                        tool_calls=[[c.name, c.arguments] for c in result.tool_calls],
                        prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens,
                        finish_reason=result.finish_reason)
            if result.source == "llm":
                info["cost_usd"] = self.config.cost_usd(result.prompt_tokens, result.completion_tokens)
        else:  # the request failed after its retries: an invalid step, the episode goes on
            error = f"the LLM request failed: {one_line_cut(str(result), 200)}"
            thought, action, shown = "", "", "(no reply)"
            log.warning("%s: %s", self.name, error)
        info["error"] = error
        info["action"] = action
        mem.turns.append(Turn(reply=shown, action=action, error=error))
        mem.step_info = info
        return action
