"""The batched core through Python: shapes, determinism, buffer ownership, async, bad input."""

import gc

import numpy as np
import pytest

from a2a import _core


def scripted(env, t):
    """A deterministic mix of every action kind, valid and invalid."""
    out = []
    for i in range(env.num_envs):
        acts = env.valid_actions(i)
        out.append(acts[(i * 31 + t * 17) % len(acts)] if t % 4 else "ask(where is it?)")
    return out


def snapshot(b):
    return (None if b.frames is None else b.frames.copy(), b.reward.copy(), b.reward_terms.copy(), b.answer.copy(),
            b.last_action.copy(), b.step.copy(), b.terminated.copy(), b.invalid_reason.copy(), b.questions.copy())


def test_batch_fields_have_documented_shapes(train_episodes):
    env = _core.BatchedEnv(train_episodes, num_envs=5, width=32, height=32, history=3)
    b = env.reset()
    assert b.rows == 5
    assert b.frames.shape == (5, 3, 32, 32, 3) and b.frames.dtype == np.uint8
    assert b.frame_count.tolist() == [1] * 5
    assert b.reward_terms.shape == (5, len(_core.reward_terms()))
    assert b.instruction.dtype == np.dtype("S256") and all(b.instruction)
    assert b.first.all() and b.env_id.tolist() == [0, 1, 2, 3, 4]
    b = env.step(["ask(what color is it?)"] * 5)
    assert not b.first.any() and b.asked.all() and b.step.tolist() == [1] * 5
    assert all(a.startswith(b"It is ") for a in b.answer.tolist())
    assert (b.questions == 1).all()
    np.testing.assert_allclose(b.reward, b.reward_terms.sum(1), rtol=1e-6)


@pytest.mark.parametrize("threads", [2, 3])
def test_same_seed_same_bytes_whatever_the_thread_count(train_episodes, threads):
    runs = []
    for n_threads in (1, threads):
        env = _core.BatchedEnv(train_episodes, num_envs=9, num_threads=n_threads, width=24, height=24, history=2,
                               sampling="random", seed=11)
        shots = [snapshot(env.reset())]
        for t in range(80):  # long enough for autoresets
            shots.append(snapshot(env.step(scripted(env, t))))
        runs.append(shots)
    for a, b in zip(*runs):
        for x, y in zip(a, b):
            assert np.array_equal(x, y)


def test_handed_out_observations_are_never_overwritten(train_episodes):
    env = _core.BatchedEnv(train_episodes, num_envs=4, width=16, height=16)
    first = env.reset()
    frames, answers = first.frames, first.answer
    kept = (frames.copy(), answers.copy())
    del first  # the arrays alone must keep the batch alive
    gc.collect()
    for t in range(30):
        env.step(scripted(env, t))
    assert np.array_equal(frames, kept[0]) and np.array_equal(answers, kept[1])
    # Dropped batches are recycled: the pool does not grow with the number of steps.
    assert env.buffers_allocated <= 3
    del frames, answers
    gc.collect()
    for t in range(30):
        env.step(scripted(env, t))
    assert env.buffers_allocated <= 3


def test_autoreset_next_step_and_disabled(train_episodes):
    env = _core.BatchedEnv(train_episodes, num_envs=1, width=0, height=0)
    env.reset()
    steps = 0
    while True:
        b = env.step(["ask(is it red?)"])
        steps += 1
        if b.truncated[0]:
            break
    assert steps == train_episodes[0]["max_steps"]
    b = env.step(["ask(is it red?)"])  # ignored: the env resets
    assert b.first[0] and b.step[0] == 0 and b.reward[0] == 0 and b.episode[0] == 1 % len(train_episodes)
    off = _core.BatchedEnv(train_episodes, num_envs=1, width=0, height=0, autoreset="disabled")
    off.reset([0], [0])
    for _ in range(train_episodes[0]["max_steps"]):
        off.step(["ask(is it red?)"])
    b = off.step(["ask(is it red?)"])
    assert not b.first[0] and b.invalid[0] and _core.invalid_reasons()[b.invalid_reason[0]] == "the episode is over"


def test_async_send_recv(train_episodes):
    env = _core.BatchedEnv(train_episodes, num_envs=6, batch_size=3, num_threads=2, width=16, height=16)
    env.reset()
    env.send(["ask(where is it?)"] * 6, list(range(6)))
    got = []
    for _ in range(2):
        b = env.recv()
        assert b.rows == 3 and b.frames.shape[0] == 3
        got += b.env_id.tolist()
    assert sorted(got) == list(range(6))
    with pytest.raises(RuntimeError, match="would wait forever"):
        env.recv()
    env.send(["ask(where is it?)"], [2])
    with pytest.raises(ValueError, match="already in flight"):
        env.send(["ask(where is it?)"], [2])
    with pytest.raises(RuntimeError, match="in flight"):
        env.step(["x"] * 6)


