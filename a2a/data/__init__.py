"""Episode datasets: versioned jsonl.gz files, the generator, and the built-in default dataset."""

from .dataset import (
    DEFAULT_COUNTS,
    DEFAULT_TASKS,
    PRESETS,
    SPLITS,
    TASK_MIXES,
    DatasetInfo,
    ManifestError,
    default_dataset_dir,
    ensure_default_dataset,
    generate_dataset,
    load_split,
)
from .episodes import EpisodeFileError, load_episodes, save_episodes

__all__ = [
    "DEFAULT_COUNTS",
    "DEFAULT_TASKS",
    "PRESETS",
    "SPLITS",
    "TASK_MIXES",
    "DatasetInfo",
    "EpisodeFileError",
    "ManifestError",
    "default_dataset_dir",
    "ensure_default_dataset",
    "generate_dataset",
    "load_episodes",
    "load_split",
    "save_episodes",
]
