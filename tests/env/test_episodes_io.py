"""Episode files and datasets: round trip, validation errors that name file, line and field."""

import gzip
import json

import pytest

from a2a import _core
from a2a.data import (EpisodeFileError, generate_dataset, load_episodes, load_split, save_episodes)


def test_round_trip_is_byte_stable(tmp_path, train_episodes):
    p = save_episodes(train_episodes, tmp_path / "eps.jsonl.gz")
    back = load_episodes(p)
    assert back.to_jsonl() == train_episodes.to_jsonl()
    p2 = save_episodes(back, tmp_path / "again.jsonl.gz")
    assert p.read_bytes() == p2.read_bytes()  # deterministic gzip
    plain = save_episodes(back, tmp_path / "eps.jsonl")
    assert load_episodes(plain).to_jsonl() == train_episodes.to_jsonl()


def _lines(eps):
    return [json.loads(x) for x in eps.to_jsonl().decode().splitlines()]


def _write(path, records):
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return path


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r["world"]["objects"][0].update(color="reddish"), "line 2: world.objects[0].color: unknown color 'reddish'"),
    (lambda r: r.pop("target"), "line 2: target: missing"),
    (lambda r: r.update(K=r["K"] + 1), "line 2: K: stored"),
    (lambda r: r.update(format="a2a-episode/9"), "line 2: format"),
    (lambda r: r["world"]["receptacles"][0].update(slots=99), "line 2: world.receptacles[0].slots"),
    (lambda r: r.update(goal="the moon"), "line 2: goal: no receptacle named 'the moon'"),
    (lambda r: r["spec"].update(category=7), "line 2: spec.category: expected a string"),
    (lambda r: r.update(split="holdout"), "line 2: split: unknown split"),
])
def test_malformed_records_name_file_line_and_field(tmp_path, train_episodes, mutate, message):
    recs = _lines(train_episodes)[:3]
    mutate(recs[1])
    path = _write(tmp_path / "bad.jsonl", recs)
    with pytest.raises(EpisodeFileError) as e:
        load_episodes(path)
    assert str(e.value).startswith(str(path) + ": ")
    assert message in str(e.value)


def test_garbage_files(tmp_path):
    (tmp_path / "trunc.jsonl").write_text('{"format": "a2a-episode/1", "id": ')
    with pytest.raises(EpisodeFileError, match=r"trunc.jsonl: line 1: \(json\): column"):
        load_episodes(tmp_path / "trunc.jsonl")
    (tmp_path / "bad.jsonl.gz").write_bytes(b"\x1f\x8b" + b"garbage")
    with pytest.raises(EpisodeFileError, match="corrupt gzip"):
        load_episodes(tmp_path / "bad.jsonl.gz")
    (tmp_path / "empty.jsonl").write_text("\n\n")
    with pytest.raises(EpisodeFileError, match="no episodes"):
        load_episodes(tmp_path / "empty.jsonl")
    with pytest.raises(EpisodeFileError, match="cannot read"):
        load_episodes(tmp_path / "missing.jsonl")
    (tmp_path / "bin.jsonl").write_bytes(bytes(range(256)))
    with pytest.raises(EpisodeFileError):
        load_episodes(tmp_path / "bin.jsonl")


def test_generate_dataset_and_splits(tmp_path):
    counts = {"train": 30, "val_unseen_scenes": 10, "val_unseen_tasks": 10, "test_unseen_scenes": 0, "test_unseen_tasks": 5}
    info = generate_dataset(tmp_path / "ds", counts, seed=1, progress=False)
    assert info.counts == counts
    assert sum(info.k_histogram["train"].values()) == 30
    assert all(int(k) >= 2 for k in info.k_histogram["val_unseen_tasks"])
    eps = load_split("val_unseen_scenes", tmp_path / "ds")
    assert len(eps) == 10 and eps[0]["split"] == "val_unseen_scenes"
    with pytest.raises(ValueError, match="no episodes"):
        load_split("test_unseen_scenes", tmp_path / "ds")
    with pytest.raises(ValueError, match="unknown split"):
        load_split("validation", tmp_path / "ds")
    with pytest.raises(FileNotFoundError, match="a2a generate"):
        load_split("train", tmp_path / "nowhere")
    with pytest.raises(ValueError, match="unknown split"):
        generate_dataset(tmp_path / "x", {"dev": 3}, progress=False)


