"""Reading and writing episode files (one JSON object per line, optionally gzip-compressed).

The record format is documented in docs/episodes.md and checked field by field by the C++ core
(which also recomputes K); a malformed file fails with its path, line and field named.
"""

from __future__ import annotations

import gzip
import os
import tempfile
import zlib
from pathlib import Path
from typing import TypeAlias

from .. import _core

EpisodeSet: TypeAlias = _core.EpisodeSet


class EpisodeFileError(ValueError):
    """A malformed or unreadable episode file; the message names the file, line and field."""


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise EpisodeFileError(f"{path}: cannot read: {e.strerror or e}") from e
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise EpisodeFileError(f"{path}: corrupt gzip data: {e}") from e
    return raw


def load_episodes(path: str | os.PathLike) -> EpisodeSet:
    """Loads and validates an episode file (.jsonl or .jsonl.gz)."""
    path = Path(path)
    data = _read_bytes(path)
    try:
        episodes = EpisodeSet.from_jsonl(data)
    except ValueError as e:  # _core.EpisodeFormatError: "line N: field: message"
        raise EpisodeFileError(f"{path}: {e}") from None
    if len(episodes) == 0:
        raise EpisodeFileError(f"{path}: no episodes")
    return episodes


def save_episodes(episodes: EpisodeSet, path: str | os.PathLike) -> Path:
    """Writes episodes atomically (gzip when the name ends in .gz); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = episodes.to_jsonl()
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=6, mtime=0)  # mtime=0: same episodes, same bytes
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; datasets are shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
