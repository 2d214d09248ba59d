"""look-then-ask: greedy-explore that looks (the observed world graph) before it asks "where is it?"."""

from __future__ import annotations

import pytest

from a2a.baselines.greedy_explore import COLOR_Q, SIZE_Q, WHERE_Q, GreedyExploreAgent, Step
from a2a.baselines.instruction import Vocabulary, is_form_of, parse_instruction
from a2a.baselines.look_then_ask import (
    PLANNED_STEPS,
    LookThenAskAgent,
    Seen,
    look_action,
    make,
    named_in_full,
    splitting_question,
)
from a2a.data import SPLITS, generate_dataset, load_split
from a2a.eval.metrics import compute_metrics
from a2a.eval.runner import RunnerConfig, run_episodes

VOCAB = Vocabulary(("dark table", "kitchen drawer", "coffee table", "sofa"),
                   {"dark table": "table", "kitchen drawer": "drawer", "coffee table": "coffee table", "sofa": "sofa"},
                   frozenset({"kitchen drawer"}), ("small red cup", "large blue vase"))
INSTR = parse_instruction("Bring the red cup and place it on the coffee table.", VOCAB)


def graph(*lines: str) -> Seen:
    return Seen.parse("\n".join(lines))


def test_the_observed_graph_is_read_without_patterns_and_closed_receptacles_are_not_looked_into():
    seen = graph("room: kitchen",
                 "receptacle: dark table (table) in the kitchen, 4 slots",
                 "receptacle: kitchen drawer (drawer) in the kitchen, closed, 2 slots",
                 "receptacle: coffee table (not visited yet)",
                 "object: small red striped cup on the dark table (slot 1)",
                 "object: large blue vase (held by the robot)",
                 "robot: at the kitchen drawer in the kitchen, holding the large blue vase")
    assert seen.looked_into == {"dark table"}
    assert seen.room_of == {"dark table": "kitchen", "kitchen drawer": "kitchen"}
    assert seen.places == {"small red cup": [("dark table", "striped")]}


def test_it_looks_until_it_saw_the_object_twice_or_everywhere():
    nothing = graph("receptacle: dark table (not visited yet)")
    assert look_action(INSTR, VOCAB, [], nothing) == "navigate(dark table)"
    at = [Step("navigate(dark table)")]
    one = graph("receptacle: dark table (table) in the kitchen, 4 slots",
                "object: small red cup on the dark table (slot 0)")
    # seen once: the kitchen drawer (closed) and the sofa may hold a twin, so it keeps looking
    assert look_action(INSTR, VOCAB, at, one) == "navigate(kitchen drawer)"
    at += [Step("navigate(kitchen drawer)")]
    assert look_action(INSTR, VOCAB, at, one) == "open(kitchen drawer)"
    twins = graph("receptacle: dark table (table) in the kitchen, 4 slots",
                  "receptacle: kitchen drawer (drawer) in the kitchen, open, 2 slots",
                  "object: small red cup on the dark table (slot 0)",
                  "object: small red cup in the kitchen drawer (slot 1)")
    assert look_action(INSTR, VOCAB, at + [Step("open(kitchen drawer)")], twins) == WHERE_Q
    lone = graph("receptacle: dark table (table) in the kitchen, 4 slots",
                 "receptacle: kitchen drawer (drawer) in the kitchen, open, 2 slots",
                 "receptacle: sofa (sofa) in the living room, 2 slots",
                 "object: small red cup on the dark table (slot 0)")
    history = at + [Step("open(kitchen drawer)")]
    # the tour passes the goal too (the vocabulary's order, what a scene_text policy reads as its frontier)
    assert look_action(INSTR, VOCAB, history, lone) == "navigate(coffee table)"
    lone = graph("receptacle: coffee table (coffee table) in the living room, 2 slots",
                 *(f"receptacle: {line}" for line in ("dark table (table) in the kitchen, 4 slots",
                                                      "kitchen drawer (drawer) in the kitchen, open, 2 slots",
                                                      "sofa (sofa) in the living room, 2 slots")),
                 "object: small red cup on the dark table (slot 0)")
    history += [Step("navigate(coffee table)"), Step("navigate(sofa)")]
    assert look_action(INSTR, VOCAB, history, lone) == "navigate(dark table)"  # seen once, everywhere: fetch it
    history += [Step("navigate(dark table)")]
    assert look_action(INSTR, VOCAB, history, lone) == "pick(small red cup)"
    # after the pick greedy-explore delivers it, without asking where it was
    agent_history = history + [Step("pick(small red cup)")]
    assert look_action(INSTR, VOCAB, agent_history, lone) is None


