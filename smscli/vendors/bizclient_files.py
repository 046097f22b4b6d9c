"""Files the BIZCLIENT agent reads from its FILE_PATH: MMS images (checked JPEGs) and
Kakao button files, written so the agent never sees half of one."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from smscli.errors import ConfigError, UsageError

NAME = "bizclient"
MAX_IMAGE = 60 * 1024  # the manual: MMS image ≤ 60 kB JPEG


def check_jpeg(path: Path) -> bytes:
    """The bytes of a JPEG (checked by content) within 60 kB; UsageError (exit 2) otherwise."""
    from smscli.images import check_jpegs

    check_jpegs([path], max_files=1, max_bytes=MAX_IMAGE, vendor=NAME)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read image {path}: {exc.strerror or exc}") from None


def write_atomic(directory: Path, name: str, data: bytes) -> None:
    """Write ``directory/name`` so the agent never sees half a file: a hidden temp name
    in the same directory, fsync, then rename. An identical file already there is kept."""
    target = directory / name
    where = f"file_path {directory}"
    if not directory.is_dir():
        what = "is not a directory" if directory.exists() else "does not exist"
        raise ConfigError(f"{where} {what}", hint="set file_path to the agent's FILE_PATH directory")
    try:
        if target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data:
            return
    except OSError:
        pass
    import tempfile

    from smscli import disk

    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    except OSError as exc:
        if disk.full(exc, directory):
            raise disk.full_error(f"{name} into {where}", directory) from None
        raise ConfigError(f"{where} is not writable: {exc.strerror or exc}",
                          hint="give this user write access to the agent's FILE_PATH") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # the agent may run as another user
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if disk.full(exc, directory):
            raise disk.full_error(f"{name} into {where}", directory) from None
        raise ConfigError(f"cannot write {name} into {where}: {exc.strerror or exc}") from None
