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
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TextIO

from smscli import clock as wall_clock
from smscli.errors import UsageError
from smscli.masking import mask_tree
from smscli.protocol.oneshot.crypto import BodyCipher, parse_iv, parse_key_material
from smscli.protocol.oneshot.errors import OneShotError
from smscli.protocol.oneshot.frames import Damaged, Frame, FrameDecoder, encode_frame
from smscli.sim import oneshot_kakao
from smscli.sim.kakao import KakaoRules

KST = timezone(timedelta(hours=9), "KST")

# Login result codes (document 3.3.3.1) and send result codes (3.4) the simulator uses.
OK = 0
LOGIN_SYSTEM_ERROR = 1
LOGIN_DUPLICATE = 2
LOGIN_BAD_ID = 4
LOGIN_BAD_PASSWORD = 5
LOGIN_BAD_VERSION = 7
NO_FILE = 16
NO_CALLBACK = 316
DUPLICATE_SEND = 320
OUTSIDE_HOURS = 901
NOT_BOUND = 902
TOO_FAST = 903
TOO_LONG = 908
FILE_COUNT = 909
FILE_SIZE = 910
BAD_DATA = 911
OTHER = 999

MAX_IMAGES = 3
STATE_MAX_IDS = 100_000  # accepted ids kept in the state file
MSG_TYPES = frozenset({4, 6, 7, 71, 8, 9, 10, 11, 12})
TEXT_LIMITS = {4: 90, 6: 2000}  # CP949 bytes of Message: SMS, LMS/MMS
SUBJECT_LIMIT = 64
MAX_IMAGE_BYTES = 1024 * 1024
FEED_OUTPUT = 1024 * 1024  # inflated JSON decoded from one read before it is handled
_BASE_KEY_METHODS = frozenset({"BindReq", "BindRes", "UnBindReq", "UnBindRes"})
_TELECOMS = ("SKT", "KTF", "LGT")
_SESSION_KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

Log = Callable[[str], None]