def test_it_asks_where_when_looking_would_leave_too_few_steps():
    spent = [Step("navigate(sofa)")] * (PLANNED_STEPS - 5)
    one = graph("receptacle: sofa (sofa) in the living room, 2 slots",
                "object: small red cup on the sofa (slot 0)")
    assert look_action(INSTR, VOCAB, spent, one) == WHERE_Q


def test_a_named_receptacle_or_an_answered_location_is_greedy_explores():
    named = parse_instruction("Bring the red cup from the dark table and place it on the coffee table.", VOCAB)
    assert look_action(named, VOCAB, [], graph()) is None
    told = [Step(WHERE_Q, "It is on the sofa in the living room.")]
    assert look_action(INSTR, VOCAB, told, graph()) is None


def test_an_attribute_question_first_when_several_descriptions_fit():
    assert splitting_question(["small red cup", "large blue cup"], {}) == SIZE_Q  # a tie: size
    assert splitting_question(["small red cup", "small blue cup", "small green cup"], {}) == COLOR_Q
    assert splitting_question(["small red cup", "large red cup"], {}) == SIZE_Q
    assert splitting_question(["small red cup", "large red cup"], {SIZE_Q: "It is small."}) is None
    vocab = Vocabulary(VOCAB.receptacles, VOCAB.types, VOCAB.articulated, ("small red cup", "small blue cup"))
    cup = parse_instruction("Bring the cup and place it on the coffee table.", vocab)
    assert look_action(cup, vocab, [], Seen.parse("")) == COLOR_Q
    answered = [Step(COLOR_Q, "It is blue.")]
    assert look_action(cup, vocab, answered, Seen.parse("")) == "navigate(dark table)"  # now it looks


LONE = ("receptacle: dark table (table) in the kitchen, 4 slots",
        "receptacle: kitchen drawer (drawer) in the kitchen, open, 2 slots",
        "receptacle: coffee table (coffee table) in the living room, 2 slots",
        "receptacle: sofa (sofa) in the living room, 2 slots",
        "object: small red cup on the dark table (slot 0)")
LOOKED = [Step("navigate(kitchen drawer)"), Step("open(kitchen drawer)"), Step("navigate(coffee table)"),
          Step("navigate(sofa)"), Step("navigate(dark table)")]


class _Env:
    def __init__(self, *lines: str):
        self.text = "\n".join(lines)

    def observed_state(self, env_id: int) -> dict:
        return {"world_graph": self.text, "objects_seen": 0}


def test_the_agent_delivers_what_it_found_by_looking_without_asking_where():
    agent = LookThenAskAgent()
    history = LOOKED + [Step("pick(small red cup)")]
    assert agent.fetch_action(INSTR, VOCAB, history, _Env(*LONE), 0) == "navigate(coffee table)"


def test_a_named_room_counts_only_what_it_saw_in_that_room():
    from_kitchen = parse_instruction("Bring the red cup from the kitchen and place it on the coffee table.", VOCAB)
    twin_elsewhere = graph(*LONE, "object: small red cup on the sofa (slot 1)")
    # the sofa is not in the kitchen: its cup is not the one meant
    assert look_action(from_kitchen, VOCAB, LOOKED, twin_elsewhere) == "pick(small red cup)"
    assert look_action(INSTR, VOCAB, LOOKED, twin_elsewhere) == WHERE_Q


def test_a_refused_pick_makes_it_ask_instead_of_repeating_it():
    refused = LOOKED + [Step("pick(small red cup)", invalid=True)]
    assert look_action(INSTR, VOCAB, refused, graph(*LONE)) == WHERE_Q


