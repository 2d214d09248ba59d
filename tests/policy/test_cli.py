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
