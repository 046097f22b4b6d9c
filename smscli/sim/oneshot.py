"""OneShot (SMTNT) server simulator: asyncio TCP, the real codec, the document's rules.

What it enforces (spec ``003_…`` and ``spec/README.md``):

- ``encrypt``: PrivateKeyReq → PrivateKeyRes carrying a per-connection session key;
  every body after it, both ways, is AES with that key and the configured IV. Without
  ``encrypt`` only the BindReq/BindRes/UnBindReq/UnBindRes bodies are encrypted, with the
  configured key.
- BindReq: wrong id → Result 4, wrong password → 5, Version ≠ 1 → 7, too many bound
  connections → 2; any failure closes the connection after the BindRes.
- MsgSendReq (answered by MsgSendRes with the same UserMsgId/UserMsgSubId/PhoneNo):
  902 not bound, 320 already accepted (remembered for the server's life, across
  connections), 901 outside BeginTime–EndTime (Korea time), 911 unknown MsgType,
  316 no CallbackNo, 908 text over 90 (SMS) / 2000 (LMS) CP949 bytes or subject over 64,
  909/16/910 bad attachments, 903 more than the speed limit within the last second
  (sliding window). Kakao/RCS (MsgType 7/71/8/9–12) against ``kakao``, the shared
  :class:`~smscli.sim.kakao.KakaoRules` (:mod:`smscli.sim.oneshot_kakao`): 22 sender key,
  36 unknown template, 30 text that does not match it, 38 buttons that differ, 35 over
  1000 characters, 37 AlimTalk image without one, 21 RCS without its message base id; a
  recipient not on Kakao is accepted and reported 29 (the client falls back).
- Every accepted message gets a ReportReq after ``report_delay`` seconds; reports not
  acknowledged with ReportRes are pushed again after the next bind. With ``state_file``
  the accepted ids and the unacknowledged reports survive a restart.
- Uploads: UploadFileNameReq → ``<32 hex>.jpg``; UploadFileReq/UploadFileDataReq chunks
  (a frame over 2048 bytes, or Data over 4096 characters, spoils the upload: 910);
  UploadFileFinishReq checks FileSize and JPEG data, then stores the file.
- AliveReq → AliveRes; a connection silent for ``idle_timeout`` seconds is closed;
  UnBindReq → UnBindRes, then close.

Fault knobs (``reject_rate``, ``fail_rate``, ``silent_rate``, ``drop_rate``, ``drop_after``,
``enforce_speed``) are deterministic: each decision is a hash of ``seed`` and the
message's (UserMsgId, UserMsgSubId, PhoneNo), whatever the arrival order. ``silent_rate``,
``drop_rate`` and ``drop_after`` lose the answer to an accepted message (no answer on an
open connection; the connection closed instead); ``delay`` answers each MsgSendReq that
many seconds after accepting it, so a client that times out first has lost the answer.

Use it in-process (``with OneShotSimulator(...) as sim:`` runs it in a background
thread on an ephemeral loopback port) or from ``smscli sim oneshot``.

The parts: :mod:`smscli.sim.oneshot_config` (the configuration, codes and records),
:mod:`smscli.sim.oneshot_session` (one connection), and the simulator's mixins
:mod:`smscli.sim.oneshot_store` (state file, views, bookkeeping, record file),
:mod:`smscli.sim.oneshot_login` (key exchange, bind, alive, unbind),
:mod:`smscli.sim.oneshot_messages` (MsgSendReq, reports, pushes) and
:mod:`smscli.sim.oneshot_uploads`; this module keeps the server, its lifecycle (also
in a thread), the thread-safe actions, the wire and the dispatch.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TextIO

from smscli import clock as wall_clock
from smscli.protocol.oneshot.crypto import BodyCipher, parse_iv, parse_key_material
from smscli.protocol.oneshot.errors import OneShotError
from smscli.protocol.oneshot.frames import Frame, encode_frame
from smscli.sim.kakao import KakaoRules
from smscli.sim.oneshot_config import (
    BAD_DATA,
    KST,
    AcceptedMessage,
    HeldReport,
    Log,
    OneShotSimConfig,
    ProtocolError,
)
from smscli.sim.oneshot_login import LoginMixin
from smscli.sim.oneshot_messages import MessagesMixin
from smscli.sim.oneshot_session import SimSession
from smscli.sim.oneshot_store import StoreMixin
from smscli.sim.oneshot_uploads import UploadsMixin

__all__ = ["KST", "AcceptedMessage", "Log", "OneShotSimConfig", "OneShotSimulator"]

_BASE_KEY_METHODS = frozenset({"BindReq", "BindRes", "UnBindReq", "UnBindRes"})


class OneShotSimulator(StoreMixin, LoginMixin, MessagesMixin, UploadsMixin):
    """The server. ``start()``/``stop()`` inside a loop, or ``start_in_thread()``/``close()``
    (also as a context manager) from synchronous code. Thread-safe accessors:
    ``accepted``, ``files``, ``acks``, ``pending_reports``, ``stats``; thread-safe
    actions: ``push_spam``, ``push_change_phone``.
    """

    def __init__(
        self,
        config: OneShotSimConfig | None = None,
        *,
        log: Log | None = None,
        clock: Callable[[], float] = wall_clock.time,
        **overrides: Any,
    ) -> None:
        cfg = config or OneShotSimConfig()
        if overrides:
            cfg = replace(cfg, **overrides)
        self.config = cfg.validate()
        self._log = log
        self._clock = clock  # wall clock, for BeginTime/EndTime and DeliveryTime
        self._iv = parse_iv(cfg.iv)
        self._base_cipher = BodyCipher(parse_key_material(cfg.key), self._iv)
        self._kakao = cfg.kakao if cfg.kakao is not None else KakaoRules()
        self._lock = threading.Lock()
        self._accepted: dict[tuple[str, str, str], AcceptedMessage] = {}
        # (UserMsgId, UserMsgSubId, PhoneNo) accepted by earlier runs (state_file)
        self._earlier_keys: dict[tuple[str, ...], None] = {}
        self._reports: dict[str, HeldReport] = {}  # ServerMsgId → report not yet acknowledged
        self._files: dict[str, bytes] = {}
        self._acks: list[tuple[str, dict[str, Any]]] = []
        self._queued_pushes: list[tuple[str, dict[str, Any]]] = []
        self._stats: dict[str, int] = {}
        self._window: deque[float] = deque()
        self._due: deque[tuple[float, str]] = deque()  # (loop time, ServerMsgId) of reports to come
        self._due_timer: asyncio.TimerHandle | None = None
        self._sessions: dict[int, SimSession] = {}
        self._next_conn = 0
        self._next_msg = 0
        self._next_spam = 0
        self._dropped_once = False
        self._record: TextIO | None = None
        self._record_dirty = False
        self._server: asyncio.base_events.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._running = False
        self.address: tuple[str, int] = (cfg.host, cfg.port)

    # lifecycle ---------------------------------------------------------------
    async def start(self) -> tuple[str, int]:
        """Listen; return the (host, port) actually bound."""
        self._loop = asyncio.get_running_loop()
        cfg = self.config
        if cfg.upload_dir is not None:
            cfg.upload_dir.mkdir(parents=True, exist_ok=True)
        if cfg.state_file is not None:
            self._load_state(cfg.state_file)
        self._server = await self._loop.create_server(
            lambda: SimSession(self), cfg.host, cfg.port, reuse_address=True
        )
        if cfg.record is not None:
            # A large buffer flushed after each batch: readers never see half a line.
            self._record = open(cfg.record, "a", encoding="utf-8", buffering=1 << 20)  # noqa: SIM115
        sock = self._server.sockets[0]
        self.address = sock.getsockname()[:2]
        self._running = True
        return self.address

    async def stop(self) -> None:
        """Close every connection and the listener; flush the record file."""
        if not self._running:
            return
        self._running = False
        if self._server is not None:
            self._server.close()
        if self._due_timer is not None:
            self._due_timer.cancel()
            self._due_timer = None
        for session in list(self._sessions.values()):
            session.close("server stopping")
        if self._server is not None:
            await self._server.wait_closed()
        await asyncio.sleep(0)
        if self._record is not None:
            self._record.close()
            self._record = None
        if self.config.state_file is not None:
            self._save_state(self.config.state_file)
        self._emit("stopped")

    async def serve_forever(self) -> None:
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    def start_in_thread(self, timeout: float = 5.0) -> tuple[str, int]:
        """Run the server on its own event loop in a daemon thread; return its address."""
        if self._thread is not None:
            raise RuntimeError("simulator already started")
        loop = asyncio.new_event_loop()
        ready: concurrent.futures.Future[tuple[str, int]] = concurrent.futures.Future()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                ready.set_result(loop.run_until_complete(self.start()))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                ready.set_exception(exc)
                loop.close()
                return
            loop.run_forever()
            loop.run_until_complete(self.stop())
            loop.close()

        self._thread = threading.Thread(target=run, name="oneshot-sim", daemon=True)
        self._thread.start()
        try:
            return ready.result(timeout)
        except BaseException:
            self._thread.join(timeout)
            self._thread = None
            raise

    def close(self, timeout: float = 5.0) -> None:
        """Stop a server started with ``start_in_thread`` (idempotent)."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        self._thread = None
        if not loop.is_closed():
            try:
                asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout)
            finally:
                loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)

    def __enter__(self) -> OneShotSimulator:
        self.start_in_thread()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # thread-safe actions ---------------------------------------------------------
    def push_spam(self, phone: str, deny_no: str = "0800000000") -> str:
        """Push a SpamReq to every bound connection (or the next one to bind); return SpamId."""
        with self._lock:
            self._next_spam += 1
            spam_id = str(self._next_spam)
        body = {"SpamId": spam_id, "PhoneNo": phone, "DenyNo": deny_no}
        self._call_soon(self._push_everywhere, "SpamReq", body)
        return spam_id

    def push_change_phone(
        self, phone: str, new_phone: str, server_msg_id: str | None = None
    ) -> None:
        """Push a ChangePhoneReq (number portability) like ``push_spam``. Without
        ``server_msg_id``, the last accepted message to ``phone`` is named (or "")."""
        if server_msg_id is None:
            with self._lock:
                ids = [m.server_msg_id for m in self._accepted.values() if m.phone == phone]
            server_msg_id = ids[-1] if ids else ""
        body = {"ServerMsgId": server_msg_id, "PhoneNo": phone, "ChangePhoneNo": new_phone}
        self._call_soon(self._push_everywhere, "ChangePhoneReq", body)

    def _call_soon(self, fn: Callable[..., None], *args: Any) -> None:
        if self._loop is None or not self._running:
            raise RuntimeError("simulator is not running")
        self._loop.call_soon_threadsafe(fn, *args)

    # wire ----------------------------------------------------------------------------
    def _send(self, session: SimSession, method: str, body: dict[str, Any] | None) -> None:
        if session.closed:
            return
        wire_body: dict[str, Any] | str | None = body
        if body is not None:
            if session.cipher is not None:
                wire_body = session.cipher.encrypt(body)
            elif method in _BASE_KEY_METHODS:
                wire_body = self._base_cipher.encrypt(body)
        session.write(encode_frame(method, wire_body))

    def _open_body(self, session: SimSession, frame: Frame) -> dict[str, Any]:
        body = frame.body
        if body is None:
            return {}
        if session.cipher is not None:
            if not isinstance(body, str):
                raise ProtocolError(f"{frame.method} body is not encrypted (encrypt mode)")
            return session.cipher.decrypt(body)
        if frame.method in _BASE_KEY_METHODS:
            if not isinstance(body, str):
                raise ProtocolError(
                    f"{frame.method} body must be encrypted with the configured key"
                )
            return self._base_cipher.decrypt(body)
        if isinstance(body, str):
            raise ProtocolError(
                f"{frame.method} body is encrypted but this server runs without encrypt"
            )
        return body

    def _dispatch(self, session: SimSession, frame: Frame) -> None:
        handler = _HANDLERS.get(frame.method)
        if handler is None:
            self._count("unknown_methods")
            self._emit(f"{session.tag} {frame.method}: unknown method, ignored")
            return
        try:
            body = self._open_body(session, frame)
        except OneShotError as exc:
            if frame.method == "BindReq":
                self._emit(f"{session.tag} BindReq body unreadable ({exc}): wrong key or IV?")
                self._finish_bind(session, "", BAD_DATA)
                return
            raise ProtocolError(f"{frame.method} body unreadable: {exc}") from None
        handler(self, session, frame, body)


_Handler = Callable[[OneShotSimulator, "SimSession", Frame, dict[str, Any]], None]
_HANDLERS: dict[str, _Handler] = {
    "PrivateKeyReq": OneShotSimulator._on_private_key,
    "BindReq": OneShotSimulator._on_bind,
    "AliveReq": OneShotSimulator._on_alive,
    "MsgSendReq": OneShotSimulator._on_msg_send,
    "ReportRes": OneShotSimulator._on_ack,
    "SpamRes": OneShotSimulator._on_ack,
    "ChangePhoneRes": OneShotSimulator._on_ack,
    "UploadFileNameReq": OneShotSimulator._on_upload_name,
    "UploadFileReq": OneShotSimulator._on_upload_data,
    "UploadFileDataReq": OneShotSimulator._on_upload_data,
    "UploadFileFinishReq": OneShotSimulator._on_upload_finish,
    "UnBindReq": OneShotSimulator._on_unbind,
}
