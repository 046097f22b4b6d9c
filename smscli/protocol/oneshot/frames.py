"""OneShot framing: ``Content-Length:N\\r\\n`` + N bytes of zlib (level 9) compact JSON.

``encode_frame`` is byte-exact with the document's examples. ``FrameDecoder`` is
incremental: whatever way the stream is cut into chunks, it yields the same frames.
A frame it cannot decode becomes a ``Damaged`` item and decoding resumes at the next
``Content-Length:``; only ``OneShotError`` ever escapes.
"""

from __future__ import annotations

import json
import json.scanner
import re
import zlib
from dataclasses import dataclass
from typing import Any

from smscli.protocol.oneshot.errors import OneShotError

PREFIX = b"Content-Length:"
MAX_FRAME = 16 * 1024 * 1024  # largest Content-Length accepted
MAX_DECOMPRESSED = 32 * 1024 * 1024  # largest JSON text a frame may inflate to

# Reasons carried by Damaged (each followed by ": detail" where there is one).
NO_HEADER = "no frame header"
BAD_HEADER = "bad frame header"
TOO_LARGE = "frame too large"
TRUNCATED = "truncated"
ZLIB_ERROR = "zlib error"
TOO_BIG_INFLATED = "decompressed size over limit"
NOT_UTF8 = "not UTF-8"
NOT_JSON = "not JSON"
NOT_OBJECT = "JSON is not an object"
NO_METHOD = "missing Header.Method"
BAD_BODY = "bad Body"

