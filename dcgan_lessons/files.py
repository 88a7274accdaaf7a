"""Writing files so that a reader never sees half of one: a temporary name beside the target, renamed
into place in one step. Used for run folders, figures, the judge's cache and teachers' CSV files.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix, so savers that check it are happy);
    on success rename it onto ``path`` in one step, on failure remove it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    tmp = Path(tmp)
    os.chmod(tmp, 0o644)  # mkstemp makes 0600; a run folder is meant to be shared
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json(path: str | os.PathLike, data) -> None:
    """Write ``data`` as indented, strict JSON (no NaN), atomically."""
    text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def describe_os_error(err: OSError) -> str:
    """One line for a failed read or write: the file, what went wrong, and what to do."""
    where = err.filename or "a file"
    if err.errno == errno.ENOSPC:
        return f"no space left on the device while writing {where}; free some space and run the command again."
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"permission denied for {where}; choose a folder you can write to, or fix its permissions."
    if err.errno == errno.EISDIR:
        return f"{where} is a folder; give a file name."
    if err.errno == errno.ENOTDIR:
        return f"{where}: a part of this path is a file, not a folder; choose another path."
    return f"{where}: {err.strerror or err}."


def write_npz(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    """Write compressed arrays, atomically."""
    with atomic_path(path) as tmp:
        np.savez_compressed(tmp, **arrays)


def write_with(path: str | os.PathLike, save: Callable[[str], object]) -> None:
    """Atomically write a file through a saver that takes a path (``model.save``, ``Image.save``)."""
    with atomic_path(path) as tmp:
        save(str(tmp))
