"""Bizppurio (Daou Tech) over its HTTPS JSON API v3.

Token: ``POST /v1/token`` (Basic), reused until shortly before it expires (cached through
``events.token_get/token_put`` under a key that includes a one-way fingerprint of base URL,
account and password, so a changed password never reuses a token got with another, and
encrypted with a key from the same password: :mod:`smscli.vendors.bizppurio_tokens`); a
3002/3005 answer gets a new token and a retry (:mod:`smscli.vendors.bizppurio_session`).
Send: one ``POST /v3/message`` per recipient with ``refkey`` = the message id, from a
bounded pool of concurrent requests over keep-alive. Results: ``/v1/result/request`` +
``/v1/result/confirm`` (polling), or pushed to ``result listen`` (see :func:`parse_report`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smscli import clock, phone
from smscli.abroad import AbroadLimits
from smscli.errors import UnreachableError, UsageError, VendorError
from smscli.models import (
    ACCEPTED,
    INVALID,
    QUEUED,
    SCHEDULED,
    UNKNOWN,
    Message,
    Report,
    SendResult,
)
from smscli.vendors.base import Limits, OnReports, OnResult, Vendor, profile_flag, profile_number
from smscli.vendors.bizppurio_reports import DELIVERED_CODES as DELIVERED_CODES
from smscli.vendors.bizppurio_reports import KST, NAME
from smscli.vendors.bizppurio_reports import kst_iso as kst_iso
from smscli.vendors.bizppurio_reports import parse_report as parse_report
from smscli.vendors.bizppurio_session import RETRY_CODES, Session, result_code, retryable

if TYPE_CHECKING:
    import asyncio

    from smscli.transports.http import AsyncHttpClient
    from smscli.vendors.bizppurio_tokens import Credentials

DEFAULT_BASE_URL = "https://api.bizppurio.com"
SUCCESS = "1000"
REPORT_PAGE = 1000
RESERVATION_WINDOW = timedelta(days=30)
MAX_REFKEY = 32
MAX_FILE = 300 * 1024


def check_jpeg(path: Path) -> bytes:
    """The file's bytes if it is a JPEG within Bizppurio's 300 kB; else UsageError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    if data[:3] != b"\xff\xd8\xff":
        raise UsageError(f"{path} is not a JPEG image", hint="Bizppurio MMS takes JPEG files only")
    if len(data) > MAX_FILE:
        raise UsageError(f"{path} is {len(data) // 1024} kB; Bizppurio takes at most 300 kB",
                         hint="shrink or recompress the image")
    return data


class _Invalid(Exception):
    """A message that cannot be sent as it is (never leaves the machine)."""