_HEADER = re.compile(rb"[ \t]{0,4}([0-9]{1,10})[ \t]{0,4}\r\n")
# What a header may look like while its end has not arrived yet.
_PARTIAL_HEADER = re.compile(rb"[ \t]{0,4}(?:[0-9]{1,10}(?:[ \t]{0,4}\r?)?)?")
_KEEP = len(PREFIX) - 1  # bytes of junk kept in case they start a prefix


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded frame.

    ``offset``: stream offset of the ``C`` of ``Content-Length``; ``length``: the
    Content-Length (compressed bytes); ``payload``: the decompressed JSON text (UTF-8);
    ``body``: dict, str (an encrypted body) or None (no Body).
    """

    offset: int
    length: int
    method: str
    header: dict[str, Any]
    body: dict[str, Any] | str | None
    payload: bytes


@dataclass(frozen=True, slots=True)
class Damaged:
    """``length`` stream bytes from ``offset`` that are not a decodable frame."""

    offset: int
    length: int
    reason: str


def encode_json(obj: Any) -> bytes:
    """Compact UTF-8 JSON, non-ASCII kept as is, key order kept."""
    try:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
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


def inflate(data: bytes, max_size: int = MAX_DECOMPRESSED) -> bytes:
    """Decompress exactly one zlib stream of at most ``max_size`` bytes."""
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(data, max_size + 1)
    except zlib.error as exc:
        raise OneShotError(f"{ZLIB_ERROR}: {exc}") from None
    if len(text) > max_size:
        raise OneShotError(f"{TOO_BIG_INFLATED}: more than {max_size} bytes")
    if not inflater.eof:
        raise OneShotError(f"{ZLIB_ERROR}: incomplete or truncated stream")
    if inflater.unused_data:
        raise OneShotError(f"{ZLIB_ERROR}: {len(inflater.unused_data)} bytes after the stream")
    return text


_scan_once = json.scanner.make_scanner(json.JSONDecoder())  # the C scanner, without loads' layers


def parse_json_object(text: bytes) -> dict[str, Any]:
    """Strict UTF-8 JSON text that must be an object."""
    try:
        string = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise OneShotError(f"{NOT_UTF8}: byte {exc.start}") from None
    try:
        obj, end = _scan_once(string, 0)
        if end != len(string):
            raise StopIteration
    except (StopIteration, IndexError):
        obj = _loads(string)  # blanks around the text, or a precise error message
    except RecursionError:
        raise OneShotError(f"{NOT_JSON}: nested too deeply") from None
    except ValueError as exc:
        raise OneShotError(f"{NOT_JSON}: {exc}") from None
    if type(obj) is not dict:
        raise OneShotError(f"{NOT_OBJECT}: {type(obj).__name__}")
    return obj


def _loads(string: str) -> Any:
    try:
        return json.loads(string)
    except RecursionError:
        raise OneShotError(f"{NOT_JSON}: nested too deeply") from None
    except ValueError as exc:
        raise OneShotError(f"{NOT_JSON}: {exc}") from None


def decode_payload(data: bytes, max_size: int = MAX_DECOMPRESSED) -> dict[str, Any]:
    """Inflate and parse one frame payload into its JSON object."""
    return parse_json_object(inflate(data, max_size))


def _frame(offset: int, length: int, payload: bytes, max_size: int) -> Frame:
    """Decode one payload; the common case inline, any doubt through the strict helpers."""
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(payload, max_size + 1)
    except zlib.error:
        text = inflate(payload, max_size)  # raises with the reason
    if not inflater.eof or inflater.unused_data or len(text) > max_size:
        text = inflate(payload, max_size)  # raises with the reason
    try:
        string = text.decode("utf-8")
        obj, end = _scan_once(string, 0)
        if end != len(string) or type(obj) is not dict:
            raise ValueError
    except (ValueError, StopIteration, IndexError, RecursionError):
        obj = parse_json_object(text)  # raises with the reason (or accepts blanks around)
    header = obj.get("Header")
    method = header.get("Method") if type(header) is dict else None
    if type(method) is not str or not method:
        raise OneShotError(NO_METHOD)
    body = obj.get("Body")
    if not (body is None or type(body) is dict or type(body) is str):
        raise OneShotError(f"{BAD_BODY}: {type(body).__name__}")
    return Frame(offset, length, method, header, body, text)


class FrameDecoder:
    """Incremental decoder: ``feed(bytes)`` returns the frames completed so far.

    Memory stays bounded by one frame: consumed bytes are dropped after every feed.
    """

    def __init__(
        self, max_frame: int = MAX_FRAME, max_decompressed: int = MAX_DECOMPRESSED
    ) -> None:
        self.max_frame = max_frame
        self.max_decompressed = max_decompressed
        self._buf = bytearray()
        self._base = 0  # stream offset of _buf[0]
        self._junk_at: int | None = None  # stream offset where a damaged stretch began
        self._junk_reason = ""
        self._search = 0  # where to look for the next prefix while in a damaged stretch
        self._closed = False

    @property
    def offset(self) -> int:
        """Stream offset of the first byte not yet consumed."""
        return self._base

    def feed(self, data: bytes) -> list[Frame | Damaged]:
        if self._closed:
            raise OneShotError("frame decoder is closed")
        out: list[Frame | Damaged] = []
        if self._buf:
            self._buf += data
            buf: bytes | bytearray = self._buf
        else:
            buf = bytes(data)  # parse the chunk in place; keep only its unconsumed tail
        pos = self._parse(buf, out)
        if buf is self._buf:
            if pos:
                del self._buf[:pos]
        elif pos < len(buf):
            self._buf = bytearray(buf[pos:] if pos else buf)
        self._base += pos
        return out

    def close(self) -> list[Damaged]:
        """End of stream: whatever is left is a truncated or damaged tail."""
        if self._closed:
            return []
        self._closed = True
        buf, base = self._buf, self._base
        out: list[Damaged] = []
        if self._junk_at is not None:
            out.append(Damaged(self._junk_at, base + len(buf) - self._junk_at, self._junk_reason))
        elif buf:
            out.append(Damaged(base, len(buf), self._truncation(buf)))
        self._buf = bytearray()
        self._base += len(buf)
        self._junk_at = None
        return out

    def _truncation(self, buf: bytearray) -> str:
        if not buf.startswith(PREFIX):
            return f"{TRUNCATED}: incomplete frame header"
        match = _HEADER.match(buf, len(PREFIX))
        if match is None:
            return f"{TRUNCATED}: incomplete frame header"
        have = len(buf) - match.end()
        return f"{TRUNCATED}: Content-Length {int(match.group(1))} but only {have} bytes follow"

    def _start_junk(self, at: int, reason: str, search_from: int) -> None:
        """A damaged stretch starts at ``at``; look for the next header from ``search_from``."""
        self._junk_at = self._base + at
        self._junk_reason = reason
        self._search = search_from

    def _parse(self, buf: bytes | bytearray, out: list[Frame | Damaged]) -> int:
        """Decode what ``buf`` holds; return how many bytes were consumed."""
        end = len(buf)
        pos = 0
        header, partial, prefix_len = _HEADER.match, _PARTIAL_HEADER.fullmatch, len(PREFIX)
        while True:
            if self._junk_at is not None:
                found = buf.find(PREFIX, self._search)
                if found < 0:
                    pos = max(self._search, end - _KEEP, pos)
                    self._search = 0
                    return pos
                out.append(
                    Damaged(self._junk_at, self._base + found - self._junk_at, self._junk_reason)
                )
                self._junk_at = None
                pos = found
            if pos >= end:
                return pos
            if not buf.startswith(PREFIX, pos):
                if end - pos < prefix_len and PREFIX.startswith(buf[pos:end]):
                    return pos  # maybe the start of a header
                self._start_junk(pos, NO_HEADER, pos + 1)
                continue
            match = header(buf, pos + prefix_len)
            if match is None:
                if partial(buf, pos + prefix_len):
                    return pos  # the rest of the header has not arrived
                self._start_junk(pos, BAD_HEADER, pos + 1)
                continue
            length = int(match.group(1))
            if length > self.max_frame:
                self._start_junk(
                    pos, f"{TOO_LARGE}: Content-Length {length} over {self.max_frame}", pos + 1
                )
                continue
            start = match.end()
            stop = start + length
            if stop > end:
                return pos  # wait for the rest of the payload
            try:
                out.append(
                    _frame(self._base + pos, length, bytes(buf[start:stop]), self.max_decompressed)
                )
            except OneShotError as exc:
                # Resync at the next header, which may lie inside this payload when
                # the announced length was wrong.
                self._start_junk(pos, str(exc), start)
                continue
            pos = stop
