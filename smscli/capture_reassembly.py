"""TCP stream reassembly: ``Reassembler`` puts segments back in sequence order.

Per connection and direction: out-of-order segments wait, retransmissions are dropped,
holes the capture never fills are reported as ``Gap``s; only per-connection buffers are
kept, so captures of any size stream in bounded memory.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from smscli.capture_base import SEQ_MOD, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN
from smscli.capture_parse import TcpSegment, format_endpoint

_HALF = 1 << 31

CLIENT_TO_SERVER = "client→server"
SERVER_TO_CLIENT = "server→client"


@dataclass(eq=False)
class Connection:
    """One TCP connection, numbered from 1 in the order it first appears."""

    number: int
    client: str
    server: str
    state: Any = None  # free for the consumer
    to_server: Stream = field(init=False)
    to_client: Stream = field(init=False)

    def __post_init__(self) -> None:
        self.to_server = Stream(self, CLIENT_TO_SERVER, self.client, self.server)
        self.to_client = Stream(self, SERVER_TO_CLIENT, self.server, self.client)

    @property
    def label(self) -> str:
        return f"{self.client} ⇄ {self.server}"


@dataclass(eq=False)
class Stream:
    """One direction of a connection: its bytes in sequence order.

    ``state`` is free for the consumer (e.g. a frame decoder for this direction).
    """

    conn: Connection
    direction: str
    src: str
    dst: str
    state: Any = None
    isn: int | None = None  # sequence number of stream offset 0
    from_syn: bool = False  # offset 0 is the true start of the stream (its SYN was captured)
    next: int = 0  # stream offset of the next byte expected
    fin: int | None = None
    ended: bool = False
    pending: list[tuple[int, bytes]] = field(default_factory=list)
    pending_bytes: int = 0
    retransmitted: int = 0


# Events handed to the consumer, in stream order per direction.
@dataclass(slots=True)
class Data:
    stream: Stream
    offset: int
    data: bytes


@dataclass(slots=True)
class Gap:
    """Bytes the capture never showed (lost or not captured); the stream skips them."""

    stream: Stream
    offset: int
    size: int


@dataclass(slots=True)
class End:
    stream: Stream


Event = Data | Gap | End


class Reassembler:
    """Per-connection, per-direction TCP reassembly.

    ``add(segment)`` returns the events it makes possible. Connections are keyed by
    their address/port pair; which side is the client comes from the SYN when it was
    captured, else from ``server_ports``, else the lower port is taken as the server.
    A hole that the capture never fills is skipped (``Gap``) once more than
    ``max_pending`` bytes wait behind it, or when the stream ends, or at ``finish()``,
    or when all streams together hold more than ``max_pending_total`` bytes (then the
    stream that has waited longest skips its holes). At most ``max_connections`` are
    open at once: one more ends the connection least recently seen (``evicted`` counts
    them), so a capture of any size and any number of connections streams in bounded
    memory.
    """

    def __init__(
        self,
        server_ports: Iterable[int] = (),
        max_pending: int = 8 * 1024 * 1024,
        *,
        max_pending_total: int = 32 * 1024 * 1024,
        max_connections: int = 4096,
    ) -> None:
        self.server_ports = frozenset(server_ports)
        self.max_pending = max_pending
        self.max_pending_total = max_pending_total
        self.max_connections = max_connections
        self._conns: dict[tuple[bytes, int, bytes, int], tuple[Connection, bool]] = {}
        self._keys: dict[Connection, tuple[tuple[bytes, int, bytes, int], ...]] = {}  # least recent first
        self._waiting: dict[Stream, None] = {}  # streams with bytes behind a hole, oldest first
        self._pending_total = 0
        self.connections = 0
        self.evicted = 0

    def add(self, seg: TcpSegment) -> list[Event]:
        events: list[Event] = []
        key = (seg.src, seg.sport, seg.dst, seg.dport)
        found = self._conns.get(key)
        syn_only = seg.flags & (TCP_SYN | TCP_ACK) == TCP_SYN
        if found is not None and syn_only:
            conn, forward = found
            stream = conn.to_server if forward else conn.to_client
            if stream.isn is not None and stream.isn != (seg.seq + 1) % SEQ_MOD:
                self._close(conn, events)  # a new connection on the same ports
                found = None
        if found is None:
            if not seg.payload and not seg.flags & TCP_SYN:
                return events  # a stray ACK/FIN of a connection already closed
            found = self._open(seg, events)
        conn, forward = found
        keys = self._keys
        if next(reversed(keys)) is not conn:  # most recently seen last
            keys[conn] = keys.pop(conn)
        stream = conn.to_server if forward else conn.to_client
        self._segment(stream, seg, events)
        if seg.flags & TCP_RST:
            self._close(conn, events)
        elif conn.to_server.ended and conn.to_client.ended:
            self._forget(conn)
        return events

    def finish(self) -> list[Event]:
        """End every open stream (capture over): skip remaining holes, emit ``End``s."""
        events: list[Event] = []
        for conn in list(self._keys):
            self._close(conn, events)
        return events

    # internals ---------------------------------------------------------------
    def _open(self, seg: TcpSegment, events: list[Event]) -> tuple[Connection, bool]:
        a, b = format_endpoint(seg.src, seg.sport), format_endpoint(seg.dst, seg.dport)
        flags = seg.flags
        if flags & TCP_SYN:
            sender_is_client = not flags & TCP_ACK
        elif self.server_ports and (seg.sport in self.server_ports) != (seg.dport in self.server_ports):
            sender_is_client = seg.dport in self.server_ports
        elif seg.sport != seg.dport:
            sender_is_client = seg.sport > seg.dport
        else:
            sender_is_client = True
        if len(self._keys) >= self.max_connections:
            self.evicted += 1
            self._close(next(iter(self._keys)), events)
        self.connections += 1
        conn = Connection(self.connections, a if sender_is_client else b, b if sender_is_client else a)
        fwd = (seg.src, seg.sport, seg.dst, seg.dport)
        rev = (seg.dst, seg.dport, seg.src, seg.sport)
        self._conns[fwd] = (conn, sender_is_client)
        self._conns[rev] = (conn, not sender_is_client)
        self._keys[conn] = (fwd, rev)
        return self._conns[fwd]

    def _forget(self, conn: Connection) -> None:
        for key in self._keys.pop(conn, ()):
            self._conns.pop(key, None)

    def _close(self, conn: Connection, events: list[Event]) -> None:
        for stream in (conn.to_server, conn.to_client):
            if not stream.ended:
                self._flush_holes(stream, events)
                stream.ended = True
                events.append(End(stream))
        self._forget(conn)

    def _segment(self, st: Stream, seg: TcpSegment, events: list[Event]) -> None:
        seq, payload, flags = seg.seq, seg.payload, seg.flags
        if flags & TCP_SYN:
            seq = (seq + 1) % SEQ_MOD  # the SYN takes one sequence number
            if st.isn is None:
                st.isn, st.from_syn = seq, True
        if st.ended:
            return
        if st.isn is None:
            if not payload and not flags & TCP_FIN:
                return  # a bare ACK tells nothing about where this stream starts
            st.isn = seq
        rel = (seq - st.isn) % SEQ_MOD
        off = st.next + ((rel - st.next + _HALF) % SEQ_MOD - _HALF)
        if flags & TCP_FIN:
            st.fin = off + len(payload)
        if payload:
            end = off + len(payload)
            if end <= st.next:
                st.retransmitted += 1
            elif off <= st.next:
                self._deliver(st, payload[st.next - off:], events)
                self._drain(st, events)
            else:
                heapq.heappush(st.pending, (off, payload))
                st.pending_bytes += len(payload)
                self._pending_total += len(payload)
                self._waiting[st] = None
                if st.pending_bytes > self.max_pending:
                    self._skip_hole(st, events)
                while self._pending_total > self.max_pending_total and self._waiting:
                    self._flush_holes(next(iter(self._waiting)), events)
        if st.fin is not None and st.next >= st.fin and not st.pending:
            st.ended = True
            events.append(End(st))

    def _deliver(self, st: Stream, data: bytes, events: list[Event]) -> None:
        events.append(Data(st, st.next, data))
        st.next += len(data)

    def _drain(self, st: Stream, events: list[Event]) -> None:
        pending = st.pending
        while pending and pending[0][0] <= st.next:
            off, data = heapq.heappop(pending)
            st.pending_bytes -= len(data)
            self._pending_total -= len(data)
            end = off + len(data)
            if end > st.next:
                self._deliver(st, data[st.next - off:], events)
            else:
                st.retransmitted += 1
        if not pending:
            self._waiting.pop(st, None)

    def _skip_hole(self, st: Stream, events: list[Event]) -> None:
        off = st.pending[0][0]
        events.append(Gap(st, st.next, off - st.next))
        st.next = off
        self._drain(st, events)

    def _flush_holes(self, st: Stream, events: list[Event]) -> None:
        while st.pending:
            self._skip_hole(st, events)
