"""Multi-object tasks above the core: the a2a-episode/2 format, task mixes and their manifest, the
CLI, and the environment's API on clean-clutter and preference-reasoning episodes."""

import hashlib
import json

import pytest

from a2a import _core
from a2a.cli.main import main
from a2a.data import EpisodeFileError, generate_dataset, load_episodes, load_split, save_episodes
from a2a.env import AskToActVectorEnv


@pytest.fixture(scope="module")
def multi_episodes():
    return _core.EpisodeSet.generate("train", 24, seed=5, multi_share=1.0)


def _lines(eps):
    return [json.loads(x) for x in eps.to_jsonl().decode().splitlines()]


def test_single_object_generation_is_unchanged():
    # sha256 of the first episodes of main's generator before multi-object tasks existed (seed 0,
    # default settings): the `single` task mix must keep giving the same single-object benchmark.
    train = _core.EpisodeSet.generate("train", 50, seed=0).to_jsonl()
    tasks = _core.EpisodeSet.generate("val_unseen_tasks", 30, seed=0).to_jsonl()
    assert hashlib.sha256(train).hexdigest() == "81642b030b9cdbf38d706ad208d7499821d5726e0bf5cab3fee62ecddd552fba"
    assert hashlib.sha256(tasks).hexdigest() == "75a359e53d1e24430442df681034b5f97581d7b7efa61108360ef0a2c435bae2"
    assert all(json.loads(x)["format"] == "a2a-episode/1" for x in train.decode().splitlines())


def test_format_2_round_trip_and_mixed_files(tmp_path, multi_episodes, train_episodes):
    recs = _lines(multi_episodes)
    assert {r["format"] for r in recs} == {"a2a-episode/2"}
    assert {r["task"] for r in recs} == {"clean_clutter", "preference_reasoning"}
    for r in recs:
        assert r["targets"] and r["preferences"]["options"] and r["preferences"]["places"]
    p = save_episodes(multi_episodes, tmp_path / "multi.jsonl.gz")
    assert load_episodes(p).to_jsonl() == multi_episodes.to_jsonl()
    # /1 and /2 lines side by side in one file.
    other = _core.EpisodeSet.generate("val_unseen_scenes", 2, seed=5, multi_share=1.0)
    both = _core.EpisodeSet.concat([train_episodes.select([0, 1]), other])
    back = load_episodes(save_episodes(both, tmp_path / "both.jsonl"))
    assert back.summary()["task"][:2] == ["fetch", "fetch"] and back.to_jsonl() == both.to_jsonl()
    # A /2 fetch record reads like its /1 original.
    rec = _lines(train_episodes)[0]
    rec.update(format="a2a-episode/2", task="fetch")
    (tmp_path / "fetch2.jsonl").write_text(json.dumps(rec) + "\n")
    assert load_episodes(tmp_path / "fetch2.jsonl")[0]["K"] == train_episodes[0]["K"]


def _first_goal(r):
    return r["targets"][0]["goal"]


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r.update(task="dusting"), "line 2: task: unknown task 'dusting'"),
    (lambda r: r.pop("task"), "line 2: task: missing"),
    (lambda r: r.pop("preferences"), "line 2: preferences: missing"),
    (lambda r: r["targets"][0].update(goal="the moon"), "line 2: targets[0].goal: 'the moon' is not in this world"),
    (lambda r: r["targets"].append(dict(r["targets"][0])), "line 2: targets: an object appears twice"),
    (lambda r: r["preferences"]["places"][0].update(goals=[]), "line 2: preferences.places[0].goals: empty"),
    (lambda r: r["preferences"]["options"][0].update(objects=[10 ** 6]), "line 2: preferences.options[0].objects[0]: expected an object index"),
    (lambda r: r["spec"].update(all="yes"), "line 2: spec.all: expected true or false"),
    (lambda r: r.update(K=r["K"] + 1), "line 2: K: stored"),
])
def test_malformed_format_2_records_name_the_field(tmp_path, multi_episodes, mutate, message):
    recs = _lines(multi_episodes)[:3]
    mutate(recs[1])
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    with pytest.raises(EpisodeFileError) as e:
        load_episodes(path)
    assert str(e.value).startswith(f"{path}: {message}"), str(e.value)


