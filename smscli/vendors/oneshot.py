"""OneShot (SMTNT): TCP, framed zlib JSON, AES bodies (spec 003, spec/README.md).

One asyncio loop per call. ``send`` pulls messages lazily and pipelines them: up to
``window`` MsgSendReq in flight, spaced ``1/Speed`` s apart (no bursts). A dropped
connection is re-opened with backoff and the unanswered requests are sent again (the
server answers 320 for the ones it already had). Pushed reports are stored through
``on_reports`` before they are acknowledged; 080 opt-outs and number changes go to the
journal before they are acknowledged.

Profile keys: host, port, bind_id, password (secret), aes_key, aes_iv (secrets), encrypt,
sender; tuning: window, connect_timeout, response_timeout, alive_interval,
login_retry_wait, reconnect_attempts, reconnect_backoff, wait_window, poll_silence.

Outside the server's sending hours (BindRes BeginTime–EndTime, or a 901 answer) nothing
waits silently: by default the messages are given back to the pipeline to be held as
reservations for the hours' opening (:class:`OutsideHours` with ``hold``);
``wait_window = true`` (``--wait-window``) waits, with a countdown; ``false``
(``--no-wait-window``) fails (exit 4).
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from smscli import clock
from smscli.errors import AuthError, ConfigError, UnreachableError, UsageError, VendorError
from smscli.models import (
    ACCEPTED,
    DUPLICATE,
    QUEUED,
    REJECTED,
    UNKNOWN,
    Message,
    Report,
    SendResult,
)
from smscli.vendors.base import (
    Limits,
    OnReports,
    OnResult,
    OutsideHours,
    Vendor,
    VendorEvents,
    profile_flag,
    profile_number,
)
from smscli.vendors.oneshot_channels import (
    CHANNELS,
    ChannelSettings,
    load_channel_settings,
    message_fields,
    request_fields,
)

if TYPE_CHECKING:
    import asyncio

    from smscli.config import Profile
    from smscli.protocol.oneshot.connection import Connection
    from smscli.protocol.oneshot.messages import BindRes, MsgSendReq
    from smscli.transports.tcp import TcpLink

log = logging.getLogger("smscli.vendors.oneshot")

KST = timezone(timedelta(hours=9), "KST")
TOO_FAST = (903, 11)
OUTSIDE_HOURS = 901
DUPLICATE_SEND = 320
RETRY_LOGIN = (1, 2)  # system error, duplicate connection: worth another try later
MAX_SPEED_RETRIES = 20
SPEED_MARGIN = 0.98  # pace at 98% of BindRes.Speed, catching up on at most CATCH_UP s of
CATCH_UP = 0.01  # lateness: any second then holds ≤ ceil(0.98 * 1.01 * Speed) < Speed sends
UPLOAD_FRAME_MAX = 2048
UPLOAD_DATA_MAX = 4096
REFUSAL_FILE = "oneshot-login-refusals.json"

LOGIN_HINTS = {
    1: "the server had a system error; try again later",
    2: "another client is logged in with this bind_id; stop it or wait for it to end",
    3: "ask SMTNT to allow this machine's IP address",
    4: "check bind_id in profile '{profile}'",
    5: "check the password of profile '{profile}'",
    6: "this bind_id is suspended; ask SMTNT",
    7: "protocol version refused; ask SMTNT",
    911: "the login was unreadable: check aes_key and aes_iv of profile '{profile}'",
}


@functools.cache
def _code_lookup() -> Callable[..., Any] | None:
    try:
        from smscli.codes import describe as lookup
    except ImportError:  # the code tables are optional here
        return None
    return lookup


@functools.cache
def describe(code: int, table: str = "send") -> str:
    """The meaning of a OneShot result code (from smscli.codes when available)."""
    lookup = _code_lookup()
    if lookup is None:
        return ""
    try:
        entry = lookup("oneshot", str(code), table=table)
    except Exception:  # noqa: BLE001 - an unknown table must not break sending
        return ""
    return entry.meaning if entry is not None else ""


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    bind_id: str
    password: str = field(repr=False)
    key: bytes = field(repr=False)
    iv: bytes = field(repr=False)
    encrypt: bool = False
    sender: str = ""
    window: int = 10
    connect_timeout: float = 5.0
    response_timeout: float = 10.0
    alive_interval: float = 20.0
    login_retry_wait: float = 30.0
    reconnect_attempts: int = 5
    reconnect_backoff: float = 0.5
    hours: str = "hold"  # outside the sending hours: hold | wait | fail (profile key wait_window)
    poll_silence: float = 3.0


def load_settings(profile: Profile) -> Settings:
    """Read and check the profile (ConfigError naming the key on any problem)."""
    from smscli.protocol.oneshot import OneShotError, parse_iv, parse_key_material

    keys: dict[str, bytes] = {}
    for name, parse in (("aes_key", parse_key_material), ("aes_iv", parse_iv)):
        try:
            keys[name] = parse(profile.secret(name))
        except OneShotError as exc:
            raise ConfigError(f"profile '{profile.name}': {name}: {exc}") from None
    port = profile.require("port")
    try:
        port = int(port)
    except (TypeError, ValueError):
        raise ConfigError(
            f"profile '{profile.name}': port must be a number, not {port!r}"
        ) from None
    window = profile_number(profile, "window", 10, int)
    if window < 1:
        raise ConfigError(f"profile '{profile.name}': window must be at least 1")
    return Settings(
        host=str(profile.require("host")),
        port=port,
        bind_id=str(profile.require("bind_id")),
        password=profile.secret("password"),
        key=keys["aes_key"],
        iv=keys["aes_iv"],
        encrypt=profile_flag(profile, "encrypt", False),
        sender=str(profile.get("sender", "") or ""),
        window=window,
        connect_timeout=profile_number(profile, "connect_timeout", 5.0),
        response_timeout=profile_number(profile, "response_timeout", 10.0),
        alive_interval=profile_number(profile, "alive_interval", 20.0),
        login_retry_wait=profile_number(profile, "login_retry_wait", 30.0),
        reconnect_attempts=profile_number(profile, "reconnect_attempts", 5, int),
        reconnect_backoff=profile_number(profile, "reconnect_backoff", 0.5),
        hours=_hours_mode(profile),
        poll_silence=profile_number(profile, "poll_silence", 3.0),
    )


def _hours_mode(profile: Profile) -> str:
    """``wait_window``: unset → hold the messages for the opening; true → wait; false → fail."""
    if profile.get("wait_window") in (None, ""):
        return "hold"
    return "wait" if profile_flag(profile, "wait_window", False) else "fail"


def window_wait(bind: BindRes | None, now: float) -> float:
    """Seconds until sending is allowed (BeginTime–EndTime, hours in Korea time)."""
    if bind is None:
        return 0.0
    begin, end = bind.begin_time, bind.end_time
    if begin == end or (begin <= 0 and end >= 24) or not (0 <= begin <= 23 and 0 <= end <= 24):
        return 0.0
    moment = datetime.fromtimestamp(now, KST)
    hour = moment.hour
    inside = begin <= hour < end if begin < end else (hour >= begin or hour < end)
    if inside:
        return 0.0
    start = moment.replace(hour=begin, minute=0, second=0, microsecond=0)
    if start <= moment:
        start += timedelta(days=1)
    return (start - moment).total_seconds()


def report_from(req: Any) -> Report:
    """A Report from a ReportReq."""
    when = ""
    text = (req.delivery_time or "").strip()
    if text:
        for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y%m%d%H%M%S"):
            try:
                when = datetime.strptime(text, fmt).replace(tzinfo=KST).isoformat()
                break
            except ValueError:
                continue
    extra = {"server_msg_id": req.server_msg_id, "telecom": req.telecom}
    if req.user_msg_sub_id:
        extra["user_msg_sub_id"] = req.user_msg_sub_id
    if req.user_data:
        extra["user_data"] = req.user_data
    return Report(
        message_id=req.user_msg_id,
        to=req.phone_no,
        status="delivered" if req.result == 0 else "failed",
        code=str(req.result),
        detail=describe(req.result),
        vendor="oneshot",
        delivered_at=when if req.result == 0 else "",
        extra=extra,
        channel=CHANNELS.get(req.msg_type, ""),
    )


class _LoginRefused(Exception):
    def __init__(self, code: int, unreadable: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.unreadable = unreadable  # the answer could not be decrypted: why


class _Refusals:
    """Login refusals remembered across processes (the server wants 30 s between tries)."""

    def __init__(self, data_dir: Path | None, settings: Settings) -> None:
        self.path = data_dir / REFUSAL_FILE if data_dir is not None else None
        self.key = f"{settings.bind_id}@{settings.host}:{settings.port}"

    def _load(self) -> dict[str, Any]:
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def last(self) -> tuple[float, int] | None:
        entry = self._load().get(self.key)
        try:
            return float(entry["at"]), int(entry["code"])
        except (TypeError, KeyError, ValueError):
            return None

    def _store(self, data: dict[str, Any]) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            tmp.replace(self.path)
        except OSError as exc:
            log.warning("cannot record the login refusal in %s: %s", self.path, exc)

    def remember(self, code: int) -> None:
        data = self._load()
        data[self.key] = {"at": clock.time(), "code": code}
        self._store(data)

    def clear(self) -> None:
        data = self._load()
        if data.pop(self.key, None) is not None:
            self._store(data)


@dataclass(slots=True)
class _Item:
    """A message on its way: its request, how often it went out, why it came back."""

    message: Message
    request: MsgSendReq
    sends: int = 0
    speed_retries: int = 0


class _Session:
    """The protocol session over successive TCP connections, inside one asyncio loop."""

    def __init__(self, vendor: OneShotVendor, settings: Settings) -> None:
        from smscli.protocol.oneshot.pacing import Pacer

        self.vendor = vendor
        self.s = settings
        self.link: TcpLink | None = None
        self.conn: Connection | None = None
        self.bind: BindRes | None = None
        self.pacer = Pacer()
        self._waiter: asyncio.Future[None] | None = None  # ``sleep``'s, woken by ``notify``
        self.dead = True
        self.dead_reason = ""
        self.tasks: list[asyncio.Task[None]] = []
        self.waiters: dict[str, asyncio.Future[Any]] = {}
        self.on_answer: Callable[[Any], None] = lambda answered: None
        self.on_reports: OnReports | None = None
        self.confirm: bool | Callable[[Any], bool] = True  # which ReportReq to acknowledge
        self.last_report_at = time.monotonic()
        self.refusals = _Refusals(_data_dir(vendor.profile), settings)
        self.error: BaseException | None = None  # raised by a callback inside the reader

    # ------------------------------------------------------------ connecting

    def check_refusal(self) -> None:
        """Refuse to log in (AuthError) while login_retry_wait has not passed since the
        server last refused a login; nothing is sent, so the message says so."""
        import math

        last = self.refusals.last()
        if last is None:
            return
        at, code = last
        now = clock.time()
        left = at + self.s.login_retry_wait - now
        if left > 0:
            raise AuthError(
                f"not logging in yet: OneShot refused the last login {max(0.0, now - at):.0f} s ago"
                f" ({self._login_reason(code)}) and wants {self.s.login_retry_wait:g} s between"
                f" attempts; try again in {math.ceil(left)} s"
            )

    def _login_reason(self, code: int) -> str:
        meaning = describe(code, "login")
        return f"code {code}: {meaning}" if meaning else f"code {code}"

    def login_error(self, code: int, unreadable: str = "") -> AuthError:
        if unreadable:
            return AuthError(
                f"OneShot's answer to the login could not be read ({unreadable})",
                hint=f"check aes_key and aes_iv of profile '{self.vendor.profile.name}'",
            )
        hint = LOGIN_HINTS.get(code, "see `smscli code lookup {code} --vendor oneshot`")
        return AuthError(
            f"OneShot refused the login for '{self.s.bind_id}' ({self._login_reason(code)})",
            hint=hint.format(profile=self.vendor.profile.name, code=code),
        )

    async def open(self) -> None:
        """Connect, exchange the key when encrypting, bind; start the reader and keepalive."""
        import asyncio

        from smscli.protocol.oneshot import messages as m
        from smscli.protocol.oneshot.connection import Connection
        from smscli.protocol.oneshot.pacing import Pacer
        from smscli.transports.tcp import TcpLink

        s = self.s
        conn = Connection(
            key=s.key, iv=s.iv, encrypt=s.encrypt, window=s.window, alive_interval=s.alive_interval
        )
        link = await TcpLink.connect(s.host, s.port, conn, s.connect_timeout)
        self.link, self.conn, self.dead, self.dead_reason = link, conn, False, ""
        self.tasks = [asyncio.ensure_future(self._read_loop(link))]
        try:
            if s.encrypt:
                res = await self.request(m.PrivateKeyReq(), "PrivateKeyRes")
                if res.result != 0:
                    raise _LoginRefused(res.result)
            res = await self.request(m.BindReq(s.bind_id, s.password, 1), "BindRes")
            if res.result != 0:
                raise _LoginRefused(res.result)
        except BaseException:
            await self.close()
            raise
        self.bind = res
        self.pacer = Pacer(res.speed * SPEED_MARGIN if res.speed > 0 else 0, slack=CATCH_UP)
        self.refusals.clear()
        self.tasks.append(asyncio.ensure_future(self._keepalive(link, conn)))

    async def request(self, message: Any, answer: str) -> Any:
        """Send ``message`` and wait up to response_timeout for the ``answer`` method."""
        import asyncio

        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self.waiters[answer] = future
        try:
            self.send(message)
            await self.drain()
            return await asyncio.wait_for(future, self.s.response_timeout)
        except _Lost:
            raise UnreachableError(
                f"OneShot {self.s.host}:{self.s.port} closed the connection before {answer}"
            ) from None
        except TimeoutError:
            self.kill(f"no {answer}")
            raise UnreachableError(
                f"OneShot {self.s.host}:{self.s.port} sent no {answer} within {self.s.response_timeout:g} s"
            ) from None
        finally:
            self.waiters.pop(answer, None)

    def send(self, message: Any) -> None:
        """Queue ``message``; raises _Lost when the connection can no longer carry it."""
        if self.dead or self.link is None:
            raise _Lost(self.dead_reason or "not connected")
        try:
            self.link.send(message)
        except _messages().OneShotError as exc:  # evaluated only when something was raised
            self.kill(str(exc))
            raise _Lost(str(exc)) from None

    def needs_drain(self) -> bool:
        return self.link is not None and self.link.needs_drain()

    async def drain(self) -> None:
        if self.link is not None:
            await self.link.drain()

    async def close(self) -> None:
        import asyncio

        self.dead = True
        current = asyncio.current_task()
        tasks = [t for t in self.tasks if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.tasks = []
        if self.link is not None:
            await self.link.close()

    async def unbind(self) -> None:
        """Say goodbye (UnBindReq) when the connection is still up, then close."""
        import asyncio

        from smscli.protocol.oneshot import messages as m
        from smscli.protocol.oneshot.connection import State

        if not self.dead and self.conn is not None and self.conn.state is State.BOUND:
            try:
                future = asyncio.get_running_loop().create_future()
                self.waiters["UnBindRes"] = future
                self.send(m.UnBindReq(self.s.bind_id))
                await self.drain()
                await asyncio.wait_for(future, min(self.s.response_timeout, 2.0))
            except (TimeoutError, Exception):  # noqa: BLE001 - leaving anyway
                pass
            finally:
                self.waiters.pop("UnBindRes", None)
        await self.close()

    def kill(self, reason: str) -> None:
        """Give up on this connection (the sender loop notices and reconnects)."""
        if not self.dead:
            log.info("OneShot connection dropped: %s", reason)
        self.dead = True
        self.dead_reason = self.dead_reason or reason
        if self.link is not None:
            self.link.writer.close()
        for future in self.waiters.values():
            if not future.done():
                future.set_exception(_Lost(reason))
        self.notify()

    # ------------------------------------------------------------ background

    async def _read_loop(self, link: TcpLink) -> None:
        from smscli.protocol.oneshot.connection import ConnectionClosed

        while True:
            events = await link.receive()
            closed = bool(events) and isinstance(events[-1], ConnectionClosed)  # always the last
            try:
                self._dispatch(events)
            except Exception as exc:  # noqa: BLE001 - a callback failed: stop, report it
                self.error = exc
                self.kill(f"{type(exc).__name__} while handling the server's messages")
                return
            if closed:
                self.kill("the server closed the connection")
                return

    async def _keepalive(self, link: TcpLink, conn: Connection) -> None:
        import asyncio

        from smscli.protocol.oneshot import messages as m

        while not link.closed:
            now = time.monotonic()
            if conn.alive_overdue(self.s.response_timeout, now):
                self.kill(f"no AliveRes within {self.s.response_timeout:g} s")
                return
            if conn.alive_due(now):
                try:
                    self.send(m.AliveReq())
                except _Lost:
                    return
                await self.drain()
            wake_at = conn.alive_deadline()
            if conn.alive_sent_at is not None:
                wake_at = min(wake_at, conn.alive_sent_at + self.s.response_timeout)
            await asyncio.sleep(max(0.01, wake_at - time.monotonic()))

    def _dispatch(self, events: list[Any]) -> None:
        from smscli.protocol.oneshot import messages as m
        from smscli.protocol.oneshot.connection import Answered, BadFrame

        reports: list[m.ReportReq] = []
        for event in events:
            if isinstance(event, Answered):
                self.on_answer(event)
            elif isinstance(event, m.ReportReq):
                reports.append(event)
            elif isinstance(event, m.SpamReq):
                self.vendor.events.add_suppression(event.phone_no, event.deny_no, source="oneshot")
                self._reply(event.answer())
            elif isinstance(event, m.ChangePhoneReq):
                self.vendor.events.add_phone_change(
                    event.phone_no, event.change_phone_no, event.server_msg_id
                )
                self._reply(event.answer())
            elif isinstance(event, m.AliveReq):
                self._reply(m.AliveRes())
            elif isinstance(event, BadFrame) and event.method in ("BindRes", "PrivateKeyRes"):
                future = self.waiters.get(event.method)
                if future is not None and not future.done():
                    future.set_exception(_LoginRefused(911, event.reason))
            elif isinstance(event, BadFrame):
                log.warning(
                    "OneShot: unusable %s frame at offset %d: %s",
                    event.method or "",
                    event.offset,
                    event.reason,
                )
            else:
                method = getattr(event, "method", "")
                future = self.waiters.get(method)
                if method == "UploadFileDataRes" or method == "UploadFileRes":
                    continue  # tolerated acknowledgement of a data chunk
                if future is not None and not future.done():
                    future.set_result(event)
        if reports:
            self.last_report_at = time.monotonic()
            if self.on_reports is not None:
                self.on_reports([report_from(r) for r in reports])  # stored first...
                for r in reports:
                    if self.confirm is True or (callable(self.confirm) and self.confirm(r)):
                        self._reply(r.answer())  # ...then acknowledged
        self.notify()

    def _reply(self, message: Any) -> None:
        try:
            self.send(message)
        except _Lost as exc:  # the session just ended: the server asks again next time
            log.info("OneShot: could not send %s: %s", getattr(message, "method", "?"), exc)

    def check_error(self) -> None:
        """Re-raise what a callback raised inside the reader (e.g. storing reports)."""
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    async def sleep(self, seconds: float) -> None:
        """Wait for news (``notify``: an event, a dropped connection) or ``seconds``.

        One future and one timer (it runs once per burst or paced message): not an
        ``asyncio.Event`` with ``asyncio.wait`` (a task per wait), nor ``wait_for``,
        which on Python 3.11 can swallow a cancellation (Ctrl-C) racing with the news."""
        import asyncio

        loop = asyncio.get_running_loop()
        waiter = self._waiter = loop.create_future()
        timer = loop.call_later(max(0.0, seconds), _settle, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None

    def notify(self) -> None:
        """Wake ``sleep`` (if it sleeps)."""
        if self._waiter is not None:
            _settle(self._waiter)

    # ------------------------------------------------------------- uploads

    async def upload(self, path: Path) -> str:
        """UploadFileNameReq → data chunks → UploadFileFinishReq; the server's file name."""
        try:
            return await self._upload(path)
        except _Lost as exc:
            raise UnreachableError(
                f"lost the connection to OneShot during the upload of {path.name}: {exc}"
            ) from None

    async def _upload(self, path: Path) -> str:
        from smscli.protocol.oneshot import messages as m

        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
        ext = path.suffix.lower() or ".jpg"
        res = await self.request(m.UploadFileNameReq(ext), "UploadFileNameRes")
        if res.result != 0 or not res.file_name:
            raise self._upload_error(path, res.result)
        name = res.file_name
        assert self.conn is not None
        chunk = 3 * (UPLOAD_DATA_MAX // 4)  # raw bytes whose Base64 fits in Data
        pos = 0
        while pos < len(data):
            piece = data[pos : pos + chunk]
            message = m.UploadFileReq(base64.b64encode(piece).decode("ascii"))
            wire = len(self.conn.encode(message))
            if wire > UPLOAD_FRAME_MAX and chunk > 3:
                chunk = max(3, 3 * int(chunk * (UPLOAD_FRAME_MAX - 64) / wire / 3))
                continue
            self.send(message)
            await self.drain()
            pos += len(piece)
        res = await self.request(m.UploadFileFinishReq(name, len(data)), "UploadFileFinishRes")
        if res.result != 0:
            raise self._upload_error(path, res.result)
        return name

    def _upload_error(self, path: Path, code: int) -> VendorError:
        meaning = describe(code)
        return VendorError(
            f"OneShot refused the upload of {path.name} (code {code}{': ' + meaning if meaning else ''})",
            code=str(code),
        )


def _settle(waiter: asyncio.Future[None]) -> None:
    """End ``waiter`` (a sleep's) unless it has ended already."""
    if not waiter.done():
        waiter.set_result(None)


def _data_dir(profile: Any) -> Path | None:
    try:
        return Path(profile.data_dir)
    except Exception:  # noqa: BLE001 - no data dir: refusals are not remembered
        return None


class OneShotVendor(Vendor):
    """SMTNT OneShot over TCP."""

    name: ClassVar[str] = "oneshot"
    limits: ClassVar[Limits] = Limits()
    can_schedule: ClassVar[bool] = False
    can_cancel: ClassVar[bool] = False
    can_upload: ClassVar[bool] = True
    carries: ClassVar[frozenset[str]] = frozenset({"text", "kakao", "rcs"})
    falls_back: ClassVar[bool] = False  # no fallback field: smscli.fallback sends it

    def __init__(self, profile: Profile, events: VendorEvents) -> None:
        super().__init__(profile, events)
        self._settings: Settings | None = None
        self._channel_settings: ChannelSettings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.profile)
        return self._settings

    @property
    def channel_settings(self) -> ChannelSettings:
        """The profile's Kakao/RCS keys and reseller code (smscli.vendors.oneshot_channels)."""
        if self._channel_settings is None:
            self._channel_settings = load_channel_settings(self.profile)
        return self._channel_settings

    def _run(self, coro_fn: Callable[[_Session], Any]) -> Any:
        import asyncio

        settings = self.settings
        session = _Session(self, settings)

        async def main() -> Any:
            try:
                return await coro_fn(session)
            finally:
                await session.close()

        from smscli.protocol.oneshot import OneShotError

        try:
            return asyncio.run(main())
        except OneShotError as exc:  # a bug or a server we cannot talk to: one line, no trace
            raise VendorError(f"OneShot protocol error: {exc}") from None

    async def _open_first(self, session: _Session) -> None:
        """The first login of an operation; refused at once (nothing sent) within
        login_retry_wait of the last refused login."""
        session.check_refusal()
        try:
            await session.open()
        except _LoginRefused as exc:
            session.refusals.remember(exc.code)
            raise session.login_error(exc.code, exc.unreadable) from None

    # ------------------------------------------------------------------ send

    def send(
        self,
        messages: Iterable[Message],
        on_result: OnResult,
        *,
        on_reports: OnReports | None = None,
        wait: float = 0.0,
    ) -> None:
        self.channel_settings  # noqa: B018 - a bad Kakao/RCS key is a ConfigError before any connection
        self._run(
            lambda session: _Batch(self, session, iter(messages), on_result, on_reports, wait).run()
        )

    # ---------------------------------------------------------------- upload

    def upload(self, paths: Sequence[Path]) -> list[str]:
        async def run(session: _Session) -> list[str]:
            await self._open_first(session)
            names = [await session.upload(Path(p)) for p in paths]
            await session.unbind()
            return names

        return self._run(run)

    # ------------------------------------------------------------------ poll

    def poll(self, on_reports: OnReports, *, timeout: float = 10.0, confirm: bool = True) -> None:
        async def run(session: _Session) -> None:
            session.on_reports = on_reports
            session.confirm = confirm
            await self._open_first(session)
            start = time.monotonic()
            session.last_report_at = start
            while not session.dead:
                now = time.monotonic()
                left = (
                    min(start + timeout, session.last_report_at + self.settings.poll_silence) - now
                )
                if left <= 0:
                    break
                await session.sleep(left)
                session.check_error()
            session.check_error()
            await session.unbind()

        self._run(run)

    # --------------------------------------------------------------- confirm

    def confirm(self, server_ids: Sequence[str]) -> None:
        """Acknowledge reports left unconfirmed (``poll --no-confirm``): the server pushes
        them again after a bind; those whose ServerMsgId or message id is listed are
        acknowledged, the others stay on the server."""
        wanted = {str(i) for i in server_ids}
        done: set[str] = set()

        def pick(report: Any) -> bool:
            hit = {report.server_msg_id, report.user_msg_id} & wanted
            done.update(hit)
            return bool(hit)

        async def run(session: _Session) -> None:
            session.on_reports = lambda reports: None  # stored already, when they were polled
            session.confirm = pick
            await self._open_first(session)
            start = session.last_report_at = time.monotonic()
            while not session.dead and not wanted <= done:
                now = time.monotonic()
                left = (
                    min(
                        start + self.settings.response_timeout,
                        session.last_report_at + self.settings.poll_silence,
                    )
                    - now
                )
                if left <= 0:
                    break
                await session.sleep(left)
            await session.unbind()
            if wanted - done:
                log.info("OneShot: no pending report for %s", ", ".join(sorted(wanted - done)))

        self._run(run)


