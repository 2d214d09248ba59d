"""`a2a eval` with the LLM agents: flags, one-line errors, resume and the response cache, summary
totals, report columns and the viewer's thoughts."""
from __future__ import annotations

import json

from a2a.cli.main import main

from agents_fake import fake


def eval_args(server, tmp_path, out, *extra):
    return ["eval", "--agent", "wg-react", "--split", "val_unseen_scenes", "--episodes", "3", "--num-envs", "1",
            "--base-url", server.url, "--llm-model", "fake-model", "--api-key-env", fake.TEST_KEY_ENV,
            "--llm-cache", str(tmp_path / "cache.sqlite"), "--llm-retries", "0", "--out", str(out), "--no-progress",
            "--bootstrap", "0", *extra]


def test_unreachable_endpoint_fails_at_start_in_one_line(tmp_path, capsys, dataset_dir):
    rc = main(["eval", "--agent", "wg-react", "--split", "val_unseen_scenes", "--episodes", "1",
               "--base-url", fake.closed_port_url(), "--llm-model", "m", "--llm-timeout", "1", "--no-progress",
               "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and err.startswith("a2a eval: error: LLM endpoint")
    assert not (tmp_path / "run" / "episodes.jsonl").exists()


def test_resume_does_not_ask_cached_calls_again_and_a_rerun_costs_nothing(server, tmp_path, capsys, dataset_dir):
    server.default = lambda body: fake.Reply("Thought: t\nAction: ask(where is it?)", usage=(50, 5))
    out = tmp_path / "run"
    # The endpoint breaks after 50 requests (episode 1 done at 40 steps, episode 2 under way): the run stops.
    server.script.extend([fake.Reply("Thought: t\nAction: ask(where is it?)", usage=(50, 5))] * 50)
    broken = server.default
    server.default = lambda body: fake.Status(401, "key revoked")
    rc = main(eval_args(server, tmp_path, out, "--price-in", "1", "--price-out", "2"))
    assert rc == 2 and "401" in capsys.readouterr().err
    done = (out / "episodes.jsonl").read_text().splitlines()
    assert len(done) == 1
    asked_before = server.count
    server.default = broken
    rc = main(eval_args(server, tmp_path, out, "--price-in", "1", "--price-out", "2", "--resume"))
    printed = capsys.readouterr().out
    assert rc == 0
    summary = json.loads((out / "summary.json").read_text())
    u = summary["llm"]
    assert u["calls"] == 3 * 40
    # the 10 steps of episode 2 answered before the break come from the cache, not the server
    assert server.count - asked_before == 3 * 40 - 40 - 10 + 0 and u["cache_hits"] == 10
    assert "LLM: 120 calls (10 cached" in printed and "per 100 episodes" in printed
    # the same evaluation again, in a new run directory: every call is a cache hit, no tokens spent
    n = server.count
    assert main(eval_args(server, tmp_path, tmp_path / "again")) == 0
    capsys.readouterr()
    again = json.loads((tmp_path / "again" / "summary.json").read_text())["llm"]
    assert server.count == n and again["cache_hits"] == again["calls"] and again["cost_usd"] == 0


def test_report_has_the_table1_columns_and_the_viewer_shows_thoughts(server, tmp_path, capsys, dataset_dir):
    server.default = lambda body: fake.Reply("Thought: I wonder where it is.\nAction: ask(where is it?)")
    run = tmp_path / "wg"
    assert main(eval_args(server, tmp_path, run, "--observability", "partial", "--episodes", "1")) == 0
    oracle = tmp_path / "oracle"
    assert main(["eval", "--agent", "oracle", "--split", "val_unseen_scenes", "--episodes", "2", "--out", str(oracle),
                 "--no-progress", "--bootstrap", "0"]) == 0
    capsys.readouterr()
    assert json.loads((run / "run.json").read_text())["full_observation"] is False
    from a2a.eval.report import write_report

    path, table = write_report([str(run), str(oracle)], tmp_path / "report", plots=False)
    lines = table.splitlines()
    assert lines[0].startswith("| method | privileged | full obs. | δ |")
    assert any(line.startswith("| wg-react | no | no | 0 |") for line in lines)
    assert any(line.startswith("| oracle | yes | yes | 0 |") for line in lines)
    assert "## LLM usage" in path.read_text()
    from a2a.eval.viewer import build_view

    index = build_view(run, config=None, log=lambda s: None)
    page = next((index.parent / "episodes").glob("*.html")).read_text()
    assert "<th>thought</th>" in page and "I wonder where it is." in page
