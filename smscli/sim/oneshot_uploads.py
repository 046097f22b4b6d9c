"""OneShot simulator: image uploads. UploadFileNameReq names the file,
UploadFileReq/UploadFileDataReq bring Base64 chunks (an oversized frame or Data spoils
the upload), UploadFileFinishReq checks size and JPEG data and stores the file. Mixed
into :class:`smscli.sim.oneshot.OneShotSimulator`."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from smscli.protocol.oneshot.frames import Frame
from smscli.sim.oneshot_config import (
    BAD_DATA,
    FILE_SIZE,
    MAX_IMAGE_BYTES,
    NO_FILE,
    NOT_BOUND,
    OK,
    HeldUpload,
    ProtocolError,
)
from smscli.sim.oneshot_session import SimSession


class UploadsMixin:
    """The upload requests (see the module docstring)."""

    # uploads -------------------------------------------------------------------------
    def _on_upload_name(self, session: SimSession, frame: Frame, body: dict[str, Any]) -> None:
        ext = str(body.get("FileExtension", "")).lower().lstrip(".")
        if not session.bound:
            self._send(session, "UploadFileNameRes", {"Result": NOT_BOUND, "FileName": ""})
            return
        if ext not in ("jpg", "jpeg"):
            self._emit(f"{session.tag} UploadFileNameReq for {ext!r}: only JPEG is accepted")
            self._send(session, "UploadFileNameRes", {"Result": BAD_DATA, "FileName": ""})
            return
        name = uuid.uuid4().hex + ".jpg"
        session.upload = HeldUpload(name)
        self._send(session, "UploadFileNameRes", {"Result": OK, "FileName": name})

    def _on_upload_data(self, session: SimSession, frame: Frame, body: dict[str, Any]) -> None:
        upload = session.upload
        if upload is None:
            raise ProtocolError(f"{frame.method} without UploadFileNameReq")
        cfg = self.config
        data = body.get("Data", "")
        wire = _wire_size(frame)
        if upload.error == OK:
            if wire > cfg.upload_frame_max:
                upload.error, upload.reason = (
                    FILE_SIZE,
                    f"a data frame of {wire} bytes (max {cfg.upload_frame_max})",
                )
            elif not isinstance(data, str) or len(data) > cfg.upload_data_max:
                upload.error, upload.reason = (
                    FILE_SIZE,
                    f"Data over {cfg.upload_data_max} characters",
                )
            else:
                try:
                    upload.data += base64.b64decode(data, validate=True)
                except (binascii.Error, ValueError):
                    upload.error, upload.reason = BAD_DATA, "Data is not Base64"
            if upload.error != OK:
                self._emit(f"{session.tag} upload {upload.name} spoilt: {upload.reason}")
        if cfg.upload_ack:
            self._send(session, "UploadFileRes", {"Result": upload.error})

    def _on_upload_finish(self, session: SimSession, frame: Frame, body: dict[str, Any]) -> None:
        upload = session.upload
        name = str(body.get("FileName", ""))
        if upload is None or upload.name != name:
            code, reason = NO_FILE, f"no upload in progress named {name!r}"
        elif upload.error != OK:
            code, reason = upload.error, upload.reason
        elif body.get("FileSize") != len(upload.data):
            code, reason = (
                FILE_SIZE,
                f"FileSize {body.get('FileSize')!r} but {len(upload.data)} bytes arrived",
            )
        elif len(upload.data) > MAX_IMAGE_BYTES:
            code, reason = FILE_SIZE, f"{len(upload.data)} bytes is over 1 MB"
        elif not upload.data.startswith(b"\xff\xd8\xff"):
            code, reason = BAD_DATA, "not a JPEG file"
        else:
            code, reason = OK, f"{len(upload.data)} bytes stored"
        if code == OK and upload is not None:
            data = bytes(upload.data)
            with self._lock:
                self._files[name] = data
                self._stats["uploads"] = self._stats.get("uploads", 0) + 1
            if self.config.upload_dir is not None:
                (self.config.upload_dir / name).write_bytes(data)
            self._write_record({"event": "uploaded", "file_name": name, "size": len(data)})
        session.upload = None
        self._emit(f"{session.tag} UploadFileFinishReq {name}: Result {code} ({reason})")
        self._send(session, "UploadFileFinishRes", {"Result": code})


def _wire_size(frame: Frame) -> int:
    """Bytes the frame took on the wire: ``Content-Length:N\\r\\n`` plus N."""
    return len(b"Content-Length:%d\r\n" % frame.length) + frame.length
