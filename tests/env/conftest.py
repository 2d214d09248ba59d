import pytest

from a2a import _core


@pytest.fixture(scope="session")
def train_episodes():
    """A small generated train split (no files involved)."""
    return _core.EpisodeSet.generate("train", 60, seed=3)


@pytest.fixture(scope="session")
def tasks_episodes():
    return _core.EpisodeSet.generate("val_unseen_tasks", 20, seed=3)


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    """An isolated default-dataset location."""
    d = tmp_path / "data"
    monkeypatch.setenv("A2A_DATA_DIR", str(d))
    return d
