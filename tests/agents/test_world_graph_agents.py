"""The world-graph agents (wg-react, wg-direct) against the fake server: what their prompts hold,
how replies become actions, and what the records keep."""
from __future__ import annotations

import re

import pytest

from a2a.agents.config import LLMAgentConfig
from a2a.agents.world_graph import WorldGraphAgent
from a2a.data import load_split
from a2a.eval.runner import RunnerConfig, run_episodes

from agents_fake import fake


def last_user_text(body: dict) -> str:
    return fake.message_text([m for m in body["messages"] if m["role"] == "user"][-1])


def run(agent, split, dataset_dir, n=2, num_envs=2):
    records = []
    run_episodes(agent, load_split(split, str(dataset_dir)), list(range(n)), RunnerConfig(num_envs=num_envs),
                 lambda r, f: records.append(r))
    return sorted(records, key=lambda r: r.episode_index)


def make_agent(agent_options, react=True, **kw):
    return WorldGraphAgent(LLMAgentConfig.from_options(agent_options(**kw), react=react))


def test_full_observability_reads_the_privileged_world_graph(server, agent_options, dataset_dir):
    server.default = lambda body: fake.Reply("Thought: I should find out where it is.\nAction: ask(where is it?)")
    agent = make_agent(agent_options)
    assert agent.privileged and agent.full_observation
    recs = run(agent, "val_unseen_scenes", dataset_dir, n=1, num_envs=1)
    first = last_user_text(server.bodies[0])
    assert "World graph (the whole apartment; privileged)" in first
    # every object of the apartment is in the prompt, with where it is
    assert len(re.findall(r"^object \d+: ", first, re.M)) >= 3 and "not visited yet" not in first
    system = server.bodies[0]["messages"][0]["content"]
    assert "navigate(<receptacle>)" in system and "Thought:" in system and "where should i put it?" in system
    r = recs[0]
    assert r.Q == r.length and all(s["thought"] == "I should find out where it is." for s in r.agent_steps)
    # the dialogue so far goes with every later request; the previous turns too
    later = server.bodies[2]["messages"]
    assert "1. Robot: where is it?" in last_user_text(server.bodies[2])
    assert any(m["role"] == "assistant" and m["content"].endswith("Action: ask(where is it?)") for m in later)
    assert any(m["role"] == "user" and m["content"].startswith("Observation: The user answers: ") for m in later)


def user_texts(body: dict) -> str:
    return "\n".join(fake.message_text(m) for m in body["messages"] if m["role"] == "user")


def _navigate_next(body: dict) -> fake.Reply:
    """Navigates to the receptacles in turn (the last unvisited one named in the prompt)."""
    text = user_texts(body)
    visited = set(re.findall(r"^receptacle: (.+?) \(\w[\w ]*\) in the ", text, re.M))
    unvisited = [r for r in re.findall(r"^receptacle: (.+) \(not visited yet\)$", text, re.M) if r not in visited]
    return fake.Reply(f"Thought: explore.\nAction: navigate({unvisited[0]})" if unvisited else "Action: ask(where is it?)")


def test_partial_observability_grows_only_with_what_was_seen(server, agent_options, dataset_dir):
    server.default = _navigate_next
    agent = make_agent(agent_options, observability="partial")
    assert not agent.privileged and not agent.full_observation
    episodes = load_split("val_unseen_scenes", str(dataset_dir))
    from a2a import _core

    truth = _core.BatchedEnv(episodes, num_envs=1, width=0, height=0, autoreset="disabled")
    truth.reset([0], [0])
    world = truth.privileged_state(0)["world"]
    run(agent, "val_unseen_scenes", dataset_dir, n=1, num_envs=1)
    first = last_user_text(server.bodies[0])
    assert "What you have observed so far" in first and "object:" not in first
    assert "World graph (the whole apartment" not in first
    visited: list[str] = []  # receptacles navigated to by the replies to the requests so far
    counts = []
    for body in server.bodies:
        shown = list(visited)  # what this prompt may show
        text = user_texts(body)
        seen = re.findall(r"^object: .+? (?:on|in) the (.+?) \(slot \d+\)$", text, re.M)
        assert set(seen) <= set(shown), "an object of a receptacle the robot never visited is in the prompt"
        counts.append(len(set(re.findall(r"^object: .+$", text, re.M))))
        m = re.search(r"Action: navigate\((.+)\)", _navigate_next(body).content or "")
        if m:
            visited.append(m.group(1))
    assert counts == sorted(counts) and counts[-1] > 0  # it only grows
    # every object of the open receptacles it visited is there; closed ones hide their contents
    open_visited = [i for i, r in enumerate(world["receptacles"]) if r["name"] in shown and r["open"]]
    assert counts[-1] == sum(1 for o in world["objects"] if o["receptacle"] in open_visited)
    # the new lines come as the observation of the step that revealed them
    later = server.bodies[-1]["messages"]
    assert any("World graph changes:\nroom: " in fake.message_text(m) or "World graph changes:\nreceptacle: "
               in fake.message_text(m) for m in later if m["role"] == "user")


