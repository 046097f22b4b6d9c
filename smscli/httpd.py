"""A bounded HTTP/1.1 server for the result listener and the BizNetShot simulator.

``http.server`` gives a thread to every connection for as long as it stays open, so 300
slow clients hold 300 threads and a client that stalls mid-request is never answered.
:class:`BoundedHTTPServer` keeps the ``http.server`` handler classes (``do_GET``,
``self.headers``, ``send_response``, ...) and the ``socketserver`` interface
(``serve_forever``/``shutdown``/``server_close``/``server_address``), but:

- one asyncio thread reads every request completely (head and body) before any worker
  sees it, so a slow client costs a buffer, not a thread;
- requests run on at most ``max_workers`` daemon threads (excess requests wait in line);
- every request is answered with a status and a one-line reason: 400 (not HTTP, bad
  framing, a client that hangs up mid-request), 408 (not complete ``request_timeout``
  seconds after its first byte, or no request at all on a new connection), 413 (a body
  over ``max_body``), 414/431 (request line/head too long), 503 (more than
  ``max_connections`` connections, or more than ``max_buffered`` bytes held in all);
  an idle keep-alive connection is closed after ``idle_timeout`` without one;
- memory is bounded: at most ``max_buffered`` bytes of requests are held at once.

A handler class subclasses :class:`BufferedHandler` (a ``BaseHTTPRequestHandler`` whose
``rfile`` holds the whole request and whose ``wfile`` collects the answer).
:func:`loads_json` is ``json.loads`` with a nesting limit, for handlers that read JSON.
"""

from __future__ import annotations

import contextlib
import io
import json
import queue
import re
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from http.server import BaseHTTPRequestHandler
from typing import Any

MAX_BODY = 1024 * 1024
MAX_HEAD = 64 * 1024
MAX_REQUEST_LINE = 8 * 1024
MAX_DEPTH = 32
REQUEST_TIMEOUT = 10.0
IDLE_TIMEOUT = 30.0
LINGER = 2.0  # seconds to drain what a client still sends after an error answer


