"""The renderer shows what the task needs: categories, colors, sizes, order, open/closed."""

import numpy as np
import pytest

from a2a import _core

CAT = _core.catalog()


def frame_at(episodes, episode, receptacle, size=64, marks=False):
    env = _core.BatchedEnv(episodes, num_envs=1, width=size, height=size, set_of_marks=marks)
    env.reset([0], [episode])
    b = env.step([f"navigate({receptacle})"])
    if episodes[episode]["world"]["receptacles"][[r["name"] for r in episodes[episode]["world"]["receptacles"]].index(receptacle)]["articulated"]:
        b = env.step([f"open({receptacle})"])
    return np.array(b.frames[0, -1])


def occupied(ep):
    for r in ep["world"]["receptacles"]:
        if any(o >= 0 for o in r["slot_objects"]):
            return r
    raise AssertionError("no occupied receptacle")


@pytest.mark.parametrize("size", [64, 128, 256, 512])
def test_object_colors_are_visible(train_episodes, size):
    ep = train_episodes[4]
    r = occupied(ep)
    img = frame_at(train_episodes, 4, r["name"], size)
    assert img.shape == (size, size, 3)
    colors = {c: np.array(v) for c, v in zip(CAT["colors"], [(220, 40, 40), (40, 170, 60), (40, 80, 220), (240, 220, 40),
                                                             (248, 248, 248), (20, 20, 20), (250, 140, 20), (140, 50, 190),
                                                             (250, 150, 200), (130, 80, 40), (130, 130, 130)])}
    for o in r["slot_objects"]:
        if o < 0:
            continue
        want = colors[ep["world"]["objects"][o]["color"]]
        assert (np.abs(img.astype(int) - want).sum(-1) == 0).sum() > 0, ep["world"]["objects"][o]


def test_views_differ_between_receptacles_and_sizes_differ(train_episodes):
    ep = train_episodes[7]
    names = [r["name"] for r in ep["world"]["receptacles"]]
    imgs = [frame_at(train_episodes, 7, n, 64) for n in names[:4]]
    for i in range(len(imgs)):
        for j in range(i):
            assert not np.array_equal(imgs[i], imgs[j])


def test_closed_receptacles_hide_their_contents(train_episodes):
    for e in range(len(train_episodes)):
        ep = train_episodes[e]
        for r in ep["world"]["receptacles"]:
            if r["articulated"] and not r["open"] and any(o >= 0 for o in r["slot_objects"]):
                env = _core.BatchedEnv(train_episodes, num_envs=1, width=64, height=64)
                env.reset([0], [e])
                closed = np.array(env.step([f"navigate({r['name']})"]).frames[0, -1])
                opened = np.array(env.step([f"open({r['name']})"]).frames[0, -1])
                assert not np.array_equal(closed, opened)
                return
    pytest.skip("no closed receptacle with contents in the fixture episodes")


def test_set_of_marks_adds_marks(train_episodes):
    r = occupied(train_episodes[4])
    plain = frame_at(train_episodes, 4, r["name"], 128)
    marked = frame_at(train_episodes, 4, r["name"], 128, marks=True)
    assert not np.array_equal(plain, marked)
