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

The vendor is here; its parts: :mod:`~smscli.vendors.oneshot_settings` (the profile's
settings, hours, codes, reports, remembered login refusals),
:mod:`~smscli.vendors.oneshot_session` (the connection), :mod:`~smscli.vendors.oneshot_batch`
(one ``send``) and :mod:`~smscli.vendors.oneshot_channels` (the Kakao/RCS fields).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from smscli.errors import VendorError
from smscli.models import Message
from smscli.vendors.base import Limits, OnReports, OnResult, Vendor, VendorEvents
from smscli.vendors.oneshot_batch import Batch
from smscli.vendors.oneshot_channels import ChannelSettings, load_channel_settings
from smscli.vendors.oneshot_session import LoginRefused, Session
from smscli.vendors.oneshot_settings import Settings, load_settings

if TYPE_CHECKING:
    from smscli.config import Profile

log = logging.getLogger("smscli.vendors.oneshot")


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

    def _run(self, coro_fn: Callable[[Session], Any]) -> Any:
        import asyncio

        settings = self.settings
        session = Session(self, settings)

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

    async def _open_first(self, session: Session) -> None:
        """The first login of an operation; refused at once (nothing sent) within
        login_retry_wait of the last refused login."""
        session.check_refusal()
        try:
            await session.open()
        except LoginRefused as exc:
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
            lambda session: Batch(self, session, iter(messages), on_result, on_reports, wait).run()
        )

    # ---------------------------------------------------------------- upload

    def upload(self, paths: Sequence[Path]) -> list[str]:
        async def run(session: Session) -> list[str]:
            await self._open_first(session)
            names = [await session.upload(Path(p)) for p in paths]
            await session.unbind()
            return names

        return self._run(run)

    # ------------------------------------------------------------------ poll

    def poll(self, on_reports: OnReports, *, timeout: float = 10.0, confirm: bool = True) -> None:
        async def run(session: Session) -> None:
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

        async def run(session: Session) -> None:
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
