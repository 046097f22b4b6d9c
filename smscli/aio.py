"""``smscli.AsyncClient``: :class:`smscli.Client`'s methods as coroutines, for an
application that runs an event loop (FastAPI, aiohttp, a worker).

Each call runs the Client's (blocking, journaled) operation in a worker thread
(``asyncio.to_thread``), so the loop never waits on the vendor or the journal; calls
from many tasks are taken one at a time per client, as from threads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from smscli.client import Client, StrPath
from smscli.content import Content
from smscli.models import Batch, MessageRecord, PollResult, SendResult, Upload

if TYPE_CHECKING:
    from smscli.optout import OptOut


class AsyncClient:
    """The same arguments as :class:`smscli.Client`; use ``async with``, or ``await
    close()``. Creating one reads the profile (a ConfigError is raised here)."""

    def __init__(self, profile: str | None = None, *, config: StrPath | None = None,
                 data_dir: StrPath | None = None,
                 settings: Mapping[str, object] | None = None,
                 on_notice: Callable[[str], None] | None = None) -> None:
        self.sync = Client(profile, config=config, data_dir=data_dir, settings=settings,
                           on_notice=on_notice)

    @property
    def profile(self) -> str:
        return self.sync.profile

    @property
    def vendor(self) -> str:
        return self.sync.vendor

    def __repr__(self) -> str:
        return f"AsyncClient(profile={self.profile!r}, vendor={self.vendor!r})"

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the journal (idempotent)."""
        await asyncio.to_thread(self.sync.close)

    async def send(self, to: str, text: str | Content, **options: Any) -> SendResult:
        """:meth:`smscli.Client.send` as a coroutine."""
        return await asyncio.to_thread(self.sync.send, to, text, **options)

    async def reserve(self, to: str, text: str | Content, *, at: datetime | str,
                      **options: Any) -> SendResult:
        """:meth:`smscli.Client.reserve` as a coroutine."""
        return await asyncio.to_thread(self.sync.reserve, to, text, at=at, **options)

    async def send_many(self, rows: Iterable[Mapping[str, Any] | str], *,
                        template: str | Content, **options: Any) -> Batch:
        """:meth:`smscli.Client.send_many` as a coroutine (``rows`` is read in the worker
        thread: give a list, or an iterator that does not need the loop)."""
        return await asyncio.to_thread(self.sync.send_many, rows, template=template, **options)

    async def poll(self, *, timeout: float = 10.0, confirm: bool = True) -> PollResult:
        """:meth:`smscli.Client.poll` as a coroutine."""
        return await asyncio.to_thread(self.sync.poll, timeout=timeout, confirm=confirm)

    async def cancel(self, message_id: str) -> MessageRecord:
        """:meth:`smscli.Client.cancel` as a coroutine."""
        return await asyncio.to_thread(self.sync.cancel, message_id)

    async def flush(self, **options: Any) -> Batch:
        """:meth:`smscli.Client.flush` as a coroutine."""
        return await asyncio.to_thread(self.sync.flush, **options)

    async def confirm(self, msgids: Iterable[str]) -> dict[str, bool]:
        """:meth:`smscli.Client.confirm` as a coroutine."""
        return await asyncio.to_thread(self.sync.confirm, list(msgids))

    async def upload(self, files: Sequence[Any]) -> list[Upload]:
        """:meth:`smscli.Client.upload` as a coroutine."""
        return await asyncio.to_thread(self.sync.upload, files)

    async def reservations(self, *, profile: str | None = None) -> list[MessageRecord]:
        """:meth:`smscli.Client.reservations` as a coroutine (a list)."""
        return await asyncio.to_thread(lambda: list(self.sync.reservations(profile=profile)))

    async def result(self, message_id: str) -> MessageRecord | None:
        """:meth:`smscli.Client.result` as a coroutine."""
        return await asyncio.to_thread(self.sync.result, message_id)

    async def messages(self, *, status: str | None = None,
                       since: datetime | str | None = None, **filters: Any) -> list[MessageRecord]:
        """:meth:`smscli.Client.messages` as a coroutine (a list)."""
        return await asyncio.to_thread(lambda: list(self.sync.messages(status=status, since=since, **filters)))

    async def message_rows(self, *, status: str | None = None,
                           since: datetime | str | None = None, **filters: Any) -> list[tuple[str, ...]]:
        """:meth:`smscli.Client.message_rows` as a coroutine (a list)."""
        return await asyncio.to_thread(lambda: list(self.sync.message_rows(status=status, since=since, **filters)))

    async def story(self, message_id: str) -> dict[str, Any]:
        """:meth:`smscli.Client.story` as a coroutine."""
        return await asyncio.to_thread(self.sync.story, message_id)

    async def stats(self, *, by: str = "status", since: datetime | str | None = None,
                    **filters: Any) -> list[dict[str, Any]]:
        """:meth:`smscli.Client.stats` as a coroutine."""
        return await asyncio.to_thread(lambda: self.sync.stats(by=by, since=since, **filters))

    async def optouts(self) -> list[OptOut]:
        """:meth:`smscli.Client.optouts` as a coroutine (a list)."""
        return await asyncio.to_thread(lambda: list(self.sync.optouts()))

    async def add_optouts(self, numbers: Iterable[str], **options: Any) -> list[str]:
        """:meth:`smscli.Client.add_optouts` as a coroutine."""
        return await asyncio.to_thread(self.sync.add_optouts, list(numbers), **options)

    async def remove_optouts(self, numbers: Iterable[str]) -> list[str]:
        """:meth:`smscli.Client.remove_optouts` as a coroutine."""
        return await asyncio.to_thread(self.sync.remove_optouts, list(numbers))

    async def is_opted_out(self, number: str) -> bool:
        """:meth:`smscli.Client.is_opted_out` as a coroutine."""
        return await asyncio.to_thread(self.sync.is_opted_out, number)
