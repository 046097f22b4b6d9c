"""asyncio TCP driver for a sans-I/O protocol connection (OneShot's ``Connection``).

The link owns the socket; the connection owns the protocol. ``send`` queues a
message's bytes, ``receive`` waits for bytes and returns the events they completed.
A dropped connection shows up as a ``ConnectionClosed`` event, never as an exception.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from smscli.errors import UnreachableError

READ_SIZE = 256 * 1024


class TcpLink:
    """One TCP stream carrying one protocol connection."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, conn: Any
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.conn = conn
        self.closed = False
        self._pending: list[bytes] = []  # frames queued in this loop turn, written together

    @classmethod
    async def connect(cls, host: str, port: int, conn: Any, timeout: float) -> TcpLink:
        """Open the stream, or raise UnreachableError saying why."""
        where = f"{host}:{port}"
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        except TimeoutError:
            raise UnreachableError(
                f"no answer from {where} within {timeout:g} s",
                hint="check host and port, and that the vendor allows this machine's IP address",
            ) from None
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise UnreachableError(
                f"cannot connect to {where}: {reason}", hint="check host and port in the profile"
            ) from None
        return cls(reader, writer, conn)

    def send(self, message: Any) -> None:
        """Queue ``message`` (raises the connection's LocalProtocolError if not allowed).

        Frames queued before the event loop's next turn go out in one write, so a burst
        of pipelined requests costs one system call, not one per frame."""
        data = self.conn.send(message)
        if self.closed:
            return
        if not self._pending:
            asyncio.get_running_loop().call_soon(self.flush)
        self._pending.append(data)

    def flush(self) -> None:
        """Hand the queued frames to the socket now."""
        if self._pending and not self.closed:
            self.writer.write(b"".join(self._pending))
        self._pending.clear()

    def needs_drain(self) -> bool:
        """The socket's buffer holds more than its high-water mark (``drain`` would wait).
        The sender looks once per burst of frames (they reach the buffer together)."""
        if self.closed:
            return False
        transport = self.writer.transport
        return transport.get_write_buffer_size() > transport.get_write_buffer_limits()[1]

    async def drain(self) -> None:
        """Wait while the socket's buffer is full; a dead socket is noticed by ``receive``."""
        if self.closed:
            return
        try:
            await self.writer.drain()
        except (ConnectionError, OSError):
            self.closed = True

    async def receive(self) -> list[Any]:
        """Wait for data; return the events it completed (``ConnectionClosed`` at the end)."""
        try:
            data = await self.reader.read(READ_SIZE)
        except (ConnectionError, OSError):
            data = b""
        if not data:
            self.closed = True
        self.conn.receive_data(data)
        return self.conn.take_events()

    async def close(self, timeout: float = 1.0) -> None:
        """Close the stream (idempotent; never raises)."""
        self.flush()
        self.closed = True
        writer = self.writer
        if writer.is_closing():
            return
        writer.close()
        with contextlib.suppress(TimeoutError, ConnectionError, OSError):
            await asyncio.wait_for(writer.wait_closed(), timeout)
