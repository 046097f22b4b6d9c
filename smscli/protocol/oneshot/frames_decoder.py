"""OneShot stream decoding: ``FrameDecoder`` cuts a byte stream into frames and resyncs.

Incremental and bounded (see ``frames``): headers are matched here, payloads inflated
by ``frames_inflate`` and parsed by ``frames_json``; damaged input becomes ``Damaged``
stretches and decoding resumes at the next ``Content-Length:``.
"""

from __future__ import annotations

import re
import zlib

from smscli.protocol.oneshot.errors import OneShotError
from smscli.protocol.oneshot.frames_inflate import Inflater, ResyncWork
from smscli.protocol.oneshot.frames_json import frame_from_text
from smscli.protocol.oneshot.frames_types import (
    BAD_HEADER,
    MAX_DECOMPRESSED,
    MAX_DEPTH,
    MAX_FRAME,
    MAX_VALUES,
    NO_HEADER,
    PREFIX,
    TOO_LARGE,
    TRUNCATED,
    ZLIB_ERROR,
    ZLIB_STATE,
    Damaged,
    Frame,
    Limits,
)

_HEADER = re.compile(rb"[ \t]{0,4}(?P<length>[0-9]{1,10})[ \t]{0,4}\r\n")
# What a header may look like while its end has not arrived yet.
_PARTIAL_HEADER = re.compile(rb"[ \t]{0,4}(?:[0-9]{1,10}(?:[ \t]{0,4}\r?)?)?")
_KEEP = len(PREFIX) - 1  # bytes of junk kept in case they start a prefix


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
