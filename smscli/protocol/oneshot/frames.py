"""OneShot framing: ``Content-Length:N\\r\\n`` + N bytes of zlib (level 9) compact JSON.

``encode_frame`` is byte-exact with the document's examples. ``FrameDecoder`` is
incremental: whatever way the stream is cut into chunks, it yields the same frames.
A frame it cannot decode becomes a ``Damaged`` item and decoding resumes at the next
``Content-Length:``; only ``OneShotError`` ever escapes.

Bounds (``Limits``; every decoder has them, whatever the input): a Content-Length over
``max_frame`` is damaged at once; a payload is inflated as it arrives, so one that is
not zlib fails after a few bytes and one that inflates past ``max_decompressed`` fails
there, without waiting for the rest; JSON is parsed only when it nests at most
``max_depth`` deep and holds at most ``max_values`` values and keys (a cheap byte scan
first: parsed, ``[],`` takes 20 times its text). Time stays linear: the decoder keeps
its place in the stream, runs of headers damaged the same way make one damaged
stretch, and bytes inflated a second time (by a frame found inside a damaged one) are
limited to the stream bytes before them plus ``resync_slack``. ``max_output`` bounds
what one ``feed`` returns, for callers that hand frames on as they come.

The code lives beside this module: ``frames_types`` (limits, reasons, ``Frame``,
``Damaged``), ``frames_inflate``, ``frames_json`` and ``frames_decoder``
(``FrameDecoder``). This module encodes frames and decodes a single payload, and is
the one to import from.
"""

from __future__ import annotations

import json.encoder
import zlib
from typing import Any

from smscli.fastjson import compact
from smscli.protocol.oneshot.errors import OneShotError
from smscli.protocol.oneshot.frames_decoder import FrameDecoder
from smscli.protocol.oneshot.frames_inflate import Inflater, ResyncWork, inflate
from smscli.protocol.oneshot.frames_json import (
    MANY_CONTAINERS,
    frame_from_text,
    json_shape_error,
    parse_json_object,
)
from smscli.protocol.oneshot.frames_types import (
    BAD_BODY,
    BAD_HEADER,
    DEFAULT_LIMITS,
    INFLATE_STEP,
    MAX_DECOMPRESSED,
    MAX_DEPTH,
    MAX_FRAME,
    MAX_VALUES,
    NO_HEADER,
    NO_METHOD,
    NOT_JSON,
    NOT_OBJECT,
    NOT_UTF8,
    PREFIX,
    RESYNC_LIMIT,
    RESYNC_SLACK,
    TOO_BIG_INFLATED,
    TOO_DEEP,
    TOO_LARGE,
    TOO_MANY,
    TRUNCATED,
    ZLIB_ERROR,
    ZLIB_STATE,
    Damaged,
    Frame,
    Limits,
    size_text,
)

__all__ = [
    "BAD_BODY",
    "BAD_HEADER",
    "DEFAULT_LIMITS",
    "Damaged",
    "Frame",
    "FrameDecoder",
    "INFLATE_STEP",
    "Inflater",
    "Limits",
    "MANY_CONTAINERS",
    "MAX_DECOMPRESSED",
    "MAX_DEPTH",
    "MAX_FRAME",
    "MAX_VALUES",
    "NOT_JSON",
    "NOT_OBJECT",
    "NOT_UTF8",
    "NO_HEADER",
    "NO_METHOD",
    "PREFIX",
    "RESYNC_LIMIT",
    "RESYNC_SLACK",
    "ResyncWork",
    "TOO_BIG_INFLATED",
    "TOO_DEEP",
    "TOO_LARGE",
    "TOO_MANY",
    "TRUNCATED",
    "ZLIB_ERROR",
    "ZLIB_STATE",
    "decode_payload",
    "encode_frame",
    "encode_frame_json",
    "encode_json",
    "frame_from_text",
    "inflate",
    "json_shape_error",
    "parse_json_object",
    "size_text",
]


# json.dumps with these options builds a new encoder per call; one C encoder is enough.
_ENCODE = compact()


def encode_json(obj: Any) -> bytes:
    """Compact UTF-8 JSON, non-ASCII kept as is, key order kept."""
    try:
        return _ENCODE(obj).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as exc:
        raise OneShotError(f"cannot encode as JSON: {exc}") from None


def encode_frame(method: str, body: dict[str, Any] | str | None) -> bytes:
    """The full wire bytes of one frame; ``body`` None leaves out the Body key."""
    if not isinstance(method, str) or not method:
        raise OneShotError("frame method must be a non-empty string")
    obj: dict[str, Any] = {"Header": {"Method": method}}
    if body is not None:
        if not isinstance(body, dict | str):
            raise OneShotError(
                f"frame body must be an object or a string, not {type(body).__name__}"
            )
        obj["Body"] = body
    data = zlib.compress(encode_json(obj), 9)
    return b"Content-Length:%d\r\n%b" % (len(data), data)


def encode_frame_json(method: str, body_json: str) -> bytes:
    """``encode_frame(method, body)`` from ``body_json``, the body's compact JSON text
    (``encode_json(body)`` decoded, e.g. ``OneShotMessage.body_json()``): the same bytes."""
    if not isinstance(method, str) or not method:
        raise OneShotError("frame method must be a non-empty string")
    text = '{"Header":{"Method":' + _STR(method) + '},"Body":' + body_json + "}"
    try:
        payload = text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate, as encode_json says it
        raise OneShotError(f"cannot encode as JSON: {exc}") from None
    data = zlib.compress(payload, 9)
    return b"Content-Length:%d\r\n%b" % (len(data), data)


_STR = json.encoder.encode_basestring  # a str as JSON, non-ASCII kept (C)


def decode_payload(data: bytes, max_size: int = MAX_DECOMPRESSED) -> dict[str, Any]:
    """Inflate and parse one frame payload into its JSON object."""
    return parse_json_object(inflate(data, max_size))
