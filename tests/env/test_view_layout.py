"""`BatchedEnv.view_layout`: what the current view shows and where (the viewer's labels; the
geometry itself is checked against the drawn pixels in tests/cpp/test_env.cpp)."""

from __future__ import annotations

from a2a import _core


def test_layout_follows_the_robot(train_episodes):
    e = next(i for i in range(len(train_episodes))
             if any(o >= 0 for r in train_episodes[i]["world"]["receptacles"] if r["open"] for o in r["slot_objects"]))
    world = train_episodes[e]["world"]
    env = _core.BatchedEnv(train_episodes, num_envs=1, width=0, height=0, autoreset="disabled")
    env.reset([0], [e])
    start = env.view_layout(0)
    assert start["at"] is None and start["room"] == world["robot_room"]
    room = world["rooms"].index(world["robot_room"])
    assert [i["name"] for i in start["items"]] == [r["name"] for r in world["receptacles"] if r["room"] == room]
    assert all(i["kind"] == "receptacle" and i["mark"] is None and 0 <= i["box"][0] < i["box"][2] <= 1
               for i in start["items"])

    rec = next(r for r in world["receptacles"] if r["open"] and any(o >= 0 for o in r["slot_objects"]))
    env.step([f"navigate({rec['name']})"])
    at = env.view_layout(0)
    assert at["at"] == rec["name"] and at["room"] == world["rooms"][rec["room"]]
    assert at["items"][0] == {"kind": "receptacle", "index": world["receptacles"].index(rec), "name": rec["name"],
                              "open": True, "box": (0.0, 0.0, 1.0, 1.0), "mark": None}
    objects = [o for o in rec["slot_objects"] if o >= 0]
    shown = at["items"][1:]
    assert [i["index"] for i in shown] == objects  # left to right, numbered as Set-of-Marks numbers them
    assert [i["mark"] for i in shown] == list(range(1, len(objects) + 1))
    assert [i["name"] for i in shown] == [world["objects"][o]["description"] for o in objects]

    names = [world["objects"][o]["description"] for o in objects]
    pick = next(o for o, name in zip(objects, names) if names.count(name) == 1)
    b = env.step([f"pick({world['objects'][pick]['description']})"])
    assert not b.invalid[0]
    held = [i for i in env.view_layout(0)["items"] if i["kind"] == "held"]
    assert [i["index"] for i in held] == [pick]
    assert pick not in [i["index"] for i in env.view_layout(0)["items"] if i["kind"] == "object"]
