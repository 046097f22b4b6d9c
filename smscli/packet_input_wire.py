"""``packet decode`` input, wire bytes → frames: ``WireDecoder`` splits one byte stream
into ``Frame | Damaged`` items (``Content-Length`` frames, or bare zlib payloads), within the
codec's limits, resyncing after damage and after bytes a capture lost."""

from __future__ import annotations

from typing import Any

from smscli.packet_input_base import HEADER, looks_zlib
from smscli.protocol.oneshot.errors import OneShotError
from smscli.protocol.oneshot.frames import (
    DEFAULT_LIMITS,
    TOO_LARGE,
    ZLIB_ERROR,
    ZLIB_STATE,
    Damaged,
    FrameDecoder,
    Inflater,
    Limits,
    ResyncWork,
    frame_from_text,
    size_text,
)


class WireDecoder:
    """One byte stream → ``Frame | Damaged`` items whose offsets count from the stream's start.

    A stream normally holds ``Content-Length:N`` frames (the codec's ``FrameDecoder``);
    one that starts with a zlib header holds bare payloads, as the document prints its
    "압축된 Json 문자열", and is split where each zlib stream ends. ``gap(n)`` says that
    ``n`` bytes of the stream are missing (a capture that lost them): the frame in
    progress is reported damaged and decoding resyncs after the hole. ``limits`` bound
    what one frame may take (the codec's ``Limits``); ``held`` is what is held now, and
    ``shed(reason)`` gives up the frame in progress (a caller over its memory budget).
    """

    def __init__(self, limits: Limits = DEFAULT_LIMITS, max_output: int | None = None) -> None:
        self.limits = limits
        self.max_output = max_output  # see FrameDecoder: then ``backlog`` and ``feed(b"")``
        self._dec: FrameDecoder | None = None
        self._bare: _Bare | None = None
        self._base = 0  # stream offset of the current decoder's first byte
        self._pos = 0  # stream offset of the next byte fed
        self._hold = b""

    @property
    def backlog(self) -> bool:
        """The last feed stopped at ``max_output``: ``feed(b"")`` returns more."""
        if self._dec is not None:
            return self._dec.backlog
        return self._bare is not None and self._bare.backlog

    @property
    def held(self) -> int:
        if self._dec is not None:
            return self._dec.held
        return self._bare.held if self._bare is not None else len(self._hold)

    def shed(self, reason: str) -> None:
        if self._dec is not None:
            self._dec.shed(reason)
        elif self._bare is not None:
            self._bare.shed(reason)

    def feed(self, data: bytes) -> list[Any]:
        self._pos += len(data)
        if self._dec is not None:
            items = self._dec.feed(data)
            return _shift(items, self._base) if self._base and items else items
        return self._undecided(data, final=False)

    def gap(self, size: int) -> list[Any]:
        out = self.close()
        self._dec = self._bare = None
        self._pos += size
        self._base = self._pos
        return out

    def close(self) -> list[Any]:
        if self._dec is None:
            return self._undecided(b"", final=True)
        return _shift(self._dec.close(), self._base)

    def _undecided(self, data: bytes, *, final: bool) -> list[Any]:
        if self._bare is not None:
            items = self._bare.feed(data, final)
            if self._bare.rest is not None:  # a Content-Length line after bare payloads
                rest, start = self._bare.rest, self._bare.pos
                self._bare = None
                return items + self._framed(start, rest, final)
            return items
        buf = self._hold + data
        if len(buf) < 2 and not final:
            self._hold = buf
            return []
        self._hold = b""
        if not buf:
            return []
        start = self._pos - len(buf)
        if looks_zlib(buf):
            self._bare = _Bare(start, self.limits, self.max_output)
            return self._undecided(buf, final=final)
        return self._framed(start, buf, final)

    def _framed(self, start: int, data: bytes, final: bool) -> list[Any]:
        self._dec = FrameDecoder(limits=self.limits, max_output=self.max_output)
        self._base = start
        items = self._dec.feed(data)
        if final:
            items += self._dec.close()
        return _shift(items, start)


def _shift(items: list[Any], base: int) -> list[Any]:
    if not base:
        return items
    import dataclasses

    return [dataclasses.replace(it, offset=it.offset + base) for it in items]


_NOT_ZLIB = "not a zlib stream"
_KEEP = len(HEADER) - 1  # bytes kept while looking for the next start: it may be cut


