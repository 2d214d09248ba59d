"""Every `a2a` subcommand reports a user's mistake the same way: one line `a2a <command>: error: ...`
on stderr, exit status 2, no traceback (a2a.cli.errors.UserError, caught in a2a.cli.main)."""

from __future__ import annotations

import pytest

from a2a.cli.errors import UserError
from a2a.cli.main import main

# (command line, what the one line must say); {tmp} is a fresh temporary directory
MISTAKES = [
    (["render", "{tmp}/frames", "--split", "val_unseen"], "unknown split 'val_unseen'"),
    (["render", "{tmp}/frames", "--episode", "99999"], "--episode must be in [0, 40) for split 'train', got 99999"),
    (["render", "{tmp}/frames", "--size", "10"], "--size must be in [64, 512], got 10"),
    (["render", "{tmp}/frames", "--split", "{tmp}/missing.jsonl"], "missing.jsonl"),
    (["eval", "--agent", "oracle", "--split", "val_unseen"], "unknown split 'val_unseen'"),
    (["eval", "--agent", "oracle"], "--split is required"),
    (["report", "{tmp}/nope"], "not an evaluation run directory"),
    (["view", "{tmp}/nope"], "not an evaluation run directory"),
    (["generate", "{tmp}/ds", "--train", "-1"], "--train must be an integer in [0, 2147483647], got -1"),
    # the core takes C ints: a bigger count is refused by flag, not by pybind's dump of the signature
    (["generate", "{tmp}/ds", "--train", "3000000000"],
     "--train must be an integer in [0, 2147483647], got 3000000000"),
    (["generate", "{tmp}/ds", "--train-scenes", "3000000000"], "--train-scenes must be an integer in [1, 2147483647]"),
    (["generate", "{tmp}/ds", "--eval-scenes", "3000000000"], "--eval-scenes must be an integer in [1, 2147483647]"),
    # (the episode reader takes at most 100000 steps: more would write a dataset nobody can read back)
    (["generate", "{tmp}/ds", "--max-steps", "3000000000"],
     "--max-steps must be an integer in [1, 100000], got 3000000000"),
    (["generate", "{tmp}/ds", "--max-steps", "100001"], "--max-steps must be an integer in [1, 100000], got 100001"),
    (["eval", "--agent", "oracle", "--split", "val_unseen_scenes", "--budget-delta", "3000000000", "--out",
      "{tmp}/run"],
     "--budget-delta must be an integer in [0, 2147483647], got 3000000000"),
    (["eval", "--agent", "oracle", "--split", "val_unseen_scenes", "--num-threads", "3000000000", "--out",
      "{tmp}/run"],
     "--num-threads must be an integer in [0, 2147483647], got 3000000000"),
    (["eval", "--agent", "oracle", "--split", "val_unseen_scenes", "--episodes", "0"], "--episodes must be >= 1, got 0"),
    (["eval", "--agent", "oracle", "--split", "val_unseen_scenes", "--bootstrap", "3000000000", "--out", "{tmp}/run"],
     "bootstrap must be in [0, 1000000] (samples for the 95% intervals), got 3000000000"),
    (["model", "info", "{tmp}/nope"], "not a checkpoint"),
    (["train", "--split", "val_unseen", "--run-dir", "{tmp}/run"], "unknown split 'val_unseen'"),
    (["train", "--eval-split", "test_unseen", "--run-dir", "{tmp}/run"], "unknown split 'test_unseen'"),
    (["train", "--sft-dagger", "1.5", "--run-dir", "{tmp}/run"], "sft_dagger must be in [0, 1], got 1.5"),
    (["generate", "{tmp}/ds", "--train", "2", "--seed", "-1"], "seed must be an integer in [0, 4294967295], got -1"),
    (["eval", "--agent", "random", "--split", "val_unseen_scenes", "--seed", "99999999999999999999999"],
     "seed must be an integer in [0, 4294967295], got 99999999999999999999999"),
    (["train", "--seed", "-1", "--run-dir", "{tmp}/run"], "seed must be an integer in [0, 4294967295], got -1"),
    (["train", "--sft-expert", "nosuch", "--run-dir", "{tmp}/run"], "--sft-expert 'nosuch': unknown agent"),
    (["model", "pretrain-tiny", "{tmp}/p", "--updates", "-1"], "--updates must be an integer >= 1, got -1"),
    (["model", "pretrain-tiny", "{tmp}/p", "--lr", "0"], "--lr must be > 0, got 0.0"),
    (["train", "--sft-expert", "mllm", "--run-dir", "{tmp}/run"], "--sft-expert 'mllm': that agent needs options"),
    (["model", "pretrain-tiny", "{tmp}/p", "--expert", "wg-react"],
     "--expert 'wg-react': that agent needs options of its own (a model or an endpoint); the expert is built "
     "without options, so it is one of: greedy-explore, look-then-ask, no-ask, oracle, random"),
    (["model", "pretrain-tiny", "{tmp}/p", "--eval-episodes", "0"], "--eval-episodes must be an integer >= 1"),
    (["model", "init-tiny", "{tmp}/t", "--layers", "0"], "layers 0: must be >= 1"),
    (["view", "{tmp}/nope", "--size", "5"], "--size must be in [16, 1024] (the viewer shows frames), got 5"),
    (["model", "init-tiny", "{tmp}/t", "--heads", "3"], "hidden sizes must divide by the head counts"),
    (["train", "--sft-expert", "oracle", "--sft-dagger", "0.5", "--run-dir", "{tmp}/run"],
     "oracle does on no episodes, and the training split holds 40 others"),
    (["train", "--judge", "llm", "--run-dir", "{tmp}/run"],
     "judge='llm' needs an OpenAI-compatible endpoint: --base-url and --llm-model"),
    (["train", "--judge", "llm", "--base-url", "http://127.0.0.1:99999/v1", "--llm-model", "m", "--run-dir",
      "{tmp}/run"], "base_url has a bad port (not in 1..65535): 'http://127.0.0.1:99999/v1'"),
    (["train", "--user", "llm", "--base-url", "http://127.0.0.1:99999/v1", "--llm-model", "m", "--run-dir",
      "{tmp}/run"], "base_url has a bad port (not in 1..65535): 'http://127.0.0.1:99999/v1'"),
    (["eval", "--agent", "wg-react", "--split", "val_unseen_scenes", "--base-url", "http://127.0.0.1:99999/v1",
      "--llm-model", "m", "--out", "{tmp}/run"], "base_url has a bad port (not in 1..65535)"),
    (["eval", "--agent", "oracle", "--split", "val_unseen_scenes", "--user", "llm", "--base-url",
      "http://127.0.0.1:99999/v1", "--llm-model", "m", "--out", "{tmp}/run"], "base_url has a bad port"),
    (["eval", "--agent", "wg-react", "--split", "val_unseen_scenes", "--shots", "100000", "--base-url",
      "http://127.0.0.1:9/v1", "--llm-model", "m", "--out", "{tmp}/run"], "shots must be at most 12, got 100000"),
]