def test_default_dataset_generated_once(data_dir):
    a = load_split("train")
    stamp = (data_dir / "train.jsonl.gz").stat().st_mtime_ns
    b = load_split("train")
    assert (data_dir / "train.jsonl.gz").stat().st_mtime_ns == stamp
    assert len(a) == len(b) >= 1000


def test_episode_dicts_describe_the_task(train_episodes):
    ep = train_episodes[0]
    w = ep["world"]
    names = [r["name"] for r in w["receptacles"]]
    assert len(set(names)) == len(names)
    assert ep["goal"] in names
    assert ep["K"] == 0 or len(ep["hypotheses"]) > 1
    assert (ep["target"], names.index(ep["goal"])) in [tuple(h) for h in ep["hypotheses"]]
    catalog = _core.catalog()
    assert len(catalog["room_types"]) >= 6 and len(catalog["receptacle_types"]) >= 14
    assert len(catalog["categories"]) >= 24 and len(catalog["colors"]) >= 8
    assert sum(r["articulated"] for r in catalog["receptacle_types"]) >= 3


def test_easy_preset(tmp_path):
    info = generate_dataset(tmp_path / "easy", {"train": 40, "val_unseen_scenes": 10}, preset="easy", progress=False)
    eps = load_split("train", tmp_path / "easy")
    assert set(info.k_histogram["train"]) <= {"0", "1"} and info.max_steps == 10
    for i in range(len(eps)):
        ep = eps[i]
        cats = {o["category"] for o in ep["world"]["objects"]}
        assert cats == {ep["spec"]["category"]}  # no clutter: only the task's objects
        assert all(r["open"] for r in ep["world"]["receptacles"])
        assert ep["ambiguity"] in ("none", "attribute")
    with pytest.raises(ValueError, match="preset"):
        generate_dataset(tmp_path / "x", {"train": 1}, preset="hard", progress=False)


@pytest.mark.parametrize("kwargs, says", [
    ({"counts": {"train": 2**31}}, r"the episode count of train must be an integer in \[0, 2147483647\]"),
    ({"counts": {"train": 1}, "max_steps": 100_001}, r"max_steps must be an integer in \[1, 100000\], got 100001"),
    ({"counts": {"train": 1}, "train_scenes": 2**31}, r"train_scenes must be an integer in \[1, 2147483647\]"),
    ({"counts": {"train": 1}, "eval_scenes": 2**31}, r"eval_scenes must be an integer in \[1, 2147483647\]"),
])
def test_generate_dataset_refuses_what_the_core_cannot_take(tmp_path, kwargs, says):
    """The core's counts are C ints and its episode reader takes at most 100000 steps: one line, nothing written."""
    with pytest.raises(ValueError, match=says):
        generate_dataset(tmp_path / "ds", progress=False, **kwargs)
    assert not (tmp_path / "ds").exists()


def test_max_steps_is_a_floor_the_oracle_can_always_finish_within(tmp_path):
    """--max-steps below what an episode needs would write episodes nobody can finish: each episode gets at least
    the oracle's plan (K questions, the moves and opens), and the oracle finishes every one."""
    from a2a.eval.runner import EvalConfig, evaluate

    info = generate_dataset(tmp_path / "ds", {"train": 0, "val_unseen_scenes": 30, "val_unseen_tasks": 30,
                                              "test_unseen_scenes": 0, "test_unseen_tasks": 0},
                            seed=2, max_steps=1, progress=False)
    for split in ("val_unseen_scenes", "val_unseen_tasks"):
        s = load_split(split, tmp_path / "ds").summary()
        assert min(s["max_steps"]) > 1 and all(m >= k + 4 for m, k in zip(s["max_steps"], s["K"]))
        res = evaluate(EvalConfig(agent="oracle", split=split, dataset=str(tmp_path / "ds"), out=str(tmp_path / split),
                                  bootstrap=10), log=lambda _: None)
        assert res.summary["overall"]["SR"]["value"] == 1.0
    assert info.max_steps == 1  # what was asked, recorded
