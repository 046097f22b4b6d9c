"""A full disk, said as such: which file could not be written, and where space ran out.

Writes fail with ``ENOSPC`` (or ``EDQUOT``, a quota) from the OS; SQLite reports
"database or disk is full", or only "disk I/O error" when it could not grow its
shared-memory index (``journal.db-shm``). :func:`full` tells them apart from other
failures; :func:`full_error` is the one line for the user (exit 3, a configuration
problem of this machine: nothing smscli can retry).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import TypeVar

from smscli.errors import ConfigError, SmscliError

FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
E = TypeVar("E", bound=SmscliError)
LOW_SPACE = 1024 * 1024  # bytes free below which a vague I/O error is taken for a full disk


def full(exc: BaseException | None = None, where: str | os.PathLike[str] | None = None) -> bool:
    """Whether ``exc`` is a full disk (ENOSPC, EDQUOT, SQLite's "disk is full"), or, for a
    vague I/O error (or none given), whether the file system holding ``where`` has (almost)
    no space or no inodes left."""
    if isinstance(exc, OSError) and exc.errno in FULL_ERRNOS:
        return True
    text = str(exc or "").lower()
    if "disk is full" in text or "no space left" in text or "quota exceeded" in text:
        return True
    vague = exc is None or "disk i/o error" in text or (isinstance(exc, OSError) and exc.errno == errno.EIO)
    return vague and where is not None and low_space(where)


def low_space(where: str | os.PathLike[str]) -> bool:
    """The file system holding ``where`` (or its nearest existing parent) is out of space or inodes."""
    path = Path(where)
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        st = os.statvfs(path)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < LOW_SPACE or (st.f_files > 0 and st.f_favail == 0)


def full_error(what: str, where: str | os.PathLike[str], error_type: type[E] = ConfigError,  # type: ignore[assignment]
               hint: str | None = None) -> E:
    """``cannot write WHAT: the disk holding DIR is full``; ``error_type`` exits 3 (a
    ConfigError, or the journal's JournalError)."""
    place = Path(where)
    folder = place if place.is_dir() else place.parent
    return error_type(f"cannot write {what}: the disk holding {folder} is full",
                      hint=hint or f"free some space there (`df -h {folder}`) and run the command again")