class Reject(Exception):
    """A request answered with ``status`` and the one-line ``reason`` (``str()``)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


# --------------------------------------------------------------------------- JSON
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


def json_depth(text: str, limit: int = MAX_DEPTH) -> int:
    """The nesting depth of JSON ``text`` (strings skipped), counting stops past ``limit``."""
    brackets = _NOT_BRACKETS.sub("", _JSON_STRING.sub("", text))
    depth = deepest = 0
    for ch in brackets:
        if ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


def loads_json(data: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` refusing nesting deeper than ``max_depth`` before parsing: raises
    ``ValueError`` (a ``json.JSONDecodeError`` for bad JSON, ``UnicodeDecodeError`` for bad
    UTF-8, or ``ValueError("JSON nested deeper than N levels")``)."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes | bytearray) else data
    if json_depth(text, max_depth) > max_depth:
        raise ValueError(f"JSON nested deeper than {max_depth} levels")
    try:
        return json.loads(text)
    except RecursionError:  # a limit above the interpreter's
        raise ValueError(f"JSON nested deeper than {max_depth} levels") from None


# --------------------------------------------------------------------------- handler
class BufferedHandler(BaseHTTPRequestHandler):
    """A ``BaseHTTPRequestHandler`` for one complete request held in memory.

    ``rfile`` reads the request as received (a chunked body stays chunked); what the
    handler writes to ``wfile`` goes to the client once it returns. Errors it sends with
    ``send_error`` are one line of text.
    """

    protocol_version = "HTTP/1.1"
    error_message_format = "%(message)s\n"
    error_content_type = "text/plain; charset=utf-8"
    response_bytes = b""

    def setup(self) -> None:
        self.rfile = io.BytesIO(self.request)
        self.wfile = io.BytesIO()

    def handle(self) -> None:
        self.close_connection = True
        self.handle_one_request()

    def finish(self) -> None:
        self.response_bytes = self.wfile.getvalue()

    def handle_expect_100(self) -> bool:
        return True  # the server answered 100 Continue before it read the body

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


# --------------------------------------------------------------------------- workers
class _Workers:
    """At most ``limit`` daemon threads running submitted calls (started as needed)."""

    def __init__(self, limit: int, name: str) -> None:
        self.limit, self.name = max(1, limit), name
        self.jobs: queue.SimpleQueue[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]] | None] = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.threads = 0
        self.idle = 0

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        done: Future[Any] = Future()
        with self.lock:
            if self.idle <= 0 and self.threads < self.limit:
                self.threads += 1
                threading.Thread(target=self._run, name=f"{self.name}-{self.threads}", daemon=True).start()
            else:
                self.idle -= 1  # this job will wake one idle worker
        self.jobs.put((done, fn, args))
        return done

    def _run(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            done, fn, args = job
            if done.set_running_or_notify_cancel():
                try:
                    done.set_result(fn(*args))
                except BaseException as exc:  # noqa: BLE001 - handed to the waiting request
                    done.set_exception(exc)
            with self.lock:
                self.idle += 1

    def stop(self) -> None:
        with self.lock:
            count = self.threads
        for _ in range(count):
            self.jobs.put(None)


# --------------------------------------------------------------------------- framing
_TOKEN = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]"
_REQUEST_LINE = re.compile(rb"(" + _TOKEN + rb"+) [^ \x00-\x1f]+ HTTP/[0-9]\.[0-9]\r?")
_METHOD_PREFIX = re.compile(rb"[A-Za-z]" + _TOKEN + rb"{0,31}(?: |$)")
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,15}")


class Framing:
    """Framing state of the request being read on one connection."""

    __slots__ = ("head_end", "length", "chunked", "pos", "total", "expect", "scanned")

    def __init__(self) -> None:
        self.scanned = 0  # bytes searched for the end of the head so far
        self.head_end = -1
        self.length = 0
        self.chunked = False
        self.pos = 0
        self.total = 0
        self.expect = False


def _parse_head(buf: bytearray, req: Framing, max_head: int, max_body: int) -> bool:
    """Find and check the request head in ``buf``; True when it is complete."""
    line_end = buf.find(b"\n")
    first = bytes(buf[: line_end if line_end >= 0 else min(len(buf), 64)])
    if not _METHOD_PREFIX.match(first):
        raise Reject(400, "not an HTTP request")
    if line_end < 0:
        if len(buf) > MAX_REQUEST_LINE:
            raise Reject(414, f"request line longer than {MAX_REQUEST_LINE} bytes")
        return False
    if not _REQUEST_LINE.fullmatch(first):
        raise Reject(400, "malformed request line")
    if first.rstrip(b"\r")[-3:-2] != b"1":  # "HTTP/M.m": the stdlib would answer other majors without a status line
        raise Reject(505, "HTTP version not supported (only HTTP/1.0 and HTTP/1.1)")
    end = _HEAD_END.search(buf, max(0, line_end - 1, req.scanned - 3))
    if end is None or end.end() > max_head:
        if end is not None or len(buf) > max_head:
            raise Reject(431, f"request head larger than {max_head} bytes")
        req.scanned = len(buf)
        return False
    lengths: set[str] = set()
    coding = None
    block = bytes(buf[line_end + 1 : end.start()])
    for raw in block.split(b"\n") if block else ():
        line = raw.rstrip(b"\r").decode("latin-1")
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip() or line[:1] in " \t":
            raise Reject(400, "malformed header line")
        key, value = name.lower(), value.strip()
        if key == "content-length":
            lengths.update(v.strip() for v in value.split(","))
        elif key == "transfer-encoding":
            coding = value.lower() if coding is None else f"{coding}, {value.lower()}"
        elif key == "expect" and value.lower() == "100-continue":
            req.expect = b"HTTP/1.1" in first
    if coding is not None:
        if lengths:
            raise Reject(400, "both Transfer-Encoding and Content-Length")
        if coding != "chunked":
            raise Reject(501, f"Transfer-Encoding {coding!r} not supported (only chunked)")
        req.chunked = True
    elif lengths:
        if len(lengths) != 1 or not next(iter(lengths)).isdigit():
            raise Reject(400, "bad Content-Length")
        req.length = int(next(iter(lengths)))
        if req.length > max_body:
            raise Reject(413, f"body larger than {max_body} bytes")
    req.head_end = req.pos = end.end()
    return True


def _chunked_end(buf: bytearray, req: Framing, max_body: int, max_head: int) -> int:
    """The end of a chunked body in ``buf`` (-1: not all there yet); keeps its place in ``req``."""
    while True:
        eol = buf.find(b"\n", req.pos)
        if eol < 0:
            if len(buf) - req.pos > 1024:
                raise Reject(400, "bad chunk size line")
            return -1
        size_text = bytes(buf[req.pos : eol]).split(b";", 1)[0].strip()
        if not _CHUNK_SIZE.fullmatch(size_text):
            raise Reject(400, "bad chunk size")
        size = int(size_text, 16)
        data = eol + 1
        if size == 0:  # trailers, then an empty line
            pos = data
            while True:
                nl = buf.find(b"\n", pos)
                if nl < 0:
                    if len(buf) - data > max_head:
                        raise Reject(431, f"chunked trailers larger than {max_head} bytes")
                    return -1
                if buf[pos:nl].strip(b"\r") == b"":
                    return nl + 1
                pos = nl + 1
        if req.total + size > max_body:
            raise Reject(413, f"body larger than {max_body} bytes")
        if len(buf) < data + size + 1:
            return -1
        if buf[data + size : data + size + 2] == b"\r\n":
            after = data + size + 2
        elif buf[data + size : data + size + 1] == b"\n":
            after = data + size + 1
        elif len(buf) < data + size + 2:
            return -1
        else:
            raise Reject(400, "chunk not followed by CRLF")
        req.total += size
        req.pos = after


def frame_request(buf: bytearray, req: Framing, *, max_head: int, max_body: int) -> int:
    """The length of the complete request at the start of ``buf``, or -1 (more to come);
    raises :class:`Reject` for what cannot become a valid request."""
    if req.head_end < 0 and not _parse_head(buf, req, max_head, max_body):
        return -1
    if req.chunked:
        return _chunked_end(buf, req, max_body, max_head)
    end = req.head_end + req.length
    return end if len(buf) >= end else -1


def strip_empty_lines(buf: bytearray) -> int:
    """Drop the empty lines a client may send before a request; the bytes dropped."""
    dropped = 0
    while buf[:1] == b"\n" or buf[:2] == b"\r\n":
        n = 1 if buf[:1] == b"\n" else 2
        del buf[:n]
        dropped += n
    return dropped


def dechunk(raw: bytes) -> bytes:
    """The data of a chunked body that :func:`frame_request` accepted (trailers dropped)."""
    parts, pos = [], 0
    while True:
        eol = raw.index(b"\n", pos)
        size = int(raw[pos:eol].split(b";", 1)[0].strip(), 16)
        if size == 0:
            return b"".join(parts)
        start = eol + 1
        parts.append(raw[start : start + size])
        pos = start + size + (2 if raw[start + size : start + size + 2] == b"\r\n" else 1)


# --------------------------------------------------------------------------- server
def _answer(status: int, reason: str) -> bytes:
    from http import HTTPStatus

    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    body = (reason.replace("\n", " ") + "\n").encode("utf-8")
    return (f"HTTP/1.1 {status} {phrase}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode("latin-1") + body


class BoundedHTTPServer:
    """Serve ``handler_class`` (a :class:`BufferedHandler`) on ``server_address`` within
    bounds; the constructor binds (an ``OSError`` if it cannot). Limits are class
    attributes a subclass may change, or keyword arguments."""

    max_workers = 16
    max_connections = 512
    max_head = MAX_HEAD
    max_body = MAX_BODY
    max_buffered = 64 * 1024 * 1024
    request_timeout = REQUEST_TIMEOUT
    idle_timeout = IDLE_TIMEOUT
    request_queue_size = 128
    log_line: Callable[[str], None] = staticmethod(lambda line: None)

    def __init__(self, server_address: tuple[str, int], handler_class: type[BufferedHandler],
                 **limits: Any) -> None:
        for name, value in limits.items():
            if not hasattr(type(self), name) or name.startswith("_"):
                raise TypeError(f"unknown limit {name!r}")
            if value is not None:
                setattr(self, name, value)
        self.RequestHandlerClass = handler_class
        host = server_address[0]
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind(server_address)
            self.socket.listen(self.request_queue_size)
        except OSError:
            self.socket.close()
            raise
        self.server_address = self.socket.getsockname()
        self._workers = _Workers(self.max_workers, f"smscli-http-{self.server_address[1]}")
        self._shutdown_request = False
        self._is_shut_down = threading.Event()
        self._is_shut_down.set()
        self._connections = 0
        self.buffered = 0  # bytes of requests held (read, not yet answered)
        self.stats: dict[str, int] = {}

    # -- socketserver-like interface -------------------------------------------------
    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Serve until :meth:`shutdown` (from another thread)."""
        import asyncio

        self._is_shut_down.clear()
        try:
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(self._main(poll_interval))
            finally:
                loop.close()
        finally:
            self._shutdown_request = False
            self._is_shut_down.set()

    def shutdown(self) -> None:
        """Stop :meth:`serve_forever` and wait until it returns."""
        self._shutdown_request = True
        self._is_shut_down.wait()

    @property
    def worker_threads(self) -> int:
        """Request threads started so far (at most ``max_workers``)."""
        return self._workers.threads

    def server_close(self) -> None:
        self.socket.close()
        self._workers.stop()

    # -- the loop ----------------------------------------------------------------------
    async def _main(self, poll_interval: float) -> None:
        import asyncio

        tasks: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

        def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.ensure_future(self._connection(reader, writer))
            tasks[task] = writer
            task.add_done_callback(tasks.pop)

        if self._shutdown_request:
            return
        self.socket.setblocking(False)
        server = await asyncio.start_server(accepted, sock=self.socket)
        try:
            while not self._shutdown_request:
                await asyncio.sleep(poll_interval)
        finally:
            server.close()
            await self._end_connections(tasks)

    @staticmethod
    async def _end_connections(tasks: dict[Any, Any]) -> None:
        """End every connection's task before the loop closes (none is left pending, to be
        destroyed later): each connection is aborted and its task cancelled, again while it
        runs on (``asyncio.wait_for`` can swallow a cancellation that meets a completed
        read), for at most 2 s."""
        import asyncio

        deadline = time.monotonic() + 2
        while tasks and (left := deadline - time.monotonic()) > 0:
            for task, writer in list(tasks.items()):
                writer.transport.abort()
                task.cancel()
            await asyncio.wait(list(tasks), timeout=min(left, 0.05))

    def _count(self, what: str) -> None:
        self.stats[what] = self.stats.get(what, 0) + 1

    async def _connection(self, reader: Any, writer: Any) -> None:
        import asyncio

        peer = writer.get_extra_info("peername") or ("?", 0)
        self._connections += 1
        buf = bytearray()
        try:
            if self._connections > self.max_connections:
                await self._reject(reader, writer, peer, Reject(503, "too many connections; try again later"))
                return
            served = 0
            while True:
                try:
                    end = await self._read(reader, writer, buf, Framing(), fresh=served == 0)
                except Reject as exc:
                    await self._reject(reader, writer, peer, exc)
                    return
                if end < 0:
                    return  # the client closed, or an idle keep-alive connection timed out
                request = bytes(buf[:end])
                del buf[:end]  # still counted in self.buffered until answered
                try:
                    answer, close = await asyncio.wrap_future(self._workers.submit(self._handle, request, peer))
                finally:
                    self.buffered -= len(request)
                writer.write(answer)
                await asyncio.wait_for(writer.drain(), self.request_timeout)
                if close:
                    await self._close(reader, writer)
                    return
                served += 1
        except (ConnectionError, TimeoutError, OSError):
            pass
        finally:
            self._connections -= 1
            self.buffered -= len(buf)
            if not writer.is_closing():
                writer.close()

    async def _read(self, reader: Any, writer: Any, buf: bytearray, req: Framing, *, fresh: bool) -> int:
        """Read one complete request into ``buf``: its length, or -1 when there is none."""
        import asyncio

        loop = asyncio.get_running_loop()
        self.buffered -= strip_empty_lines(buf)
        if not buf:
            try:
                data = await asyncio.wait_for(reader.read(65536), self.request_timeout if fresh
                                              else self.idle_timeout)
            except TimeoutError:
                if fresh:
                    raise Reject(408, f"no request within {self.request_timeout:g} s") from None
                return -1
            if not data:
                return -1
            self._take(buf, data)
        deadline = loop.time() + self.request_timeout
        while True:
            end = frame_request(buf, req, max_head=self.max_head, max_body=self.max_body)
            if end >= 0:
                return end
            if req.expect:
                req.expect = False
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            left = deadline - loop.time()
            try:
                if left <= 0:
                    raise TimeoutError
                data = await asyncio.wait_for(reader.read(65536), left)
            except TimeoutError:
                raise Reject(408, f"request not complete within {self.request_timeout:g} s") from None
            if not data:
                raise Reject(400, "connection closed before the request was complete")
            self._take(buf, data)

    def _take(self, buf: bytearray, data: bytes) -> None:
        if self.buffered + len(data) > self.max_buffered:
            raise Reject(503, "server busy: too many request bytes held; try again later")
        self.buffered += len(data)
        buf += data

    def _handle(self, request: bytes, peer: Any) -> tuple[bytes, bool]:
        """On a worker: run the handler class on one complete request."""
        try:
            handler = self.RequestHandlerClass(request, peer, self)
        except Exception as exc:  # a bug in a handler: answered, logged in one line
            self.log_line(f"{peer[0]}: request failed: {type(exc).__name__}: {exc}")
            return _answer(500, "internal error"), True
        answer = handler.response_bytes
        if not answer:
            if handler.close_connection:  # it chose to answer nothing (a simulator losing an answer)
                return b"", True
            return _answer(500, "no answer"), True
        return answer, handler.close_connection

    async def _reject(self, reader: Any, writer: Any, peer: Any, exc: Reject) -> None:
        self._count(f"status_{exc.status}")
        self.log_line(f"{peer[0]} -> {exc.status} {exc}")
        writer.write(_answer(exc.status, str(exc)))
        with contextlib.suppress(Exception):
            import asyncio

            await asyncio.wait_for(writer.drain(), LINGER)
        await self._close(reader, writer)

    async def _close(self, reader: Any, writer: Any) -> None:
        """Half-close, then read and drop what the client still sends for up to ``LINGER``
        seconds, so the answer is not lost to a reset on closing with unread data."""
        import asyncio

        with contextlib.suppress(Exception):
            if writer.can_write_eof():
                writer.write_eof()
                deadline = time.monotonic() + LINGER
                dropped = 0
                while dropped < 64 * 1024 * 1024 and (left := deadline - time.monotonic()) > 0:
                    data = await asyncio.wait_for(reader.read(65536), left)
                    if not data:
                        break
                    dropped += len(data)
        writer.close()
