"""Folders written in one piece: built in a hidden sibling and renamed into place, so that a failed or killed
write leaves nothing a later run could take for a finished one (or that blocks the retry)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def require_new_folder(out: Path) -> None:
    """Raises FileExistsError unless `out` is missing or an empty folder (a finished folder is never overwritten)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out} exists and is not an empty directory (a2a never writes over one)")


@contextmanager
def built_aside(out: str | Path) -> Iterator[Path]:
    """Yields a fresh hidden sibling of `out` to fill, then renames it to `out`, which must be missing or an empty
    folder. The sibling is removed when filling it fails, and before it is made (a killed write's leftovers).
    Needs write access to `out`'s parent."""
    out = Path(out)
    require_new_folder(out)
    tmp = out.parent / f".{out.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir(parents=True)
        yield tmp
        os.replace(tmp, out)  # onto a missing or empty folder
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
