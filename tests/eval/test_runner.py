"""The evaluation runner: each episode exactly once, records, resume, frames, privileged access."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from a2a.baselines.oracle import OracleAgent
from a2a.baselines.random_agent import RandomAgent
from a2a.data import load_split
from a2a.eval.env_access import PrivilegedAccessError
from a2a.eval.records import RecordError, read_records
from a2a.eval.run_dir import ResumeError, load_frames, read_run
from a2a.eval.runner import EvalConfig, RunnerConfig, evaluate, run_episodes


def collect(agent, episodes, indices, **cfg):
    out = []
    run_episodes(agent, episodes, indices, RunnerConfig(**cfg), lambda r, f: out.append((r, f)))
    return out


@pytest.mark.parametrize("num_envs", [1, 7, 64])
def test_every_episode_runs_exactly_once(dataset_dir, num_envs):
    eps = load_split("val_unseen_scenes", dataset_dir)
    indices = [3, 0, 17, 5, 30, 31, 12, 8, 9, 25, 39]
    got = collect(OracleAgent(), eps, indices, num_envs=num_envs, frame_size=0)
    ids = [r.episode_id for r, _ in got]
    assert sorted(ids) == sorted(eps.summary()["id"][i] for i in indices)
    assert len(set(ids)) == len(ids)
    assert all(r.success for r, _ in got)


def test_results_do_not_depend_on_the_number_of_envs(dataset_dir):
    eps = load_split("train", dataset_dir)
    a = {r.episode_id: r for r, _ in collect(OracleAgent(), eps, range(len(eps)), num_envs=1, frame_size=0)}
    b = {r.episode_id: r for r, _ in collect(OracleAgent(), eps, range(len(eps)), num_envs=16, frame_size=0)}
    assert a == b


def test_record_fields_are_consistent(dataset_dir):
    eps = load_split("val_unseen_tasks", dataset_dir)
    summary = eps.summary()
    for r, frames in collect(OracleAgent(), eps, range(len(eps)), num_envs=4, frame_size=0, budget_delta=2):
        i = r.episode_index
        assert (r.episode_id, r.K, r.ambiguity, r.split) == (summary["id"][i], summary["K"][i],
                                                             summary["ambiguity"][i], "val_unseen_tasks")
        assert r.budget == r.K + 2
        assert len(r.actions) == len(r.rewards) == len(r.answers) == len(r.invalid) == r.length
        assert all(len(v) == r.length for v in r.reward_terms.values())
        assert np.allclose(np.sum(list(r.reward_terms.values()), axis=0), r.rewards, atol=1e-5)
        assert r.Q == sum(r.asked) == len(r.questions)
        assert [a for a, asked in zip(r.actions, r.asked) if asked] == r.questions
        assert all(ans for ans, asked in zip(r.answers, r.asked) if asked)
        assert r.reward_terms["success"][-1] > 0 and r.success and not r.truncated
        assert frames is None


def test_invalid_actions_are_recorded_with_reasons(dataset_dir):
    eps = load_split("train", dataset_dir)
    (r, _), = collect(RandomAgent(), eps, [0], frame_size=0)
    assert r.length == 40 and r.truncated and not r.success
    assert r.invalid_actions == sum(r.invalid) > 0
    assert all((reason != "") == bad for reason, bad in zip(r.invalid_reasons, r.invalid))


class Peeker:
    name, privileged, frame_size = "peeker", False, 0

    def reset(self, env_ids):
        pass

    def act(self, obs, env):
        env.privileged_state(int(obs.env_ids[0]))
        return ["ask(where is it?)"] * len(obs)


def test_non_privileged_agents_cannot_read_privileged_state(dataset_dir):
    eps = load_split("train", dataset_dir)
    with pytest.raises(PrivilegedAccessError, match="not privileged"):
        collect(Peeker(), eps, [0, 1], frame_size=0)


class Mute(Peeker):
    def act(self, obs, env):
        return ["ask(where is it?)"] * (len(obs) + 1)


def test_wrong_number_of_actions_is_a_clear_error(dataset_dir):
    with pytest.raises(TypeError, match="one per row"):
        collect(Mute(), load_split("train", dataset_dir), [0], frame_size=0)


def test_observations_carry_instruction_answer_and_images(dataset_dir):
    seen = []

    class Spy(OracleAgent):
        def act(self, obs, env):
            seen.append(obs)
            return super().act(obs, env)

    eps = load_split("val_unseen_tasks", dataset_dir)
    collect(Spy(), eps, [0, 1, 2], num_envs=2, frame_size=32)
    first = seen[0]
    assert first.first.all() and first.image.shape == (2, 32, 32, 3) and first.image.any()
    assert first.instruction[0] == eps[0]["instruction"]
    assert any(a for o in seen[1:] for a in o.answer)  # the user answered the oracle's questions
    assert any(o.first.any() and not o.first.all() for o in seen)  # a refilled env next to running ones


def cfg(tmp_path, **kw):
    base = dict(agent="oracle", split="val_unseen_scenes", dataset=str(kw.pop("dataset")), out=str(tmp_path / "run"),
                progress=False, bootstrap=50, runner=RunnerConfig(num_envs=kw.pop("num_envs", 4), frame_size=0,
                                                                     budget_delta=kw.pop("budget_delta", 0)))
    base.update(kw)
    return EvalConfig(**base)


def test_evaluate_writes_a_run_directory(dataset_dir, tmp_path):
    res = evaluate(cfg(tmp_path, dataset=dataset_dir, episodes=12), log=lambda s: None)
    run = read_run(res.run_dir)
    assert run["agent"] == "oracle" and run["split"] == "val_unseen_scenes" and run["episodes"] == 12
    assert run["completed"] and run["a2a_version"] and run["started_at"] and run["finished_at"]
    assert run["dataset"] == str(dataset_dir.resolve()) and run["privileged"] is True
    summary = json.loads((res.run_dir / "summary.json").read_text())
    assert summary["overall"]["SR"]["value"] == 1.0 and summary["episodes"] == 12
    assert len(read_records(res.run_dir)) == 12


class Interrupting(OracleAgent):
    def __init__(self, after: int):
        super().__init__()
        self.after, self.started = after, 0

    def reset(self, env_ids):
        self.started += len(env_ids)
        if self.started > self.after:
            raise KeyboardInterrupt
        super().reset(env_ids)


def test_resume_finishes_an_interrupted_run_without_recounting(dataset_dir, tmp_path):
    with pytest.raises(KeyboardInterrupt):
        evaluate(cfg(tmp_path, dataset=dataset_dir), agent=Interrupting(after=10), log=lambda s: None)
    path = tmp_path / "run" / "episodes.jsonl"
    partial = read_records(path)
    assert 0 < len(partial) < 40 and not read_run(tmp_path / "run")["completed"]
    with open(path, "ab") as f:  # a line cut short by the interruption
        f.write(b'{"episode_id": "val_unseen_scenes/0000')
    with pytest.raises(ResumeError, match="--resume"):
        evaluate(cfg(tmp_path, dataset=dataset_dir), log=lambda s: None)
    res = evaluate(cfg(tmp_path, dataset=dataset_dir, resume=True), log=lambda s: None)
    assert res.new_episodes == 40 - len(partial)
    ids = [r.episode_id for r in res.records]
    assert len(ids) == len(set(ids)) == 40
    assert {r.episode_id for r in partial} <= set(ids)
    assert res.summary["overall"]["SR"]["value"] == 1.0
    assert len(read_run(tmp_path / "run")["resumed_at"]) == 1
    # Resuming a finished run runs nothing and counts nothing twice.
    again = evaluate(cfg(tmp_path, dataset=dataset_dir, resume=True), log=lambda s: None)
    assert again.new_episodes == 0 and len(again.records) == 40


def test_resume_refuses_a_different_run(dataset_dir, tmp_path):
    evaluate(cfg(tmp_path, dataset=dataset_dir, episodes=5), log=lambda s: None)
    with pytest.raises(ResumeError, match="budget_delta: the run has 0, now 2"):
        evaluate(cfg(tmp_path, dataset=dataset_dir, episodes=5, budget_delta=2, resume=True), log=lambda s: None)
    with pytest.raises(ResumeError, match="agent: the run has 'oracle', now 'no-ask'"):
        evaluate(cfg(tmp_path, dataset=dataset_dir, episodes=5, agent="no-ask", resume=True), log=lambda s: None)
    with pytest.raises(ResumeError, match="split"):
        evaluate(cfg(tmp_path, dataset=dataset_dir, episodes=5, split="train", resume=True), log=lambda s: None)
    with pytest.raises(ResumeError, match="nothing to resume"):
        evaluate(cfg(tmp_path / "other", dataset=dataset_dir, resume=True), log=lambda s: None)


def test_an_episode_file_split_resumes_from_another_working_directory(dataset_dir, tmp_path, monkeypatch):
    """--split relative/file.jsonl is recorded as its absolute path: the run resumes from anywhere, and a run
    that recorded the relative path (before) still resumes from the directory it began in."""
    import gzip

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "val.jsonl").write_bytes(gzip.decompress((dataset_dir / "val_unseen_scenes.jsonl.gz")
                                                                  .read_bytes()))
    monkeypatch.chdir(tmp_path)
    evaluate(cfg(tmp_path, dataset=dataset_dir, split="data/val.jsonl", episodes=3), log=lambda s: None)
    assert read_run(tmp_path / "run")["split"] == str((tmp_path / "data" / "val.jsonl").resolve())
    monkeypatch.chdir(tmp_path / "data")
    again = evaluate(cfg(tmp_path, dataset=dataset_dir, split="val.jsonl", episodes=3, resume=True), log=lambda s: None)
    assert again.new_episodes == 0 and len(again.records) == 3
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    (tmp_path / "run" / "run.json").write_text(json.dumps({**run, "split": "data/val.jsonl"}))  # as before
    with pytest.raises(ResumeError, match="split: the run has 'data/val.jsonl'"):  # from elsewhere: unknown
        evaluate(cfg(tmp_path, dataset=dataset_dir, split="val.jsonl", episodes=3, resume=True), log=lambda s: None)
    monkeypatch.chdir(tmp_path)
    resumed = evaluate(cfg(tmp_path, dataset=dataset_dir, split="data/val.jsonl", episodes=3, resume=True),
                       log=lambda s: None)
    assert resumed.new_episodes == 0 and read_run(tmp_path / "run")["split"] == str(tmp_path.resolve() / "data" /
                                                                                   "val.jsonl")


def test_a_second_evaluation_into_a_folder_being_written_is_refused(dataset_dir, tmp_path):
    """Two `a2a eval` with the same --out at once used to interleave their records (and then both failed on
    duplicates, leaving a folder nothing could read). The folder's lock refuses the second one at once."""
    import fcntl
    import subprocess
    import sys

    (tmp_path / "run").mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a'); "
                               "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)",
                               str(tmp_path / "run" / ".lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"  # another process is writing the folder
        with pytest.raises(ResumeError, match="being written by another evaluation"):
            evaluate(cfg(tmp_path, dataset=dataset_dir, episodes=3), log=lambda s: None)
        assert not (tmp_path / "run" / "run.json").exists()  # refused before anything was written
    finally:
        holder.kill()
        holder.wait()
    evaluate(cfg(tmp_path, dataset=dataset_dir, episodes=3), log=lambda s: None)  # its death released the lock
    with open(tmp_path / "run" / ".lock", "a") as f:  # ... and so did the run's own end
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    evaluate(cfg(tmp_path, dataset=dataset_dir, episodes=3, resume=True), log=lambda s: None)


def test_resume_may_change_how_an_endpoint_is_reached_and_names_only_what_differs(tmp_path):
    from a2a.eval.run_dir import check_resumable

    opts = {"base_url": "http://127.0.0.1:8000/v1", "llm_model": "m", "llm_timeout": 1.0, "llm_concurrency": 4,
            "llm_retries": 3, "llm_cache": "default", "api_key_env": "K", "temperature": 0.0, "seed": 0}
    user = {"route": "llm", "base_url": "http://127.0.0.1:8000/v1", "model": "u"}
    run = {"agent": "wg-react", "options": opts, "split": "val_unseen_scenes", "user": user}
    moved = {"base_url": "http://127.0.0.1:9000/v1", "llm_timeout": 600.0, "llm_concurrency": 1, "llm_retries": 9,
             "llm_cache": "off", "api_key_env": "OTHER"}  # a server on another port, slower, another key
    check_resumable(run, {**run, "options": {**opts, **moved}, "user": {**user, "base_url": moved["base_url"]}},
                    tmp_path)
    with pytest.raises(ResumeError) as e:
        check_resumable(run, {**run, "options": {**opts, **moved, "temperature": 0.7},
                              "user": {**user, "model": "v"}}, tmp_path)
    said = str(e.value).splitlines()
    assert said[1:3] == ["  options.temperature: the run has 0.0, now 0.7", "  user.model: the run has 'u', now 'v'"]
    assert len(said) == 4  # only those two, not the whole option dicts


def test_resume_refuses_other_episodes_under_the_same_ids(dataset_dir, tmp_path):
    """A dataset regenerated (or another A2A_DATA_DIR) between the start and the resume has the same episode ids
    but other episodes: resuming would mix two datasets in one run."""
    import shutil

    from a2a.data import SPLITS, generate_dataset

    data = tmp_path / "data"
    shutil.copytree(dataset_dir, data)
    evaluate(cfg(tmp_path, dataset=data, episodes=5), log=lambda s: None)
    evaluate(cfg(tmp_path, dataset=data, episodes=5, resume=True), log=lambda s: None)  # the same episodes: fine
    shutil.rmtree(data)
    generate_dataset(data, {s: 40 for s in SPLITS}, seed=4, train_scenes=100, progress=False)
    with pytest.raises(ResumeError, match="episodes_sha256: the episodes differ"):
        evaluate(cfg(tmp_path, dataset=data, episodes=5, resume=True), log=lambda s: None)
    run = read_run(tmp_path / "run")
    del run["episodes_sha256"]  # a run written before the field existed: resumed as before
    (tmp_path / "run" / "run.json").write_text(json.dumps(run))
    evaluate(cfg(tmp_path, dataset=data, episodes=5, resume=True), log=lambda s: None)


def test_resume_rejects_corrupt_records(dataset_dir, tmp_path):
    evaluate(cfg(tmp_path, dataset=dataset_dir, episodes=5), log=lambda s: None)
    path = tmp_path / "run" / "episodes.jsonl"
    lines = path.read_text().splitlines()
    lines[1] = lines[1][:30]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(RecordError, match="line 2"):
        evaluate(cfg(tmp_path, dataset=dataset_dir, episodes=5, resume=True), log=lambda s: None)


def test_save_frames_of_the_first_episodes(dataset_dir, tmp_path):
    c = cfg(tmp_path, dataset=dataset_dir, episodes=6)
    c = EvalConfig(**{**c.__dict__, "runner": RunnerConfig(num_envs=3, save_frames=2)})
    res = evaluate(c, log=lambda s: None)
    assert read_run(res.run_dir)["frame_size_used"] == 128  # the oracle asks for none; frames need some
    saved = [r for r in res.records if r.frames]
    assert [r.episode_index for r in saved] == [0, 1]
    for r in saved:
        frames = load_frames(res.run_dir, r.frames)
        assert frames.shape == (r.length + 1, 128, 128, 3) and frames.dtype == np.uint8
        assert not np.array_equal(frames[0], frames[-1])  # the robot moved


def test_config_validation():
    with pytest.raises(ValueError, match="num_envs"):
        RunnerConfig(num_envs=0)
    with pytest.raises(ValueError, match="budget_delta"):
        RunnerConfig(budget_delta=-1)
    with pytest.raises(ValueError, match="save_frames needs rendering"):
        RunnerConfig(frame_size=0, save_frames=3)
    with pytest.raises(ValueError, match="episodes"):
        EvalConfig(agent="oracle", split="train", episodes=0)
    with pytest.raises(ValueError, match="resume"):
        EvalConfig(agent="oracle", split="train", resume=True)


def test_git_commit_is_the_commit_the_package_was_built_from(tmp_path):
    """run.json's git_commit: the installed package's BUILD_COMMIT (written by the build), never the commit of a
    repository that merely contains the files (a venv inside the user's own project)."""
    import re
    import shutil
    import subprocess

    import a2a
    from a2a.eval.run_dir import git_commit

    built = Path(a2a.__file__).parent / "BUILD_COMMIT"
    if built.is_file():  # an installed package: what its build recorded
        assert git_commit() == (None if built.read_text().strip() == "unknown" else built.read_text().strip())
    commit = git_commit()  # (an editable install reads the checkout's HEAD)
    assert commit is None or re.fullmatch(r"[0-9a-f]{40}(-dirty)?", commit)
    project = tmp_path / "project"  # someone's repository with a copy of the package inside (no BUILD_COMMIT)
    shutil.copytree(Path(a2a.__file__).parent / "eval", project / "site" / "a2a" / "eval")
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    subprocess.run(["git", "-C", str(project), "-c", "user.email=u@x", "-c", "user.name=u", "commit", "-q",
                    "--allow-empty", "-m", "theirs"], check=True)
    probe = "import sys; sys.path.insert(0, sys.argv[1]); import run_dir; print(run_dir.git_commit())"
    out = subprocess.run([sys.executable, "-c", probe, str(project / "site" / "a2a" / "eval")], capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == "None"