def test_after_another_actor_put_an_object_back_it_looks_again():
    twins = _Env(*LONE, "object: small red cup on the sofa (slot 1)",
                 "object: large blue vase on the dark table (slot 2)")
    put_back = LOOKED + [Step("pick(large blue vase)"), Step("place(dark table)")]
    assert LookThenAskAgent().fetch_action(INSTR, VOCAB, put_back, twins, 0) == WHERE_Q


def test_the_planned_step_limit_is_an_option():
    assert make({}).planned_steps == PLANNED_STEPS and make({"planned_steps": 10}).planned_steps == 10
    two = [Step("navigate(sofa)")] * 2
    assert look_action(INSTR, VOCAB, two, graph(*LONE[2:3])) == "navigate(dark table)"
    assert look_action(INSTR, VOCAB, two, graph(*LONE[2:3]), planned_steps=10) == WHERE_Q  # 2 + 1 + 8 > 10
    with pytest.raises(ValueError):
        LookThenAskAgent(planned_steps=0)


def test_easy_preset_with_its_step_limit_and_multi_object_episodes_are_greedy_explores(tmp_path):
    easy = tmp_path / "easy"
    generate_dataset(easy, {"val_unseen_scenes": 60}, seed=2, progress=False, preset="easy")
    looked = _run(make({"planned_steps": 10}), "val_unseen_scenes", easy)
    assert all(r.success for r in looked)
    mixed = tmp_path / "mixed"
    generate_dataset(mixed, {"val_unseen_scenes": 40}, seed=2, train_scenes=100, progress=False, tasks="mixed")
    looked = _run(LookThenAskAgent(), "val_unseen_scenes", mixed)
    greedy = _run(GreedyExploreAgent(), "val_unseen_scenes", mixed)
    by_id = {r.episode_id: r for r in greedy}
    multi = [(r.actions, by_id[r.episode_id].actions) for r in looked if r.task != "fetch"]
    assert multi and all(a == b for a, b in multi)


def _run(agent, split, dataset_dir):
    eps = load_split(split, dataset_dir)
    out = []
    run_episodes(agent, eps, range(len(eps)), RunnerConfig(frame_size=0, num_envs=8), lambda r, f: out.append(r))
    return out


@pytest.mark.parametrize("split", SPLITS)
def test_it_asks_fewer_needless_questions_than_greedy_explore_without_privileges(dataset_dir, split):
    looked = _run(LookThenAskAgent(), split, dataset_dir)  # the runner denies privileged access
    greedy = _run(GreedyExploreAgent(), split, dataset_dir)
    m, g = compute_metrics(looked, n_boot=0), compute_metrics(greedy, n_boot=0)
    assert m["SR"].value >= 0.95
    # it fetches without asking only what it saw exactly once after looking everywhere: never a wrong guess
    assert all(r.success for r in looked if r.Q == 0)
    where = lambda rs: sum(WHERE_Q in r.actions for r in rs)  # noqa: E731
    assert where(looked) < where(greedy)  # it fetches without asking "where is it?" where greedy-explore asks
    assert sum(r.Q for r in looked) < sum(r.Q for r in greedy)
    assert m["ARS"].value > g["ARS"].value


class _FrontierProbe(LookThenAskAgent):
    """look-then-ask that replays a scene_text policy's text (a2a.policy.scene) beside it and counts its navigations:
    all, those to places not visited yet and those to the place the text names first as not visited."""

    def __init__(self):
        from a2a.policy.scene import SceneReplay

        super().__init__()
        self.replay = SceneReplay()
        self.navigations = self.to_unvisited = self.to_first = 0

    def act(self, obs, env):
        actions = super().act(obs, env)
        for scene, action in zip(self.replay.step(obs, env, actions), actions):
            frontier = [p for p in scene.places if p not in scene.visited]
            place = action[len("navigate("):-1] if action.startswith("navigate(") else None
            self.navigations += place is not None
            if place is not None and place in frontier:
                self.to_unvisited += 1
                self.to_first += place == frontier[0]
        return actions


