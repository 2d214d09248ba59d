"""The scene's action vocabulary and the observed world graph list objects in an order that does not say which
one is meant: the generator makes the target before its lookalikes, and both lists once followed that order (the
first fitting description in `valid_actions` was the target's in every ambiguous episode)."""

from __future__ import annotations

import re

from a2a import _core
from a2a.data import SPLITS, load_split


def test_valid_actions_do_not_list_the_target_first(dataset_dir):
    target_first, ambiguous = 0, 0
    cat = _core.catalog()
    for split in SPLITS:
        eps = load_split(split, dataset_dir)
        env = _core.BatchedEnv(eps, num_envs=1, width=0, height=0, autoreset="disabled")
        for i in range(len(eps)):
            e = eps[i]
            env.reset([0], [i])
            objects = e["world"]["objects"]
            target = objects[e["target"]]
            full = [d for a in env.valid_actions(0) if a.startswith("pick(")
                    and len(w := (d := a[5:-1]).split()) >= 3 and w[0] in cat["sizes"] and w[1] in cat["colors"]]
            assert full == sorted(full)  # the full descriptions, in alphabetical order
            fitting = [d for d in full if d.endswith(" " + target["category"])]
            if len(fitting) > 1:
                ambiguous += 1
                target_first += fitting[0] == f"{target['size']} {target['color']} {target['category']}"
    assert ambiguous >= 30
    assert target_first < 0.8 * ambiguous, (target_first, ambiguous)


def test_the_observed_graph_lists_objects_by_place(dataset_dir):
    eps = load_split("val_unseen_scenes", dataset_dir)
    env = _core.BatchedEnv(eps, num_envs=1, width=0, height=0, autoreset="disabled")
    checked = 0
    for i in range(10):
        env.reset([0], [i])
        names = [r["name"] for r in eps[i]["world"]["receptacles"]]
        for r in eps[i]["world"]["receptacles"][:12]:
            env.step([f"navigate({r['name']})"])
            if r["articulated"]:
                env.step([f"open({r['name']})"])
        graph = env.observed_state(0)["world_graph"]
        places = []
        for line in graph.splitlines():
            m = re.match(r"object: .+? (?:on|in) the (.+) \(slot (\d+)\)$", line)
            if m:
                places.append((names.index(m.group(1)), int(m.group(2))))
        assert places == sorted(places), graph
        checked += len(places) > 1
    assert checked >= 5