@dataclass(frozen=True)
class OneShotSimConfig:
    """Everything the simulator can be told; ``smscli sim oneshot`` flags map 1:1."""

    host: str = "127.0.0.1"
    port: int = 0  # 0: an ephemeral port (see ``OneShotSimulator.address``)
    bind_id: str = "test001"
    password: str = field(default="test001#$$%", repr=False)
    key: str = field(default="0123456789abcdef", repr=False)  # text or "hex:..."
    iv: str = field(default="fedcba9876543210", repr=False)
    encrypt: bool = False
    encrypted_key_res: bool = False  # PrivateKeyRes body encrypted with the configured key
    speed: int = 100  # announced in BindRes; 0 = unlimited
    enforce_speed: int | None = None  # enforced limit (None: = speed; 0: unlimited)
    begin: int = 0  # BeginTime hour, Korea time
    end: int = 24  # EndTime hour (exclusive); begin > end wraps past midnight
    effective_time: int = 3
    report_delay: float = 1.0
    fail_rate: float = 0.0  # fraction of reports with a failure code
    reject_rate: float = 0.0  # fraction of MsgSendReq answered with a failure code
    silent_rate: float = 0.0  # fraction of MsgSendReq accepted but never answered
    silent_ids: frozenset[str] = frozenset()  # UserMsgIds accepted but never answered
    seed: int = 0
    drop_after: int = 0  # close a connection upon its N-th MsgSendReq (accepted, unanswered)
    drop_rate: float = 0.0  # fraction of accepted MsgSendReq upon which the connection is closed
    delay: float = 0.0  # seconds from accepting a MsgSendReq to its MsgSendRes (a slow server)
    drop_every: bool = False  # False: only the first time; True: on every connection
    idle_timeout: float = 30.0
    max_connections: int = 0  # bound connections per bind id; 0 = unlimited
    spam: tuple[tuple[str, str], ...] = ()  # (phone, deny_no) pushed after each bind
    change_phone: tuple[tuple[str, str], ...] = ()  # (old, new) pushed after each bind
    upload_ack: bool = False  # answer each upload data frame with UploadFileRes
    record: Path | None = None  # append one JSON line per accepted message
    upload_dir: Path | None = None  # also write uploaded files here
    state_file: Path | None = None  # accepted ids and unacknowledged reports survive restarts
    max_frame: int = 1024 * 1024
    upload_frame_max: int = 2048
    upload_data_max: int = 4096
    reject_codes: tuple[int, ...] = (33, 316, 997)
    fail_codes: tuple[int, ...] = (7, 8, 15)
    # Kakao/RCS (smscli.sim.oneshot_kakao): approved templates, sender key, misses; None:
    # any template and sender key, nobody missed.
    kakao: KakaoRules | None = field(default=None, compare=False)

    def validate(self) -> OneShotSimConfig:
        """Raise UsageError for a value the simulator cannot honour; return self."""
        for name in ("fail_rate", "reject_rate", "silent_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise UsageError(f"--{name.replace('_', '-')} must be between 0 and 1, got {value}")
        if not 0 <= self.begin <= 23 or not 1 <= self.end <= 24 or self.begin == self.end:
            raise UsageError(
                f"sending hours {self.begin}-{self.end} are not valid",
                hint="use --begin 0..23 and --end 1..24, different from each other",
            )
        for name in ("speed", "drop_after", "max_connections", "port"):
            if getattr(self, name) < 0:
                raise UsageError(f"--{name.replace('_', '-')} must not be negative")
        if self.enforce_speed is not None and self.enforce_speed < 0:
            raise UsageError("--enforce-speed must not be negative")
        if self.idle_timeout <= 0 or self.report_delay < 0:
            raise UsageError("--idle-timeout must be positive and --report-delay not negative")
        if self.delay < 0:
            raise UsageError("--delay must not be negative")
        if not self.reject_codes or not self.fail_codes:
            raise UsageError("reject_codes and fail_codes must not be empty")
        for name, parse in (("key", parse_key_material), ("iv", parse_iv)):
            try:
                parse(getattr(self, name))
            except OneShotError as exc:
                raise UsageError(f"--{name}: {exc}") from None
        return self

    @property
    def speed_limit(self) -> int:
        return self.speed if self.enforce_speed is None else self.enforce_speed


@dataclass(frozen=True)
class AcceptedMessage:
    """One MsgSendReq the simulator accepted (and will report on)."""

    server_msg_id: str
    user_msg_id: str
    user_msg_sub_id: str
    phone: str
    msg_type: int
    body: dict[str, Any] = field(repr=False)
    connection: int
    accepted_at: float

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.user_msg_id, self.user_msg_sub_id, self.phone)


@dataclass
class _Report:
    body: dict[str, Any]
    origin: int  # connection that sent the message
    due: bool = False


@dataclass
class _Upload:
    name: str
    data: bytearray = field(default_factory=bytearray)
    error: int = OK
    reason: str = ""


class _ProtocolError(Exception):
    """The peer broke the protocol: log it and close the connection."""


