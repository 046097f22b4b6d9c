"""One OneShot ``send`` call (:class:`Batch`): messages pulled lazily from the pipeline
and pipelined over a :class:`~smscli.vendors.oneshot_session.Session` within the window
and the pace, the answers turned into results, MMS images uploaded, reconnects, the
sending hours, and the wait for reports (``--wait``).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smscli import clock
from smscli.errors import AuthError, UnreachableError, UsageError, VendorError
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
from smscli.vendors.base import OnReports, OnResult, OutsideHours
from smscli.vendors.oneshot_channels import message_fields, request_fields
from smscli.vendors.oneshot_session import ConnectionLost, LoginRefused, Session, protocol_messages
from smscli.vendors.oneshot_settings import KST, describe, window_wait

if TYPE_CHECKING:
    from smscli.protocol.oneshot.messages import MsgSendReq
    from smscli.vendors.oneshot import OneShotVendor

log = logging.getLogger("smscli.vendors.oneshot")

TOO_FAST = (903, 11)
OUTSIDE_HOURS = 901
DUPLICATE_SEND = 320
RETRY_LOGIN = (1, 2)  # system error, duplicate connection: worth another try later
MAX_SPEED_RETRIES = 20


@dataclass(slots=True)
class _Item:
    """A message on its way: its request, how often it went out, why it came back."""

    message: Message
    request: MsgSendReq
    sends: int = 0
    speed_retries: int = 0


class Batch:
    """One ``send`` call: the pipeline, the answers, reconnects and the final results."""

    def __init__(
        self,
        vendor: OneShotVendor,
        session: Session,
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
        self._channel_settings = vendor.channel_settings
        self._reseller = self._channel_settings.reseller_code
        self._new_request = protocol_messages().MsgSendReq.of
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
            return self._new_request(request_fields(msg, self._channel_settings, msg.sender or self.s.sender))
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
        except ConnectionLost:
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
            except LoginRefused as exc:
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