def test_its_tour_is_the_frontier_a_scene_text_policy_reads(dataset_dir):
    # A clone of look-then-ask learns its tour from the "Not visited:" frontier. When the two differed (the tour went
    # to places whose name holds the instruction's room first; the frontier kept naming a closed place in another
    # room that the script passes unopened), 77% of its navigations on the built-in validation split went to the
    # frontier's first place, and the clone followed the frontier (75% here). Now 97% of those to a place not visited
    # do; the others, and the rest, go where the text says (the goal, a place an answer or a view named).
    probe = _FrontierProbe()
    _run(probe, "val_unseen_scenes", dataset_dir)
    assert probe.to_unvisited > 100 and probe.to_unvisited >= 0.8 * probe.navigations
    assert probe.to_first >= 0.95 * probe.to_unvisited


def test_a_pick_is_named_by_the_full_description_of_the_one_object_there_that_fits():
    assert is_form_of("cup", "small red cup") and is_form_of("small cup", "small red cup")
    assert is_form_of("small red cup", "small red cup") and not is_form_of("red small cup", "small red cup")
    assert not is_form_of("large cup", "small red cup")
    here = graph("receptacle: dark table (table) in the kitchen, 4 slots",
                 "receptacle: sofa (sofa) in the living room, 2 slots",
                 "object: small red striped cup on the dark table (slot 0)",
                 "object: large blue vase on the dark table (slot 1)",
                 "object: large red cup on the sofa (slot 0)")
    assert named_in_full("pick(cup)", "dark table", here) == "pick(small red cup)"
    assert named_in_full("pick(red cup)", "sofa", here) == "pick(large red cup)"
    assert named_in_full("pick(mug)", "dark table", here) == "pick(mug)"  # nothing there fits: as it was
    assert named_in_full("pick(cup)", None, here) == "pick(cup)"  # not at a receptacle
    assert named_in_full("navigate(sofa)", "sofa", here) == "navigate(sofa)"
    twins = graph("receptacle: dark table (table) in the kitchen, 4 slots",
                  "object: small red cup on the dark table (slot 0)",
                  "object: small red cup on the dark table (slot 2)")
    assert named_in_full("pick(cup)", "dark table", twins) == "pick(cup)"  # two fit: as ambiguous either way


def test_a_refused_full_name_falls_back_to_greedy_explores_own():
    told = [Step(WHERE_Q, "It is on the dark table in the kitchen."), Step("navigate(dark table)")]
    env = _Env("receptacle: dark table (table) in the kitchen, 4 slots",
               "object: small red cup on the dark table (slot 0)")
    agent = LookThenAskAgent()
    assert agent.fetch_action(INSTR, VOCAB, told, env, 0) == "pick(small red cup)"
    refused = told + [Step("pick(small red cup)", invalid=True)]
    assert agent.fetch_action(INSTR, VOCAB, refused, env, 0) != "pick(small red cup)"


class _PickProbe(LookThenAskAgent):
    """look-then-ask that replays a candidates scene text beside it and counts its picks: all, those that name a
    form of a candidate the text lists, and those made when the text lists that one description alone."""

    def __init__(self):
        from a2a.policy.scene import SceneReplay

        super().__init__()
        self.replay = SceneReplay(candidates=True)
        self.picks = self.of_a_candidate = self.of_the_only_one = 0

    def act(self, obs, env):
        actions = super().act(obs, env)
        for scene, action in zip(self.replay.step(obs, env, actions), actions):
            if action.startswith("pick("):
                name, candidates = action[len("pick("):-1], scene.candidates() or []
                self.picks += 1
                self.of_a_candidate += any(is_form_of(name, c) for c in candidates)
                self.of_the_only_one += candidates == [name]
        return actions


def test_its_picks_are_of_the_candidates_a_scene_text_policy_reads(dataset_dir):
    # A candidates policy (PolicyConfig.candidates) reads which objects fit the instruction and the answers: every
    # object the script picks is one of them, and nearly always the only one (the script asks until one is left).
    probe = _PickProbe()
    _run(probe, "val_unseen_scenes", dataset_dir)
    assert probe.picks > 20 and probe.of_a_candidate == probe.picks
    assert probe.of_the_only_one >= 0.8 * probe.picks, (probe.of_the_only_one, probe.picks)
