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
"""

from __future__ import annotations

import gc
import json
import json.scanner
import re
import zlib
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from smscli.fastjson import compact
from smscli.protocol.oneshot.errors import OneShotError

PREFIX = b"Content-Length:"
MAX_FRAME = 4 * 1024 * 1024  # largest Content-Length accepted (compressed bytes)
MAX_DECOMPRESSED = 4 * 1024 * 1024  # largest JSON text a frame may inflate to
MAX_DEPTH = 64  # deepest JSON nesting parsed (the document's frames nest 2 deep)
MAX_VALUES = 200_000  # most JSON values and keys parsed (a frame holds a few dozen)
INFLATE_STEP = 16 * 1024  # most payload bytes inflated at a time (steps double up to it)
RESYNC_SLACK = 1024 * 1024  # bytes that may be inflated again beyond the stream so far
ZLIB_STATE = 40 * 1024  # what one zlib inflater holds (its 32 KiB window and state)

# Reasons carried by Damaged (each followed by ": detail" or a size where there is one).
NO_HEADER = "no frame header"
BAD_HEADER = "bad frame header"
TOO_LARGE = "frame too large"
TRUNCATED = "truncated"
ZLIB_ERROR = "zlib error"
TOO_BIG_INFLATED = "body inflates past"
TOO_DEEP = "JSON nested deeper than"
TOO_MANY = "JSON holds more than"
RESYNC_LIMIT = "not inflated again"
NOT_UTF8 = "not UTF-8"
NOT_JSON = "not JSON"
NOT_OBJECT = "JSON is not an object"
NO_METHOD = "missing Header.Method"
BAD_BODY = "bad Body"

_HEADER = re.compile(rb"[ \t]{0,4}(?P<length>[0-9]{1,10})[ \t]{0,4}\r\n")
# What a header may look like while its end has not arrived yet.
_PARTIAL_HEADER = re.compile(rb"[ \t]{0,4}(?:[0-9]{1,10}(?:[ \t]{0,4}\r?)?)?")
_KEEP = len(PREFIX) - 1  # bytes of junk kept in case they start a prefix


@dataclass(frozen=True, slots=True)
class Limits:
    """What one frame may take, and the resync limit: see the module docstring."""

    max_frame: int = MAX_FRAME
    max_decompressed: int = MAX_DECOMPRESSED
    max_depth: int = MAX_DEPTH
    max_values: int = MAX_VALUES
    resync_slack: int = RESYNC_SLACK
    inflate_step: int = INFLATE_STEP

    def __post_init__(self) -> None:
        for name in ("max_frame", "max_decompressed", "max_depth", "max_values", "inflate_step"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"Limits.{name} must be a whole number of at least 1, not {value!r}")
        if not isinstance(self.resync_slack, int) or self.resync_slack < 0:
            raise ValueError(f"Limits.resync_slack must be a whole number of at least 0, not {self.resync_slack!r}")


DEFAULT_LIMITS = Limits()


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


def size_text(n: int) -> str:
    """``4 MiB``, ``16 KiB`` or ``1000 bytes``."""
    for unit, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if n >= unit and not n % unit:
            return f"{n // unit} {name}"
    return f"{n} bytes"


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


# --------------------------------------------------------------------------- inflating


class ResyncWork:
    """Keeps resyncing linear for one stream: the bytes that a frame found inside a
    damaged one inflates a second time may not exceed the stream offset they start at
    plus ``slack``. Counted per step (1, 2, 4 ... up to ``step`` bytes from the start of a
    payload: at fixed stream offsets, so the outcome does not depend on how the stream
    was cut into chunks; a payload that failed counts as inflated to the start of the
    step it failed in, at least half as far as it went, so what is not counted is at
    most what is)."""

    __slots__ = ("tried_to", "spent", "slack", "step")

    def __init__(self, slack: int = RESYNC_SLACK, step: int = INFLATE_STEP) -> None:
        self.tried_to = 0  # stream offset up to which some failed payload was inflated
        self.spent = 0  # bytes inflated a second time so far
        self.slack = slack
        self.step = step

    def charge(self, start: int, end: int) -> None:
        again = min(end, self.tried_to) - start
        if again > 0:
            if self.spent + again > start + self.slack:
                raise OneShotError(
                    f"{RESYNC_LIMIT}: its bytes were already inflated inside a damaged frame"
                )
            self.spent += again

    def reach(self, end: int) -> None:
        if end > self.tried_to:
            self.tried_to = end


class Inflater:
    """One zlib stream inflated as its bytes arrive, at most ``cap`` bytes of output.

    ``at``: stream offset of its first byte; ``limit``: most input bytes it may take.
    ``feed`` raises ``OneShotError`` (zlib error, output past ``cap``, resync limit) and
    stops at the end of the stream (``eof``; ``fed`` then counts the stream's bytes).
    """

    __slots__ = ("_z", "parts", "size", "fed", "at", "limit", "cap", "_work", "step_end", "_step", "_done")

    def __init__(self, at: int, limit: int, cap: int, work: ResyncWork | None = None) -> None:
        self._z = zlib.decompressobj()
        self.parts: list[bytes] = []
        self.size = 0
        self.fed = 0
        self.at = at
        self.limit = limit
        self.cap = cap
        self._work = work if work is not None else ResyncWork()
        self.step_end = at  # stream offset where the step being inflated ends
        self._done = at  # where it starts: all before it was inflated without fault
        self._step = 1  # steps double from one byte up to work.step: a stream that fails
        # early is known to have failed early, one that runs long costs few steps

    @property
    def eof(self) -> bool:
        return self._z.eof

    def feed(self, data: bytes) -> None:
        """Inflate the next ``data`` bytes of the stream (not past ``limit``)."""
        z, n, pos = self._z, len(data), 0
        while pos < n:
            here = self.at + self.fed
            if here >= self.step_end:
                end = min(here + self._step, self.at + self.limit)
                self._done = here
                self._work.charge(here, end)
                self.step_end = end
                self._step = min(self._step * 2, self._work.step)  # Limits keeps the step >= 1
            take = min(n - pos, self.step_end - here)
            piece = data[pos:pos + take]  # all of a bytes object: that object, not a copy
            try:
                out = z.decompress(piece, self.cap + 1 - self.size)
            except zlib.error as exc:
                raise OneShotError(f"{ZLIB_ERROR}: {exc}") from None
            if out:
                self.size += len(out)
                if self.size > self.cap:
                    raise OneShotError(f"{TOO_BIG_INFLATED} {size_text(self.cap)}")
                self.parts.append(out)
            if z.eof:
                self.fed += take - len(z.unused_data)
                return
            self.fed += take
            pos += take

    def text(self) -> bytes:
        return b"".join(self.parts)  # one part: that part itself, not a copy

    def failed(self) -> None:
        """Record how far this (failed) stream was surely inflated, for the resync limit:
        to its end, or to the start of the step it failed in (at least half-way)."""
        self._work.reach(self.at + self.fed if self._z.eof else self._done)


def inflate(data: bytes, max_size: int = MAX_DECOMPRESSED) -> bytes:
    """Decompress exactly one zlib stream of at most ``max_size`` bytes."""
    inflater = Inflater(0, len(data), max_size)
    inflater.feed(data)
    if not inflater.eof:
        raise OneShotError(f"{ZLIB_ERROR}: incomplete or truncated stream")
    if inflater.fed < len(data):
        raise OneShotError(f"{ZLIB_ERROR}: {len(data) - inflater.fed} bytes after the stream")
    return inflater.text()


# --------------------------------------------------------------------------- JSON

# A JSON string, or an unterminated one running to the end (so the scan stays linear).
_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)', re.DOTALL)
_OTHER_THAN_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_SQUARE = bytes.maketrans(b"{}", b"[]")


def json_shape_error(
    text: bytes, max_depth: int = MAX_DEPTH, max_values: int = MAX_VALUES
) -> str | None:
    """Why ``text`` is not parsed (nested deeper than ``max_depth``, more than
    ``max_values`` values and keys), or None. A few byte counts for the usual text;
    strings are set aside (a linear regex) only when the counts exceed a bound."""
    opens = text.count(b"[") + text.count(b"{")
    bare = b""
    if opens > max_depth:
        bare = _STRING.sub(b'""', text)
        if _depth_over(bare.translate(_SQUARE, _OTHER_THAN_BRACKETS), max_depth):
            return f"{TOO_DEEP} {max_depth}"
    # Values and keys: 1 + commas + colons + non-empty containers (strings set aside).
    if 1 + opens + text.count(b",") + text.count(b":") > max_values:
        bare = bare or _STRING.sub(b'""', text)
        count = 1 + sum(bare.count(c) for c in (b"[", b"{", b",", b":"))
        if count - bare.count(b"[]") - bare.count(b"{}") > max_values:
            return f"{TOO_MANY} {max_values} values and keys"
    return None


def _depth_over(brackets: bytes, max_depth: int) -> bool:
    """Whether ``[``/``]`` text opens more than ``max_depth`` levels at some point (the
    running sum of its brackets: exact for any text, balanced or not, and linear)."""
    signed = memoryview(brackets.translate(_SIGNED)).cast("b")
    return max(accumulate(signed, initial=0)) > max_depth


_SIGNED = bytes.maketrans(b"[]", b"\x01\xff")  # +1 and -1 as signed bytes

_MANY_CONTAINERS = 1000  # arrays and objects past which parsing pauses the cyclic GC
_scan_once = json.scanner.make_scanner(json.JSONDecoder())  # the C scanner, without loads' layers


def parse_json_object(
    text: bytes, max_depth: int = MAX_DEPTH, max_values: int = MAX_VALUES
) -> dict[str, Any]:
    """Strict UTF-8 JSON text that must be an object (within the shape bounds)."""
    shape = json_shape_error(text, max_depth, max_values)
    if shape:
        raise OneShotError(shape)
    return _parse_object(text)


def _parse_object(text: bytes) -> dict[str, Any]:
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
    if not isinstance(obj, dict):
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


def frame_from_text(offset: int, length: int, text: bytes, limits: Limits = DEFAULT_LIMITS) -> Frame:
    """The Frame whose inflated payload is ``text``; raises OneShotError with the reason."""
    opens = text.count(b"[") + text.count(b"{")
    if len(text) >= limits.max_values or opens > limits.max_depth:
        shape = json_shape_error(text, limits.max_depth, limits.max_values)
        if shape:
            raise OneShotError(shape)
    paused = opens > _MANY_CONTAINERS and gc.isenabled()
    if paused:  # JSON makes no cycles: collecting while it builds thousands of lists is waste
        gc.disable()
    try:
        string = text.decode("utf-8")
        obj, end = _scan_once(string, 0)
        if end != len(string) or not isinstance(obj, dict):
            raise ValueError
    except (ValueError, StopIteration, IndexError, RecursionError):
        obj = _parse_object(text)  # raises with the reason (or accepts blanks around)
    finally:
        if paused:
            gc.enable()
    header = obj.get("Header")
    method = header.get("Method") if isinstance(header, dict) else None
    if not isinstance(method, str) or not method:
        raise OneShotError(NO_METHOD)
    body = obj.get("Body")
    if not (body is None or isinstance(body, dict | str)):
        raise OneShotError(f"{BAD_BODY}: {type(body).__name__}")
    return Frame(offset, length, method, header, body, text)


# --------------------------------------------------------------------------- decoding


class _Pending:
    """A frame whose header has been read and whose payload is still arriving."""

    __slots__ = ("head", "length", "inflater")

    def __init__(self, head: int, length: int, inflater: Inflater) -> None:
        self.head = head  # bytes of the header line
        self.length = length
        self.inflater = inflater


class FrameDecoder:
    """Incremental decoder: ``feed(bytes)`` returns the frames completed so far.

    Memory stays bounded by one frame (``max_frame`` bytes of payload and
    ``max_decompressed`` of inflated text): consumed bytes are dropped after every feed.
    What one feed returns is bounded only by its input (a few KB of zlib can carry many
    frames of parsed JSON) unless ``max_output`` is set: then a feed stops once its
    frames hold that much inflated text, ``backlog`` says so, and ``feed(b"")`` goes on.
    """

    def __init__(
        self,
        max_frame: int = MAX_FRAME,
        max_decompressed: int = MAX_DECOMPRESSED,
        *,
        max_depth: int = MAX_DEPTH,
        max_values: int = MAX_VALUES,
        limits: Limits | None = None,
        max_output: int | None = None,
    ) -> None:
        if limits is None:
            limits = Limits(max_frame, max_decompressed, max_depth, max_values)
        self.limits = limits
        self.max_frame = limits.max_frame
        self.max_decompressed = limits.max_decompressed
        self.max_output = max_output
        self.backlog = False  # the last feed stopped at max_output: feed(b"") for the rest
        self._buf = bytearray()
        self._base = 0  # stream offset of _buf[0]
        self._junk_at: int | None = None  # stream offset where a damaged stretch began
        self._junk_reason = ""
        self._junk_frame: tuple[int, int] | None = None  # (end, Content-Length) of a failed frame
        self._junk_headers = 0  # headers in a stretch of headers damaged the same way on their own
        self._junk_line = b""  # the last of them, when it was a whole header line
        self._junk_wait = False  # the stretch waits for the rest of a header to see if it goes on
        self._search = 0  # where to look for the next prefix while in a damaged stretch
        self._pending: _Pending | None = None  # the frame at _buf[0], payload arriving
        self._work = ResyncWork(limits.resync_slack, limits.inflate_step)
        self._closed = False

    @property
    def offset(self) -> int:
        """Stream offset of the first byte not yet consumed."""
        return self._base

    @property
    def held(self) -> int:
        """Bytes this decoder holds: unconsumed input, and a pending frame's inflated text
        and zlib state."""
        pending = self._pending
        if pending is None:
            return len(self._buf)
        return len(self._buf) + pending.inflater.size + ZLIB_STATE

    def feed(self, data: bytes) -> list[Frame | Damaged]:
        if self._closed:
            raise OneShotError("frame decoder is closed")
        self.backlog = False
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

    def shed(self, reason: str) -> None:
        """Give up the frame whose payload is arriving (a caller over its memory budget):
        it becomes the start of a damaged stretch that ends at the next header after the
        bytes held now; those bytes are dropped."""
        if self._pending is None:
            return  # (a pending frame is never inside a damaged stretch: one ends before it)
        self._pending = None
        drop = len(self._buf) - _KEEP  # the buffer holds the pending frame's header at least: more
        del self._buf[:drop]
        self._base += drop
        self._start_junk(-drop, reason, 0)  # the stretch starts where the frame did

    def close(self) -> list[Frame | Damaged]:
        """End of stream: whatever is left is a truncated or damaged tail (after the frames
        a ``backlog`` held back, if the caller did not take them first)."""
        if self._closed:
            return []
        out: list[Frame | Damaged] = []
        if self.backlog:
            self.max_output = None
            out += self.feed(b"")
        self._closed = True
        buf, base = self._buf, self._base
        if self._junk_at is not None and self._junk_wait:
            # The stretch waited for a header that never ended: two items, as without it.
            out.append(Damaged(self._junk_at, base - self._junk_at, self._junk_text()))
            out.append(Damaged(base, len(buf), f"{TRUNCATED}: incomplete frame header"))
        elif self._junk_at is not None:
            reason = self._junk_text()
            if self._junk_frame is not None and self._junk_frame[0] > base + len(buf):
                # A frame that failed before all its payload came, and the stream ended.
                have = base + len(buf) - self._junk_frame[0] + self._junk_frame[1]
                reason = (f"{TRUNCATED}: Content-Length {self._junk_frame[1]} but only {have} "
                          f"bytes follow; {reason}")
            out.append(Damaged(self._junk_at, base + len(buf) - self._junk_at, reason))
        elif self._pending is not None:
            pending = self._pending
            have = len(buf) - pending.head
            out.append(Damaged(base, len(buf), f"{TRUNCATED}: Content-Length {pending.length} "
                                               f"but only {have} bytes follow"))
        elif buf:
            out.append(Damaged(base, len(buf), f"{TRUNCATED}: incomplete frame header"))
        self._buf = bytearray()
        self._base += len(buf)
        self._junk_at = None
        self._pending = None
        return out

    def _start_junk(
        self, at: int, reason: str, search_from: int, frame: tuple[int, int] | None = None,
        header: bytes | None = None,
    ) -> None:
        """A damaged stretch starts at ``at``; look for the next header from ``search_from``;
        ``frame``: (buffer offset of the end, Content-Length) of the frame that failed;
        ``header``: the stretch is a header damaged on its own (``b""``, or its line): the
        headers damaged the same way right after it join the stretch."""
        self._junk_at = self._base + at
        self._junk_reason = reason
        self._junk_frame = None if frame is None else (self._base + frame[0], frame[1])
        self._junk_headers = 0 if header is None else 1
        self._junk_line = header or b""
        self._search = search_from

    def _junk_text(self) -> str:
        n = self._junk_headers
        return self._junk_reason if n < 2 else f"{self._junk_reason}; {n} such headers in a row"

    def _header_damage(self, buf: bytes | bytearray, at: int) -> str | None:
        """What is wrong with the header at ``at`` by itself: a reason, ``""`` (nothing
        yet), or None (its end has not arrived)."""
        match = _HEADER.match(buf, at + len(PREFIX))
        if match is None:
            return None if _PARTIAL_HEADER.fullmatch(buf, at + len(PREFIX)) else BAD_HEADER
        length = int(match["length"])
        if length > self.limits.max_frame:
            self._junk_line = bytes(buf[at:match.end()])
            return f"{TOO_LARGE}: Content-Length {length} over {self.limits.max_frame}"
        return ""

    def _parse(self, buf: bytes | bytearray, out: list[Frame | Damaged]) -> int:
        """Decode what ``buf`` holds; return how many bytes were consumed."""
        end = len(buf)
        pos = 0
        header, partial, prefix_len = _HEADER.match, _PARTIAL_HEADER.fullmatch, len(PREFIX)
        limits = self.limits
        max_frame, cap, work = limits.max_frame, limits.max_decompressed, self._work
        budget = self.max_output
        made = 0  # inflated text of the frames this call returns
        while True:
            if self._junk_at is not None:
                found = buf.find(PREFIX, self._search)
                if found < 0:
                    pos = max(self._search, end - _KEEP, pos)
                    self._search = 0
                    return pos
                if self._junk_headers:  # does the next header go the same way?
                    line = self._junk_line
                    if line and buf.startswith(line, found):
                        self._junk_headers += 1
                        self._junk_wait = False
                        self._search = found + len(line)
                        continue
                    again = self._header_damage(buf, found)
                    self._junk_wait = again is None
                    if again is None:  # the header's end has not arrived
                        self._search = 0
                        return found
                    if again == self._junk_reason:
                        self._junk_headers += 1
                        self._search = found + 1
                        continue
                out.append(Damaged(self._junk_at, self._base + found - self._junk_at, self._junk_text()))
                self._junk_at = None
                pos = found
            pending = self._pending
            if pending is None:
                if pos >= end:
                    return pos
                if budget is not None and made >= budget:
                    self.backlog = True
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
                    self._start_junk(pos, BAD_HEADER, pos + 1, header=b"")
                    continue
                length = int(match["length"])
                if length > max_frame:  # damaged at once: nothing of it is waited for
                    self._start_junk(pos, f"{TOO_LARGE}: Content-Length {length} over {max_frame}",
                                     match.end(), header=bytes(buf[pos:match.end()]))
                    continue
                start = match.end()
                stop = start + length
                at = self._base + start
                if stop <= end and length <= work.step and work.tried_to <= at:
                    # The common case: a whole small payload, inflated in one go.
                    z = zlib.decompressobj()
                    try:
                        text = z.decompress(buf[start:stop], cap + 1)
                    except zlib.error:
                        text = None
                    if text is not None and z.eof and not z.unused_data and len(text) <= cap:
                        try:
                            out.append(frame_from_text(self._base + pos, length, text, limits))
                        except OneShotError as exc:  # the payload is whole: resync inside it
                            work.reach(self._base + stop)
                            self._start_junk(pos, str(exc), start, (stop, length))
                            continue
                        made += len(text)
                        pos = stop
                        continue
                    # Any zlib doubt: again through the inflater below, which names the reason.
                pending = _Pending(start - pos, length, Inflater(at, length, cap, work))
            else:
                start = pos + pending.head  # a frame resumed: pos is 0
                stop = start + pending.length
            inflater = pending.inflater
            try:
                have = start + inflater.fed
                if not inflater.eof:  # (nothing new: feeds nothing)
                    inflater.feed(buf[have:min(stop, end)])
                if inflater.eof:
                    if inflater.fed < pending.length:
                        raise OneShotError(
                            f"{ZLIB_ERROR}: {pending.length - inflater.fed} bytes after the stream"
                        )
                elif inflater.fed < pending.length:
                    self._pending = pending
                    return pos  # wait for the rest of the payload
                else:
                    raise OneShotError(f"{ZLIB_ERROR}: incomplete or truncated stream")
                frame = frame_from_text(self._base + pos, pending.length, inflater.text(), limits)
            except OneShotError as exc:
                # Resync at the next header, which may lie inside this payload when
                # the announced length was wrong.
                self._pending = None
                inflater.failed()
                self._start_junk(pos, str(exc), start, (stop, pending.length))
                continue
            self._pending = None
            out.append(frame)
            made += len(frame.payload)
            pos = stop
