"""Low-level file helpers of the journal's files: lock files and ``flock`` with a
timeout, file sizes, the SQLite header's WAL flag, fsyncing a directory."""

from __future__ import annotations

import os
import time
from pathlib import Path


def open_lock(path: Path) -> int | None:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        try:
            return os.open(path, os.O_RDONLY)  # flock works on a read-only descriptor
        except OSError:
            return None


def flock_within(fd: int, *, exclusive: bool, timeout: float) -> bool:
    import fcntl

    op = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        try:
            fcntl.flock(fd, op)
            return True
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.05)


def file_size(path: Path) -> int | None:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return None
    except OSError:
        return 0  # there, but not stat-able: treat as present


def header_says_wal(path: Path) -> bool:
    """Whether journal.db's header is an SQLite header in WAL mode (bytes 18, 19 = 2)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(20)
    except OSError:
        return False
    return len(head) == 20 and head.startswith(b"SQLite format 3\0") and head[18] == 2


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a directory
    finally:
        os.close(fd)
