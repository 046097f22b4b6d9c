"""``packet decode`` input, captures: pcap/pcapng packets → TCP streams (reassembled by
``smscli.capture``) → records, per connection and direction; connections are classified as
OneShot or not, and all of them together stay within ``CAPTURE_BUDGET``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from smscli.errors import UsageError
from smscli.packet_input_base import BATCH_TEXT, HEADER, DamagedInput, Notes
from smscli.packet_input_records import Batch, KeyMaterial, Session
from smscli.packet_input_wire import WireDecoder
from smscli.protocol.oneshot.frames import size_text

_ONESHOT_SNIFF = 64 * 1024  # bytes of a capture stream searched for a OneShot header
CAPTURE_BUDGET = 48 * 1024 * 1024  # bytes all of a capture's decoders may hold together


class _Conv:
    """Per-connection state: is it OneShot, and its key session."""

    def __init__(self, session: Session, forced: bool) -> None:
        self.session = session
        self.kind = "oneshot" if forced else "unknown"


class _Side:
    """Per-direction state: bytes held while the connection is unclassified, and a decoder."""

    def __init__(self) -> None:
        self.held: list[tuple[str, int, bytes]] = []  # ("data", offset, bytes) / ("gap", offset, size)
        self.held_bytes = 0
        self.sniff = bytearray()  # the held data, joined, for _classify
        self.searched = 0  # sniff[:searched] holds no OneShot header
        self.decoder = WireDecoder(max_output=BATCH_TEXT)


_ONESHOT_HEADER = re.compile(rb"Content-Length:\d{1,10}\r\n")
_HEADER_SPAN = len(HEADER) + 12  # the most bytes of a header a previous search saw cut


def capture_batches(
    chunks: Iterator[bytes],
    keys: KeyMaterial | None,
    show_secrets: bool,
    ports: tuple[int, ...],
    notes: Notes,
) -> Iterator[list[dict[str, Any]]]:
    from smscli.capture import CaptureError, CaptureReader, Fragment, Reassembler, parse_tcp

    reader = CaptureReader(chunks)
    reasm = Reassembler(server_ports=ports)
    port_set = frozenset(ports)
    tracker = _Tracker(keys, show_secrets, forced=bool(port_set), notes=notes)
    tcp = fragments = 0
    try:
        for pkt in reader:
            try:
                seg = parse_tcp(pkt.linktype, pkt.data)
            except Fragment:
                fragments += 1
                continue
            if seg is None or (port_set and seg.sport not in port_set and seg.dport not in port_set):
                continue
            tcp += 1
            events = reasm.add(seg)
            if events:
                yield from tracker.handle(events, pkt.ts)
        yield from tracker.handle(reasm.finish(), None)
    except CaptureError as err:
        raise UsageError(f"cannot read the capture: {err}", hint="is it a pcap or pcapng file?") from None
    for note in reader.notes:
        notes(note)
    if reasm.evicted:
        notes(f"{reasm.evicted} connections were ended early: more than {reasm.max_connections} "
              "were open at once (a later packet of one starts a new connection)")
    if fragments:
        notes(f"{fragments} IP fragments skipped (fragmented IP is not reassembled)")
    if reader.truncated:
        raise DamagedInput(reader.truncated)
    if not tcp:
        where = f" on port {', '.join(map(str, ports))}" if ports else ""
        notes(f"the capture holds no TCP segments{where} ({reader.packets} packets read)")
    elif not tracker.oneshot:
        notes("no connection in the capture carries OneShot frames"
              + ("" if ports else " (use --port to decode one anyway)"))


class _Tracker:
    """Routes reassembled stream events to per-direction decoders.

    Without ``forced`` (``--port``), a connection's bytes are held until it shows
    OneShot frames (``_classify``); connections that do not are skipped with a note.
    What all directions hold together (bytes waiting to be classified, frames in
    progress) stays under ``budget``: past it, the direction that has waited longest
    gives up (its frame in progress is reported damaged; an unclassified connection is
    skipped).
    """

    def __init__(self, keys: KeyMaterial | None, show_secrets: bool, *, forced: bool, notes: Notes,
                 budget: int | None = None) -> None:
        self.keys, self.show_secrets, self.forced, self.notes = keys, show_secrets, forced, notes
        self.oneshot = 0
        self.budget = CAPTURE_BUDGET if budget is None else budget
        self._holding: dict[Any, int] = {}  # stream → bytes its side holds, least recent first
        self._total = 0
        self._batch: Batch | None = None

    def handle(self, events: list[Any], ts: float | None) -> Iterator[list[dict[str, Any]]]:
        """Yield the records the events complete (one list, or more when they are large)."""
        from smscli.capture import Data, End, Gap

        batch = Batch(lambda _it: {})
        for ev in events:
            stream = ev.stream
            conn = stream.conn
            if conn.state is None:
                conn.state = _Conv(Session(self.keys, self.show_secrets), self.forced)
                conn.to_server.state, conn.to_client.state = _Side(), _Side()
            conv: _Conv = conn.state
            if conv.kind == "other":
                continue
            if isinstance(ev, Data):
                item = ("data", ev.offset, ev.data)
            elif isinstance(ev, Gap):
                item = ("gap", ev.offset, ev.size)
                self.notes(f"connection {conn.number} {stream.direction}: {ev.size} bytes missing from the "
                           f"capture at stream offset {ev.offset}; frames there are reported damaged")
            else:
                item = ("end", 0, b"")
            if conv.kind == "oneshot":
                yield from self._feed(stream, conv, item, ts, batch)
                continue
            side: _Side = stream.state
            side.held.append(item)
            if isinstance(ev, Data):
                side.held_bytes += len(ev.data)
                side.sniff += ev.data
            verdict = _classify(stream, side, isinstance(ev, End))
            other = conn.to_client if stream is conn.to_server else conn.to_server
            if verdict == "other" and other.state.held and _classify(other, other.state, True) == "oneshot":
                verdict = "oneshot"
            if verdict == "unknown":
                self._account(stream, side.held_bytes)
                continue
            conv.kind = verdict
            if verdict == "other":
                self.notes(f"connection {conn.number} ({conn.label}) does not carry OneShot frames; "
                           "skipped (use --port to decode it anyway)")
                self._unhold(conn)
                continue
            self.oneshot += 1
            for held_stream in (conn.to_server, conn.to_client):
                held, held_stream.state.held = held_stream.state.held, []
                held_stream.state.held_bytes, held_stream.state.sniff = 0, bytearray()
                self._account(held_stream, 0)
                for held_item in held:
                    yield from self._feed(held_stream, conv, held_item, ts, batch)
        if batch.records:
            yield batch.take()

    def _feed(self, stream: Any, conv: _Conv, item: tuple[str, int, Any], ts: float | None,
              batch: Batch) -> Iterator[list[dict[str, Any]]]:
        kind, _, payload = item
        decoder: WireDecoder = stream.state.decoder

        def extra() -> dict[str, Any]:
            conn = stream.conn
            more = {"connection": conn.number, "direction": stream.direction, "src": stream.src,
                    "dst": stream.dst}
            if ts:
                more["time"] = datetime.fromtimestamp(ts, UTC).isoformat(
                    timespec="microseconds").replace("+00:00", "Z")
            return more

        batch.record = conv.session.record
        if kind == "data":
            yield from batch.add(decoder, payload, extra)
        else:
            batch.extend(decoder.gap(payload) if kind == "gap" else decoder.close(), extra)
        self._account(stream, decoder.held)

    def _account(self, stream: Any, held: int) -> None:
        """``stream``'s side now holds ``held`` bytes; past the budget, make room."""
        holding = self._holding
        self._total += held - holding.pop(stream, 0)
        if held:
            holding[stream] = held  # now the most recent
        for _ in range(len(holding)):
            if self._total <= self.budget:
                return
            oldest = next(iter(holding))
            conv: _Conv = oldest.conn.state
            if conv.kind != "oneshot":
                conv.kind = "other"
                conn = oldest.conn
                self.notes(f"connection {conn.number} ({conn.label}) showed no OneShot frame before "
                           f"the capture's connections held {size_text(self.budget)}; skipped "
                           "(use --port to decode it anyway)")
                self._unhold(conn)
                continue
            decoder: WireDecoder = oldest.state.decoder
            decoder.shed(f"dropped: the capture's connections held more than {size_text(self.budget)}")
            self._total += decoder.held - holding.pop(oldest)
            if decoder.held:  # what it still holds counts, last in line
                holding[oldest] = decoder.held

    def _unhold(self, conn: Any) -> None:
        for st in (conn.to_server, conn.to_client):
            side: _Side = st.state
            side.held, side.held_bytes, side.sniff = [], 0, bytearray()
            self._total -= self._holding.pop(st, 0)


def _classify(stream: Any, side: _Side, ended: bool) -> str:
    """``oneshot`` / ``other`` / ``unknown`` (not enough bytes yet) for one direction."""
    data = side.sniff
    if stream.from_syn and side.held and side.held[0][0] == "data" and side.held[0][1] == 0:
        if len(data) >= len(HEADER) + 1 or ended:
            ok = data.startswith(HEADER) and data[len(HEADER):len(HEADER) + 1].isdigit()
            return "oneshot" if ok else "other"
        return "unknown"
    if _ONESHOT_HEADER.search(data, max(side.searched - _HEADER_SPAN, 0)):
        return "oneshot"
    side.searched = len(data)
    if ended or side.held_bytes >= _ONESHOT_SNIFF:
        return "other" if data or ended else "unknown"
    return "unknown"
