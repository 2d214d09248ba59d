"""`a2a eval` end to end through the CLI entry point."""

from __future__ import annotations

import json

from a2a.cli.main import main


def test_eval_writes_records_summary_and_prints_the_table(dataset_dir, tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(["eval", "--agent", "oracle", "--split", "val_unseen_tasks", "--dataset", str(dataset_dir),
               "--episodes", "10", "--num-envs", "3", "--out", str(out), "--no-progress", "--budget-delta", "1",
               "--bootstrap", "100"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "overall" in printed and "100.0" in printed and "10 episodes" in printed
    run = json.loads((out / "run.json").read_text())
    assert run["budget_delta"] == 1 and run["episodes"] == 10 and run["options"] == {"seed": 0}
    assert len((out / "episodes.jsonl").read_text().splitlines()) == 10
    summary = json.loads((out / "summary.json").read_text())
    assert summary["overall"]["SR"]["value"] == 1.0 and summary["overall"]["SR"]["n"] == 10
    # Same command with --resume: nothing left to run.
    assert main(["eval", "--agent", "oracle", "--split", "val_unseen_tasks", "--dataset", str(dataset_dir),
                 "--episodes", "10", "--out", str(out), "--no-progress", "--budget-delta", "1", "--resume"]) == 0
    assert "(0 run now)" in capsys.readouterr().out


def test_bad_input_gets_clear_errors(dataset_dir, tmp_path, capsys):
    assert main(["eval", "--agent", "gpt-5", "--split", "train", "--dataset", str(dataset_dir)]) == 2
    err = capsys.readouterr().err
    assert "unknown agent 'gpt-5'; available agents: greedy-explore, " in err
    assert all(name in err for name in ("no-ask", "oracle", "random"))
    assert main(["eval", "--agent", "oracle", "--split", "validation", "--dataset", str(dataset_dir)]) == 2
    assert "unknown split 'validation'" in capsys.readouterr().err
    assert main(["eval", "--agent", "oracle", "--split", "train", "--agent-opt", "nokey"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err
    out = tmp_path / "r"
    assert main(["eval", "--agent", "no-ask", "--split", "train", "--dataset", str(dataset_dir), "--episodes", "2",
                 "--out", str(out), "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["eval", "--agent", "random", "--split", "train", "--dataset", str(dataset_dir), "--episodes", "2",
                 "--out", str(out), "--no-progress", "--resume"]) == 2
    err = capsys.readouterr().err
    assert "refusing to resume" in err and "agent: the run has 'no-ask', now 'random'" in err


def test_list_agents(capsys):
    assert main(["eval", "--list-agents"]) == 0
    out = capsys.readouterr().out
    assert "oracle" in out and "[privileged]" in out and "--ask-location" in out


def test_eval_refuses_an_out_folder_that_is_not_an_evaluation_run(dataset_dir, tmp_path, capsys):
    """A training run's or a dataset's folder is not written into; an empty folder, or one holding only what an
    evaluation writes (the lock of a refused start, a view), is."""
    train_run = tmp_path / "train-run"
    (train_run / "checkpoints").mkdir(parents=True)
    (train_run / "train_config.json").write_text("{}\n")
    data = tmp_path / "data"
    data.mkdir()
    (data / "manifest.json").write_text("{}\n")
    (data / "train.jsonl.gz").write_bytes(b"")
    for folder, holds in ((train_run, "checkpoints, train_config.json"), (data, "manifest.json, train.jsonl.gz")):
        before = sorted(p.name for p in folder.iterdir())
        assert main(["eval", "--agent", "oracle", "--split", "val_unseen_scenes", "--dataset", str(dataset_dir),
                     "--episodes", "2", "--out", str(folder), "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert err == (f"a2a eval: error: {folder} is not an evaluation run and holds files an evaluation does not "
                       f"write ({holds}); choose a new or empty --out\n"), err
        assert sorted(p.name for p in folder.iterdir()) == before
    for folder, holds in ((tmp_path / "empty", []), (tmp_path / "refused", [".lock"]), (tmp_path / "v", ["view"])):
        folder.mkdir()
        for name in holds:
            if name == "view":
                (folder / name).mkdir()
            else:
                (folder / name).write_text("")
        assert main(["eval", "--agent", "oracle", "--split", "val_unseen_scenes", "--dataset", str(dataset_dir),
                     "--episodes", "2", "--out", str(folder), "--no-progress"]) == 0
    (tmp_path / "empty" / "notes.txt").write_text("mine")  # a run's folder may gain the user's files
    assert main(["eval", "--agent", "oracle", "--split", "val_unseen_scenes", "--dataset", str(dataset_dir),
                 "--episodes", "2", "--out", str(tmp_path / "empty"), "--no-progress", "--resume"]) == 0