class OneShotSimulator:
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
        self._reports: dict[str, _Report] = {}  # ServerMsgId → report not yet acknowledged
        self._files: dict[str, bytes] = {}
        self._acks: list[tuple[str, dict[str, Any]]] = []
        self._queued_pushes: list[tuple[str, dict[str, Any]]] = []
        self._stats: dict[str, int] = {}
        self._window: deque[float] = deque()
        self._due: deque[tuple[float, str]] = deque()  # (loop time, ServerMsgId) of reports to come
        self._due_timer: asyncio.TimerHandle | None = None
        self._sessions: dict[int, _Session] = {}
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
            lambda: _Session(self), cfg.host, cfg.port, reuse_address=True
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

    # state across restarts (``state_file``) ------------------------------------------
    def _load_state(self, path: Path) -> None:
        """Take back the accepted ids and unacknowledged reports of an earlier run; those
        reports are due at once (pushed after the next bind). An unreadable file is
        ignored (and replaced at stop)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            keys = [tuple(map(str, k)) for k in data["accepted"]]
            reports = [r for r in data["reports"] if isinstance(r, dict) and "ServerMsgId" in r]
            next_msg = int(data["next_msg"])
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self._emit(f"state file {path} unreadable ({type(exc).__name__}); starting afresh")
            return
        with self._lock:
            self._earlier_keys.update(dict.fromkeys(k for k in keys if len(k) == 3))
            for body in reports:
                if not body.get("DeliveryTime"):  # was not due yet when the last run stopped
                    body["DeliveryTime"] = self._delivery_time()
                self._reports[str(body["ServerMsgId"])] = _Report(body, 0, due=True)
            self._next_msg = max(self._next_msg, next_msg)
        self._emit(f"state: {len(keys)} earlier message id(s), {len(reports)} report(s) to push")

    def _save_state(self, path: Path) -> None:
        with self._lock:
            keys = [*self._earlier_keys, *self._accepted]
            data = {
                "version": 1,
                "next_msg": self._next_msg,
                "accepted": [list(k) for k in keys[-STATE_MAX_IDS:]],
                "reports": [r.body for r in self._reports.values()],
            }
        tmp = path.with_name(path.name + ".tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with open(fd, "w", encoding="utf-8") as out:
                out.write(json.dumps(data, ensure_ascii=False))
            os.replace(tmp, path)
        except OSError as exc:
            self._emit(f"state file {path} not written: {exc}")

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

    # thread-safe views ---------------------------------------------------------
    @property
    def accepted(self) -> list[AcceptedMessage]:
        with self._lock:
            return sorted(self._accepted.values(), key=lambda m: int(m.server_msg_id))

    @property
    def files(self) -> dict[str, bytes]:
        with self._lock:
            return dict(self._files)

    @property
    def acks(self) -> list[tuple[str, dict[str, Any]]]:
        """(method, body) of every ReportRes/SpamRes/ChangePhoneRes received."""
        with self._lock:
            return list(self._acks)

    @property
    def pending_reports(self) -> list[dict[str, Any]]:
        """Report bodies not yet acknowledged (due or not)."""
        with self._lock:
            return [dict(r.body) for r in self._reports.values()]

    @property
    def stats(self) -> dict[str, int]:
        with self._lock:
            return dict(self._stats)

    @property
    def bound_connections(self) -> int:
        with self._lock:
            return sum(1 for s in self._sessions.values() if s.bound and not s.closed)

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Poll ``predicate`` until true or ``timeout`` seconds pass (for tests)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

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

    # bookkeeping -------------------------------------------------------------------
    def _count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._stats[name] = self._stats.get(name, 0) + n

    def _emit(self, line: str) -> None:
        if self._log is not None:
            self._log(line)

    def _fraction(self, purpose: str, key: tuple[str, ...]) -> float:
        """A deterministic number in [0, 1) for this seed, purpose and message."""
        text = f"{self.config.seed}|{purpose}|" + "|".join(key)
        digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64

    def _pick(self, purpose: str, key: tuple[str, ...], choices: tuple[Any, ...]) -> Any:
        return choices[int(self._fraction(purpose, key) * len(choices))]

    def _write_record(self, obj: dict[str, Any]) -> None:
        if self._record is not None:
            self._record.write(json.dumps(obj, ensure_ascii=False) + "\n")
            self._record_dirty = True

    def _flush_record(self) -> None:
        if self._record_dirty and self._record is not None:
            self._record.flush()
            self._record_dirty = False

    def _hour_open(self) -> bool:
        begin, end = self.config.begin, self.config.end
        if begin == 0 and end == 24:
            return True
        hour = datetime.fromtimestamp(self._clock(), KST).hour
        return begin <= hour < end if begin < end else (hour >= begin or hour < end)

    def _speed_ok(self) -> bool:
        limit = self.config.speed_limit
        if limit <= 0:
            return True
        now = time.monotonic()
        window = self._window
        while window and now - window[0] >= 1.0:
            window.popleft()
        if len(window) >= limit:
            return False
        window.append(now)
        return True

    # wire ----------------------------------------------------------------------------
    def _send(self, session: _Session, method: str, body: dict[str, Any] | None) -> None:
        if session.closed:
            return
        wire_body: dict[str, Any] | str | None = body
        if body is not None:
            if session.cipher is not None:
                wire_body = session.cipher.encrypt(body)
            elif method in _BASE_KEY_METHODS:
                wire_body = self._base_cipher.encrypt(body)
        session.write(encode_frame(method, wire_body))

    def _open_body(self, session: _Session, frame: Frame) -> dict[str, Any]:
        body = frame.body
        if body is None:
            return {}
        if session.cipher is not None:
            if not isinstance(body, str):
                raise _ProtocolError(f"{frame.method} body is not encrypted (encrypt mode)")
            return session.cipher.decrypt(body)
        if frame.method in _BASE_KEY_METHODS:
            if not isinstance(body, str):
                raise _ProtocolError(
                    f"{frame.method} body must be encrypted with the configured key"
                )
            return self._base_cipher.decrypt(body)
        if isinstance(body, str):
            raise _ProtocolError(
                f"{frame.method} body is encrypted but this server runs without encrypt"
            )
        return body

    def _dispatch(self, session: _Session, frame: Frame) -> None:
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
            raise _ProtocolError(f"{frame.method} body unreadable: {exc}") from None
        handler(self, session, frame, body)

    # handlers ------------------------------------------------------------------------
    def _on_private_key(self, session: _Session, frame: Frame, body: dict[str, Any]) -> None:
        if not self.config.encrypt:
            self._emit(f"{session.tag} PrivateKeyReq on a server without encrypt: Result {OTHER}")
            self._send(session, "PrivateKeyRes", {"Result": OTHER, "PrivateKey": ""})
            return
        if session.cipher is not None:
            raise _ProtocolError("PrivateKeyReq sent twice")
        session_key = "".join(secrets.choice(_SESSION_KEY_ALPHABET) for _ in range(16))
        res: dict[str, Any] = {"Result": OK, "PrivateKey": session_key}
        wire: dict[str, Any] | str = (
            self._base_cipher.encrypt(res) if self.config.encrypted_key_res else res
        )
        session.write(encode_frame("PrivateKeyRes", wire))
        session.cipher = BodyCipher(session_key.encode(), self._iv)
        self._count("key_exchanges")
        self._emit(f"{session.tag} PrivateKeyReq: session key issued")

    def _on_bind(self, session: _Session, frame: Frame, body: dict[str, Any]) -> None:
        cfg = self.config
        bind_id = str(body.get("BindId", ""))
        password = str(body.get("BindPwd", ""))
        if cfg.encrypt and session.cipher is None:
            self._emit(f"{session.tag} BindReq before PrivateKeyReq on an encrypt server")
            code = BAD_DATA
        elif bind_id != cfg.bind_id:
            code = LOGIN_BAD_ID
        elif not hmac.compare_digest(password.encode(), cfg.password.encode()):
            code = LOGIN_BAD_PASSWORD
        elif body.get("Version") not in (1, "1"):
            code = LOGIN_BAD_VERSION
        elif cfg.max_connections and self._bound_elsewhere(session) >= cfg.max_connections:
            code = LOGIN_DUPLICATE
        else:
            code = OK
        self._finish_bind(session, bind_id, code)

    def _bound_elsewhere(self, session: _Session) -> int:
        with self._lock:
            return sum(
                1 for s in self._sessions.values() if s.bound and not s.closed and s is not session
            )

    def _finish_bind(self, session: _Session, bind_id: str, code: int) -> None:
        cfg = self.config
        res = {
            "Result": code,
            "BindId": bind_id,
            "Speed": cfg.speed,
            "BeginTime": cfg.begin,
            "EndTime": cfg.end,
            "EffectiveTime": cfg.effective_time,
        }
        self._send(session, "BindRes", res)
        if code != OK:
            self._count("login_failures")
            self._emit(f"{session.tag} BindReq refused: Result {code} (BindId {bind_id!r})")
            session.close(f"login failed ({code})")
            return
        with self._lock:
            session.bound = True
            self._stats["binds"] = self._stats.get("binds", 0) + 1
            due = [r for r in self._reports.values() if r.due]
            queued, self._queued_pushes = self._queued_pushes, []
        self._emit(f"{session.tag} BindReq ok (BindId {bind_id}); {len(due)} report(s) to push")
        for report in due:
            self._send_report(session, report)
        for method, push in queued:
            self._send(session, method, push)
        for phone, deny_no in cfg.spam:
            with self._lock:
                self._next_spam += 1
                spam_id = str(self._next_spam)
            self._send(session, "SpamReq", {"SpamId": spam_id, "PhoneNo": phone, "DenyNo": deny_no})
        for old, new in cfg.change_phone:
            with self._lock:
                ids = [m.server_msg_id for m in self._accepted.values() if m.phone == old]
            change = {"ServerMsgId": ids[-1] if ids else "", "PhoneNo": old, "ChangePhoneNo": new}
            self._send(session, "ChangePhoneReq", change)

    def _on_alive(self, session: _Session, frame: Frame, body: dict[str, Any]) -> None:
        self._count("alives")
        self._send(session, "AliveRes", None)

    def _on_unbind(self, session: _Session, frame: Frame, body: dict[str, Any]) -> None:
        self._send(session, "UnBindRes", {"Result": OK if session.bound else NOT_BOUND})
        session.close("UnBindReq")

    def _on_msg_send(self, session: _Session, frame: Frame, body: dict[str, Any]) -> None:
        cfg = self.config
        uid = str(body.get("UserMsgId", ""))
        sub = str(body.get("UserMsgSubId", ""))
        phone = str(body.get("PhoneNo", ""))
        key = (uid, sub, phone)
        session.msg_count += 1
        dropping = bool(
            cfg.drop_after
            and session.msg_count >= cfg.drop_after
            and (cfg.drop_every or not self._dropped_once)
        )
        code, _server_msg_id = self._judge(session, body, key)
        silent = code == OK and (
            uid in cfg.silent_ids
            or (cfg.silent_rate > 0 and self._fraction("silent", key) < cfg.silent_rate)
        )
        cut = code == OK and cfg.drop_rate > 0 and self._fraction("drop", key) < cfg.drop_rate
        if self._log is not None:
            extra = " (no answer)" if silent or dropping or cut else ""
            self._emit(f"{session.tag} MsgSendReq {uid}/{sub} → {phone}: Result {code}{extra}")
        if dropping:
            self._dropped_once = True
            self._count("dropped")
            session.close(f"dropping after {session.msg_count} MsgSendReq (--drop-after)")
            return
        if cut:
            self._count("dropped")
            session.close(f"dropping upon {uid}/{sub} → {phone} (--drop-rate)")
            return
        if silent:
            self._count("silent")
            return
        res = {
            "UserMsgId": body.get("UserMsgId", ""),
            "UserMsgSubId": body.get("UserMsgSubId", ""),
            "PhoneNo": body.get("PhoneNo", ""),
            "MsgType": body.get("MsgType", 0),
            "Result": code,
            "UserData": body.get("UserData", ""),
        }
        if cfg.delay > 0 and self._loop is not None:
            self._loop.call_later(cfg.delay, self._send, session, "MsgSendRes", res)
            return
        self._send(session, "MsgSendRes", res)

    def _judge(
        self, session: _Session, body: dict[str, Any], key: tuple[str, str, str]
    ) -> tuple[int, str]:
        """Decide one MsgSendReq; accept it (record + schedule its report) when Result 0."""
        cfg = self.config
        if not session.bound:
            code = NOT_BOUND
        elif not key[0] or not key[2]:
            code = BAD_DATA
        elif key in self._accepted or key in self._earlier_keys:
            code = DUPLICATE_SEND
        elif not self._hour_open():
            code = OUTSIDE_HOURS
        else:
            code = _check_content(body)
            if code == OK and oneshot_kakao.is_channel(body.get("MsgType")):
                code = oneshot_kakao.judge(self._kakao, body)
            code = code or self._check_files(body)
            if code == OK and not self._speed_ok():
                code = TOO_FAST
            if (
                code == OK
                and cfg.reject_rate > 0
                and self._fraction("reject", key) < cfg.reject_rate
            ):
                code = int(self._pick("reject-code", key, cfg.reject_codes))
        if code != OK:
            self._count(f"result_{code}")
            return code, ""
        return OK, self._accept(session, body, key)

    def _check_files(self, body: dict[str, Any]) -> int:
        names = [
            str(n)
            for n in (body.get("FileName1"), body.get("FileName2"), body.get("FileName3"))
            if n
        ]
        if not names and not body.get("FileCount"):
            return OK
        if oneshot_kakao.is_channel(body.get("MsgType")) and all(map(oneshot_kakao.remote_image, names)):
            return OK  # a Kakao image by URL: Kakao fetches it
        try:
            count = int(body.get("FileCount") or 0)
        except (TypeError, ValueError):
            return FILE_COUNT
        if count != len(names):
            return FILE_COUNT
        with self._lock:
            missing = [n for n in names if n not in self._files]
            total = sum(len(self._files.get(n, b"")) for n in names)
        if missing:
            return NO_FILE
        return FILE_SIZE if total > MAX_IMAGE_BYTES else OK

    def _accept(self, session: _Session, body: dict[str, Any], key: tuple[str, str, str]) -> str:
        cfg = self.config
        now = self._clock()
        with self._lock:
            self._next_msg += 1
            server_msg_id = str(100000 + self._next_msg)
            msg_type = body.get("MsgType", 0)
            accepted = AcceptedMessage(
                server_msg_id,
                key[0],
                key[1],
                key[2],
                msg_type if isinstance(msg_type, int) else 0,
                body,
                session.id,
                now,
            )
            self._accepted[key] = accepted
            self._stats["accepted"] = self._stats.get("accepted", 0) + 1
        channel = oneshot_kakao.is_channel(accepted.msg_type)
        missed = oneshot_kakao.report_code(self._kakao, body) if channel else None
        if self._record is not None:
            line: dict[str, Any] = {
                "event": "accepted",
                "server_msg_id": server_msg_id,
                "user_msg_id": key[0],
                "user_msg_sub_id": key[1],
                "phone": key[2],
                "msg_type": accepted.msg_type,
                "callback": body.get("CallbackNo", ""),
                "subject": body.get("Subject", ""),
                "message": body.get("Message", ""),
                "user_data": body.get("UserData", ""),
                "files": [
                    body.get(f"FileName{i}") for i in range(1, 4) if body.get(f"FileName{i}")
                ],
                "connection": session.id,
                "time": datetime.fromtimestamp(now, KST).isoformat(timespec="milliseconds"),
            }
            if channel:  # what was asked of Kakao/RCS (the sender key aside), and whether it missed
                line.update(channel=oneshot_kakao.recorded_fields(body), missed=missed is not None)
            self._write_record(line)
        failed = cfg.fail_rate > 0 and self._fraction("fail", key) < cfg.fail_rate
        report = {
            "UserMsgId": body.get("UserMsgId", ""),
            "UserMsgSubId": body.get("UserMsgSubId", ""),
            "ServerMsgId": server_msg_id,
            "MsgType": accepted.msg_type,
            "PhoneNo": body.get("PhoneNo", ""),
            "Result": missed if missed is not None else (
                int(self._pick("fail-code", key, cfg.fail_codes)) if failed else OK),
            "Telecom": _TELECOMS[sum(map(ord, key[2])) % 3],
            "DeliveryTime": "",
            "UserData": body.get("UserData", ""),
        }
        with self._lock:
            self._reports[server_msg_id] = _Report(report, session.id)
        assert self._loop is not None
        due_at = self._loop.time() + cfg.report_delay
        self._due.append((due_at, server_msg_id))
        if self._due_timer is None:
            self._due_timer = self._loop.call_at(due_at, self._run_due)
        return server_msg_id

    def _run_due(self) -> None:
        """Make every report whose time has come due (one timer for all: the delay is
        constant, so the queue is in due order)."""
        assert self._loop is not None
        self._due_timer = None
        now = self._loop.time()
        due = self._due
        while due and due[0][0] <= now:
            self._report_due(due.popleft()[1])
        if due and self._running:
            self._due_timer = self._loop.call_at(due[0][0], self._run_due)
        self._flush_record()

    def _report_due(self, server_msg_id: str) -> None:
        if not self._running:
            return
        with self._lock:
            report = self._reports.get(server_msg_id)
            if report is None:
                return
            report.due = True
            report.body["DeliveryTime"] = self._delivery_time()
            origin = self._sessions.get(report.origin)
            if origin is None or not origin.bound or origin.closed:
                origin = next(
                    (s for s in self._sessions.values() if s.bound and not s.closed), None
                )
        if origin is not None:
            self._send_report(origin, report)

    def _delivery_time(self) -> str:
        stamp = datetime.fromtimestamp(self._clock(), KST)
        return stamp.strftime("%Y-%m-%d %H:%M:%S.") + f"{stamp.microsecond // 1000:03d}"

    def _send_report(self, session: _Session, report: _Report) -> None:
        self._count("reports_pushed")
        self._send(session, "ReportReq", report.body)

    def _on_ack(self, session: _Session, frame: Frame, body: dict[str, Any]) -> None:
        with self._lock:
            self._acks.append((frame.method, body))
            self._stats[f"acks_{frame.method}"] = self._stats.get(f"acks_{frame.method}", 0) + 1
        if frame.method != "ReportRes":
            self._emit(f"{session.tag} {frame.method} {mask_tree(body)}")
            return
        server_msg_id = str(body.get("ServerMsgId", ""))
        with self._lock:
            report = self._reports.get(server_msg_id)
            known = report is not None and str(report.body["UserMsgId"]) == str(
                body.get("UserMsgId", "")
            )
            acked = known and body.get("Result", OK) in (OK, "0")
            if acked:
                del self._reports[server_msg_id]
        if acked:
            self._write_record({"event": "report_acked", "server_msg_id": server_msg_id})
        self._emit(
            f"{session.tag} ReportRes {server_msg_id}: "
            + ("acknowledged" if acked else "not matched (unknown ids or non-zero Result)")
        )

    def _push_everywhere(self, method: str, body: dict[str, Any]) -> None:
        with self._lock:
            targets = [s for s in self._sessions.values() if s.bound and not s.closed]
            if not targets:
                self._queued_pushes.append((method, body))
        for session in targets:
            self._send(session, method, body)
        self._emit(f"{method} {mask_tree(body)} → {len(targets) or 'next bind'}")

    # uploads -------------------------------------------------------------------------
    def _on_upload_name(self, session: _Session, frame: Frame, body: dict[str, Any]) -> None:
        ext = str(body.get("FileExtension", "")).lower().lstrip(".")
        if not session.bound:
            self._send(session, "UploadFileNameRes", {"Result": NOT_BOUND, "FileName": ""})
            return
        if ext not in ("jpg", "jpeg"):
            self._emit(f"{session.tag} UploadFileNameReq for {ext!r}: only JPEG is accepted")
            self._send(session, "UploadFileNameRes", {"Result": BAD_DATA, "FileName": ""})
            return
        name = uuid.uuid4().hex + ".jpg"
        session.upload = _Upload(name)
        self._send(session, "UploadFileNameRes", {"Result": OK, "FileName": name})

    def _on_upload_data(self, session: _Session, frame: Frame, body: dict[str, Any]) -> None:
        upload = session.upload
        if upload is None:
            raise _ProtocolError(f"{frame.method} without UploadFileNameReq")
        cfg = self.config
        data = body.get("Data", "")
        wire = _wire_size(frame)
        if upload.error == OK:
            if wire > cfg.upload_frame_max:
                upload.error, upload.reason = (
                    FILE_SIZE,
                    f"a data frame of {wire} bytes (max {cfg.upload_frame_max})",
                )
            elif not isinstance(data, str) or len(data) > cfg.upload_data_max:
                upload.error, upload.reason = (
                    FILE_SIZE,
                    f"Data over {cfg.upload_data_max} characters",
                )
            else:
                try:
                    upload.data += base64.b64decode(data, validate=True)
                except (binascii.Error, ValueError):
                    upload.error, upload.reason = BAD_DATA, "Data is not Base64"
            if upload.error != OK:
                self._emit(f"{session.tag} upload {upload.name} spoilt: {upload.reason}")
        if cfg.upload_ack:
            self._send(session, "UploadFileRes", {"Result": upload.error})

    def _on_upload_finish(self, session: _Session, frame: Frame, body: dict[str, Any]) -> None:
        upload = session.upload
        name = str(body.get("FileName", ""))
        if upload is None or upload.name != name:
            code, reason = NO_FILE, f"no upload in progress named {name!r}"
        elif upload.error != OK:
            code, reason = upload.error, upload.reason
        elif body.get("FileSize") != len(upload.data):
            code, reason = (
                FILE_SIZE,
                f"FileSize {body.get('FileSize')!r} but {len(upload.data)} bytes arrived",
            )
        elif len(upload.data) > MAX_IMAGE_BYTES:
            code, reason = FILE_SIZE, f"{len(upload.data)} bytes is over 1 MB"
        elif not upload.data.startswith(b"\xff\xd8\xff"):
            code, reason = BAD_DATA, "not a JPEG file"
        else:
            code, reason = OK, f"{len(upload.data)} bytes stored"
        if code == OK and upload is not None:
            data = bytes(upload.data)
            with self._lock:
                self._files[name] = data
                self._stats["uploads"] = self._stats.get("uploads", 0) + 1
            if self.config.upload_dir is not None:
                (self.config.upload_dir / name).write_bytes(data)
            self._write_record({"event": "uploaded", "file_name": name, "size": len(data)})
        session.upload = None
        self._emit(f"{session.tag} UploadFileFinishReq {name}: Result {code} ({reason})")
        self._send(session, "UploadFileFinishRes", {"Result": code})


def _cp949_len(value: Any) -> int:
    return len(str(value).encode("cp949", errors="replace"))


def _check_content(body: dict[str, Any]) -> int:
    """911 unknown MsgType, 316 no callback number, 908 text too long for its type."""
    msg_type = body.get("MsgType")
    if type(msg_type) is not int or msg_type not in MSG_TYPES:
        return BAD_DATA
    if not str(body.get("CallbackNo") or ""):
        return NO_CALLBACK
    limit = TEXT_LIMITS.get(msg_type)
    if limit is not None:
        if _cp949_len(body.get("Message", "")) > limit:
            return TOO_LONG
        if _cp949_len(body.get("Subject", "")) > SUBJECT_LIMIT:
            return TOO_LONG
    return OK


def _wire_size(frame: Frame) -> int:
    """Bytes the frame took on the wire: ``Content-Length:N\\r\\n`` plus N."""
    return len(b"Content-Length:%d\r\n" % frame.length) + frame.length


_Handler = Callable[[OneShotSimulator, "_Session", Frame, dict[str, Any]], None]
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


class _Session(asyncio.Protocol):
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
        self.upload: _Upload | None = None
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
                        raise _ProtocolError(f"damaged frame at offset {item.offset}: {item.reason}")
                    sim._dispatch(self, item)
                if self.closed or not self.decoder.backlog:
                    break
                items = self.decoder.feed(b"")
            self.flush()
        except (_ProtocolError, OneShotError) as exc:
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
