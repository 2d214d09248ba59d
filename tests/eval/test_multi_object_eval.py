"""Evaluation on a mixed dataset: records carry the task and partial success, `a2a eval` and
`a2a report` report them per task type."""

from __future__ import annotations

import json

from a2a.cli.main import main
from a2a.eval.records import EpisodeRecord, read_records


def test_eval_and_report_per_task_type(mixed_dataset_dir, tmp_path, capsys):
    runs = []
    for agent in ("oracle", "greedy-explore"):
        out = tmp_path / agent
        assert main(["eval", "--agent", agent, "--split", "val_unseen_tasks", "--dataset", str(mixed_dataset_dir),
                     "--out", str(out), "--no-progress", "--bootstrap", "20"]) == 0
        runs.append(out)
    printed = capsys.readouterr().out
    assert "task=clean_clutter" in printed and "task=fetch" in printed and "PSR" in printed
    records = read_records(runs[0])
    multi = [r for r in records if r.task != "fetch"]
    assert len(multi) == 10 and all(r.targets >= 1 and r.delivered == r.targets and r.success for r in multi)
    summary = json.loads((runs[0] / "summary.json").read_text())
    assert set(summary["by_task"]) == {"fetch", "clean_clutter", "preference_reasoning"}
    assert summary["by_task"]["clean_clutter"]["PSR"]["value"] == 1.0
    greedy = read_records(runs[1])
    assert any(r.task != "fetch" and 0 < r.delivered for r in greedy)
    assert main(["report", *map(str, runs), "--out", str(tmp_path / "report"), "--no-plots"]) == 0
    md = (tmp_path / "report" / "report.md").read_text()
    assert "## Per task type" in md
    assert "| oracle | val_unseen_tasks | 0 | preference_reasoning |" in md


def test_old_records_read_as_fetch_with_delivery_from_success():
    old = {"episode_id": "x", "episode_index": 0, "split": "train", "ambiguity": "none", "K": 0, "budget": 0,
           "instruction": "i", "success": True}
    r = EpisodeRecord.from_dict(old)
    assert r.task == "fetch" and r.targets == 1 and r.delivered == 1
    assert EpisodeRecord.from_dict({**old, "success": False}).delivered == 0
