"""Sans-I/O OneShot client session (in the manner of h11 / wsproto).

    conn = Connection(key=..., iv=..., encrypt=False)
    sock.send(conn.send(BindReq(...)))
    conn.receive_data(sock.recv(65536))       # b"" at end of stream
    while (event := conn.next_event()) is not NEED_DATA: ...

States: CONNECTED → (PrivateKeyReq → KEY_WAIT → CONNECTED when ``encrypt``) →
BindReq → BIND_WAIT → BOUND (or REFUSED) → UnBindReq → UNBINDING → CLOSED.

Body encryption: without ``encrypt`` only BindReq/BindRes/UnBindReq/UnBindRes bodies
are encrypted, with the configured key and IV. With ``encrypt`` the PrivateKeyRes
(a plain object, or a string encrypted with the configured key) carries a session key;
every later body both ways is encrypted with the session key and the configured IV.
Received string bodies are always decrypted; received plain objects are accepted.

Events are the message dataclasses of ``messages.py``, except a MsgSendRes, which comes
as ``Answered(request, response)`` matched to its outstanding MsgSendReq, plus
``BadFrame`` and ``ConnectionClosed``. The clock is injectable for the deadline helpers.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, NamedTuple

from smscli.protocol.oneshot.crypto import BodyCipher, parse_key_material
from smscli.protocol.oneshot.errors import OneShotError
from smscli.protocol.oneshot.frames import (
    Damaged,
    Frame,
    FrameDecoder,
    encode_frame,
    encode_frame_json,
)
from smscli.protocol.oneshot.messages import (
    ALWAYS_ENCRYPTED,
    AliveReq,
    AliveRes,
    BindReq,
    BindRes,
    GenericMessage,
    MsgSendReq,
    MsgSendRes,
    OneShotMessage,
    PrivateKeyReq,
    PrivateKeyRes,
    UnBindReq,
    UnBindRes,
    parse_message,
)

CLIENT = "client"
DEFAULT_WINDOW = 10
DEFAULT_ALIVE_INTERVAL = 20.0  # the server drops a connection silent for 30 s


class State(Enum):
    CONNECTED = "connected"
    KEY_WAIT = "key-wait"
    BIND_WAIT = "bind-wait"
    BOUND = "bound"
    REFUSED = "refused"
    UNBINDING = "unbinding"
    CLOSED = "closed"


class LocalProtocolError(OneShotError):
    """We tried to send something the session does not allow now."""


class _NeedData:
    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA: Any = _NeedData()


class Answered(NamedTuple):
    """A MsgSendRes with the outstanding request it answers (None if it matches none).
    (A named tuple: one per message, immutable without a frozen ``__init__``'s
    ``object.__setattr__`` per field.)"""

    request: MsgSendReq | None
    response: MsgSendRes


@dataclass(frozen=True)
class BadFrame:
    """A frame that could not be used: damaged on the wire, undecryptable, or malformed."""

    offset: int
    length: int
    reason: str
    method: str = ""


@dataclass(frozen=True)
class ConnectionClosed:
    """The peer closed the stream."""


Event = OneShotMessage | GenericMessage | Answered | BadFrame | ConnectionClosed


class Connection:
    """One client session over one byte stream."""

    def __init__(
        self,
        role: str = CLIENT,
        *,
        key: bytes,
        iv: bytes,
        encrypt: bool = False,
        window: int = DEFAULT_WINDOW,
        alive_interval: float = DEFAULT_ALIVE_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        max_frame: int | None = None,
    ) -> None:
        if role != CLIENT:
            raise OneShotError(f"unsupported role {role!r}: only the client side is implemented")
        if window < 1:
            raise OneShotError("window must be at least 1")
        self.encrypt = encrypt
        self.window = window
        self.alive_interval = alive_interval
        self.clock = clock
        self.state = State.CONNECTED
        self.bind_result: BindRes | None = None
        self._iv = iv
        self._configured = BodyCipher(key, iv)
        self._session: BodyCipher | None = None
        self._decoder = FrameDecoder() if max_frame is None else FrameDecoder(max_frame=max_frame)
        self._events: deque[Event] = deque()
        self._eof = False
        self.outstanding: dict[tuple[str, str, str], tuple[MsgSendReq, float]] = {}
        self.last_sent_at = clock()
        self._in_order = True  # outstanding's insertion order is its send-time order
        self.alive_sent_at: float | None = None

    # ----------------------------------------------------------------- sending

    def send(self, message: OneShotMessage | GenericMessage) -> bytes:
        """The wire bytes for ``message``; updates the session state."""
        if type(message) is MsgSendReq:  # the hot path: one per message
            if self.state is not State.BOUND or self._eof:
                self._check_can_send(message)  # raises with the reason
            key = message.key
            if key in self.outstanding:
                raise LocalProtocolError(f"MsgSendReq {message.user_msg_id!r} is already outstanding")
            if len(self.outstanding) >= self.window:
                raise LocalProtocolError(f"window full ({self.window} outstanding)")
            # The body's JSON text (spliced: no dict to build and encode), encrypted only
            # with the session key (None only before the key exchange, when not bound).
            text = message.body_json()
            assert text is not None
            cipher = self._session
            if self.encrypt and cipher is not None:
                data = encode_frame("MsgSendReq", cipher.encrypt_json(text))
            else:
                data = encode_frame_json("MsgSendReq", text)
            now = self.clock()
            if now < self.last_sent_at:  # (``_stamp``, inline)
                self._in_order = False
            self.last_sent_at = now
            self.outstanding[key] = (message, now)
            return data
        self._check_can_send(message)
        data = self.encode(message)
        now = self.clock()
        self._stamp(now)
        if isinstance(message, PrivateKeyReq):
            self.state = State.KEY_WAIT
        elif isinstance(message, BindReq):
            self.state = State.BIND_WAIT
        elif isinstance(message, MsgSendReq):
            self.outstanding[message.key] = (message, now)
        elif isinstance(message, AliveReq):
            if self.alive_sent_at is None:
                self.alive_sent_at = now
        elif isinstance(message, UnBindReq):
            self.state = State.UNBINDING
        return data

    def _stamp(self, now: float) -> None:
        """Note a send time; ``outstanding`` stays in send-time order unless the clock
        went back (then the deadline helpers scan every entry)."""
        if now < self.last_sent_at:
            self._in_order = False
        self.last_sent_at = now

    def encode(self, message: OneShotMessage | GenericMessage) -> bytes:
        """The wire bytes ``send`` would produce now, without changing any state."""
        body = message.to_body()
        return encode_frame(message.method, self._encrypt(self._cipher_for(message.method), message.method, body))

    @staticmethod
    def _encrypt(cipher: BodyCipher | None, method: str, body: Any) -> Any:
        if cipher is None or body is None:
            return body
        if not isinstance(body, dict):
            raise LocalProtocolError(f"{method} body must be an object to be encrypted")
        return cipher.encrypt(body)

    def _check_can_send(self, message: OneShotMessage | GenericMessage) -> None:
        state = self.state
        if state in (State.CLOSED, State.REFUSED) or self._eof:
            raise LocalProtocolError(f"cannot send {message.method}: the session is {state.value}")
        if isinstance(message, PrivateKeyReq):
            if not self.encrypt or state is not State.CONNECTED or self._session is not None:
                raise LocalProtocolError(
                    "PrivateKeyReq is sent once, first, and only with encryption on"
                )
            return
        if isinstance(message, BindReq):
            if state is not State.CONNECTED:
                raise LocalProtocolError(f"cannot bind: the session is {state.value}")
            if self.encrypt and self._session is None:
                raise LocalProtocolError(
                    "with encryption on, get the session key (PrivateKeyReq) first"
                )
            return
        if isinstance(message, AliveReq | AliveRes):
            return
        if state is not State.BOUND:
            raise LocalProtocolError(
                f"cannot send {message.method}: not bound (session is {state.value})"
            )
        if isinstance(message, MsgSendReq):
            if message.key in self.outstanding:
                raise LocalProtocolError(
                    f"MsgSendReq {message.user_msg_id!r} is already outstanding"
                )
            if len(self.outstanding) >= self.window:
                raise LocalProtocolError(f"window full ({self.window} outstanding)")

    def _cipher_for(self, method: str) -> BodyCipher | None:
        if self.encrypt:
            return self._session  # None only before the key exchange (PrivateKeyReq)
        return self._configured if method in ALWAYS_ENCRYPTED else None

    @property
    def can_send_message(self) -> bool:
        """Bound, and a MsgSendReq fits in the window."""
        return self.state is State.BOUND and len(self.outstanding) < self.window and not self._eof

    # --------------------------------------------------------------- receiving

    def receive_data(self, data: bytes) -> None:
        """Bytes from the peer; ``b""`` means the peer closed the stream."""
        if self._eof:
            if data:
                raise LocalProtocolError("data received after the end of the stream")
            return
        if not data:
            self._eof = True
            for damaged in self._decoder.close():
                self._events.append(BadFrame(damaged.offset, damaged.length, damaged.reason))
            self._events.append(ConnectionClosed())
            return
        events = self._events
        for item in self._decoder.feed(data):
            if item.__class__ is Frame and item.method == "MsgSendRes" and item.body.__class__ is dict:
                try:  # the usual frame first: no encrypted body, no other state to change
                    response = MsgSendRes.from_body(item.body)
                except OneShotError as exc:
                    events.append(BadFrame(item.offset, item.length, str(exc), item.method))
                    continue
                events.append(Answered(self._match(response), response))
                continue
            if isinstance(item, Damaged):
                self._events.append(BadFrame(item.offset, item.length, item.reason))
                continue
            try:
                body = item.body
                if isinstance(body, str):
                    body = self._decrypt(item.method, body)
                message = parse_message(item.method, body)
            except OneShotError as exc:
                self._events.append(BadFrame(item.offset, item.length, str(exc), item.method))
                continue
            self._events.append(self._on_message(message))

    def take_events(self) -> list[Event]:
        """Every pending event, oldest first (what ``next_event`` would give until NEED_DATA)."""
        events = list(self._events)
        self._events.clear()
        return events

    def next_event(self) -> Event:
        """The next event, or NEED_DATA."""
        if self._events:
            return self._events.popleft()
        return NEED_DATA

    def _decrypt(self, method: str, body: str) -> dict[str, Any]:
        if isinstance(body, str) and method == "PrivateKeyRes":
            return self._configured.decrypt(body)
        cipher = self._session if self._session is not None else self._configured
        return cipher.decrypt(body)

    def _on_message(self, message: OneShotMessage | GenericMessage) -> Event:
        if type(message) is MsgSendRes:  # the usual answer first
            return Answered(self._match(message), message)
        if isinstance(message, PrivateKeyRes):
            if self.state is State.KEY_WAIT:
                if message.result == 0:
                    self._session = BodyCipher(parse_key_material(message.private_key), self._iv)
                    self.state = State.CONNECTED
                else:
                    self.state = State.REFUSED
            return message
        if isinstance(message, BindRes):
            if self.state is State.BIND_WAIT:
                self.bind_result = message
                self.state = State.BOUND if message.result == 0 else State.REFUSED
            return message
        if isinstance(message, MsgSendRes):
            return Answered(self._match(message), message)
        if isinstance(message, AliveRes):
            self.alive_sent_at = None
            return message
        if isinstance(message, UnBindRes):
            self.state = State.CLOSED
            return message
        return message

    def _match(self, response: MsgSendRes) -> MsgSendReq | None:
        entry = self.outstanding.pop(response.key, None)
        if entry is None:
            # Tolerate a server that rewrites PhoneNo: match on the ids if unambiguous.
            keys = [k for k in self.outstanding if k[:2] == response.key[:2]]
            if len(keys) != 1:
                return None
            entry = self.outstanding.pop(keys[0])
        return entry[0]

    # ---------------------------------------------------------------- deadlines

    def alive_due(self, now: float | None = None) -> bool:
        """Nothing sent for ``alive_interval`` seconds: time for an AliveReq."""
        now = self.clock() if now is None else now
        return now - self.last_sent_at >= self.alive_interval

    def alive_deadline(self) -> float:
        """When ``alive_due`` turns true unless something is sent before."""
        return self.last_sent_at + self.alive_interval

    def alive_overdue(self, timeout: float, now: float | None = None) -> bool:
        """An AliveReq has gone unanswered for ``timeout`` seconds: the link is dead."""
        now = self.clock() if now is None else now
        return self.alive_sent_at is not None and now - self.alive_sent_at >= timeout

    def expired(self, timeout: float, now: float | None = None) -> list[MsgSendReq]:
        """Outstanding requests unanswered for ``timeout`` seconds (oldest first)."""
        now = self.clock() if now is None else now
        if self._in_order:  # oldest first: stop at the first one still in time
            late = []
            for req, sent in self.outstanding.values():
                if now - sent < timeout:
                    break
                late.append(req)
            return late
        return [req for req, sent in self.outstanding.values() if now - sent >= timeout]

    def oldest_outstanding(self) -> float | None:
        """When the oldest outstanding request was sent, if any."""
        if self._in_order:
            for _req, sent in self.outstanding.values():
                return sent
            return None
        return min((sent for _req, sent in self.outstanding.values()), default=None)

    def forget(self, request: MsgSendReq) -> None:
        """Drop an outstanding request (given up on, or to be re-sent elsewhere)."""
        self.outstanding.pop(request.key, None)
