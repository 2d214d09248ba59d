"""`a2a report` (Table-1 markdown, plots) and `a2a view` (static pages, rendered in headless Chromium)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from a2a.cli.main import main
from a2a.eval.report import table1, load_run


@pytest.fixture(scope="module")
def runs(dataset_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    dirs = []
    for agent in ("oracle", "no-ask"):
        for split in ("val_unseen_scenes", "test_unseen_tasks"):
            for delta in (0, 2):
                out = root / f"{agent}-{split}-{delta}"
                args = ["eval", "--agent", agent, "--split", split, "--dataset", str(dataset_dir), "--episodes", "12",
                        "--budget-delta", str(delta), "--out", str(out), "--no-progress", "--bootstrap", "50"]
                if agent == "oracle" and split == "test_unseen_tasks" and delta == 0:
                    args += ["--save-frames", "2"]
                assert main(args) == 0
                dirs.append(out)
    out = root / "greedy-explore-val_unseen_scenes-0"  # a script that asks more than K at times
    assert main(["eval", "--agent", "greedy-explore", "--split", "val_unseen_scenes", "--dataset", str(dataset_dir),
                 "--episodes", "12", "--out", str(out), "--no-progress", "--bootstrap", "50"]) == 0
    dirs.append(out)
    return dirs


def test_table1_layout(runs):
    t = table1([load_run(d) for d in runs])
    lines = t.splitlines()
    assert lines[0].startswith("| method | privileged | full obs. | δ | unseen scenes SR | unseen scenes ARS | unseen scenes QR | unseen tasks SR")
    oracle0 = next(l for l in lines if l.startswith("| oracle | yes | yes | 0 |"))
    assert oracle0 == "| oracle | yes | yes | 0 | 100.0 | 100.0 | 1.00 | 100.0 | 100.0 | 1.00 |"
    no_ask = next(l for l in lines if l.startswith("| no-ask | no | no | 2 |"))
    assert no_ask.split(" | ")[6] == "0.00" or no_ask.split(" | ")[6] == "-"  # QR of an agent that never asks


def test_report_command_writes_markdown_and_plots(runs, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["report", *map(str, runs), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| oracle | yes | yes | 0 | 100.0 |" in printed
    md = (out / "report.md").read_text()
    assert "## SR per K" in md and "![SR against K](sr_vs_k.png)" in md
    sr, ars = (_section_rows(md, f"## {m} per ambiguity combination") for m in ("SR", "ARS"))
    assert sr.keys() == ars.keys() and len(ars) >= 3
    header = next(iter(_section_rows(md, "## ARS per ambiguity combination", header=True).values()))
    col = {name: header.index(f"{name} δ=0 val_unseen_scenes") for name in ("oracle", "no-ask", "greedy-explore")}
    greedy = [(float(row[col["greedy-explore"]]), float(sr[a][col["greedy-explore"]]))
              for a, row in ars.items() if row[col["greedy-explore"]] != "-"]  # "-": none of its episodes
    for ambiguity, row in ars.items():  # ARS = S K / max(K, Q): only asking more than K lowers it below SR
        assert row[col["oracle"]] == sr[ambiguity][col["oracle"]]  # asks exactly K
        assert row[col["no-ask"]] == sr[ambiguity][col["no-ask"]]  # never asks
    assert greedy and all(a <= s for a, s in greedy) and any(a < s for a, s in greedy)
    for png in ("sr_qr_vs_budget.png", "sr_vs_k.png", "sr_vs_questions.png"):
        with Image.open(out / png) as im:
            assert im.size[0] > 300 and im.size[1] > 200
            assert len(np.unique(np.asarray(im.convert("L")))) > 10  # something was drawn


def test_an_interrupted_run_is_marked_incomplete(runs, tmp_path, capsys):
    import json

    killed = tmp_path / "killed"
    shutil.copytree(runs[0], killed)
    info = json.loads((killed / "run.json").read_text())
    (killed / "run.json").write_text(json.dumps({**info, "completed": False}))  # what a kill -9 leaves
    lines = (killed / "episodes.jsonl").read_text().splitlines()
    (killed / "episodes.jsonl").write_text("\n".join(lines[:4]) + "\n")
    (killed / "summary.json").unlink()
    assert main(["report", str(runs[0]), str(killed), "--out", str(tmp_path / "rep"), "--no-plots"]) == 0
    printed = capsys.readouterr().out
    assert "| oracle (incomplete) | yes | yes | 0 |" in printed
    assert f"`{killed}` (4 of 12 episodes;" in printed
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "| 4 (incomplete: 4 of 12 episodes) |" in md
    assert "| oracle | yes | yes | 0 |" in table1([load_run(runs[0])])  # a finished run is not marked


@pytest.mark.parametrize("damage", ["[]", "null", '{"overall": '])
def test_a_damaged_summary_is_recomputed_from_the_records(damage, runs, tmp_path):
    damaged = tmp_path / "damaged"
    shutil.copytree(runs[0], damaged)
    (damaged / "summary.json").write_text(damage)
    got, want = load_run(damaged).summary["overall"], load_run(runs[0]).summary["overall"]
    assert {k: got[k]["value"] for k in ("SR", "ARS", "QR")} == {k: want[k]["value"] for k in ("SR", "ARS", "QR")}


def test_two_runs_in_one_cell_are_noted_and_a_failed_start_is_left_out(runs, tmp_path, capsys):
    twin = tmp_path / "twin"
    shutil.copytree(runs[0], twin)  # same label, split and budget delta: one cell of Table 1
    assert main(["report", str(runs[0]), str(twin), "--out", str(tmp_path / "rep"), "--no-plots"]) == 0
    err = capsys.readouterr().err
    assert f"one cell of Table 1: it shows {twin}" in err and "Traceback" not in err
    failed = tmp_path / "failed"  # what an evaluation whose agent failed to load leaves
    failed.mkdir()
    shutil.copy(runs[1] / "run.json", failed / "run.json")
    assert main(["report", str(runs[0]), str(failed), "--out", str(tmp_path / "rep2"), "--no-plots"]) == 0
    assert f"{failed}: left out, no episode was recorded" in capsys.readouterr().err


def _section_rows(md: str, title: str, header: bool = False) -> dict[str, list[str]]:
    """The markdown table under `title`: first cell -> cells (or {"header": header cells})."""
    lines = md.split(title + "\n", 1)[1].splitlines()
    table: list[list[str]] = []
    for line in lines:
        if line.startswith("|"):
            table.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif table:
            break
    if header:
        return {"header": table[0]}
    return {row[0]: row for row in table[2:]}


@pytest.mark.parametrize("content, says", [
    (b"[]", "a JSON object expected, got list"),
    (b'{"format": "a2a-eval-run/1", "agent": "\xff"}', "malformed run file"),
    (b'{"format": "a2a-eval-run/1", "budget_delta": "x"}', "budget_delta must be an integer, got 'x'"),
])
@pytest.mark.parametrize("command", ["report", "view"])
def test_a_malformed_run_file_is_one_line_naming_it(content, says, command, tmp_path, capsys):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "run.json").write_bytes(content)
    assert main([command, str(tmp_path / "run"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"a2a {command}: error: {tmp_path / 'run' / 'run.json'}: ") and says in err, err
    assert err.count("\n") == 1


@pytest.mark.parametrize("fails", ["savefig", "fsync"])
def test_a_full_disk_leaves_the_report_files_as_they_were(runs, tmp_path, capsys, monkeypatch, fails):
    """Each plot (and report.md) is written to a temporary file in the folder and renamed into place: a write that
    fails (the disk fills while matplotlib writes, or at the flush) leaves the earlier files whole, no truncated
    PNG and no temporary file, and one line."""
    import errno

    from matplotlib.figure import Figure

    out = tmp_path / "report"
    assert main(["report", *map(str, runs), "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert any(name.endswith(".png") for name in before)
    capsys.readouterr()
    full = OSError(errno.ENOSPC, "No space left on device")
    if fails == "savefig":
        def savefig(self, fname, *args, **kwargs):  # half a PNG, then the disk is full
            data = b"\x89PNG\r\n\x1a\n half"
            if hasattr(fname, "write"):
                fname.write(data)
            else:
                Path(fname).write_bytes(data)
            raise full

        monkeypatch.setattr(Figure, "savefig", savefig)
    else:
        def fsync(fd):
            raise full

        monkeypatch.setattr(os, "fsync", fsync)
    assert main(["report", *map(str, runs), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("a2a report: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_report_errors(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nope"), "--out", str(tmp_path / "r")]) == 2
    assert "not an evaluation run directory" in capsys.readouterr().err


def test_view_writes_pages_with_saved_and_replayed_frames(runs, tmp_path):
    run = next(d for d in runs if d.name == "oracle-test_unseen_tasks-0")
    out = tmp_path / "view"
    assert main(["view", str(run), "--out", str(out), "--max-episodes", "4"]) == 0
    index = (out / "index.html").read_text()
    pages = re.findall(r'href="(episodes/[^"]+\.html)"', index)
    assert len(pages) == 4
    for page in pages:  # two from saved frames, two replayed
        html = (out / page).read_text()
        imgs = re.findall(r'<img class="view" src="([^"]+)"', html)
        assert imgs and all((out / "episodes" / src).exists() for src in imgs)
        assert "replayed rewards differ" not in html and "http" not in html.replace('lang="en"', "")


def _edit_first_record(run, dest, **fields):
    """A copy of `run` whose first record has `fields` replaced."""
    shutil.copytree(run, dest)
    lines = (dest / "episodes.jsonl").read_text().splitlines()
    lines[0] = json.dumps({**json.loads(lines[0]), **fields})
    (dest / "episodes.jsonl").write_text("\n".join(lines) + "\n")
    return dest


@pytest.mark.parametrize("fields, says", [
    ({"reward_terms": {"success": 5}}, "line 1: field reward_terms['success'] should be a list, got int"),
    ({"answers": 7}, "line 1: field 'answers' should be list, got int"),
    ({"actions": [1] * 3, "length": 3}, "line 1: field actions[0] should be str, got int"),
])
def test_view_of_a_record_with_a_field_of_the_wrong_type_is_one_line(runs, tmp_path, capsys, fields, says):
    run = _edit_first_record(next(d for d in runs if d.name == "oracle-val_unseen_scenes-0"), tmp_path / "run",
                             **fields)
    assert main(["view", str(run), "--out", str(tmp_path / "view"), "--no-replay"]) == 2
    err = capsys.readouterr().err
    assert err == f"a2a view: error: {run / 'episodes.jsonl'}: {says}\n", err


def test_view_of_a_record_without_the_optional_per_step_lists(runs, tmp_path):
    run = _edit_first_record(next(d for d in runs if d.name == "oracle-val_unseen_scenes-0"), tmp_path / "run",
                             answers=[], invalid=[], invalid_reasons=[], asked=[], useful=[])
    assert main(["view", str(run), "--out", str(tmp_path / "view"), "--no-replay"]) == 0


def _saved_frames(run) -> str:
    return next(json.loads(line)["frames"] for line in (run / "episodes.jsonl").read_text().splitlines()
                if json.loads(line)["frames"])


def test_view_replays_the_views_of_a_missing_frames_file_and_says_so(runs, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(next(d for d in runs if d.name == "oracle-test_unseen_tasks-0"), run)
    rel = _saved_frames(run)
    (run / rel).unlink()
    out = tmp_path / "view"
    assert main(["view", str(run), "--out", str(out), "--max-episodes", "4"]) == 0
    pages = [(out / "episodes" / p).read_text() for p in sorted(os.listdir(out / "episodes")) if p.endswith(".html")]
    page = next(p for p in pages if f"the saved views ({rel}) are missing; these are replayed" in p)
    imgs = re.findall(r'<img class="view" src="([^"]+)"', page)
    assert imgs and all((out / "episodes" / src).exists() for src in imgs)


@pytest.mark.parametrize("content, says", [
    (b"garbage", "not an .npz archive"),
    (b"PK\x03\x04 cut short", "File is not a zip file"),
    ({"other": np.zeros(3)}, "no 'frames' array in it (it holds ['other'])"),
    ({"frames": np.zeros((3, 4))}, "float64 array of shape [3, 4], expected uint8 [steps + 1, h, w, 3]"),
    ({"frames": np.zeros((2, 8, 8, 3), np.uint8)}, "2 views for an episode of"),
    ({"frames": np.array([object()])}, "Object arrays cannot be loaded when allow_pickle=False"),
])
def test_view_of_a_damaged_frames_file_is_one_line_naming_it(runs, tmp_path, capsys, content, says):
    run = tmp_path / "run"
    shutil.copytree(next(d for d in runs if d.name == "oracle-test_unseen_tasks-0"), run)
    path = run / _saved_frames(run)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        with open(path, "wb") as f:
            np.savez(f, **content)
    assert main(["view", str(run), "--out", str(tmp_path / "view")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"a2a view: error: {path}: not the saved views of an episode") and says in err, err
    assert err.count("\n") == 1


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_view_renders_in_headless_chromium(runs, tmp_path):
    if not CHROMIUM:
        pytest.skip("chromium is not installed (apt-get install -y chromium): the viewer is not rendered in a browser")
    run = next(d for d in runs if d.name == "oracle-test_unseen_tasks-0")
    out = tmp_path / "view"
    assert main(["view", str(run), "--out", str(out), "--max-episodes", "2", "--no-replay"]) == 0
    page = sorted((out / "episodes").glob("*.html"))[0]
    profile = tmp_path / "profile"
    dom = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120).stdout
    from a2a.eval.records import read_records

    rec = sorted(read_records(run), key=lambda r: r.episode_index)[0]
    assert rec.instruction in dom
    assert all(a.replace("<", "&lt;") in dom for a in rec.actions)
    m = re.search(r'data-images="(\d+)/(\d+)"', dom)
    assert m and m.group(1) == m.group(2) == str(rec.length + 1)
    assert 'data-all-loaded="true"' in dom  # every view loaded from its relative file


def test_saved_views_that_cannot_be_opened_are_one_line(tmp_path):
    from a2a.eval.run_dir import load_frames

    (tmp_path / "frames").mkdir()
    (tmp_path / "frames" / "ep0.npz").mkdir()  # a folder where the file should be
    with pytest.raises(ValueError, match="ep0.npz: Is a directory"):
        load_frames(tmp_path, "frames/ep0.npz")
    with pytest.raises(FileNotFoundError):  # missing: the caller replays the views
        load_frames(tmp_path, "frames/ep1.npz")
