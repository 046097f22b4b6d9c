"""OneShot payload inflating: a zlib stream inflated as its bytes arrive, within a cap.

``Inflater`` (one payload), ``ResyncWork`` (the per-stream limit on bytes inflated a
second time while resyncing) and ``inflate`` (one whole stream).
"""

from __future__ import annotations

import zlib

from smscli.protocol.oneshot.errors import OneShotError
from smscli.protocol.oneshot.frames_types import (
    INFLATE_STEP,
    MAX_DECOMPRESSED,
    RESYNC_LIMIT,
    RESYNC_SLACK,
    TOO_BIG_INFLATED,
    ZLIB_ERROR,
    size_text,
)


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
