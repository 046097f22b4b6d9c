"""The OneShot protocol session (:class:`Session`) over successive TCP connections inside
one asyncio loop: connecting and binding, requests and their answers, the reader that
dispatches pushed reports, opt-outs and number changes, the keepalive, image uploads.
asyncio and the protocol package are imported where they are used, not with this module.
"""

from __future__ import annotations

import base64
import functools
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smscli import clock
from smscli.errors import AuthError, UnreachableError, UsageError, VendorError
from smscli.vendors.base import OnReports
from smscli.vendors.oneshot_settings import LOGIN_HINTS, Refusals, Settings, describe, report_from

if TYPE_CHECKING:
    import asyncio

    from smscli.protocol.oneshot.connection import Connection
    from smscli.protocol.oneshot.messages import BindRes
    from smscli.transports.tcp import TcpLink
    from smscli.vendors.oneshot import OneShotVendor

log = logging.getLogger("smscli.vendors.oneshot")

SPEED_MARGIN = 0.98  # pace at 98% of BindRes.Speed, catching up on at most CATCH_UP s of
CATCH_UP = 0.01  # lateness: any second then holds ≤ ceil(0.98 * 1.01 * Speed) < Speed sends
UPLOAD_FRAME_MAX = 2048
UPLOAD_DATA_MAX = 4096


class LoginRefused(Exception):
    def __init__(self, code: int, unreadable: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.unreadable = unreadable  # the answer could not be decrypted: why


class ConnectionLost(Exception):
    """Internal: the connection went away while we waited for an answer."""


@functools.cache
def protocol_messages() -> Any:
    """The codec's messages module, imported on first use (start-up stays cheap)."""
    from smscli.protocol.oneshot import messages

    return messages


class Session:
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
        self.refusals = Refusals(_data_dir(vendor.profile), settings)
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
                    raise LoginRefused(res.result)
            res = await self.request(m.BindReq(s.bind_id, s.password, 1), "BindRes")
            if res.result != 0:
                raise LoginRefused(res.result)
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
        except ConnectionLost:
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
        """Queue ``message``; raises ConnectionLost when the connection can no longer carry it."""
        if self.dead or self.link is None:
            raise ConnectionLost(self.dead_reason or "not connected")
        try:
            self.link.send(message)
        except protocol_messages().OneShotError as exc:  # evaluated only when something was raised
            self.kill(str(exc))
            raise ConnectionLost(str(exc)) from None

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
                future.set_exception(ConnectionLost(reason))
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
                except ConnectionLost:
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
                    future.set_exception(LoginRefused(911, event.reason))
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
        except ConnectionLost as exc:  # the session just ended: the server asks again next time
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
        except ConnectionLost as exc:
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
