"""`a2a generate` and `a2a render` end to end."""

from PIL import Image

from a2a.cli.main import main


def test_generate_and_render(tmp_path, capsys):
    out = tmp_path / "ds"
    assert main(["generate", str(out), "--train", "20", "--val-unseen-scenes", "5", "--val-unseen-tasks", "5",
                 "--test-unseen-scenes", "0", "--test-unseen-tasks", "0"]) == 0
    assert (out / "train.jsonl.gz").exists() and (out / "manifest.json").exists()
    frames = tmp_path / "frames"
    assert main(["render", str(frames), "--dataset", str(out), "--episode", "2", "--size", "64", "--marks"]) == 0
    text = (frames / "index.txt").read_text()
    assert "success" in text.splitlines()[-1]  # the privileged script finishes the task
    pngs = sorted(frames.glob("*.png"))
    assert len(pngs) >= 5
    img = Image.open(pngs[0])
    assert img.size == (64, 64)
    assert "frames written" in capsys.readouterr().out
    # rendering a shorter episode into the same folder leaves only its own frames (and the user's files)
    (frames / "notes.txt").write_text("mine\n")
    (frames / "999.png").write_bytes(b"mine")  # not in the earlier index.txt: kept
    assert main(["render", str(frames), "--dataset", str(out), "--episode", "2", "--size", "64",
                 "--actions", "ask(where is it?)"]) == 0
    assert sorted(p.name for p in frames.iterdir()) == ["000_start.png", "001.png", "999.png", "index.txt", "notes.txt"]
