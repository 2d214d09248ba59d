"""Records files: round trip, a truncated last line, corrupt lines, duplicates."""

from __future__ import annotations

import json

import pytest

from a2a.eval.records import EpisodeRecord, RecordError, RecordWriter, read_records


def make(i: int) -> EpisodeRecord:
    return EpisodeRecord(episode_id=f"train/{i:06d}", episode_index=i, split="train", ambiguity="none", K=0, budget=0,
                         instruction="Bring the cup.", Q=0, success=True, length=2,
                         actions=["navigate(table)", "pick(cup)"], rewards=[0.5, 1.0])


def test_round_trip(tmp_path):
    path = tmp_path / "episodes.jsonl"
    with RecordWriter(path) as w:
        for i in range(3):
            w.write(make(i))
    got = read_records(path)
    assert [r.episode_id for r in got] == ["train/000000", "train/000001", "train/000002"]
    assert got[1] == make(1)
    assert read_records(tmp_path) == got  # a run directory works too


def test_truncated_last_line_is_ignored_and_cut_before_appending(tmp_path):
    path = tmp_path / "episodes.jsonl"
    with RecordWriter(path) as w:
        w.write(make(0))
        w.write(make(1))
    full = path.read_bytes()
    path.write_bytes(full[: len(full) - 17])  # the second record cut mid-line
    assert [r.episode_index for r in read_records(path)] == [0]
    with RecordWriter(path) as w:  # resuming appends on a clean line
        w.write(make(2))
    assert [r.episode_index for r in read_records(path)] == [0, 2]


def test_complete_last_line_without_newline_is_kept(tmp_path):
    path = tmp_path / "episodes.jsonl"
    path.write_text(make(0).to_json() + "\n" + make(1).to_json())
    assert len(read_records(path)) == 2
    with RecordWriter(path) as w:
        w.write(make(2))
    assert [r.episode_index for r in read_records(path)] == [0, 1, 2]


def test_corrupt_line_in_the_middle_names_the_line(tmp_path):
    path = tmp_path / "episodes.jsonl"
    path.write_text(make(0).to_json() + "\n{not json\n" + make(2).to_json() + "\n")
    with pytest.raises(RecordError, match="line 2"):
        read_records(path)


def test_line_that_is_not_utf8_is_a_record_error(tmp_path):
    # json.loads raises UnicodeDecodeError (which has no .msg) for such a line: the message must still be built
    path = tmp_path / "episodes.jsonl"
    path.write_bytes(make(0).to_json().encode() + b'\n{"episode_id": "\xff"}\n' + make(2).to_json().encode() + b"\n")
    with pytest.raises(RecordError, match=r"line 2: not valid JSON \(not UTF-8: invalid start byte\)"):
        read_records(path)


def test_missing_field_and_wrong_type(tmp_path):
    path = tmp_path / "episodes.jsonl"
    path.write_text('{"episode_id": "x"}\n')
    with pytest.raises(RecordError, match="missing field"):
        read_records(path)
    d = make(0).to_json().replace('"K":0', '"K":"zero"')
    path.write_text(d + "\n")
    with pytest.raises(RecordError, match="'K' should be int"):
        read_records(path)


@pytest.mark.parametrize("field, value, says", [
    ("reward_terms", 5, "field 'reward_terms' should be dict, got int"),
    ("reward_terms", {"success": 5}, "field reward_terms['success'] should be a list, got int"),
    ("reward_terms", {"success": ["a", "b"]}, "field reward_terms['success'][0] should be number, got str"),
    ("reward_terms", {"success": [1.0]}, "field reward_terms['success'] has 1 entries for length 2"),
    ("answers", 7, "field 'answers' should be list, got int"),
    ("answers", [1, 2], "field answers[0] should be str, got int"),
    ("actions", [1, 2], "field actions[0] should be str, got int"),
    ("rewards", ["a", "b"], "field rewards[0] should be number, got str"),
    ("rewards", [1.0], "field rewards has 1 entries for length 2"),
    ("invalid", [False], "field invalid has 1 entries for length 2"),
    ("asked", "no", "field 'asked' should be list, got str"),
    ("useful", [0, 1], "field useful[0] should be bool, got int"),
    ("questions", [1], "field questions[0] should be str, got int"),
    ("instruction", 5, "field 'instruction' should be str, got int"),
    ("total_reward", "x", "field 'total_reward' should be number, got str"),
    ("frames", 5, "field 'frames' should be str or null, got int"),
    ("agent_steps", [1, 2], "field agent_steps[0] should be an object, got int"),
    ("agent_steps", [{"tool_calls": 5}], "field agent_steps[0].tool_calls should be list, got int"),
    ("agent_steps", [{"tool_calls": [["go"]]}], "field agent_steps[0].tool_calls should be [name, arguments] pairs"),
    ("agent_steps", [{"latency_s": "slow"}], "field agent_steps[0].latency_s should be number, got str"),
])
def test_a_field_of_the_wrong_type_names_the_line_and_the_field(tmp_path, field, value, says):
    """Caught when reading, not later where the viewer or the usage totals index or format it."""
    path = tmp_path / "episodes.jsonl"
    d = json.loads(make(1).to_json())
    d[field] = value
    path.write_text(make(0).to_json() + "\n" + json.dumps(d) + "\n")
    with pytest.raises(RecordError) as e:
        read_records(path)
    assert str(e.value) == f"{path}: line 2: {says}"


def test_per_step_lists_may_be_left_empty(tmp_path):
    """Records written without the optional per-step lists (answers, invalid, ...) still read."""
    path = tmp_path / "episodes.jsonl"
    r = make(0)
    r.reward_terms, r.agent_steps = {"success": [], "slack": [-0.05, -0.05]}, [{"thought": None, "mine": [1]}]
    path.write_text(r.to_json() + "\n")
    assert read_records(path) == [r]


def test_duplicate_episode_is_an_error(tmp_path):
    path = tmp_path / "episodes.jsonl"
    path.write_text(make(0).to_json() + "\n" + make(0).to_json() + "\n")
    with pytest.raises(RecordError, match="recorded twice"):
        read_records(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no records file"):
        read_records(tmp_path)
