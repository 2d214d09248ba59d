"""Writing a training run's files so that a kill or a full disk never leaves them unusable.

`append_line` writes unbuffered (nothing is left in a buffer to be flushed later, half, by close);
`write_atomic` replaces a file whole; `RunWriteError` turns any failed write (a full disk, a quota,
permissions) into one line naming the path and what to do, instead of e.g. torch's
"[enforce fail at inline_container.cc] unexpected pos".
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}


class RunWriteError(OSError):
    """A run's file could not be written; the message names the path (one line, no traceback needed)."""

    def __str__(self) -> str:
        return self.strerror or super().__str__()


def _os_error_in(exc: BaseException) -> OSError | None:
    seen = 0
    e: BaseException | None = exc
    while e is not None and seen < 10:
        if isinstance(e, OSError) and e.errno is not None:
            return e
        e = e.__cause__ or e.__context__
        seen += 1
    return None


def _no_space_left(path: Path) -> bool:
    """Whether the file system holding `path` is full (for writers whose errors carry no errno)."""
    p = Path(path)
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        st = os.statvfs(p)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 64 * 1024 or (st.f_files > 0 and st.f_favail == 0)


RESUME = "continue the run with --resume"


def write_error(path: Path, exc: BaseException, then: str = RESUME) -> RunWriteError | None:
    """The RunWriteError for a failed write of `path`, or None when `exc` is not about storage (a bug
    to report as it is). Call it before freeing anything the write used: a full disk is then still full.
    `then`: what to do once the cause is fixed."""
    os_err = _os_error_in(exc)
    if os_err is not None:
        full = os_err.errno in _DISK_FULL
        what = "no space left on device" if full else (os_err.strerror or str(os_err))
        code = os_err.errno
    elif _no_space_left(path) or any(os.strerror(c) in str(exc) for c in _DISK_FULL):
        # writers that wrap the error without its errno: torch ("[enforce fail at inline_container.cc]
        # unexpected pos", after which the disk is still full), safetensors ("... No space left on device")
        what, code = "no space left on device", errno.ENOSPC
    else:
        return None
    err = RunWriteError(code, f"cannot write {path}: {what}; free space (or fix the cause) and {then}")
    err.filename = str(path)
    return err


def append_line(fh, path: Path, line: str) -> None:
    """Appends one line to `fh` (a file opened with open(path, "ab", buffering=0)) completely, or raises
    RunWriteError; a partial line may remain, which readers drop (it has no newline)."""
    data = line.encode("utf-8")
    try:
        view = memoryview(data)
        while view:
            n = fh.write(view)
            if not n:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            view = view[n:]
    except OSError as e:
        raise (write_error(path, e) or e) from e


def write_atomic(path: Path, data: bytes, then: str = RESUME) -> None:
    """Replaces `path` by `data` whole (temporary file, fsync, rename), or raises RunWriteError (saying `then`)
    and leaves `path` as it was."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        err = write_error(path, e, then) or e
        tmp.unlink(missing_ok=True)
        raise err from e