def test_task_mixes_and_manifest(tmp_path):
    counts = {"train": 40, "val_unseen_scenes": 8, "val_unseen_tasks": 8}
    single = generate_dataset(tmp_path / "single", counts, seed=4, progress=False, tasks="single")
    mixed = generate_dataset(tmp_path / "mixed", counts, seed=4, progress=False, tasks="mixed")
    assert single.tasks == "single" and single.task_histogram["train"] == {"fetch": 40}
    assert mixed.task_histogram["train"]["fetch"] == 30  # a quarter multi-object, spread evenly
    assert sum(mixed.task_histogram["train"].values()) == 40
    manifest = json.loads((tmp_path / "mixed" / "manifest.json").read_text())
    assert manifest["episode_format"] == "a2a-episode/2" and manifest["multi_share"] == 0.25
    by_task = manifest["k_histogram_by_task"]["val_unseen_tasks"]
    assert set(by_task) == set(manifest["task_histogram"]["val_unseen_tasks"])
    assert all(int(k) >= 2 for hist in by_task.values() for k in hist)
    assert json.loads((tmp_path / "single" / "manifest.json").read_text())["episode_format"] == "a2a-episode/1"
    # The fetch episodes of the mixed split are those of the single split, in order.
    a, b = load_split("train", tmp_path / "single"), load_split("train", tmp_path / "mixed")
    sb = b.summary()
    fetch_rows = [i for i, t in enumerate(sb["task"]) if t == "fetch"]
    assert [b[i]["instruction"] for i in fetch_rows] == [a[i]["instruction"] for i in range(30)]
    only = generate_dataset(tmp_path / "cc", {"train": 10}, seed=4, progress=False, tasks="clean_clutter")
    assert only.task_histogram["train"] == {"clean_clutter": 10}
    with pytest.raises(ValueError, match="unknown task mix"):
        generate_dataset(tmp_path / "x", {"train": 1}, progress=False, tasks="everything")
    with pytest.raises(ValueError, match="single-object only"):
        generate_dataset(tmp_path / "x", {"train": 1}, progress=False, preset="easy", tasks="mixed")


def test_generate_cli_tasks(tmp_path, capsys):
    out = tmp_path / "ds"
    assert main(["generate", str(out), "--tasks", "multi", "--train", "12", "--val-unseen-scenes", "4",
                 "--val-unseen-tasks", "4", "--test-unseen-scenes", "0", "--test-unseen-tasks", "0"]) == 0
    text = capsys.readouterr().out
    assert "clean_clutter" in text and "preference_reasoning" in text and "fetch" not in text
    assert main(["generate", str(tmp_path / "x"), "--tasks", "mixed", "--preset", "easy", "--train", "2"]) == 2
    err = capsys.readouterr().err  # a user error: one line, as every subcommand reports them
    assert err.startswith("a2a generate: error: ") and "single-object only" in err
    with pytest.raises(SystemExit):
        main(["generate", str(tmp_path / "y"), "--tasks", "bogus"])
    assert "invalid choice" in capsys.readouterr().err


def test_env_api_on_multi_object_episodes(multi_episodes):
    env = _core.BatchedEnv(multi_episodes, num_envs=2, width=0, height=0, autoreset="disabled")
    batch = env.reset([0, 1], [0, 1])
    assert batch.targets.tolist() == [len(multi_episodes[0]["targets"]), len(multi_episodes[1]["targets"])]
    assert batch.delivered.tolist() == [0, 0]
    ep = multi_episodes[0]
    ps = env.privileged_state(0)
    assert ps["task"] == ep["task"] and ps["preference"] == ep["preference"]
    assert ps["target_description"] == ep["preference"]  # what the LLM user and judge read
    assert len(ps["consistent_hypotheses"]) == len(ep["hypotheses"])
    vocab = env.valid_actions(0)
    desc = ep["world"]["objects"][ep["targets"][0][0]]["description"]
    assert f"ask(should i move the {desc}?)" in vocab and f"ask(where should i put the {desc}?)" in vocab
    assert env.understands(0, f"where does the {desc} go?")
    assert env.answer(0, f"should i move the {desc}?") == "Yes."
    # In a fetch episode the same question is not understood.
    fetch = _core.BatchedEnv(_core.EpisodeSet.generate("train", 2, seed=1), num_envs=1, width=0, height=0)
    fetch.reset()
    assert not fetch.understands(0, "should i move the red cup?")
    assert fetch.answer(0, "should i move the red cup?") == "I don't understand."


def test_gymnasium_env_runs_multi_object_episodes(multi_episodes):
    envs = AskToActVectorEnv(multi_episodes, num_envs=4)
    obs, info = envs.reset(seed=0)
    assert obs["image"].shape == (4, 128, 128, 3)
    for _ in range(3):
        obs, reward, term, trunc, info = envs.step(["ask(should i move it?)"] * 4)
    assert all(a.startswith("Which object") for a in obs["answer"])
    assert info["targets"].tolist() == [len(multi_episodes[int(e)]["targets"]) for e in info["episode"]]
    assert info["delivered"].tolist() == [0] * 4
    assert envs.single_observation_space["step"].n == max(multi_episodes.summary()["max_steps"]) + 1
    envs.close()
