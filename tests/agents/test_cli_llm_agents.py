"""`a2a eval` with the LLM agents: flags, one-line errors, resume and the response cache, summary
totals, report columns and the viewer's thoughts."""
from __future__ import annotations

import json

import pytest

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
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert rc == 2 and "401" in err and err.endswith(f"run again with --resume --out {out} (the finished episodes "
                                                     "are kept)")
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


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def test_an_unusable_llm_cache_is_one_line_and_a_foreign_file_is_left_as_is(server, tmp_path, capsys, dataset_dir,
                                                                            monkeypatch):
    def run(out, *cache):
        return main(["eval", "--agent", "wg-react", "--split", "val_unseen_scenes", "--episodes", "1",
                     "--base-url", server.url, "--llm-model", "fake-model", "--api-key-env", fake.TEST_KEY_ENV,
                     "--no-progress", "--out", str(tmp_path / out), *cache])

    assert run("dir", "--llm-cache", str(tmp_path)) == 2  # a folder
    assert _one_error_line(capsys) == f"a2a eval: error: cannot use the LLM cache {tmp_path}: it is a folder " \
                                      "(give the path of a file)"
    notes = tmp_path / "notes.txt"  # a file of the user's, given by mistake: not modified
    notes.write_bytes(b"my notes, not a database\n" * 3)
    assert run("txt", "--llm-cache", str(notes)) == 2
    assert _one_error_line(capsys) == (f"a2a eval: error: cannot use the LLM cache {notes}: file is not a database "
                                       "(delete it, or use another cache path)")
    assert notes.read_bytes() == b"my notes, not a database\n" * 3
    assert sorted(p.name for p in tmp_path.glob("notes.txt*")) == ["notes.txt"]  # no -wal / -shm beside it
    cache_dir = tmp_path / "cache"  # the default cache, corrupted
    cache_dir.mkdir()
    (cache_dir / "llm_cache.sqlite").write_bytes(b"\x00garbage" * 512)
    monkeypatch.setenv("A2A_CACHE_DIR", str(cache_dir))
    assert run("default") == 2
    default = cache_dir / "llm_cache.sqlite"
    assert f"cannot use the LLM cache {default}: file is not a database" in _one_error_line(capsys)
    assert not any((tmp_path / out / "episodes.jsonl").exists() for out in ("dir", "txt", "default"))
    assert server.count == 0  # no chat request


@pytest.mark.parametrize("agent", ["som-react", "som-direct"])
def test_a_vision_agent_without_rendering_is_refused_before_its_first_step(agent, server, tmp_path, capsys,
                                                                           dataset_dir):
    rc = main(["eval", "--agent", agent, "--frame-size", "0", "--split", "val_unseen_scenes", "--episodes", "1",
               "--base-url", server.url, "--llm-model", "fake-model", "--api-key-env", fake.TEST_KEY_ENV,
               "--llm-cache", "none", "--no-progress", "--out", str(tmp_path / "run")])
    assert rc == 2
    assert _one_error_line(capsys).startswith(f"a2a eval: error: the {agent} agent looks at frames: run it with "
                                              "rendering (frame_size > 0")
    assert not (tmp_path / "run" / "episodes.jsonl").exists()
    assert server.count == 0  # no chat request: no step was taken
