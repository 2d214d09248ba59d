"""`a2a report` given a training run: it reports the run's latest evaluation and says so (the
evaluations live in RUN/eval/update_NNNNNN, not in the run directory itself)."""

from __future__ import annotations

from a2a.cli.main import main
from a2a.rl import train


def test_report_accepts_a_training_run(make_cfg, tmp_path, capsys):
    result = train(make_cfg("trained", eval_episodes=2, eval_every=1, compare=True, ppo={"updates": 3}))
    run = result.run_dir
    evals = sorted(p.name for p in (run / "eval").iterdir())
    # two during training, the final one, and what the final one is compared with
    assert {"update_000001", "update_000002", "update_000003", "initial", "oracle"} <= set(evals)
    capsys.readouterr()
    assert main(["report", str(run), "--out", str(tmp_path / "report")]) == 0
    captured = capsys.readouterr()
    note = captured.err.strip()
    assert note.startswith(f"a2a report: {run}: no run.json; using the evaluation runs inside it: ")
    used, left_out = note.split("left out")
    expected = {run / "eval" / name for name in evals} - {run / "eval" / "update_000001"}
    assert set(used.split("inside it: ")[1].split(" (")[0].split(", ")) == {str(p) for p in expected}
    assert str(run / "eval" / "update_000001") in left_out  # an earlier evaluation of the same policy
    rows = {line.split("|")[1].strip(): line for line in captured.out.splitlines() if line.startswith("| ")}
    assert "this policy" in rows and "100.0" in rows["oracle"]  # Table 1: the trained policy beside the oracle
    md = (tmp_path / "report" / "report.md").read_text()
    assert f"`{run / 'eval' / 'update_000003'}`" in md and "update_000001" not in md


def test_report_of_a_run_without_evaluations_says_where_they_would_be(make_cfg, tmp_path, capsys):
    run = train(make_cfg("untested", ppo={"updates": 1})).run_dir  # eval_episodes=0: nothing evaluated
    capsys.readouterr()
    assert main(["report", str(run), "--out", str(tmp_path / "report")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"a2a report: error: {run}: not an evaluation run directory (no run.json) and no "
                          "evaluation runs inside it") and "eval/" in err and len(err.splitlines()) == 1


def test_view_of_a_training_run_names_its_evaluations(make_cfg, capsys):
    run = train(make_cfg("viewed", eval_episodes=2)).run_dir
    capsys.readouterr()
    assert main(["view", str(run)]) == 2
    err = capsys.readouterr().err
    assert err == (f"a2a view: error: {run}: not an evaluation run directory (no run.json); the evaluation runs inside "
                   f"it: {run / 'eval' / 'update_000002'}\n")
