"""Folders written in one piece (a2a/policy/folders.py), as init-tiny, export and a run's base model use them."""

import pytest

from a2a.policy.folders import built_aside
from a2a.policy.tiny import TinySpec, init_tiny


def test_a_failed_fill_leaves_nothing_and_the_retry_succeeds(tmp_path):
    out = tmp_path / "ckpt"
    with pytest.raises(RuntimeError, match="killed"):
        with built_aside(out) as tmp:
            (tmp / "config.json").write_text("{}")
            raise RuntimeError("killed midway")
    assert list(tmp_path.iterdir()) == []  # neither the target nor the hidden sibling
    (tmp_path / ".ckpt.tmp").mkdir()  # what a kill -9 leaves: removed by the next write
    (tmp_path / ".ckpt.tmp" / "half").write_text("x")
    with built_aside(out) as tmp:
        (tmp / "config.json").write_text("{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"] and (out / "config.json").is_file()


def test_only_a_missing_or_empty_target_is_written(tmp_path):
    (tmp_path / "empty").mkdir()
    with built_aside(tmp_path / "empty") as tmp:
        (tmp / "a").write_text("a")
    assert (tmp_path / "empty" / "a").read_text() == "a"
    with pytest.raises(FileExistsError, match="not an empty directory"):
        with built_aside(tmp_path / "empty"):
            pass
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError):
        with built_aside(tmp_path / "file"):
            pass


def test_init_tiny_killed_midway_does_not_block_the_retry(tmp_path, monkeypatch):
    import a2a.policy.tiny as tiny

    spec = TinySpec(image_size=32, patch_size=16, hidden=32, layers=1, heads=2, kv_heads=1, intermediate=64,
                    vision_hidden=16, vision_layers=1, vision_heads=2, scenes=2)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(tiny, "save_image_processor", killed)  # after the weights and tokenizer are written
    with pytest.raises(KeyboardInterrupt):
        init_tiny(tmp_path / "tiny", spec)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    out = init_tiny(tmp_path / "tiny", spec)
    assert (out / "config.json").is_file() and (out / tiny.TINY_FILE).is_file()
