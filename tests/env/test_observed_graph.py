"""The observed world graph's parser (a2a.env.observed_graph) agrees with the core's text and with the episode it
comes from: the receptacles' rooms and open state, and where each seen object lies."""

from __future__ import annotations

from a2a import _core
from a2a.data import load_split
from a2a.env.observed_graph import ObservedGraph


def test_the_parser_reads_every_receptacle_and_object_the_robot_saw(dataset_dir):
    eps = load_split("val_unseen_scenes", dataset_dir)
    env = _core.BatchedEnv(eps, num_envs=1, width=0, height=0, autoreset="disabled")
    closed_seen = objects_seen = 0
    for i in range(10):
        env.reset([0], [i])
        world = eps[i]["world"]
        rooms = world["rooms"]
        receptacles = world["receptacles"]
        start = ObservedGraph.parse(env.observed_state(0)["world_graph"])
        assert all(r.room is None for r in start.receptacles.values())
        for r in receptacles[:6]:
            env.step([f"navigate({r['name']})"])
            g = ObservedGraph.parse(env.observed_state(0)["world_graph"])
            seen = g.receptacles[r["name"]]
            assert seen.room == rooms[r["room"]]
            assert seen.closed == (r["articulated"] and not r["open"])
            closed_seen += seen.closed
            if seen.closed:
                assert not seen.looked_into
                env.step([f"open({r['name']})"])
                assert ObservedGraph.parse(env.observed_state(0)["world_graph"]).receptacles[r["name"]].looked_into
        g = ObservedGraph.parse(env.observed_state(0)["world_graph"])
        assert list(g.receptacles) == [r["name"] for r in receptacles]  # every one, visited or not
        names = [r["name"] for r in receptacles]
        for ob in g.objects:  # each seen object is one of the world's on that receptacle, by its words
            on = [o for o in world["objects"] if o["receptacle"] == names.index(ob.receptacle)]
            words = [(o["size"], o["color"], *([o["pattern"]] if o["pattern"] != "plain" else []),
                      *o["category"].split()) for o in on]
            assert ob.words in words, (ob, words)
            objects_seen += 1
    assert closed_seen >= 3 and objects_seen >= 20


def test_a_held_object_has_no_receptacle_and_a_name_that_ends_another_is_not_confused():
    g = ObservedGraph.parse("receptacle: table (table) in the kitchen, 2 slots\n"
                            "receptacle: dark table (table) in the living room, 2 slots\n"
                            "receptacle: drawer (drawer) in the kitchen, open, 2 slots\n"
                            "object: small red cup on the dark table (slot 0)\n"
                            "object: large blue vase in the drawer (slot 1)\n"
                            "object: small green striped bowl (held by the robot)\n")
    assert [(o.words, o.receptacle) for o in g.objects] == [
        (("small", "red", "cup"), "dark table"), (("large", "blue", "vase"), "drawer"),
        (("small", "green", "striped", "bowl"), None)]
    assert g.receptacles["dark table"].room == "living room"
    assert g.receptacles["drawer"].looked_into and not g.receptacles["drawer"].closed