class _Bare:
    """Consecutive zlib payloads with no ``Content-Length`` lines, split by zlib itself.

    Each payload is inflated as it arrives, within the same limits as a frame's (at most
    ``max_frame`` bytes, inflating to at most ``max_decompressed``); one that fails is a
    damaged stretch up to the next zlib header or ``Content-Length`` line.
    """

    def __init__(self, pos: int, limits: Limits, max_output: int | None = None) -> None:
        self.max_output = max_output
        self.backlog = False
        self.pos = pos  # stream offset of buf[0]
        self.buf = bytearray()
        self.rest: bytes | None = None  # set when a Content-Length line takes over
        self.limits = limits
        self._work = ResyncWork(limits.resync_slack, limits.inflate_step)
        self._inflater: Inflater | None = None  # the payload that starts at buf[0]
        self._junk_at: int | None = None  # stream offset where a damaged stretch began
        self._junk_reason = ""
        self._search = 1  # where to look for the next start while in a damaged stretch

    @property
    def held(self) -> int:
        inflater = self._inflater
        return len(self.buf) + (inflater.size + ZLIB_STATE if inflater is not None else 0)

    def shed(self, reason: str) -> None:
        if self._inflater is None:
            return
        self._inflater = None
        self._junk_at, self._junk_reason = self.pos, reason
        drop = max(len(self.buf) - _KEEP, 0)
        self._advance(drop)
        self._search = 0 if drop else 1

    def feed(self, data: bytes, final: bool) -> list[Any]:
        self.buf += data
        out: list[Any] = []
        limits = self.limits
        self.backlog = False
        budget = None if final else self.max_output
        made = 0
        while True:
            buf = self.buf
            if self._junk_at is not None:
                cut = _next_start(buf, self._search)
                if cut is None:
                    if final:
                        out.append(Damaged(self._junk_at, self.pos + len(buf) - self._junk_at,
                                           self._junk_reason))
                        self._junk_at = None
                        self._advance(len(buf))
                        return out
                    drop = max(len(buf) - _KEEP, 0)
                    self._search = max(self._search, len(buf) - _KEEP) - drop
                    self._advance(drop)
                    return out
                out.append(Damaged(self._junk_at, self.pos + cut - self._junk_at, self._junk_reason))
                self._junk_at = None
                self._advance(cut)
                continue
            if not buf:
                return out
            inflater = self._inflater
            if inflater is None:
                if budget is not None and made >= budget:
                    self.backlog = True
                    return out
                if buf.startswith(HEADER):
                    self.rest, self.buf = bytes(buf), bytearray()
                    return out
                if len(buf) < len(HEADER) and HEADER.startswith(buf) and not final:
                    return out
                inflater = Inflater(self.pos, limits.max_frame, limits.max_decompressed, self._work)
                self._inflater = inflater
            try:
                upto = min(len(buf), limits.max_frame)
                if upto > inflater.fed:
                    inflater.feed(bytes(buf[inflater.fed:upto]))
                if not inflater.eof:
                    if inflater.fed >= limits.max_frame:
                        raise OneShotError(f"{TOO_LARGE}: its zlib stream runs past "
                                           f"{size_text(limits.max_frame)}")
                    if not final:
                        return out
                    out.append(Damaged(self.pos, len(buf),
                                       "truncated: the payload ends before its zlib stream does"))
                    self._inflater = None
                    self._advance(len(buf))
                    return out
            except OneShotError as err:
                inflater.failed()
                self._inflater = None
                reason = str(err)
                if reason.startswith(ZLIB_ERROR + ": "):
                    reason = f"{_NOT_ZLIB} ({reason[len(ZLIB_ERROR) + 2:]})"
                self._junk_at, self._junk_reason, self._search = self.pos, reason, 1
                continue
            self._inflater = None
            size = inflater.fed
            made += inflater.size
            try:
                out.append(frame_from_text(self.pos, size, inflater.text(), limits))
            except OneShotError as err:
                out.append(Damaged(self.pos, size, str(err)))
            self._advance(size)

    def _advance(self, n: int) -> None:
        if n:
            del self.buf[:n]
            self.pos += n


def _next_start(buf: bytes | bytearray, start: int) -> int | None:
    """Where the next payload or Content-Length line may start in ``buf`` (from ``start``)."""
    found = [i for i in (buf.find(b"\x78\xda", start), buf.find(HEADER, start)) if i >= 0]
    return min(found) if found else None