class BizppurioVendor(Vendor):
    name = NAME
    limits = Limits(sms_bytes=90, lms_bytes=2000, subject_bytes=64, max_images=3,
                    image_bytes=MAX_FILE, images_total_bytes=3 * MAX_FILE, image_max_wh=None)
    can_schedule = True
    can_cancel = False
    can_upload = True
    dedupes = False  # a refkey sent twice is two messages
    carries = frozenset({"text", "kakao", "rcs"})
    rcs_keys = ("rcs_chatbot_id",)  # content.rcs.chatbotid: required by the document
    abroad = AbroadLimits()  # "국제 메시지 발송": country + the national number

    def __init__(self, profile: Any, events: Any) -> None:
        super().__init__(profile, events)
        self.base_url = str(profile.get("base_url", DEFAULT_BASE_URL) or DEFAULT_BASE_URL).rstrip("/")
        self.account = str(profile.require("account"))
        self.concurrency = profile_number(profile, "concurrency", 8, int, 1)
        self.handoff_batch = 2 * self.concurrency
        self.attempts = profile_number(profile, "attempts", 5, int, 1)
        self.timeout = profile_number(profile, "timeout", 10.0, float, 0.001)
        self.connect_timeout = profile_number(profile, "connect_timeout", min(self.timeout, 5.0), float, 0.001)
        self.backoff = profile_number(profile, "backoff", 0.25, float, 0.0)
        self.poll_interval = profile_number(profile, "poll_interval", 2.0, float, 0.0)
        self.file_path = "/" + str(profile.get("file_path", "/v1/file") or "/v1/file").lstrip("/")
        self.verify_tls = profile_flag(profile, "verify_tls", True)
        ca_file = profile.get("ca_file")
        self.ca_file = str(Path(str(ca_file)).expanduser()) if ca_file else None
        self._credentials: Credentials | None = None

    @property
    def credentials(self) -> Credentials:
        """What the token cache derives from the password (read once, on first use)."""
        if self._credentials is None:
            from smscli.vendors.bizppurio_tokens import Credentials

            self._credentials = Credentials.of(self.base_url, self.account, self.profile.secret("password"))
        return self._credentials

    @property
    def token_key(self) -> str:
        """The token cache key: vendor, base URL, account and the credentials' fingerprint."""
        return f"{NAME}|{self.base_url}|{self.account}|{self.credentials.fingerprint}"

    # -- plumbing ------------------------------------------------------------------------

    def _client(self, *, read_timeout: float | None = None, concurrency: int | None = None) -> AsyncHttpClient:
        from smscli import __version__
        from smscli.transports.http import AsyncHttpClient, HttpSettings, RetryPolicy

        settings = HttpSettings(
            base_url=self.base_url,
            connect_timeout=self.connect_timeout,
            read_timeout=read_timeout or self.timeout,
            max_connections=concurrency or self.concurrency,
            verify_tls=self.verify_tls,
            ca_file=self.ca_file,
            user_agent=f"smscli/{__version__}",
        )
        policy = RetryPolicy(attempts=self.attempts, backoff_base=self.backoff,
                             backoff_max=max(self.backoff, 8.0))
        return AsyncHttpClient(settings, policy)

    @staticmethod
    def _run(coro: Any) -> Any:
        import asyncio

        return asyncio.run(coro)

    # -- send ----------------------------------------------------------------------------

    def send(
        self,
        messages: Iterable[Message],
        on_result: OnResult,
        *,
        on_reports: OnReports | None = None,
        wait: float = 0.0,
    ) -> None:
        """Send each message (``on_result`` once per message). Authentication happens before
        the first message is taken. If the server becomes unreachable, no further message is
        taken, those in flight finish, and UnreachableError is raised; a message that could
        not be delivered to the server at all gets no result (it stays pending)."""
        self._run(self._send(iter(messages), on_result, on_reports, wait))

    async def _send(self, messages: Iterator[Message], on_result: OnResult,
                    on_reports: OnReports | None, wait: float) -> None:
        import asyncio

        from smscli.transports.http import AnswerLost

        async with self._client() as client:
            session = Session(self, client)
            await session.token()
            uploads: dict[tuple[str, ...], asyncio.Future[tuple[str, ...]]] = {}
            accepted: set[str] = set()
            track = wait > 0 and on_reports is not None
            failure: list[BaseException] = []

            async def worker() -> None:
                while not failure:
                    try:
                        message = next(messages)
                    except StopIteration:
                        return
                    except BaseException as exc:  # a bad input row: stop taking more
                        failure.append(exc)
                        return
                    try:
                        result = await self._send_one(session, message, uploads)
                        if track and result.status in (ACCEPTED, SCHEDULED):  # only --wait needs them
                            accepted.add(result.message_id)
                        on_result(result)
                    except Exception as exc:  # unreachable, auth, or on_result failing: stop cleanly
                        if isinstance(exc, UnreachableError) and not isinstance(exc, AnswerLost):
                            # It never left this machine: known as not sent, safe to send later.
                            on_result(SendResult(to=message.to, status=QUEUED, message_id=message.id,
                                                 vendor=NAME, type=message.type, detail=f"not sent: {exc}"))
                        failure.append(exc)
                        return

            await asyncio.gather(*(worker() for _ in range(self.concurrency)))
            if failure:
                raise failure[0]
            if wait > 0 and on_reports is not None and accepted:
                await self._await_reports(session, accepted, on_reports, wait)

    async def _send_one(self, session: Session, message: Message,
                        uploads: dict[tuple[str, ...], asyncio.Future[tuple[str, ...]]]) -> SendResult:
        from smscli.transports.http import AnswerLost, code_meaning, rejected_result

        def result(status: str, code: str = "", detail: str = "") -> SendResult:
            return SendResult(to=message.to, status=status, message_id=message.id, vendor=NAME,
                              type=message.type, code=code, detail=detail)

        try:
            body = self._message_body(message)
            if message.type == "mms":
                keys = message.file_keys or await self._upload_cached(session.client, message.images, uploads)
                body["content"]["mms"]["file"] = [{"type": "IMG", "key": k} for k in keys]
            fallback = message.channel.fallback if message.channel is not None else None
            if fallback is not None:
                from smscli.vendors.bizppurio_channel import fallback_part

                keys = ()
                if fallback.type == "mms":
                    keys = await self._upload_cached(session.client, [str(p) for p in fallback.images], uploads)
                body["resend"], body["recontent"] = fallback_part(fallback, keys)
        except _Invalid as exc:
            return result(INVALID, detail=str(exc))
        except UsageError as exc:
            return result(INVALID, detail=str(exc))
        except VendorError as exc:
            return rejected_result(to=message.to, message_id=message.id, vendor=NAME, type=message.type,
                                   code=exc.code or "", description=exc.message)
        try:
            response, data = await session.call("/v3/message", body, idempotent=False)
        except AnswerLost:
            return result(UNKNOWN, detail=f"no answer within {self.timeout:g} s; it may have been sent")
        code = result_code(data)
        if code == SUCCESS:
            status = SCHEDULED if "sendtime" in body else ACCEPTED
            return result(status, code, code_meaning(NAME, code, str(data.get("description") or "success")))
        if not code and response.status_code >= 500:
            return result(UNKNOWN, detail=f"HTTP {response.status_code} without a result code; it may have been sent")
        if not code:
            code = f"HTTP {response.status_code}"
        return rejected_result(to=message.to, message_id=message.id, vendor=NAME, type=message.type,
                               code=code, description=str(data.get("description") or ""))

    def _message_body(self, message: Message) -> dict[str, Any]:
        kind = message.type
        if message.channel is not None:
            from smscli.vendors.bizppurio_channel import Unsendable, channel_part

            try:
                wire, part = channel_part(message.channel, self.profile)
            except Unsendable as exc:
                raise _Invalid(str(exc)) from None
            return self._envelope(message, wire, part)
        if kind not in ("sms", "lms", "mms"):
            raise _Invalid(f"message type {kind!r} is not sms, lms or mms")
        part: dict[str, Any] = {"message": message.text}
        if kind != "sms" and message.subject:
            part = {"subject": message.subject, "message": message.text}
        if kind == "mms" and not message.file_keys and not message.images:
            raise _Invalid("an MMS needs at least one image")
        return self._envelope(message, kind, part)

    def _envelope(self, message: Message, kind: str, part: dict[str, Any]) -> dict[str, Any]:
        """The request around ``content[kind]``: account, type, numbers, refkey, sendtime."""
        if not message.id or len(message.id.encode()) > MAX_REFKEY:
            raise _Invalid(f"message id must be 1-{MAX_REFKEY} bytes for Bizppurio (it is the refkey)")
        sender = _digits(message.sender or str(self.profile.get("sender", "") or ""))
        if not sender:
            raise _Invalid("no sender number: set `sender` in the profile or pass --from")
        body: dict[str, Any] = {
            "account": self.account,
            "type": kind,
            "from": sender,
            "to": _digits(message.to),
            "refkey": message.id,
            "content": {kind: part},
        }
        if phone.is_international(message.to):  # the document's "국가 코드 별도 입력"
            try:
                body["country"], body["to"] = phone.split_international(message.to)
            except phone.InvalidNumber as exc:
                raise _Invalid(str(exc)) from None
        if message.tag:
            body["userinfo"] = message.tag  # the campaign tag (≤ 50, smscli.campaign)
        if message.send_at is not None:
            body["sendtime"] = reservation_time(message.send_at)
        return body

    async def _await_reports(self, session: Session, expected: set[str], on_reports: OnReports,
                             wait: float) -> None:
        import asyncio

        deadline = time.monotonic() + wait
        waiting = set(expected)
        while waiting and time.monotonic() < deadline and not self.stop_requested():
            reports, full = await self._poll_page(session, on_reports, confirm=True)
            waiting.difference_update(r.message_id for r in reports)
            if waiting and not full:
                await asyncio.sleep(max(0.0, min(self.poll_interval, deadline - time.monotonic())))

    # -- upload --------------------------------------------------------------------------

    def upload(self, paths: Sequence[Path]) -> list[str]:
        files = [(Path(p), check_jpeg(Path(p))) for p in paths]

        async def run() -> list[str]:
            async with self._client() as client:
                return [await self._upload_one(client, path, data) for path, data in files]

        return self._run(run())

    async def _upload_cached(self, client: AsyncHttpClient, images: Sequence[str],
                             cache: dict[tuple[str, ...], asyncio.Future[tuple[str, ...]]]) -> tuple[str, ...]:
        import asyncio

        key = tuple(images)
        future = cache.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            cache[key] = future
            try:
                keys = []
                for image in images:
                    path = Path(image)
                    keys.append(await self._upload_one(client, path, check_jpeg(path)))
                future.set_result(tuple(keys))
            except BaseException as exc:
                future.set_exception(exc)
        return await asyncio.shield(future)

    async def _upload_one(self, client: AsyncHttpClient, path: Path, data: bytes) -> str:
        from smscli.transports.http import code_meaning, json_body

        response = await client.request(
            "POST", self.file_path, data={"account": self.account},
            files={"file": (path.name, data, "image/jpeg")}, retry_on=retryable, idempotent=True,
        )
        body = json_body(response)
        key = body.get("filekey")
        if response.status_code < 300 and isinstance(key, str) and key:
            return key
        code = result_code(body) or f"HTTP {response.status_code}"
        meaning = code_meaning(NAME, code, str(body.get("description") or "upload refused"))
        raise VendorError(f"bizppurio refused {path.name}: {code} {meaning}", code=code,
                          retryable=code in RETRY_CODES)

    # -- results -------------------------------------------------------------------------

    def poll(self, on_reports: OnReports, *, timeout: float = 10.0, confirm: bool = True) -> None:
        """Fetch pending reports page by page (1000 a page); after ``on_reports`` stored a page,
        confirm exactly those; continue while full pages come (only one page without confirm)."""

        async def run() -> None:
            deadline = time.monotonic() + timeout
            async with self._client(read_timeout=min(self.timeout, timeout)) as client:
                session = Session(self, client)
                while True:
                    _, full = await self._poll_page(session, on_reports, confirm=confirm)
                    if not (full and confirm) or time.monotonic() >= deadline:
                        return

        self._run(run())

    async def _poll_page(self, session: Session, on_reports: OnReports, *,
                         confirm: bool) -> tuple[list[Report], bool]:
        _, data = await session.call("/v1/result/request", {"account": self.account}, idempotent=True)
        self._expect_success(data, "result request")
        items = [i for i in (data.get("report") or []) if isinstance(i, Mapping)]
        reports = [parse_report(item) for item in items]
        if reports:
            stored = on_reports(reports)
            kept = stored if isinstance(stored, list) else reports
            if confirm:
                await self._confirm(session, [r.extra["msgid"] for r in kept if r.extra.get("msgid")])
        return reports, len(items) >= REPORT_PAGE

    def confirm(self, server_ids: Sequence[str]) -> None:
        async def run() -> None:
            async with self._client() as client:
                await self._confirm(Session(self, client), list(server_ids))

        self._run(run())

    async def _confirm(self, session: Session, msgids: list[str]) -> None:
        for start in range(0, len(msgids), REPORT_PAGE):
            chunk = msgids[start : start + REPORT_PAGE]
            body = {"account": self.account, "msgid": [{"msgid": m} for m in chunk]}
            _, data = await session.call("/v1/result/confirm", body, idempotent=True)
            self._expect_success(data, "result confirm")

    @staticmethod
    def _expect_success(data: Mapping[str, Any], what: str) -> None:
        from smscli.transports.http import code_meaning

        code = result_code(data)
        if code != SUCCESS:
            meaning = code_meaning(NAME, code, str(data.get("description") or "no description"))
            raise VendorError(f"bizppurio {what} failed: {code or 'no code'} {meaning}", code=code or None,
                              retryable=code in RETRY_CODES)

    def cancel(self, message_id: str, server_id: str) -> None:
        raise UsageError(
            "bizppurio cannot cancel a reservation through its API (API v3 has token, message, "
            "file and result endpoints, no cancel)",
            hint="cancel it on the Bizppurio website, or reserve without sendtime via `reserve` on a vendor smscli schedules itself",
        )


def reservation_time(send_at: datetime, *, now: float | None = None) -> int:
    """Unix seconds for ``sendtime``; a naive time is Korea time. Raises _Invalid unless it is
    in the future and at most 30 days ahead (the machine's timezone plays no part)."""
    if send_at.tzinfo is None:
        send_at = send_at.replace(tzinfo=KST)
    now = clock.time() if now is None else now
    when = send_at.timestamp()
    shown = send_at.astimezone(KST).strftime("%Y-%m-%d %H:%M KST")
    if when <= now:
        raise _Invalid(f"reservation time {shown} is in the past")
    if when > now + RESERVATION_WINDOW.total_seconds():
        raise _Invalid(f"reservation time {shown} is more than 30 days ahead (Bizppurio's limit)")
    return math.ceil(when)


def _digits(number: str) -> str:
    if number.isdigit():  # the usual number, already digits only: as it is
        return number
    return "".join(ch for ch in number if ch.isdigit())
