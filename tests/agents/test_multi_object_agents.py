"""The LLM agents on multi-object episodes (clean clutter, preference reasoning), unchanged: the fake
server replies with the oracle's actions for each episode, as a world-graph reply or as Set-of-Marks
tool calls, and the agents must turn every one into a valid step and finish the episodes."""
from __future__ import annotations

import json
import re

import pytest

from a2a import _core
from a2a.agents.config import LLMAgentConfig
from a2a.agents.set_of_marks import SetOfMarksAgent
from a2a.agents.world_graph import WorldGraphAgent
from a2a.baselines.oracle import OracleAgent
from a2a.eval.runner import RunnerConfig, run_episodes

from agents_fake import fake

EPISODES = [0, 1]  # per task: one without and one with a question to ask first (seed 5)


def run(agent, episodes) -> list:
    records = []
    run_episodes(agent, episodes, EPISODES, RunnerConfig(num_envs=1), lambda r, f: records.append(r))
    return sorted(records, key=lambda r: r.episode_index)


def as_tool_calls(episodes, index: int, actions: list[str]) -> list[fake.Reply]:
    """The oracle's actions as Set-of-Marks tool calls: a pick names the mark its object has in the view."""
    env = _core.BatchedEnv(episodes, num_envs=1, width=0, height=0, autoreset="disabled")
    env.reset([0], [index])
    replies = []
    for action in actions:
        name, arg = re.fullmatch(r"(\w+)\((.*)\)", action).groups()
        param = {"pick": "mark", "ask": "question"}.get(name, "receptacle")
        value = env.marks(0).index(arg) + 1 if name == "pick" else arg
        replies.append(fake.Reply("I act.", tool_calls=[(name, json.dumps({param: value}))]))
        env.step([action])
    return replies


@pytest.mark.parametrize("task", ["clean_clutter", "preference_reasoning"])
@pytest.mark.parametrize("kind", ["wg-react", "som-react"])
def test_llm_agents_act_validly_on_multi_object_episodes(server, agent_options, kind, task):
    episodes = _core.EpisodeSet.generate("val_unseen_scenes", len(EPISODES), seed=5, multi_share=1.0,
                                         multi_tasks=[task])
    assert episodes.summary()["task"] == [task] * len(EPISODES)
    oracle = run(OracleAgent(), episodes)
    assert all(r.success for r in oracle) and any(a.startswith("ask(") for r in oracle for a in r.actions)
    for r in oracle:
        if kind == "wg-react":
            server.script.extend(fake.Reply(f"Thought: next.\nAction: {a}") for a in r.actions)
        else:
            server.script.extend(as_tool_calls(episodes, r.episode_index, r.actions))
    server.default = lambda body: fake.Reply("out of script")  # an invalid step: the oracle's episodes are over
    config = LLMAgentConfig.from_options(agent_options(), react=True)
    agent = WorldGraphAgent(config) if kind == "wg-react" else SetOfMarksAgent(config)
    records = run(agent, episodes)
    assert [r.episode_index for r in records] == EPISODES and not server.script
    for rec, want in zip(records, oracle):
        assert rec.actions == want.actions and not any(rec.invalid), rec.invalid_reasons
        assert rec.success and rec.length == want.length
    env = _core.BatchedEnv(episodes, num_envs=1, width=0, height=0, autoreset="disabled")
    instruction = env.reset([0], [EPISODES[0]]).instruction[0].decode()
    assert instruction in fake.message_text([m for m in server.bodies[0]["messages"] if m["role"] == "user"][0])