def test_few_shot_examples_come_from_the_train_split_only(server, agent_options, dataset_dir):
    from a2a.agents.shots import example_episodes

    train, chosen = example_episodes(3, str(dataset_dir), seed=0)  # the agent's seed
    assert len(chosen) == 3 and set(train.summary()["split"][i] for i in chosen) == {"train"}
    agent = make_agent(agent_options, shots=3, dataset=str(dataset_dir))
    system = agent.system
    assert "Example 3\n" in system and "Example 4" not in system
    train_instructions = {train.summary()["id"][i]: train[i]["instruction"] for i in chosen}
    for text in train_instructions.values():
        assert f"Instruction: {text}" in system
    # every example is an oracle trajectory that ends in success, in the agent's own turn format
    assert system.count("(The object is where the user wanted it: success.)") == 3
    assert "Thought: " in system and "Observation: " in system
    # nothing from the evaluation splits
    for split in ("val_unseen_scenes", "val_unseen_tasks", "test_unseen_scenes", "test_unseen_tasks"):
        ev = load_split(split, str(dataset_dir))
        leaked = [ev[i]["instruction"] for i in range(len(ev)) if f"Instruction: {ev[i]['instruction']}\n" in system
                  and ev[i]["instruction"] not in train_instructions.values()]
        assert not leaked
    direct = make_agent(agent_options, react=False, shots=1, dataset=str(dataset_dir))
    assert "Thought:" not in direct.system.split("Worked examples")[1]


def test_shots_are_bounded_before_any_example_is_built(agent_options):
    from a2a.agents.config import MAX_SHOTS

    assert LLMAgentConfig.from_options(agent_options(shots=MAX_SHOTS), react=True).shots == MAX_SHOTS
    with pytest.raises(ValueError, match=f"^shots must be at most {MAX_SHOTS}, got 100000: each worked example adds"):
        LLMAgentConfig.from_options(agent_options(shots=100000), react=True)


@pytest.mark.parametrize("reply, error", [
    ("", "empty reply"),
    ("!!! ??? ...", "garbage reply"),
    ("I think the cup is somewhere.", "no action in the reply"),
    ("Action: fly to the moon", "is not a skill call"),
    ("Thought: " + "very long " * 600 + "\nAction: ask(where is it?)", "oversized reply"),
])
def test_replies_that_are_not_actions_are_counted_invalid_and_kept(server, agent_options, dataset_dir, reply, error):
    script = [fake.Reply(reply)] + [fake.Reply("Action: ask(where is it?)")] * 100
    server.script.extend(script)
    rec = run(make_agent(agent_options), "val_unseen_scenes", dataset_dir, n=1, num_envs=1)[0]
    step0 = rec.agent_steps[0]
    assert error in step0["error"] and step0["raw"] == reply and step0["action"] == ""
    assert rec.invalid[0] and rec.actions[0] == "" and rec.invalid_actions >= 1
    assert not rec.invalid[1]
    # ReAct: the next prompt tells the model what was wrong
    nxt = fake.message_text(server.bodies[1]["messages"][-1])
    assert nxt.startswith("Observation: Invalid action: ") and error in nxt.split("\n")[0]


def test_actions_naming_nothing_in_the_scene_are_invalid_with_the_cores_reason(server, agent_options, dataset_dir):
    server.script.extend([fake.Reply("Action: navigate(the moon)")] + [fake.Reply("Action: ask(where is it?)")] * 100)
    rec = run(make_agent(agent_options, react=False), "val_unseen_scenes", dataset_dir, n=1, num_envs=1)[0]
    assert rec.actions[0] == "navigate(the moon)" and rec.invalid[0] and rec.invalid_reasons[0]
    assert rec.agent_steps[0]["error"] == ""  # it parsed; the core judged it
    assert f"Invalid action: {rec.invalid_reasons[0]}" in fake.message_text(server.bodies[1]["messages"][-1])


def test_failed_requests_are_invalid_steps_and_a_dead_endpoint_stops_the_run(server, agent_options, dataset_dir):
    from a2a.llm import LLMEndpointDownError, LLMStatusError

    server.script.extend([fake.Status(401, "bad key")] + [fake.Reply("Action: ask(where is it?)")] * 5)
    agent = make_agent(agent_options)
    server.default = lambda body: fake.Status(401, "bad key")
    with pytest.raises(LLMEndpointDownError, match="^wg-react: every LLM request failed in 3 steps in a row.*401") \
            as info:  # the LLM user's circuit breaker too (a2a.llm.breaker)
        run(agent, "val_unseen_scenes", dataset_dir, n=1, num_envs=1)
    assert isinstance(info.value.__cause__, LLMStatusError)
    # one failure alone is an invalid step, not the end (the 5 good replies came in between)
    assert len(server.bodies) == 1 + 5 + 3


def test_many_episodes_in_flight_and_usage_in_the_records(server, agent_options, dataset_dir):
    server.hold_s = 0.05
    server.default = lambda body: fake.Reply("Thought: t\nAction: ask(where is it?)", usage=(100, 10))
    agent = make_agent(agent_options, price_in=2.5, price_out=10.0, llm_concurrency=4)
    recs = run(agent, "val_unseen_scenes", dataset_dir, n=4, num_envs=4)
    assert server.max_in_flight == 4  # one request per env in flight, all at once
    from a2a.eval.usage import llm_usage

    u = llm_usage(recs)
    steps = sum(r.length for r in recs)
    assert u["calls"] == steps and u["prompt_tokens"] == 100 * steps and u["completion_tokens"] == 10 * steps
    assert u["cost_usd"] == pytest.approx(steps * (100 * 2.5 + 10 * 10.0) / 1e6)
    assert u["tokens_per_episode"] == pytest.approx(110 * steps / 4)
    assert all(s["latency_s"] > 0.04 for r in recs for s in r.agent_steps)
