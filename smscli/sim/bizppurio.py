"""A local simulator of the Bizppurio (Daou Tech) HTTP API v3, for tests, benchmarks and
users' own CI (``smscli sim bizppurio``).

It is a real HTTP/1.1 server on asyncio (keep-alive, chunked request bodies without
Content-Length, optional TLS with a self-signed certificate made on the fly), built to
answer thousands of requests per second on loopback. It serves:

- ``POST /v1/token`` (Basic auth) → ``{"accesstoken","type":"Bearer","expired"}``
- ``POST /v3/message`` (Bearer) → ``{"code":1000,"description","refkey","messagekey"}``
- ``POST /v1/file`` and ``/v2/file`` (multipart ``account`` + ``file``, JPEG ≤ 300 kB)
- ``POST /v1/result/request`` / ``/v1/result/confirm`` (polling), or pushes reports to a URL

Codes it answers, as Daou's public document (section 8) has them: 1000 success (HTTP
200); every error below is HTTP 400 with its code in the JSON body: 2000 invalid message
(the description says what), 3001 authentication failed (token request), 3002 invalid or
missing token, 3004 account not valid (not the token's), 3005 expired token, 5001 no such
resource (an unknown path, or not POST); besides, 5002 too many requests (HTTP 429 +
``RateLimit-Reset``; ``bare_429`` answers it as a gateway in front of the API would, with
no body and only ``Retry-After`` or only ``RateLimit-Reset``, and counts ``early``
requests that came before the wait it asked for was over) and 5003 temporary server
error (HTTP 503). International messages (``country``): :mod:`smscli.sim.bizppurio_abroad`. ``errors_in_200`` answers
the errors with HTTP 200 instead, as some deployments do. Optional as in the document:
``content.mms.message`` and the ``account`` of ``/v1/file``.

Run it in-process with :meth:`BizppurioSim.start` (ephemeral port, background thread) and
read :meth:`BizppurioSim.accepted` to assert that every refkey was accepted exactly once.
Like the real service it accepts a refkey it has seen before: each acceptance counts, and
the ``record`` file has a line per acceptance with ``times`` (1 for the first, 2 for the
second of the same refkey, ...). Faults after accepting: ``delay`` (the answer comes late,
so a client timing out first has lost the answer to an accepted message), ``drop_rate``
and ``drop_ids`` (no answer at all: the connection is closed).

The pieces: settings, codes and request types in :mod:`smscli.sim.bizppurio_base`; the
API (routing, rate limit, tokens, files) in :mod:`smscli.sim.bizppurio_api`, with
``/v3/message`` in :mod:`smscli.sim.bizppurio_message` and the reports in
:mod:`smscli.sim.bizppurio_reports`; HTTP/1.1 over asyncio in :mod:`smscli.sim.bizppurio_http`;
the TLS certificate in :mod:`smscli.sim.bizppurio_tls`. This module has the server
(:class:`BizppurioSim`: thread, start/stop, the push of reports) and :func:`serve`.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smscli import clock as wall_clock
from smscli.sim.bizppurio_api import BizppurioApi
from smscli.sim.bizppurio_base import (
    AUTH_FAILED,
    DELIVERED,
    EXPIRED_TOKEN,
    FAILURES,
    INVALID_ACCOUNT,
    INVALID_MESSAGE,
    INVALID_TOKEN,
    KST,
    MAX_BODY,
    MAX_DEPTH,
    MAX_HEAD,
    NO_RESOURCE,
    OK,
    REPORT_PAGE,
    RESERVATION_WINDOW,
    SERVER_ERROR,
    TOO_MANY_REQUESTS,
    SimConfig,
    euckr_len,
    is_jpeg,
)
from smscli.sim.bizppurio_http import HttpConnection
from smscli.sim.bizppurio_tls import make_self_signed

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "AUTH_FAILED",
    "DELIVERED",
    "EXPIRED_TOKEN",
    "FAILURES",
    "INVALID_ACCOUNT",
    "INVALID_MESSAGE",
    "INVALID_TOKEN",
    "KST",
    "MAX_BODY",
    "MAX_DEPTH",
    "MAX_HEAD",
    "NO_RESOURCE",
    "OK",
    "REPORT_PAGE",
    "RESERVATION_WINDOW",
    "SERVER_ERROR",
    "TOO_MANY_REQUESTS",
    "BizppurioApi",
    "BizppurioSim",
    "SimConfig",
    "euckr_len",
    "is_jpeg",
    "make_self_signed",
    "serve",
]


class BizppurioSim:
    """The simulator: ``start()`` serves on a background thread; ``stop()`` ends it.

    ``base_url`` (after start), ``ca_file`` (with TLS), ``accepted()`` (refkey → times
    accepted), ``stats()`` (counters) and ``api`` (the state) are for tests.
    """

    def __init__(self, config: SimConfig | None = None, **options: Any) -> None:
        self.config = config or SimConfig(**options)
        self.api = BizppurioApi(self.config)
        self.connections: set[HttpConnection] = set()
        self.buffered = 0  # bytes of requests held by all connections
        self.port = 0
        self.ca_file: Path | None = None
        self.loop: asyncio.AbstractEventLoop = None  # type: ignore[assignment]
        self._thread: threading.Thread | None = None
        self._tmpdir: str | None = None
        self._push_queue: asyncio.Queue[str] | None = None
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        scheme = "https" if self.config.tls else "http"
        host = self.config.host if ":" not in self.config.host else f"[{self.config.host}]"
        return f"{scheme}://{host}:{self.port}"

    def accepted(self) -> dict[str, int]:
        with self.api.lock:
            return dict(self.api.accepted)

    def stats(self) -> dict[str, int]:
        with self.api.lock:
            return dict(self.api.stats)

    def start(self) -> BizppurioSim:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="bizppurio-sim", daemon=True)
        self._thread.start()
        ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self.loop is not None and self._thread is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
        self.api.close()
        if self._tmpdir:
            import shutil

            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> BizppurioSim:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _ssl_context(self) -> Any:
        import ssl
        import tempfile

        self._tmpdir = tempfile.mkdtemp(prefix="smscli-sim-")
        cert, key = make_self_signed(Path(self._tmpdir))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.ca_file = cert
        return context

    def _run(self, ready: threading.Event) -> None:
        import asyncio

        loop = asyncio.new_event_loop()
        self.loop = loop
        server = None
        try:
            context = self._ssl_context() if self.config.tls else None
            server = loop.run_until_complete(
                loop.create_server(lambda: HttpConnection(self), self.config.host, self.config.port,
                                   ssl=context, backlog=1024, reuse_address=True)
            )
            self.port = server.sockets[0].getsockname()[1]
            if self.config.push_url:
                self._push_queue = asyncio.Queue()
                self.api.on_report_ready = self._schedule_push
                loop.create_task(self._pusher())
        except BaseException as exc:  # reported to start()
            self._error = exc
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            for conn in list(self.connections):
                if conn.transport is not None:
                    conn.transport.abort()
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            if tasks:  # each ended, none left pending to be destroyed after the loop closes
                loop.run_until_complete(asyncio.wait(tasks, timeout=2))
            loop.close()

    # -- push --------------------------------------------------------------------------

    def _schedule_push(self, msgid: str, ready_at: float) -> None:
        def enqueue() -> None:
            assert self._push_queue is not None
            self._push_queue.put_nowait(msgid)

        self.loop.call_soon_threadsafe(self.loop.call_later, max(0.0, ready_at - wall_clock.time()), enqueue)

    async def _pusher(self) -> None:
        import asyncio

        import httpx

        assert self._push_queue is not None and self.config.push_url
        async with httpx.AsyncClient(timeout=5.0, verify=False) as client:
            while True:
                msgid = await self._push_queue.get()
                with self.api.lock:
                    entry = self.api.reports.get(msgid)
                if entry is None:
                    continue
                body = {k.upper(): v for k, v in entry[1].items() if v != ""}
                for attempt in range(5):
                    try:
                        response = await client.post(self.config.push_url, json=body)
                        if response.status_code < 300:
                            with self.api.lock:
                                self.api.reports.pop(msgid, None)
                                self.api.stats["pushed"] += 1
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.2 * 2**attempt)
                else:  # left for /v1/result/request
                    with self.api.lock:
                        self.api.stats["push_failed"] += 1


def serve(config: SimConfig, *, announce: Any = None) -> None:
    """Run the simulator until Ctrl-C or SIGTERM (the ``smscli sim bizppurio`` command)."""
    import signal

    def terminate(*_: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, terminate)
    sim = BizppurioSim(config).start()
    try:
        if announce is not None:
            announce(sim)
        while True:
            time.sleep(3600)
    finally:
        sim.stop()
