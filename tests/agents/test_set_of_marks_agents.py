"""The Set-of-Marks agents (som-react, som-direct) against the fake server: images sent as data URIs,
tool schemas, picks by mark through the core's mark table, broken tool calls counted invalid."""
from __future__ import annotations

import base64
import io
import json

import numpy as np
from PIL import Image

from a2a import _core
from a2a.agents.config import LLMAgentConfig
from a2a.agents.set_of_marks import SetOfMarksAgent
from a2a.data import load_split
from a2a.eval.runner import RunnerConfig, run_episodes

from agents_fake import fake


def images_of(body: dict) -> list[np.ndarray]:
    out = []
    for m in body["messages"]:
        if isinstance(m["content"], list):
            for p in m["content"]:
                if p["type"] == "image_url":
                    url = p["image_url"]["url"]
                    assert url.startswith("data:image/png;base64,")
                    out.append(np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))))
    return out


def call(name: str, **args) -> fake.Reply:
    return fake.Reply("I look around.", tool_calls=[(name, json.dumps(args))])


def first_episode_with_objects_at(episodes) -> tuple[int, str, list[str]]:
    """An episode and a receptacle of it that is open and holds objects, with its mark table."""
    env = _core.BatchedEnv(episodes, num_envs=1, width=0, height=0, autoreset="disabled")
    for i in range(len(episodes)):
        env.reset([0], [i])
        for r in env.privileged_state(0)["world"]["receptacles"]:
            if r["open"]:
                env.step([f"navigate({r['name']})"])
                marks = env.marks(0)
                if len(marks) >= 2:
                    return i, r["name"], marks
    raise AssertionError("no episode with two objects on an open receptacle")


def test_views_go_as_images_and_picks_map_marks_to_objects(server, agent_options, dataset_dir):
    episodes = load_split("val_unseen_scenes", str(dataset_dir))
    index, receptacle, marks = first_episode_with_objects_at(episodes)
    server.script.extend([call("navigate", receptacle=receptacle), call("pick", mark=2)])
    server.default = lambda body: call("ask", question="where is it?")
    agent = SetOfMarksAgent(LLMAgentConfig.from_options(agent_options(image_size=128), react=True))
    records = []
    run_episodes(agent, episodes, [index], RunnerConfig(num_envs=1), lambda r, f: records.append(r))
    rec = records[0]
    body = server.bodies[0]
    assert [t["function"]["name"] for t in body["tools"]] == ["navigate", "open", "close", "pick", "place", "ask"]
    assert body["tool_choice"] == "auto"
    imgs = images_of(body)
    assert len(imgs) == 1 and imgs[0].shape == (128, 128, 3)
    assert "World graph" not in json.dumps(body) and f"{receptacle}" in fake.message_text(body["messages"][-1])
    assert rec.actions[0] == f"navigate({receptacle})" and rec.actions[1] == f"pick({marks[1]})"
    assert not rec.invalid[1]  # the core picked the object of mark 2
    assert rec.agent_steps[1]["tool_calls"] == [["pick", json.dumps({"mark": 2})]]
    assert rec.agent_steps[0]["thought"] == "I look around."
    # the view after navigating shows the marked objects: a different image went with the second request
    assert not np.array_equal(images_of(server.bodies[1])[0], imgs[0])
    assert "The view shows" in fake.message_text(server.bodies[1]["messages"][-1])


def test_broken_tool_calls_are_invalid(server, agent_options, dataset_dir):
    server.script.extend([fake.Reply("no tools today"), call("pick", mark=9), call("fly", to="moon"),
                          fake.Reply("", tool_calls=[("ask", "{not json")]),
                          fake.Reply("", tool_calls=[("ask", '{"question": "where is it?"}'), ("navigate", "{}")])])
    server.default = lambda body: call("ask", question="where is it?")
    agent = SetOfMarksAgent(LLMAgentConfig.from_options(agent_options(), react=False))
    records = []
    run_episodes(agent, load_split("val_unseen_scenes", str(dataset_dir)), [0], RunnerConfig(num_envs=1),
                 lambda r, f: records.append(r))
    rec = records[0]
    errors = [s["error"] for s in rec.agent_steps[:5]]
    assert "no tool call" in errors[0] and "no mark 9" in errors[1] and "unknown tool" in errors[2]
    assert "not JSON" in errors[3] and "2 tool calls" in errors[4]
    assert all(rec.invalid[:5]) and not rec.invalid[5] and rec.asked[5]
    assert rec.agent_steps[0]["raw"] == "no tools today"
