"""OneShot simulator: one client connection (:class:`SimSession`, an asyncio protocol):
framing, the idle watchdog, writes batched per loop turn and write back-pressure. What a
frame means is the simulator's business (``OneShotSimulator._dispatch``)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from smscli.protocol.oneshot.crypto import BodyCipher
from smscli.protocol.oneshot.errors import OneShotError
from smscli.protocol.oneshot.frames import Damaged, FrameDecoder
from smscli.sim.oneshot_config import FEED_OUTPUT, HeldUpload, ProtocolError

if TYPE_CHECKING:
    from smscli.sim.oneshot import OneShotSimulator


class SimSession(asyncio.Protocol):
    """One client connection: framing, idle watchdog, write back-pressure."""

    def __init__(self, sim: OneShotSimulator) -> None:
        self.sim = sim
        sim._next_conn += 1
        self.id = sim._next_conn
        self.tag = f"#{self.id}"
        # A read can bring many frames of zlib-packed JSON: take them a bounded lot at a time.
        self.decoder = FrameDecoder(max_frame=sim.config.max_frame, max_output=FEED_OUTPUT)
        self.transport: asyncio.Transport | None = None
        self.cipher: BodyCipher | None = None  # encrypt mode, after the key exchange
        self.bound = False
        self.closed = False
        self.msg_count = 0
        self.upload: HeldUpload | None = None
        self.last_rx = time.monotonic()
        self._idle: asyncio.TimerHandle | None = None
        self._out: list[bytes] = []  # frames written in this loop turn, sent together
        self._flush_pending = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.tag = f"#{self.id} {peer[0]}:{peer[1]}" if peer else f"#{self.id}"
        with self.sim._lock:
            self.sim._sessions[self.id] = self
            self.sim._stats["connections"] = self.sim._stats.get("connections", 0) + 1
        self.sim._emit(f"{self.tag} connected")
        self._arm_idle(self.sim.config.idle_timeout)

    def data_received(self, data: bytes) -> None:
        self.last_rx = time.monotonic()
        sim = self.sim
        try:
            items = self.decoder.feed(data)
            while True:
                for item in items:
                    if self.closed:
                        break
                    if isinstance(item, Damaged):
                        raise ProtocolError(f"damaged frame at offset {item.offset}: {item.reason}")
                    sim._dispatch(self, item)
                if self.closed or not self.decoder.backlog:
                    break
                items = self.decoder.feed(b"")
            self.flush()
        except (ProtocolError, OneShotError) as exc:
            sim._count("protocol_errors")
            self.close(f"protocol error: {exc}")
        except Exception as exc:  # noqa: BLE001 - a simulator bug must not kill the server
            sim._count("internal_errors")
            self.close(f"internal error: {type(exc).__name__}: {exc}")
        sim._flush_record()

    def eof_received(self) -> bool | None:
        return None  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        if self._idle is not None:
            self._idle.cancel()
        with self.sim._lock:
            self.sim._sessions.pop(self.id, None)
        if not self.closed:
            self.closed = True
            self.sim._emit(f"{self.tag} closed by the client")

    def pause_writing(self) -> None:
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.resume_reading()

    def write(self, data: bytes) -> None:
        """Queue a frame; everything queued in one loop turn goes out in one send."""
        if self.transport is None or self.closed:
            return
        self._out.append(data)
        if not self._flush_pending:
            self._flush_pending = True
            assert self.sim._loop is not None
            self.sim._loop.call_soon(self.flush)

    def flush(self) -> None:
        self._flush_pending = False
        if self._out and self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"".join(self._out))
        self._out.clear()

    def close(self, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        self.bound = False
        self.sim._emit(f"{self.tag} closing: {reason}")
        if self._idle is not None:
            self._idle.cancel()
        self.flush()  # what was answered before the close still goes out
        if self.transport is not None:
            self.transport.close()

    def _arm_idle(self, delay: float) -> None:
        assert self.sim._loop is not None
        self._idle = self.sim._loop.call_later(delay, self._check_idle)

    def _check_idle(self) -> None:
        timeout = self.sim.config.idle_timeout
        silent_for = time.monotonic() - self.last_rx
        if silent_for >= timeout:
            self.sim._count("idle_cuts")
            self.close(f"silent for {silent_for:.1f} s (idle timeout {timeout:g} s)")
        elif not self.closed:
            self._arm_idle(timeout - silent_for)
