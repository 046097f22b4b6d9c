"""Files the BIZCLIENT agent reads from its FILE_PATH: MMS images (checked JPEGs) and
Kakao button files, written so the agent never sees half of one."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path

from smscli.errors import ConfigError, UsageError

NAME = "bizclient"
MAX_IMAGE = 60 * 1024  # the manual: MMS image ≤ 60 kB JPEG
GROUP = 64  # files written, then fsynced together (bounded: each holds a descriptor)
SYNC_THREADS = 16


def check_jpeg(path: Path) -> bytes:
    """The bytes of a JPEG (checked by content) within 60 kB; UsageError (exit 2) otherwise."""
    from smscli.images import check_jpegs

    check_jpegs([path], max_files=1, max_bytes=MAX_IMAGE, vendor=NAME)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read image {path}: {exc.strerror or exc}") from None


def write_atomic(directory: Path, name: str, data: bytes) -> None:
    """Write ``directory/name`` so the agent never sees half a file (see :func:`write_many`)."""
    write_many(directory, {name: data})


def write_many(directory: Path, files: Mapping[str, bytes]) -> None:
    """Write each ``directory/name`` so the agent never sees half a file: a hidden temp
    name in the same directory, fsync, then rename. A group of files is fsynced at once
    (threads: one journal commit of the file system serves several); an identical file
    already there is kept."""
    where = f"file_path {directory}"
    if not directory.is_dir():
        what = "is not a directory" if directory.exists() else "does not exist"
        raise ConfigError(f"{where} {what}", hint="set file_path to the agent's FILE_PATH directory")
    wanted = [(name, data) for name, data in files.items() if not _same(directory / name, data)]
    for start in range(0, len(wanted), GROUP):
        _write_group(directory, wanted[start:start + GROUP], where)


def _same(target: Path, data: bytes) -> bool:
    try:
        return target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data
    except OSError:
        return False


def _write_group(directory: Path, group: list[tuple[str, bytes]], where: str) -> None:
    import tempfile

    from smscli import disk

    temps: list[tuple[int, str, str]] = []  # (fd, temp path, name), not yet renamed
    name = ""
    try:
        for name, data in group:
            try:
                fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
            except OSError as exc:
                if disk.full(exc, directory):
                    raise disk.full_error(f"{name} into {where}", directory) from None
                raise ConfigError(f"{where} is not writable: {exc.strerror or exc}",
                                  hint="give this user write access to the agent's FILE_PATH") from None
            temps.append((fd, tmp, name))
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fchmod(fd, 0o644)  # the agent may run as another user
        _fsync([fd for fd, _tmp, _name in temps])
        while temps:
            fd, tmp, name = temps[0]
            os.replace(tmp, directory / name)
            os.close(fd)
            temps.pop(0)
    except OSError as exc:
        if disk.full(exc, directory):
            raise disk.full_error(f"{name} into {where}", directory) from None
        raise ConfigError(f"cannot write {name} into {where}: {exc.strerror or exc}") from None
    finally:
        for fd, tmp, _name in temps:
            with contextlib.suppress(OSError):
                os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _fsync(fds: list[int]) -> None:
    if len(fds) == 1:
        os.fsync(fds[0])
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(SYNC_THREADS, len(fds))) as pool:
        for _ in pool.map(os.fsync, fds):  # re-raises the first error
            pass