class _Batch:
    """One ``send`` call: the pipeline, the answers, reconnects and the final results."""

    def __init__(
        self,
        vendor: OneShotVendor,
        session: _Session,
        messages: Iterator[Message],
        on_result: OnResult,
        on_reports: OnReports | None,
        wait: float,
    ) -> None:
        self.vendor = vendor
        self.session = session
        self.s = session.s
        self.messages = messages
        self.on_result = on_result
        self.wait = wait
        self.queue: deque[_Item] = deque()
        self.inflight: dict[tuple[str, str, str], _Item] = {}
        self.exhausted = False
        self.paused_until = 0.0
        self.fatal: Exception | None = None
        self.unsent: list[Message] = []  # handed to us, not sent (outside the sending hours)
        # Only --wait needs to know which accepted messages still await a report: without
        # it nothing is kept per message once its answer is handed on (flat memory).
        self.track = wait > 0 and on_reports is not None
        self.accepted: set[str] = set()
        self.reported: set[str] = set()
        self.uploads: dict[str, str] = {}
        # Per batch, not per message: what every plain request and acceptance shares.
        self._reseller = vendor.channel_settings.reseller_code
        self._new_request = _messages().MsgSendReq.of
        self._accepted = describe(0) or "accepted"
        session.on_answer = self._on_answer

        def store(reports: list[Report]) -> None:
            if self.track:
                self.reported.update(r.message_id for r in reports)
            on_reports(reports)

        session.on_reports = store if on_reports is not None else None

    # ---------------------------------------------------------- results

    def _result(self, item: _Item, status: str, code: int | str = "", detail: str = "") -> None:
        """A result other than accepted (an accepted answer goes out in ``_on_answer``)."""
        msg = item.message
        self.on_result(SendResult(msg.to, status, msg.id, "oneshot", msg.type, str(code), detail))

    def _on_answer(self, answered: Any) -> None:
        req, res = answered.request, answered.response
        if req is None:
            log.warning(
                "OneShot: MsgSendRes for %s/%s matches nothing sent", res.user_msg_id, res.phone_no
            )
            return
        item = self.inflight.pop(req.key, None)
        if item is None:
            return
        code = res.result
        if code == 0:
            msg = item.message
            if self.track:
                self.accepted.add(msg.id)
            self.on_result(SendResult(msg.to, ACCEPTED, msg.id, "oneshot", msg.type, "0", self._accepted))
        elif code == DUPLICATE_SEND:
            self._result(item, DUPLICATE, code, describe(code) or "already accepted under this id")
        elif code in TOO_FAST and item.speed_retries < MAX_SPEED_RETRIES:
            item.speed_retries += 1
            self.session.pacer.back_off(time.monotonic())
            self.queue.appendleft(item)
        elif code == OUTSIDE_HOURS:
            self._outside_hours(item)
        else:
            self._result(item, REJECTED, code, describe(code))

    def _outside_hours(self, item: _Item) -> None:
        """A 901 answer: wait for the sending hours, or give the message back."""
        if self.s.hours == "wait":
            self.queue.appendleft(item)
            self._pause_for_hours(window_wait(self.session.bind, clock.time()) or 60.0)
            return
        self.unsent.append(item.message)
        self._close_for_hours(window_wait(self.session.bind, clock.time()) or 60.0)

    def _check_hours(self) -> None:
        """After a bind: outside BeginTime–EndTime, wait (or stop) before sending."""
        wait = window_wait(self.session.bind, clock.time())
        if wait > 0:
            if self.s.hours == "wait":
                self._pause_for_hours(wait)
            else:
                self._close_for_hours(wait)

    def _hours(self) -> str:
        bind = self.session.bind
        return f"{bind.begin_time}–{bind.end_time} h Korea time" if bind else "its sending hours"

    def _pause_for_hours(self, wait: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + wait)

    def _close_for_hours(self, wait: float) -> None:
        """Send nothing more; what is queued or answered 901 goes back to the pipeline."""
        if self.fatal is not None:
            return
        opens = datetime.fromtimestamp(clock.time() + wait, KST).replace(second=0, microsecond=0)
        hold = self.s.hours == "hold"
        self.fatal = OutsideHours(
            f"OneShot accepts messages only between {self._hours()}"
            + ("" if hold else "; the rest was not sent"),
            opens_at=opens, unsent=self.unsent, hold=hold,
            hint=None if hold else (
                f"without --no-wait-window they are held for {opens:%Y-%m-%d %H:%M} and "
                "`smscli reserve flush` sends them; --wait-window waits"),
        )

    # ---------------------------------------------------------- the loop

    async def run(self) -> None:
        session = self.session
        if self._next_item() is None:
            return  # nothing to send: no connection at all
        await self.vendor._open_first(session)
        self._check_hours()
        try:
            await self._pump()
            if self.wait > 0 and session.on_reports is not None and self.fatal is None:
                await self._collect_reports()
        finally:
            if session.dead:
                await session.close()
            else:
                await session.unbind()
        session.check_error()
        if self.fatal is not None:
            raise self.fatal
        for message in self.unsent:  # a stop: given back, never sent
            self.on_result(SendResult(message.to, QUEUED, message.id, "oneshot", message.type,
                                      "", "not sent: stopped"))

    def _next_item(self) -> _Item | None:
        if self.fatal is not None or self.vendor.stop_requested():
            while self.queue:  # pulled, never sent: give it back, send nothing more
                item = self.queue.popleft()
                if item.sends:  # sent before a reconnect: the server may have it
                    self._result(item, UNKNOWN, "", "sent, no answer before the stop")
                else:
                    self.unsent.append(item.message)
            return None
        if self.queue:
            return self.queue[0]
        item = self._pull()
        if item is not None:
            self.queue.append(item)
        return item

    def _pull(self) -> _Item | None:
        """The next message from the pipeline as an item (not queued), None at the end."""
        if self.exhausted:
            return None
        try:
            message = next(self.messages)
        except StopIteration:
            self.exhausted = True
            return None
        return _Item(message, self._request(message))

    def _request(self, msg: Message) -> MsgSendReq:
        if msg.channel is not None:
            return self._new_request(request_fields(msg, self.vendor.channel_settings, msg.sender or self.s.sender))
        fields = message_fields(msg, msg.sender or self.s.sender, self._reseller)
        sms = msg.type == "sms"  # an MMS has files (none before its upload)
        fields["msg_type"] = 4 if sms and not msg.file_keys else 6
        fields["subject"] = "" if sms else msg.subject
        return self._new_request(fields)

    async def _pump(self) -> None:
        session = self.session
        while True:
            session.check_error()
            if session.dead:
                if not self._requeue_lost():
                    return
                await self._reconnect()
                continue
            assert session.conn is not None
            item = self._next_item()
            now = time.monotonic()
            self._expire(now, more_work=item is not None)
            if session.dead:
                continue
            if item is not None:
                if item.message.images and not item.message.file_keys:
                    await self._attach(item)
                    continue
                delay = max(session.pacer.delay(now), self.paused_until - now)
                if self.paused_until > now:  # the sending hours: count down, see a stop
                    self.vendor.waiting(self.paused_until - now, f"OneShot's sending hours ({self._hours()})")
                    delay = min(delay, 1.0)
                if delay <= 0 and session.conn.can_send_message:
                    self.queue.popleft()
                    if self._send(item, now) and session.pacer.interval == 0:
                        self._burst(now)  # no pace: fill the window at once
                    if session.needs_drain():  # else the frames wait for the loop's next turn
                        await session.drain()
                    continue
                if delay <= 0:  # window full: wait for an answer
                    delay = self._until_expiry(now)
                await session.sleep(delay)
                continue
            if not self.inflight:
                return
            await session.sleep(self._until_expiry(now))

    def _send(self, item: _Item, now: float) -> bool:
        """Send ``item``'s request; False when the connection was lost (it is queued again)."""
        session = self.session
        try:
            session.send(item.request)
        except _Lost:
            self.queue.appendleft(item)  # goes out after the reconnect
            return False
        session.pacer.take(now)
        item.sends += 1
        self.inflight[item.request.key] = item
        return True

    def _burst(self, now: float) -> None:
        """With no pace to keep, send what fits in the window, one message after another,
        the checks of ``_pump`` (stop, deadlines, pace, hours) having been made once for
        all of them just before. Stops at an MMS whose images are still to upload."""
        session = self.session
        conn = session.conn
        assert conn is not None
        room = conn.window - len(conn.outstanding)
        queue = self.queue
        while room > 0:
            item = queue.popleft() if queue else self._pull()
            if item is None:
                return
            if item.message.images and not item.message.file_keys:
                queue.appendleft(item)
                return
            if not self._send(item, now):
                return
            room -= 1

    def _until_expiry(self, now: float) -> float:
        assert self.session.conn is not None
        oldest = self.session.conn.oldest_outstanding()
        if oldest is None:
            return self.s.response_timeout
        return max(0.01, oldest + self.s.response_timeout - now)

    def _expire(self, now: float, more_work: bool) -> None:
        """Unanswered for response_timeout: reconnect while there is more to send;
        once the batch is done, they are ``unknown``."""
        conn = self.session.conn
        assert conn is not None
        late = conn.expired(self.s.response_timeout, now)
        if not late:
            return
        if more_work:
            self.session.kill(f"no MsgSendRes within {self.s.response_timeout:g} s")
            return
        for req in late:
            conn.forget(req)
            item = self.inflight.pop(req.key, None)
            if item is not None:
                self._result(
                    item, UNKNOWN, "", f"sent, no answer within {self.s.response_timeout:g} s"
                )

    async def _attach(self, item: _Item) -> None:
        """Upload an MMS's images on this connection, then send it with their names."""
        from dataclasses import replace

        names = []
        for path in item.message.images:
            if path not in self.uploads:
                try:
                    self.uploads[path] = await self.session.upload(Path(path))
                except UnreachableError as exc:
                    self.session.kill(str(exc))  # the upload starts over after reconnecting
                    return
                except (VendorError, UsageError) as exc:
                    self.queue.popleft()
                    self._result(item, REJECTED, getattr(exc, "code", "") or "", str(exc))
                    return
            names.append(self.uploads[path])
        item.message = replace(item.message, file_keys=tuple(names))
        item.request = self._request(item.message)

    def _requeue_lost(self) -> bool:
        """After a lost connection: unanswered requests go first again; False when
        nothing is left to do."""
        session = self.session
        conn = session.conn
        reason = session.dead_reason or "connection lost"
        if conn is not None:
            for req, _sent in reversed(list(conn.outstanding.values())):
                item = self.inflight.pop(req.key, None)
                if item is not None:
                    self.queue.appendleft(item)
        for item in list(self.inflight.values()):
            self.queue.appendleft(item)
        self.inflight.clear()
        # A request that went out too often without an answer is given up on.
        for item in [i for i in self.queue if i.sends > self.s.reconnect_attempts]:
            self.queue.remove(item)
            self._result(item, UNKNOWN, "", f"sent {item.sends} times, never answered ({reason})")
        return self._next_item() is not None

    async def _reconnect(self) -> None:
        """Re-open the connection with backoff, or give up on what is left."""
        import asyncio

        session = self.session
        reason = session.dead_reason or "connection lost"
        await session.close()
        delay = self.s.reconnect_backoff
        last: Exception | None = None
        for _attempt in range(self.s.reconnect_attempts):
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
            try:
                await session.open()
                self._check_hours()
                return
            except _LoginRefused as exc:
                session.refusals.remember(exc.code)
                last = session.login_error(exc.code, exc.unreadable)
                if exc.code not in RETRY_LOGIN:
                    break
                delay = max(delay, self.s.login_retry_wait)
            except UnreachableError as exc:
                last = exc
        self._give_up(reason)
        if isinstance(last, AuthError):
            raise last
        raise UnreachableError(
            f"lost the connection to OneShot {self.s.host}:{self.s.port} ({reason}) and could not"
            f" reconnect after {self.s.reconnect_attempts} attempts",
            hint="the unanswered messages are marked unknown; sending them again with the same ids is safe",
        )

    def _give_up(self, reason: str) -> None:
        for item in self.queue:
            if item.sends:
                self._result(item, UNKNOWN, "", f"sent, no answer ({reason})")
            else:
                self._result(item, UNKNOWN, "", f"not sent ({reason})")
        self.queue.clear()

    async def _collect_reports(self) -> None:
        session = self.session
        deadline = time.monotonic() + self.wait
        while not session.dead:
            session.check_error()
            if self.accepted <= self.reported:
                return
            left = deadline - time.monotonic()
            if left <= 0 or self.vendor.stop_requested():
                return
            await session.sleep(min(left, 0.5))  # wakes for a stop, or a report


@functools.cache
def _messages() -> Any:
    """The codec's messages module, imported on first use (start-up stays cheap)."""
    from smscli.protocol.oneshot import messages

    return messages


class _Lost(Exception):
    """Internal: the connection went away while we waited for an answer."""