def test_actions_as_numpy_bytes_match_strings(train_episodes):
    a = _core.BatchedEnv(train_episodes, num_envs=3, width=16, height=16)
    b = _core.BatchedEnv(train_episodes, num_envs=3, width=16, height=16)
    a.reset(), b.reset()
    for t in range(10):
        acts = scripted(a, t)
        x = a.step(acts)
        y = b.step(np.array([s.encode() for s in acts], dtype="S128"))
        assert np.array_equal(x.frames, y.frames) and np.array_equal(x.answer, y.answer)


def test_frame_target_receives_frames_by_env_id(train_episodes):
    env = _core.BatchedEnv(train_episodes, num_envs=3, width=16, height=16, history=2)
    ref = _core.BatchedEnv(train_episodes, num_envs=3, width=16, height=16, history=2)
    target = np.full((3, 2, 16, 16, 3), 7, np.uint8)
    env.set_frame_target(target)
    b = env.reset()
    assert b.frames is None
    r = ref.reset()
    assert np.array_equal(target, r.frames)
    env.step(scripted(env, 1))
    assert np.array_equal(target, ref.step(scripted(ref, 1)).frames)
    with pytest.raises(ValueError, match="shape"):
        env.set_frame_target(np.zeros((3, 1, 16, 16, 3), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        env.set_frame_target(np.zeros((3, 2, 16, 16, 3), np.float32))


@pytest.mark.parametrize("bad", [
    ["navigate(dark table)"],                 # wrong count
    "navigate(dark table)",                   # a single string
    [1, 2, 3, 4],                             # not strings
    np.zeros(4, np.int32),                    # wrong dtype
    np.zeros((2, 2), "S8"),                   # wrong rank
])
def test_bad_action_batches_raise_clear_errors(train_episodes, bad):
    env = _core.BatchedEnv(train_episodes, num_envs=4, width=0, height=0)
    env.reset()
    with pytest.raises((TypeError, ValueError)):
        env.step(bad)


def test_bad_ids_and_configs(train_episodes):
    env = _core.BatchedEnv(train_episodes, num_envs=2, width=0, height=0)
    for query in (lambda: env.valid_actions(0), lambda: env.privileged_state(1), lambda: env.answer(0, "where is it?")):
        with pytest.raises(RuntimeError, match="call reset"):
            query()  # before any episode: an error, not a crash
    with pytest.raises(IndexError):
        env.reset([2])
    with pytest.raises(ValueError, match="twice"):
        env.reset([0, 0])
    with pytest.raises(IndexError, match="episode index"):
        env.reset([0], [10_000])
    with pytest.raises(ValueError):
        env.reset([0], [1, 2])
    with pytest.raises(IndexError):
        env.privileged_state(5)
    for kwargs in [dict(num_envs=0), dict(history=0), dict(width=8, height=8), dict(width=32, height=0),
                   dict(autoreset="sometimes"), dict(sampling="shuffled"), dict(rewards={"succes": 1.0}),
                   dict(rewards={"slack": 0.5}), dict(num_envs=2, batch_size=3)]:
        with pytest.raises(ValueError):
            _core.BatchedEnv(train_episodes, **kwargs)


def test_random_strings_never_crash(train_episodes):
    rng = np.random.default_rng(0)
    env = _core.BatchedEnv(train_episodes, num_envs=8, width=16, height=16)
    env.reset()
    alphabet = list("abcdefghijklmnopqrstuvwxyz ()?,.'\"\\\n\t") + ["navigate(", "pick(", "ask(", ")", "\u00e9", "\x00"]
    for _ in range(200):
        acts = ["".join(rng.choice(alphabet, size=rng.integers(0, 40))) for _ in range(8)]
        b = env.step(acts)
        assert np.isfinite(b.reward).all()
    long = env.step(["ask(" + "x" * 5000 + ")"] * 8)
    assert long.invalid.all()


def test_privileged_state_and_user(train_episodes):
    env = _core.BatchedEnv(train_episodes, num_envs=1, width=0, height=0)
    env.reset([0], [0])
    p = env.privileged_state(0)
    ep = train_episodes[0]
    assert p["goal"] == ep["goal"] and p["K"] == ep["K"]
    assert "robot:" in p["world_graph"] and ep["goal"] in p["world_graph"]
    assert len(p["consistent_hypotheses"]) == len(ep["hypotheses"])
    where = env.answer(0, "where should i put it?")
    assert ep["goal"] in where
    assert env.understands(0, "is it red?") and not env.understands(0, "what is love?")
    # Asking does not step.
    assert env.privileged_state(0)["steps"] == 0
    # Privileged state is never part of the observation batch.
    b = env.step(["ask(where should i put it?)"])
    assert not any(name in dir(b) for name in ("world", "target", "goal", "world_graph"))


def test_env_queries_work_while_other_envs_step_async(train_episodes):
    env = _core.BatchedEnv(train_episodes, num_envs=4, batch_size=2, num_threads=2, width=0, height=0)
    env.reset()
    env.send(["ask(where is it?)"] * 2, [0, 1])
    assert env.valid_actions(3)  # env 3 is idle: fine
    assert "world_graph" in env.privileged_state(2)
    with pytest.raises(RuntimeError, match="in flight"):
        env.privileged_state(0)
    assert sorted(env.recv().env_id.tolist()) == [0, 1]
    assert env.privileged_state(0)["questions"] == 1