@pytest.mark.parametrize("argv, says", MISTAKES, ids=[" ".join(a[:3]) for a, _ in MISTAKES])
def test_a_mistake_is_one_line_with_the_command_prefix(argv, says, dataset_dir, tmp_path, capsys):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip() and "%|" not in line]  # not progress bars
    assert len(lines) == 1, err
    assert lines[0].startswith(f"a2a {argv[0]}: error: "), err
    assert says in lines[0]
    assert "Traceback" not in err


@pytest.mark.parametrize("flag, value", [("--train", "-5"), ("--max-steps", "0"), ("--train-scenes", "0"),
                                         ("--train", "3000000000"), ("--max-steps", "3000000000")])
def test_generate_with_a_bad_number_writes_nothing(flag, value, tmp_path, capsys):
    assert main(["generate", str(tmp_path / "ds"), flag, value]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert not (tmp_path / "ds").exists()


def test_train_with_a_bad_split_leaves_no_run_directory(dataset_dir, tmp_path, capsys):
    assert main(["train", "--split", "val_unseen", "--run-dir", str(tmp_path / "run")]) == 2
    assert not (tmp_path / "run").exists()


_MASTER = {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"}


@pytest.mark.parametrize("env, says", [
    ({"LOCAL_WORLD_SIZE": "abc"}, "LOCAL_WORLD_SIZE='abc' in the environment must be an integer >= 1"),
    ({"WORLD_SIZE": "0"}, "WORLD_SIZE='0' in the environment must be an integer >= 1"),
    ({"WORLD_SIZE": "2"}, "WORLD_SIZE=2 in the environment but RANK, MASTER_ADDR, MASTER_PORT not set"),
    ({"WORLD_SIZE": "2", "RANK": "0"}, "WORLD_SIZE=2 in the environment but MASTER_ADDR, MASTER_PORT not set"),
    ({"WORLD_SIZE": "2", "RANK": "2", **_MASTER}, "RANK=2 in the environment must be below WORLD_SIZE=2"),
    ({"WORLD_SIZE": "2", "RANK": "1", "LOCAL_RANK": "2", "LOCAL_WORLD_SIZE": "2", **_MASTER},
     "LOCAL_RANK=2, LOCAL_WORLD_SIZE=2 and WORLD_SIZE=2 in the environment do not fit"),
])
def test_train_with_a_malformed_launcher_environment_is_one_line(env, says, dataset_dir, tmp_path, monkeypatch,
                                                                 capsys):
    """torchrun's variables, set by hand or by another launcher, are checked before anything is built."""
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["train", "--run-dir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("a2a train: error: ") and says in err and err.count("\n") == 1, err
    assert not (tmp_path / "run").exists()


def test_render_help_says_which_split_is_the_default(capsys):
    with pytest.raises(SystemExit):
        main(["render", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: train)" in text and "val_unseen_scenes" in text


def test_only_user_errors_become_one_line(monkeypatch, capsys):
    """A bug still shows its traceback: main catches UserError, not everything."""
    import a2a.cli.render_cmd as render_cmd

    def broken(args):
        raise KeyError("a bug")

    monkeypatch.setattr(render_cmd, "run", broken)
    with pytest.raises(KeyError):
        main(["render", "out"])

    def mistaken(args):
        raise UserError("what went wrong")

    monkeypatch.setattr(render_cmd, "run", mistaken)
    assert main(["render", "out"]) == 2
    assert capsys.readouterr().err == "a2a render: error: what went wrong\n"


def test_output_piped_into_head_ends_without_a_traceback(dataset_dir, tmp_path):
    import subprocess
    import sys

    script = f"from a2a.cli.main import main; raise SystemExit(main(['render', {str(tmp_path / 'f')!r}, '--size', '64']))"
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    proc.stdout.close()  # the reader has gone before anything is printed, as `| head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141 and "BrokenPipeError" not in err, err


def test_commands_print_no_third_party_chatter(dataset_dir, tmp_path):
    """`a2a eval` of the shipped policy in a fresh process: the output is a2a's table, without the
    weight-loading bar of transformers (a2a.cli.quiet; the shipped policy is not quantized, so bitsandbytes'
    kernel-hub notice does not arise here)."""
    import subprocess
    import sys

    from a2a.policy.pretrained import shipped_tiny

    r = subprocess.run([sys.executable, "-m", "a2a.cli.main", "eval", "--agent", "mllm", "--model", str(shipped_tiny()),
                        "--split", "val_unseen_scenes", "--episodes", "2", "--num-envs", "2", "--no-progress",
                        "--dataset", str(dataset_dir), "--out", str(tmp_path / "run")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "overall" in r.stdout
    for chatter in ("Loading weights", "Warning"):  # transformers' weight-loading bar; library warnings
        assert chatter not in r.stdout + r.stderr, r.stderr[-2000:]


@pytest.mark.parametrize("argv, says", [
    (["eval", "--agent", "oracle", "--split", "val_unseen_scenes", "--episodes", "2", "--out", "{file}"], "{file}"),
    (["render", "{file}"], "{file}"),
    (["train", "--run-dir", "{file}"], "exists and is not a directory"),
    (["generate", "{file}", "--train", "3"], "the output folder is a file"),
    (["model", "init-tiny", "{file}"], "exists and is not an empty directory"),
], ids=["eval --out", "render", "train --run-dir", "generate", "model init-tiny"])
def test_an_output_folder_that_is_a_file_is_one_line(argv, says, dataset_dir, tmp_path, capsys, monkeypatch):
    import a2a.data.dataset as dataset_mod

    class NoGeneration:  # generate must refuse before its first split
        @staticmethod
        def generate(*args, **kwargs):
            raise AssertionError("generated episodes for an output path that is a file")

    monkeypatch.setattr(dataset_mod, "EpisodeSet", NoGeneration)
    path = tmp_path / "afile"
    path.write_text("mine\n")
    argv = [a.replace("{file}", str(path)) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip() and "%|" not in line]
    assert len(lines) == 1 and lines[0].startswith(f"a2a {argv[0]}: error: "), err
    assert says.replace("{file}", str(path)) in lines[0] and "Traceback" not in err
    assert path.read_text() == "mine\n"


def test_train_refuses_a_folder_that_is_not_a_run(dataset_dir, tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "manifest.json").write_text("{}\n")
    assert main(["train", "--run-dir", str(data)]) == 2
    err = capsys.readouterr().err
    assert "holds files a training run does not write (manifest.json)" in err and "Traceback" not in err
    assert sorted(p.name for p in data.iterdir()) == ["manifest.json"]


def test_a_source_tree_without_the_core_says_why(tmp_path):
    """Python started in a clone imports its source tree, which has no compiled core: one clear line."""
    import os
    import shutil
    import subprocess
    import sys

    import a2a

    tree = tmp_path / "clone"
    (tree / "a2a").mkdir(parents=True)
    shutil.copy(a2a.__file__, tree / "a2a" / "__init__.py")
    (tree / "pyproject.toml").write_text("[project]\nname = 'a2a'\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSAFEPATH"}
    out = subprocess.run([sys.executable, "-c", "from a2a import _core"], cwd=tree, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode != 0
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: a2a's compiled core (a2a._core) is not built in "), out.stderr
    assert "run Python outside the repository" in last
    assert ("PYTHONSAFEPATH=1" in last) == (sys.version_info >= (3, 11))


@pytest.mark.parametrize("argv", [["model", "info", "{path}"],
                                  ["eval", "--agent", "mllm", "--model", "{path}", "--split", "val_unseen_scenes"]])
@pytest.mark.parametrize("name", ["tiny", "tiny-recipe"])
def test_the_readme_path_of_a_shipped_policy_from_elsewhere_names_it(argv, name, dataset_dir, tmp_path, monkeypatch,
                                                                      capsys):
    from a2a.policy.pretrained import SHIPPED_TINY, shipped_hint

    monkeypatch.chdir(tmp_path)  # not a clone: a2a/pretrained/<name> does not exist here
    assert main([a.replace("{path}", f"a2a/pretrained/{name}") for a in argv]) == 2
    err = capsys.readouterr().err
    assert f"the policy shipped with a2a is {SHIPPED_TINY.parent / name}" in err and err.count("\n") == 1, err
    assert shipped_hint(f"a2a/pretrained/{name}-nope") == ""  # no such shipped policy: no hint


def test_a_runs_folder_may_hold_the_users_files(dataset_dir, tmp_path, capsys):
    """The foreign-file check is for folders that hold no run: hidden temporary files (a kill during an atomic
    write) and the LLM caches belong to a run, and a run's own folder may gain a log of the user's."""
    from a2a.rl.trainer import foreign_entries

    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / ".metrics.jsonl.tmp").write_text("")
    (run / "llm_cache.sqlite-wal").write_text("")
    assert foreign_entries(run) == []
    (run / "train.log").write_text("")
    assert foreign_entries(run) == ["train.log"]
    (run / "metrics.jsonl").write_text('{"update": 1}\n')  # now it holds a run: the usual advice, not the refusal
    assert main(["train", "--run-dir", str(run)]) == 2
    err = capsys.readouterr().err
    assert "holds a run; pass --resume" in err and "does not write" not in err


@pytest.mark.parametrize("error, one_line", [
    (PermissionError(13, "Permission denied", "/x/out"), True),
    (OSError(28, "No space left on device", "/x/out/records.jsonl"), True),
    (OSError(30, "Read-only file system", "/x/out"), True),
    (OSError(5, "Input/output error", "/x/out"), False),  # not a user's mistake: the traceback stays
])
def test_an_output_the_machine_refuses_is_one_line(error, one_line, monkeypatch, capsys):
    import a2a.cli.render_cmd as render_cmd

    def refused(args):
        raise error

    monkeypatch.setattr(render_cmd, "run", refused)
    if not one_line:
        with pytest.raises(OSError):
            main(["render", "out"])
        return
    assert main(["render", "out"]) == 2
    err = capsys.readouterr().err
    assert err == f"a2a render: error: {error.strerror}: {error.filename}\n"


def test_a_second_training_run_into_the_same_folder_is_refused(dataset_dir, tmp_path, capsys):
    from a2a.eval.run_dir import run_lock

    run = tmp_path / "run"
    run.mkdir()
    with run_lock(run):  # what a training run still running holds
        assert main(["train", "--run-dir", str(run), "--minutes", "0.05"]) == 2
    err = capsys.readouterr().err
    assert "is being written by another training run that is still running (the same --run-dir)" in err
    assert "Traceback" not in err and sorted(p.name for p in run.iterdir()) == [".lock"]


@pytest.mark.parametrize("name, text, says", [
    ("config.json", "{garbage", "config.json: not valid JSON"),
    ("a2a_policy.json", "{garbage", "a2a_policy.json: not valid JSON"),
    ("a2a_policy.json", "[]", "a2a_policy.json: expected a JSON object, got list"),
])
def test_model_info_on_a_malformed_checkpoint_file_is_one_line(name, text, says, tmp_path, capsys):
    (tmp_path / name).write_text(text)
    assert main(["model", "info", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_resume_without_checkpoints_says_it_starts_over(dataset_dir, tmp_path, monkeypatch, capsys):
    import shutil

    import a2a.rl

    run = tmp_path / "run"
    assert main(["train", "--run-dir", str(run), "--updates", "1", "--sft-updates", "0", "--minutes", "none",
                 "--eval-episodes", "0", "--no-compare"]) == 0
    shutil.rmtree(run / "checkpoints")  # what a copied folder, or a full disk before the first checkpoint, leaves
    capsys.readouterr()
    started = []

    def train(cfg):  # stands in for the training itself: only what is said before it matters here
        started.append(cfg)
        raise SystemExit(0)

    monkeypatch.setattr(a2a.rl, "train", train)
    with pytest.raises(SystemExit):
        main(["train", "--run-dir", str(run), "--resume", "--eval-episodes", "0", "--no-compare"])
    assert started and f"no checkpoint in {run}: the run starts over from update 1" in capsys.readouterr().err
