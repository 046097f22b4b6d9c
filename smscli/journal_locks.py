"""The per-profile send lock on one host (``fcntl.flock`` on a file in the data dir) and
the lock-file helpers the owners' liveness test uses. The shared journal on PostgreSQL
uses an advisory lock instead (:mod:`smscli.journal_pg`)."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TextIO

from smscli.errors import SmscliError


class LockTimeout(SmscliError):
    """Another process kept the profile's send lock longer than the timeout."""


_SAFE_NAME = r"[^A-Za-z0-9_.-]"  # compiled on first use (re's cache), not at import


def _lock_name(profile: str) -> str:
    safe = re.sub(_SAFE_NAME, "_", profile) or "_"
    if safe != profile or safe.startswith("."):
        import hashlib

        safe = f"{safe.lstrip('.')[:40]}-{hashlib.sha256(profile.encode()).hexdigest()[:12]}"
    return f"{safe}.lock"


@contextmanager
def send_lock(
    data_dir: str | os.PathLike[str],
    profile: str,
    *,
    timeout: float | None = None,
    poll_interval: float = 0.05,
    stderr: TextIO | None = None,
) -> Iterator[None]:
    """Hold an exclusive lock on ``<data_dir>/locks/<profile>.lock`` (``fcntl.flock``).

    If another process holds it, say once on stderr ``smscli: waiting for another smscli
    process sending on profile X (pid N)...`` and wait; with ``timeout`` (seconds) raise
    :class:`LockTimeout` when it is not free in time. The lock is released on exit, and
    by the OS if the process dies.
    """
    import fcntl

    lock_dir = Path(data_dir) / "locks"
    path = lock_dir / _lock_name(profile)
    try:
        lock_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise _lock_error(path, exc) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            who = f" (pid {holder})" if holder else ""
            out = stderr or sys.stderr
            out.write(
                f"smscli: waiting for another smscli process sending on profile {profile}{who}...\n"
            )
            out.flush()
            if timeout is None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            else:
                deadline = time.monotonic() + timeout
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        left = deadline - time.monotonic()
                        if left <= 0:
                            raise LockTimeout(
                                f"another smscli process{who} is still sending on profile "
                                f"{profile} after {timeout:g} s",
                                hint="wait for it to finish, or raise the timeout",
                            ) from None
                        time.sleep(min(poll_interval, left))
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as exc:  # a full disk (the pid needs a block): nothing was sent yet
            raise _lock_error(path, exc) from None
        try:
            yield
        finally:
            with suppress(OSError):
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock


def _lock_error(path: Path, exc: OSError) -> SmscliError:
    """A lock file that cannot be created or written: a full disk said as such."""
    from smscli import disk
    from smscli.journal_base import JournalError

    if disk.full(exc, path.parent):
        return disk.full_error(f"the lock file {path}", path.parent, JournalError)
    return JournalError(f"cannot create the lock file {path}: {exc.strerror or exc}",
                        hint="check the data dir's permissions")


def _lock_held(path: Path) -> bool:
    """Whether some process holds an flock on ``path`` (False when there is no file)."""
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # also drops the shared lock we may have got
    return False


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
