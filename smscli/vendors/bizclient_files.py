"""Files the BIZCLIENT agent reads from its FILE_PATH: MMS images (checked JPEGs) and
Kakao button files, written so the agent never sees half of one.

:class:`FilesMixin` (mixed into :class:`smscli.vendors.bizclient.BizclientVendor`)
checks a send batch's images (and ma3 / k3g audio / video) and copies them into
FILE_PATH under a name derived from their content, with the batch's Kakao button files.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from smscli.errors import ConfigError, UsageError
from smscli.models import Message, SendResult
from smscli.vendors.bizclient_kakao import KakaoRow

NAME = "bizclient"
MAX_IMAGE = 60 * 1024  # the manual: MMS image ≤ 60 kB JPEG
GROUP = 64  # files written, then fsynced together (bounded: each holds a descriptor)
SYNC_THREADS = 16
MEDIA_SUFFIXES = (".ma3", ".k3g")  # MMS audio / video (the manual's §6)


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


class FilesMixin:
    """A send batch's images and Kakao files into FILE_PATH (see the module docstring)."""

    # -- images ----------------------------------------------------------------------------

    def _attach(self, batch: list[Message], rows: dict[str, dict[str, Any]], outcome: dict[int, SendResult]) -> None:
        """Check every image of the batch (UsageError: nothing of the batch is inserted),
        then copy them into file_path (ConfigError if it is not writable)."""
        wanted = [(m, rows[m.id]) for i, m in enumerate(batch)
                  if i not in outcome and m.type == "mms" and m.images]
        for message, _row in wanted:
            if len(message.images) > self.limits.max_images:
                raise UsageError(f"message {message.id} has {len(message.images)} images; "
                                 f"BIZCLIENT MMS takes at most {self.limits.max_images}")
            for path in message.images:
                self._image(path)
        for message, row in wanted:
            row["ATTACHED_FILE"] = "|".join(self._store(path) for path in message.images)

    def _attach_kakao(self, rows: dict[str, dict[str, Any]], kakao: dict[str, KakaoRow]) -> None:
        """Check the fallbacks' images, then write the batch's button files and images
        into file_path (before the rows naming them are inserted)."""
        for extra in kakao.values():
            for path in extra.images:
                self._image(str(path))
        files = {name: data for extra in kakao.values() for name, data in extra.files.items()}
        # Written before by this vendor: again only if the agent removed it meanwhile.
        fresh = {name: data for name, data in files.items()
                 if name not in self._written or not (self.file_path / name).is_file()}
        write_many(self.file_path, fresh)
        self._written.update(fresh)
        for cmid, extra in kakao.items():
            if extra.images:
                names = [*extra.files, *(self._store(str(path)) for path in extra.images)]
                rows[cmid]["ATTACHED_FILE"] = "|".join(names)

    def _image(self, path: str) -> bytes:
        """A JPEG, or an MMS audio/video attachment (ma3 / k3g), checked by content."""
        if path in self._stored:
            return b""
        if path not in self._images:
            self._images[path] = _media(Path(path)) if _is_media(path) else check_jpeg(Path(path))
        return self._images[path]

    def _store(self, path: str) -> str:
        """The name of the image in file_path, copying it there first if needed."""
        if path in self._stored:
            return self._stored[path]
        data = self._images.pop(path)
        suffix = Path(path).suffix.lower() if _is_media(path) else ".jpg"
        name = f"smscli-{hashlib.sha256(data).hexdigest()[:40]}{suffix}"
        write_atomic(self.file_path, name, data)
        self._stored[path] = name
        return name


def _is_media(path: str) -> bool:
    return path.lower().endswith(MEDIA_SUFFIXES)


def _media(path: Path) -> bytes:
    """An ma3 / k3g attachment's bytes (checked by content) within the 60 kB MMS limit."""
    from smscli.fax_voice_rules import check_media

    data = check_media(path)
    if len(data) > MAX_IMAGE:
        raise UsageError(f"attachment {path} is {len(data)} bytes; BIZCLIENT MMS files are at most "
                         f"{MAX_IMAGE // 1024} kB")
    return data
