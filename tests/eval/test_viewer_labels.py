"""`a2a view` labels what each view shows (receptacles, objects, where the robot is and what it
holds), and shows Set-of-Marks when the run's agent saw them."""

from __future__ import annotations

import html
import json
import re
import shutil

import numpy as np
import pytest
from PIL import Image

from a2a.cli.main import main
from a2a.data import load_split
from a2a.eval.records import read_records
from a2a.eval.registry import make_agent, resolve_options
from a2a.eval.runner import EvalConfig, RunnerConfig, evaluate

SPLIT = "val_unseen_scenes"


@pytest.fixture(scope="module")
def plain_run(dataset_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("views") / "oracle"
    assert main(["eval", "--agent", "oracle", "--split", SPLIT, "--dataset", str(dataset_dir), "--episodes", "4",
                 "--save-frames", "2", "--out", str(out), "--no-progress", "--bootstrap", "0"]) == 0
    return out


@pytest.fixture(scope="module")
def marks_run(dataset_dir, tmp_path_factory):
    """The oracle, told to look at views with Set-of-Marks (as a vision agent would)."""
    out = tmp_path_factory.mktemp("views") / "oracle-som"
    agent = make_agent("oracle", resolve_options("oracle", {}))
    agent.set_of_marks = True
    evaluate(EvalConfig(agent="oracle", split=SPLIT, dataset=str(dataset_dir), episodes=4, out=str(out), bootstrap=0,
                        progress=False, runner=RunnerConfig(save_frames=1)), agent=agent, log=lambda s: None)
    return out


def pages(run, out, *extra):
    assert main(["view", str(run), "--out", str(out), *extra]) == 0
    records = {r.episode_id: r for r in read_records(run)}
    found = []
    for page in sorted((out / "episodes").glob("*.html")):
        text = page.read_text()
        record = next(r for r in records.values() if f"<h1>{html.escape(r.episode_id)}</h1>" in text)
        views = re.findall(r'<div class="frame">(.*?)</div><div class="where">(.*?)</div>', text)
        found.append((record, text, views))
    return found


def labels(frame_html: str) -> list[str]:
    return [html.unescape(x) for x in re.findall(r'<span class="lbl[^"]*"[^>]*>([^<]*)</span>', frame_html)]


def test_every_view_is_labelled_with_what_it_shows(plain_run, tmp_path):
    episodes = load_split(SPLIT, json.loads((plain_run / "run.json").read_text())["dataset"])
    shown = pages(plain_run, tmp_path / "view")
    assert len(shown) == 4  # two with saved views, two replayed
    for record, text, views in shown:
        assert 'id="show-labels" checked' in text  # the toggle
        assert len(views) == record.length + 1
        world = episodes[record.episode_index]["world"]
        room = world["rooms"].index(world["robot_room"])
        start_labels, start_where = views[0]
        assert labels(start_labels) == [r["name"] + ("" if r["open"] else " (closed)")
                                        for r in world["receptacles"] if r["room"] == room]
        assert start_where == f"in the {world['robot_room']}"
        for t, action in enumerate(record.actions):
            frame, where = views[t + 1]
            m = re.fullmatch(r"navigate\((.+)\)", action)
            if m and not record.invalid[t]:
                assert where.startswith(f"at the {html.escape(m.group(1))} (")
                assert labels(frame)[0].startswith(m.group(1))  # the receptacle's name over its view
            if action.startswith("pick(") and not record.invalid[t]:
                assert "; holding the " in where


def test_labels_without_re_rendered_views(plain_run, tmp_path):
    """--no-replay keeps unsaved views out, yet the saved ones are still labelled."""
    shown = pages(plain_run, tmp_path / "view", "--no-replay")
    with_views = [views for record, _, views in shown if record.frames]
    assert len(with_views) == 2 and all(views and all(labels(f) for f, _ in views) for views in with_views)
    for record, text, views in shown:
        if not record.frames:  # no view, but still where the robot is
            assert not views and "views not saved for this episode" in text
            assert len(re.findall(r'<div class="where">', text)) == record.length + 1


def test_no_labels_says_why(plain_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(plain_run, run)
    info = json.loads((run / "run.json").read_text())
    info["dataset"] = str(tmp_path / "gone")
    (run / "run.json").write_text(json.dumps(info))
    shown = pages(run, tmp_path / "view")
    saved = [text for record, text, _ in shown if record.frames]
    assert saved and all("no labels on the views: cannot load the run&#x27;s dataset" in t for t in saved)
    assert all('<span class="lbl' not in t for t in saved)


def test_set_of_marks_runs_show_their_marks(plain_run, marks_run, tmp_path):
    assert json.loads((marks_run / "run.json").read_text())["set_of_marks"] is True
    assert json.loads((plain_run / "run.json").read_text())["set_of_marks"] is False
    plain = {r.episode_id: (r, views) for r, _, views in pages(plain_run, tmp_path / "plain")}
    marked = pages(marks_run, tmp_path / "marked")
    listed = 0
    for record, text, views in marked:
        for t, (frame, where) in enumerate(views):
            objects = [x for x in labels(frame) if re.match(r"\d+: ", x)]
            if objects:  # numbered labels, and the line under the view says which object each number is
                listed += 1
                assert "; marks: 1 " in where or where.split("; ")[1].startswith("marks: 1 ")
                assert [x.split(": ")[0] for x in objects] == [str(k) for k in range(1, len(objects) + 1)]
                # The same view without marks differs (the numbers are drawn), saved or replayed alike.
                src = re.search(r'src="([^"]+)"', frame).group(1)
                plain_src = re.search(r'src="([^"]+)"', plain[record.episode_id][1][t][0]).group(1)
                a = np.asarray(Image.open(tmp_path / "marked" / "episodes" / src))
                b = np.asarray(Image.open(tmp_path / "plain" / "episodes" / plain_src))
                assert a.shape == b.shape and not np.array_equal(a, b)
    assert listed >= 2
    assert all("marks:" not in where for _, views in plain.values() for _, where in views)
