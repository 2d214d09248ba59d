"""The benchmarks' own machinery: the recording helper (bench/conftest.py), the scene-drawn actions
(bench/scene_actions.py) and the README table generator (bench/readme_table.py)."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from a2a import _core

BENCH = Path(__file__).resolve().parents[1] / "bench"


def load_bench_module(name: str, monkeypatch):
    monkeypatch.setattr(sys, "path", [str(BENCH), *sys.path])  # restored after the test
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_recorder_appends_repeats_with_provenance_and_load(tmp_path, monkeypatch):
    conftest = load_bench_module("conftest", monkeypatch)
    monkeypatch.setattr(conftest, "RESULTS", tmp_path)
    rec = conftest.Recorder()
    values = iter([3.0, 1.0, 2.0, 5.0])
    samples = rec.repeat(lambda: next(values), repeats=3, warmup=1)  # the warm-up value 3.0 is dropped
    row = rec("demo", "rate", samples, "steps/s", params={"n_envs": 4}, target=2.5, note="x")
    assert (row["min"], row["median"], row["max"], row["n"]) == (1.0, 2.0, 5.0, 3)
    assert row["samples"] == [1.0, 2.0, 5.0] and row["params"] == {"n_envs": 4} and row["note"] == "x"
    assert row["load_1min"] >= 0 and row["machine"]["cores"] >= 1 and len(row["commit"]) >= 7
    assert row["others_busy_cores"] is None or row["others_busy_cores"] >= 0
    written = [json.loads(x) for x in (tmp_path / "demo.jsonl").read_text().splitlines()]
    assert written == [row]
    with pytest.raises(ValueError, match="at least 3 repeats"):
        rec.repeat(lambda: 1.0, repeats=2)
    with pytest.raises(ValueError, match="better"):
        rec("demo", "rate", samples, "steps/s", better="faster")
    seconds = rec.time(lambda: sum(range(1000)), repeats=3)
    assert len(seconds.values) == 3 and all(v > 0 for v in seconds.values)


def test_recorder_names_the_installed_packages_commit_not_the_checkouts(tmp_path, monkeypatch):
    import a2a.eval.run_dir as run_dir

    conftest = load_bench_module("conftest", monkeypatch)
    monkeypatch.setattr(run_dir, "git_commit", lambda: "0123456789abcdef-dirty")  # built from another commit
    provenance = conftest.commit()
    assert provenance["commit"] == "0123456" and provenance["dirty"] is True
    head = conftest._git("rev-parse", "--short=7", "HEAD")
    if head.returncode == 0:  # the checkout the suites ran from is a git one: named beside it
        assert provenance["bench_commit"] == head.stdout.strip()
    monkeypatch.setattr(run_dir, "git_commit", lambda: None)  # e.g. built from an sdist
    assert {k: conftest.commit()[k] for k in ("commit", "dirty")} == {"commit": "unknown", "dirty": None}


def test_scene_actions_follow_each_env_into_its_next_episode(monkeypatch):
    sa = load_bench_module("scene_actions", monkeypatch)
    episodes = _core.EpisodeSet.generate("train", 12, seed=3, max_steps=6)  # autoresets every few steps
    tables = sa.SceneTables(episodes)
    n = 4
    env = _core.BatchedEnv(episodes, num_envs=n, width=0, height=0, num_threads=1)
    actions = sa.SceneActions(tables, n, seed=0)
    actions.start(env.reset())
    seen_episodes = set()
    for _ in range(40):
        drawn = actions.draw()
        for i in range(n):  # every action names what is in the env's scene now
            assert drawn[i].decode() in env.valid_actions(i), (i, drawn[i])
        b = env.step(drawn)
        seen_episodes.update(np.asarray(b.episode).tolist())
        actions.observe(b)
    assert len(seen_episodes) > n  # envs did move on to other episodes
    assert actions.steps == 40 * n and 0 < actions.invalid_share < 0.5
    assert 0.3 < actions.rerender_share < 1


def test_scene_actions_rerender_mode_changes_every_frame(monkeypatch):
    sa = load_bench_module("scene_actions", monkeypatch)
    episodes = _core.EpisodeSet.generate("train", 8, seed=1, max_steps=5)
    n = 4
    env = _core.BatchedEnv(episodes, num_envs=n, width=32, height=32, num_threads=2)
    actions = sa.SceneActions(sa.SceneTables(episodes), n, seed=0, rerender=True)
    b = env.reset()
    actions.start(b)
    prev = np.array(b.frames)
    changed = 0
    for _ in range(30):
        b = env.step(actions.draw())
        actions.observe(b)
        cur = np.array(b.frames)
        changed += int((cur != prev).reshape(n, -1).any(axis=1).sum())
        prev = cur
    assert actions.invalid == 0 and actions.rerender_share == 1
    assert changed >= 0.9 * 30 * n


def test_readme_table_is_generated_from_the_results():
    r = subprocess.run([sys.executable, str(BENCH / "readme_table.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_readme_table_shows_median_spread_target_and_load(monkeypatch):
    gen = load_bench_module("readme_table", monkeypatch)
    row = {"date": "2026-01-02T03:04:05+00:00", "commit": "abc1234", "dirty": True, "suite": "env",
           "name": "steps_unrendered", "params": {"n_envs": 256, "threads": 2}, "unit": "steps/s", "n": 5,
           "min": 500_000.0, "median": 900_000.0, "max": 1_200_000.0, "load_1min": 3.3, "others_busy_cores": 1.4,
           "target": 1_000_000, "better": "higher", "invalid_share": 0.034, "rerender_share": 0.69,
           "machine": {"cpu": "Test CPU", "cores": 2}}
    older = {**row, "median": 2_000_000.0, "date": "2025-01-01T00:00:00+00:00"}
    legacy = {"name": "steps_unrendered", "n_envs": 256, "steps_per_s": 9e9}  # no repeats: never shown
    text = gen.table({"env": [older, row, legacy]})
    line = next(x for x in text.splitlines() if x.startswith("| unrendered steps/s, N=256, 2 threads"))
    assert "900 k steps/s" in line and "500 k – 1.20 M (5 runs)" in line and "**missed**" in line
    assert "3.3; 1.4 of 2 cores" in line and "abc1234+, 2026-01-02" in line and "3% invalid steps" in line
    assert "not measured yet" in next(x for x in text.splitlines() if x.startswith("| steps/s with 128 px"))
    assert "Targets missed in these runs: unrendered steps/s, N=256, 2 threads (median 900 k steps/s, target 1.00 M" in text
    met = gen.table({"env": [{**row, "median": 1_100_000.0}]})
    assert "All targets met in these runs." in met and "**missed**" not in met
    readme = f"intro\n{gen.BEGIN}\nold table\n{gen.END}\noutro\n"
    out = gen.render(readme, {"env": [row]})
    assert out.startswith("intro\n") and out.endswith("\noutro\n") and "old table" not in out


def _recorder_calls(tree: ast.AST):
    """(method, call) for every `record(...)` and `record.<method>(...)` call of a bench module."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id == "record":
            yield "__call__", node
        elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "record":
            yield f.attr, node


def test_every_bench_calls_the_recorder_with_its_signature(monkeypatch):
    """pytest does not collect bench/, so a suite left on an old recorder signature fails only after it
    has measured; this binds each call's arguments (as written) to the recorder's methods instead."""
    recorder = load_bench_module("conftest", monkeypatch).Recorder
    calls = 0
    for path in sorted(BENCH.rglob("*.py")):
        for method, call in _recorder_calls(ast.parse(path.read_text(), str(path))):
            where = f"{path.relative_to(BENCH.parent)}:{call.lineno}"
            assert hasattr(recorder, method), f"{where}: the recorder has no method {method!r}"
            if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
                continue  # *args / **kwargs: not checkable from the source
            sig = inspect.signature(getattr(recorder, method))
            args = [None] * len(call.args)
            if "self" in sig.parameters:  # bound through the fixture's instance
                args.insert(0, None)
            try:
                sig.bind(*args, **{k.arg: None for k in call.keywords})
            except TypeError as e:
                pytest.fail(f"{where}: record{'' if method == '__call__' else '.' + method}(...) {e}")
            calls += 1
    assert calls >= 15  # the suites' calls were found (env, eval, llm_agents, multi_object, policy, train)
