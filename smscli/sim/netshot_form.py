"""BizNetShot simulator: the wire's EUC-KR/CP949 forms. Strict decoding of an urlencoded
or multipart/form-data send form (:class:`FormError`, HTTP 400, on bad bytes or framing)
and the percent-encoded query of an answer redirect or a result callback."""

from __future__ import annotations

import re
from urllib.parse import quote_from_bytes, unquote_to_bytes


class FormError(Exception):
    """The request body is not a readable form (HTTP 400)."""


def encode_query(params: dict[str, str]) -> str:
    """A query string in EUC-KR/CP949 percent-encoding."""
    return "&".join(f"{k}={quote_from_bytes(v.encode('cp949', 'replace'), safe='')}"
                    for k, v in params.items())


def parse_urlencoded(body: bytes) -> dict[str, str]:
    """Decode an EUC-KR/CP949 urlencoded form strictly (FormError on bad bytes)."""
    form: dict[str, str] = {}
    for part in body.split(b"&"):
        if not part:
            continue
        key, _, value = part.partition(b"=")
        try:
            name = unquote_to_bytes(key.replace(b"+", b" ")).decode("cp949")
            form[name] = unquote_to_bytes(value.replace(b"+", b" ")).decode("cp949")
        except UnicodeDecodeError:
            raise FormError("form field is not valid EUC-KR/CP949") from None
    return form


_PARAM = re.compile(rb';\s*([\w*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))')


def _params(header: bytes) -> dict[str, bytes]:
    return {m.group(1).lower().decode("ascii"): m.group(2) if m.group(2) is not None else m.group(3)
            for m in _PARAM.finditer(header)}


def parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, str], tuple[str, bytes] | None]:
    """Split multipart/form-data: (fields decoded as CP949, the ``file`` part as (name, bytes))."""
    boundary = _params(content_type.encode("latin-1")).get("boundary")
    if not boundary:
        raise FormError("multipart body without a boundary")
    delimiter = b"--" + boundary
    start = body.find(delimiter)
    if start < 0:
        raise FormError("multipart boundary not found")
    form: dict[str, str] = {}
    file: tuple[str, bytes] | None = None
    sections = body[start + len(delimiter):].split(b"\r\n" + delimiter)
    for section in sections:
        if section.startswith(b"--"):
            break
        head, sep, data = section.partition(b"\r\n\r\n")
        if not sep:
            raise FormError("multipart part without headers")
        disposition = next((line for line in head.split(b"\r\n")
                            if line.lower().startswith(b"content-disposition:")), b"")
        params = _params(disposition)
        name = params.get("name", b"").decode("cp949", "replace")
        if "filename" in params:
            if name == "file":
                file = (params["filename"].decode("cp949", "replace"), data)
            continue
        try:
            form[name] = data.decode("cp949")
        except UnicodeDecodeError:
            raise FormError(f"form field {name!r} is not valid EUC-KR/CP949") from None
    else:
        raise FormError("multipart body without a closing boundary")
    return form, file

