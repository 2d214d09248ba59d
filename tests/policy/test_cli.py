"""`a2a model init-tiny DIR` and `a2a model info DIR` through the CLI entry point."""

from __future__ import annotations

import json

from a2a.cli.main import main


def test_init_tiny_then_info(tmp_path, capsys):
    out = tmp_path / "tiny"
    assert main(["model", "init-tiny", str(out), "--image-size", "64", "--hidden", "32", "--layers", "1",
                 "--vision-hidden", "32", "--vision-layers", "1", "--vocab-size", "600", "--scenes", "2"]) == 0
    for f in ("config.json", "model.safetensors", "tokenizer.json", "preprocessor_config.json", "chat_template.jinja"):
        assert (out / f).is_file(), f
    capsys.readouterr()
    assert main(["model", "info", str(out), "--load", "--json", "--compression", "pool"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["model"]["model_type"] == "llava_onevision"
    assert info["model"]["patch_grid"] == 4 and info["model"]["tokens_per_frame_llava_ov_video"] == 4
    assert info["tiny_spec"]["image_size"] == 64
    pol = info["policy"]
    assert pol["compression"] == "pool" and pol["tokens_per_frame"] == 4 and pol["attn_implementation"] == "sdpa"
    assert pol["parameters"]["trainable"] > 0


def test_info_on_a_saved_policy(tiny_dir, tmp_path, capsys):
    from policy_helpers import make_policy

    make_policy(tiny_dir).save_trainable(tmp_path / "trained")
    capsys.readouterr()
    assert main(["model", "info", str(tmp_path / "trained"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["saved_policy"]["base_model"] == tiny_dir
    assert info["model"]["text"]["model_type"] == "qwen2"


def test_model_paths_that_hold_no_model_fail_in_one_line(tmp_path, capsys, monkeypatch):
    """A path that does not exist, an empty directory, a file: one line saying so, no traceback, nothing
    downloaded (a bare name counts as a path), and `a2a train` leaves no run directory behind."""
    import socket

    def no_network(*a, **k):  # pragma: no cover - reaching it is the failure
        raise AssertionError("tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    (tmp_path / "empty").mkdir()
    (tmp_path / "file").write_text("x")
    (tmp_path / "no-weights").mkdir()
    (tmp_path / "no-weights" / "config.json").write_text("{}")
    cases = {str(tmp_path / "runs" / "nope" / "policy"): "no such directory", "mypolicy": "no such directory",
             str(tmp_path / "empty"): "holds no model", str(tmp_path / "file"): "not a directory",
             str(tmp_path / "no-weights"): "a checkpoint without weights (config.json but no model.safetensors",
             "someone/not-cached-model": "not in the local Hugging Face cache"}
    for path, says in cases.items():
        assert main(["eval", "--agent", "mllm", "--model", path, "--split", "val_unseen_scenes", "--episodes", "1",
                     "--out", str(tmp_path / "ev")]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("a2a eval: error: ") and says in err and "\n" not in err, err
        run_dir = tmp_path / "train-run"
        assert main(["train", "--model", path, "--run-dir", str(run_dir)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("a2a train: error: ") and says in err and "\n" not in err, err
        assert not run_dir.exists()


def test_info_load_of_a_folder_without_weights_is_one_line(tiny_dir, tmp_path, capsys):
    """`a2a model info --load`: a checkpoint's config without its weights, a saved policy without its trained
    weights or without its base: one line (was a traceback from transformers)."""
    import shutil

    from policy_helpers import make_policy

    (tmp_path / "ckpt").mkdir()
    shutil.copy(f"{tiny_dir}/config.json", tmp_path / "ckpt")
    make_policy(tiny_dir).save_trainable(tmp_path / "trained")
    shutil.copytree(tmp_path / "trained", tmp_path / "no-trained")
    (tmp_path / "no-trained" / "trainable.safetensors").unlink()
    meta = json.loads((tmp_path / "trained" / "a2a_policy.json").read_text())
    (tmp_path / "trained" / "a2a_policy.json").write_text(json.dumps({**meta, "base_model": "base"}))
    cases = {"ckpt": "ckpt: a checkpoint without weights (config.json but no model.safetensors",
             "no-trained": "no-trained: a saved policy without its weights (no trainable.safetensors)",
             "trained": "trained: its base checkpoint is missing: base: no such directory"}
    capsys.readouterr()
    for name, says in cases.items():
        assert main(["model", "info", str(tmp_path / name), "--load"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("a2a model: error: ") and says in err and err.count("\n") == 1, err
