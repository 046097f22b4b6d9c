"""The result listener: one HTTP server that takes pushed delivery reports.

Two vendors push results to a URL registered with them, on whatever path that URL has:

- Bizppurio: ``POST`` JSON with the upper-case keys of its push document (``CMSGID``,
  ``MSGID``, ``PHONE``, ``RESULT``, ``REFKEY``, ``UNIXTIME``, ...); one object or a list.
  Delivered: ``RESULT`` 4100 (SMS), 6600 (LMS/MMS), 7000 (AlimTalk).
- BizNetShot: ``GET`` with ``resultCode``, ``corpfrcode``, ``sendNumber``, ``sdate``
  ``stime`` ``edate`` ``etime``, ``page``, ``price`` (a form ``POST`` is accepted too).
  Delivered: ``resultCode`` 1.

Each request becomes a list of :class:`smscli.models.Report`; ``on_reports`` stores them
and only then the listener answers 200 (so a vendor retries what was not stored). A push
it cannot read gets 400 with a short reason and one log line; the server keeps serving.
It serves within bounds (:mod:`smscli.httpd`): bodies up to ``max_body`` (1 MiB; 413
beyond), JSON nested at most 32 deep (400), each request complete within
``request_timeout`` seconds of its first byte (10; 408 and closed), at most
``max_workers`` threads (16) however many clients connect, 503 past 512 connections.
Matching a report to a message: ``resolve(vendor, key, phone)`` (optional) returns a
message id. Without it, a Bizppurio report's ``message_id`` is its ``REFKEY`` (the
bizppurio vendor sends the message id as refkey); otherwise ``message_id`` is "" and
``extra["server_id"]`` holds the vendor's key, which ``Journal.add_reports`` matches:
Bizppurio's ``CMSGID``, BizNetShot's ``corpfrcode:number`` (what the netshot vendor records
as each message's server id; one corpfrcode covers up to 1500 numbers). Reports that match
nothing are still handed to ``on_reports``: the store decides. ``delivered_at`` is set
for delivered reports only.

``on_reports`` is always called from one thread at a time: the thread that runs
:func:`serve` (or, with :meth:`ResultListener.start`, the listener's dispatcher thread),
so a SQLite journal opened on that thread can be used as is.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from smscli.httpd import (
    MAX_BODY,
    MAX_DEPTH,
    REQUEST_TIMEOUT,
    BoundedHTTPServer,
    BufferedHandler,
    loads_json,
)
from smscli.models import DELIVERED, FAILED, Report

KST = timezone(timedelta(hours=9), "KST")
DEFAULT_PORT = 8080
MAX_WORKERS = 16
BIZPPURIO_DELIVERED = frozenset({"4100", "6600", "7000", "8000"})  # SMS, LMS/MMS, Kakao, RCS
NETSHOT_DELIVERED = frozenset({"1"})

OnReports = Callable[[list[Report]], None]
Resolve = Callable[[str, str, str], "str | None"]
Log = Callable[[str], None]


class BadPush(ValueError):
    """A request the listener cannot turn into reports; ``str()`` is the short reason."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


# --------------------------------------------------------------------------- parsing


def describe_code(vendor: str, code: str) -> str:
    """The meaning of a vendor result code (``smscli.codes`` when present), else the code."""
    from smscli.transports.http import code_meaning

    return code_meaning(vendor, code, code)


def normalize_phone(number: str) -> str:
    """``011-1234-5678`` / ``+82 10 ...`` → digits (``smscli.phone.normalize``)."""
    from smscli.phone import normalize

    return normalize(number)


def parse_request(
    method: str,
    target: str,
    content_type: str,
    body: bytes,
    resolve: Resolve | None = None,
) -> list[Report]:
    """Turn one pushed request into reports, or raise :class:`BadPush`."""
    query = urlsplit(target).query
    ctype = content_type.split(";", 1)[0].strip().lower()
    if method == "GET":
        if not query:
            raise BadPush("no result in the request: expected a BizNetShot GET with "
                          "resultCode, corpfrcode and sendNumber")
        return [netshot_report(_form(query.encode("latin-1")), resolve)]
    if method != "POST":
        raise BadPush(f"method {method} not accepted", status=405)
    stripped = body.strip()
    if ctype == "application/x-www-form-urlencoded" or (not stripped and query):
        return [netshot_report(_form(stripped or query.encode("latin-1")), resolve)]
    if not stripped:
        raise BadPush("empty body: expected Bizppurio result JSON")
    from smscli.protocol.oneshot.frames import json_shape_error  # the codec's value bound

    # Parsed, ``[],`` takes 20 times its text: count values and keys before parsing
    # (loads_json bounds the depth).
    shape = json_shape_error(body, max_depth=len(body))
    if shape:
        raise BadPush(f"bad JSON: {shape}")
    try:
        data = loads_json(body, MAX_DEPTH)
    except UnicodeDecodeError:
        raise BadPush("body is not UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        raise BadPush(f"bad JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:  # nested too deeply
        raise BadPush(str(exc)) from None
    items = data if isinstance(data, list) else [data]
    if not items:
        raise BadPush("empty JSON list")
    return [bizppurio_report(item, resolve, index=i if isinstance(data, list) else None)
            for i, item in enumerate(items)]


def netshot_report(params: Mapping[str, str], resolve: Resolve | None = None) -> Report:
    """One BizNetShot GET callback → a Report (``resultCode`` 1 = delivered)."""
    missing = [k for k in ("resultCode", "corpfrcode", "sendNumber") if not params.get(k, "").strip()]
    if missing:
        raise BadPush("BizNetShot result without " + ", ".join(missing))
    code = params["resultCode"].strip()
    corpfrcode = params["corpfrcode"].strip()
    phone = normalize_phone(params["sendNumber"])
    message_id = resolve("netshot", corpfrcode, phone) if resolve else None
    extra = {k: params[k] for k in ("corpfrcode", "sdate", "stime", "edate", "etime", "page", "price")
             if k in params}
    extra["server_id"] = f"{corpfrcode}:{phone}"
    delivered = code in NETSHOT_DELIVERED
    when = (_kst_iso(params.get("edate", ""), params.get("etime", "")) or _kst_iso(
        params.get("sdate", ""), params.get("stime", ""))) if delivered else ""
    return Report(
        message_id=message_id or "",
        to=phone,
        status=DELIVERED if delivered else FAILED,
        code=code,
        detail=describe_code("netshot", code),
        vendor="netshot",
        delivered_at=when,
        extra=extra,
    )


def bizppurio_report(item: Any, resolve: Resolve | None = None, *, index: int | None = None) -> Report:
    """One Bizppurio push object → a Report (4100/6600/7000/8000 = delivered; a Kakao/RCS one
    with its channel and fallback, :func:`smscli.vendors.bizppurio_reports.report_channels`)."""
    where = "" if index is None else f" (item {index})"
    if not isinstance(item, dict):
        raise BadPush(f"Bizppurio result{where} is not a JSON object")
    fields = {str(k).upper().replace(" ", "_"): "" if v is None else str(v) for k, v in item.items()}
    missing = [k for k in ("RESULT", "PHONE") if not fields.get(k, "").strip()]
    if not any(fields.get(k, "").strip() for k in ("CMSGID", "MSGID", "REFKEY")):
        missing.append("CMSGID")
    if missing:
        raise BadPush(f"Bizppurio result{where} without " + ", ".join(missing))
    code = fields["RESULT"].strip()
    phone = normalize_phone(fields["PHONE"])
    message_id = None
    if resolve:
        for key in ("CMSGID", "REFKEY", "MSGID"):
            value = fields.get(key, "").strip()
            if value and (message_id := resolve("bizppurio", value, phone)):
                break
    extra = {k.lower(): v for k, v in fields.items() if k not in ("RESULT", "PHONE") and v}
    extra["server_id"] = fields.get("CMSGID", "").strip() or fields.get("MSGID", "").strip()
    from smscli.transports.http import code_meaning
    from smscli.vendors.bizppurio_reports import report_channels

    channels = report_channels({k.lower(): v.strip() for k, v in fields.items()},
                               lambda c, default: code_meaning("bizppurio", c, default))
    if channels is not None:  # Kakao/RCS: the channel that delivered, the vendor's fallback
        channel, fallback, final, detail, at = channels
        extra["result"] = code
        ok = final in BIZPPURIO_DELIVERED
        return Report(message_id=message_id or fields.get("REFKEY", "").strip(), to=phone,
                      status=DELIVERED if ok else FAILED, code=final, detail=detail, vendor="bizppurio",
                      delivered_at=at if ok else "", extra=extra, channel=channel, fallback=fallback)
    delivered = code in BIZPPURIO_DELIVERED
    return Report(
        message_id=message_id or fields.get("REFKEY", "").strip(),
        to=phone,
        status=DELIVERED if delivered else FAILED,
        code=code,
        detail=describe_code("bizppurio", code),
        vendor="bizppurio",
        delivered_at=_unix_iso(fields.get("UNIXTIME", "")) if delivered else "",
        extra=extra,
    )


def _form(raw: bytes) -> dict[str, str]:
    """Decode a query string / urlencoded form: UTF-8 if it is valid, else CP949."""
    text = raw.decode("latin-1")
    try:
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        pairs = parse_qsl(text, keep_blank_values=True, encoding="cp949", errors="replace")
    return dict(pairs)


def _kst_iso(day: str, clock: str) -> str:
    day, clock = day.strip(), clock.strip()
    if not day:
        return ""
    try:
        when = datetime.strptime(f"{day} {clock or '00:00:00'}", "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return ""
    return when.replace(tzinfo=KST).isoformat()


def _unix_iso(value: str) -> str:
    try:
        return datetime.fromtimestamp(int(value.strip()), KST).isoformat()
    except (ValueError, OverflowError, OSError):
        return ""


# --------------------------------------------------------------------------- HTTP


def read_body(handler: BaseHTTPRequestHandler, limit: int = MAX_BODY) -> bytes:
    """Read a request body (Content-Length or chunked), at most ``limit`` bytes."""
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        chunks: list[bytes] = []
        size = 0
        while True:
            line = handler.rfile.readline(1024)
            if not line:
                raise BadPush("truncated chunked body")
            try:
                length = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BadPush("bad chunk size") from None
            if length == 0:
                while handler.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            size += length
            if size > limit:
                raise BadPush(f"body larger than {limit} bytes", status=413)
            chunks.append(handler.rfile.read(length))
            handler.rfile.readline(1024)
    try:
        length = int(handler.headers.get("Content-Length", "0") or 0)
    except ValueError:
        raise BadPush("bad Content-Length") from None
    if length < 0:
        raise BadPush("bad Content-Length")
    if length > limit:
        raise BadPush(f"body larger than {limit} bytes", status=413)
    data = handler.rfile.read(length) if length else b""
    if len(data) != length:
        raise BadPush("truncated body")
    return data


def send_text(handler: BaseHTTPRequestHandler, status: int, text: str,
              content_type: str = "text/plain; charset=utf-8", body: bytes | None = None) -> None:
    """Answer with a complete body (Content-Length set, so keep-alive works)."""
    data = text.encode("utf-8") if body is None else body
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(data)


class _Handler(BufferedHandler):
    server: _Server

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        owner = self.server.owner
        try:
            body = read_body(self, self.server.max_body) if self.command == "POST" else b""
            reports = parse_request(self.command, self.path, self.headers.get("Content-Type", ""),
                                    body, owner.resolve)
        except BadPush as exc:
            owner.log(f"{self.client_address[0]} {self.command} {_path(self.path)} -> {exc.status} {exc}")
            if exc.status == 413:
                self.close_connection = True
            send_text(self, exc.status, f"{exc}\n")
            return
        try:
            owner.store(reports)
        except Exception as exc:  # the store failed: 500, so the vendor pushes again later
            owner.log(f"{self.client_address[0]} {self.command} {_path(self.path)} -> 500 "
                      f"could not store {len(reports)} report(s): {type(exc).__name__}: {exc}")
            send_text(self, 500, "could not store the result, try again later\n")
            return
        vendor = reports[0].vendor if reports else "-"
        owner.log(f"{self.client_address[0]} {self.command} {_path(self.path)} -> 200 "
                  f"{vendor} {len(reports)} report(s)")
        send_text(self, 200, "OK\n")


def _path(target: str) -> str:
    """The path without the query (which carries phone numbers)."""
    return urlsplit(target).path or "/"


class _Server(BoundedHTTPServer):
    owner: ResultListener


class ResultListener:
    """A result listener bound to ``host:port`` (``port=0``: an ephemeral port).

    Use :meth:`start`/:meth:`stop` (or ``with``) to run it in the background, or
    :meth:`serve_forever` to run it on the calling thread.
    """

    def __init__(
        self,
        on_reports: OnReports,
        *,
        resolve: Resolve | None = None,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        log: Log | None = None,
        store_timeout: float = 30.0,
        max_body: int = MAX_BODY,
        request_timeout: float = REQUEST_TIMEOUT,
        max_workers: int = MAX_WORKERS,
        **limits: Any,
    ) -> None:
        """``max_body`` (bytes), ``request_timeout`` (seconds from a request's first byte to
        its last), ``max_workers`` (threads) and the other :class:`smscli.httpd.BoundedHTTPServer`
        limits (``max_connections``, ``idle_timeout``, ...) bound what clients can take."""
        self.on_reports = on_reports
        self.resolve = resolve
        self._log = log
        self.store_timeout = store_timeout
        self._calls: queue.Queue[tuple[list[Report], Any] | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self.httpd = _Server((host, port), _Handler, max_body=max_body, request_timeout=request_timeout,
                             max_workers=max_workers, **limits)
        self.httpd.owner = self
        self.httpd.log_line = self.log

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.httpd.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}/"

    def log(self, line: str) -> None:
        if self._log is not None:
            self._log(line)

    def store(self, reports: list[Report]) -> None:
        """Called on a request thread: hand ``reports`` to the dispatcher, wait for the store."""
        from concurrent.futures import Future

        done: Future[None] = Future()
        self._calls.put((reports, done))
        done.result(timeout=self.store_timeout)

    def _dispatch(self) -> None:
        while True:
            try:  # a timeout keeps Ctrl-C responsive on the serving thread
                item = self._calls.get(timeout=0.5)
            except queue.Empty:
                continue
            if item is None:
                return
            reports, done = item
            if not done.set_running_or_notify_cancel():
                continue
            try:
                self.on_reports(reports)
            except Exception as exc:  # reported to the request thread (500), never fatal here
                done.set_exception(exc)
            else:
                done.set_result(None)

    def _serve(self) -> None:
        self.httpd.serve_forever(poll_interval=0.05)

    def start(self) -> ResultListener:
        """Serve and dispatch on background threads."""
        for target in (self._serve, self._dispatch):
            thread = threading.Thread(target=target, name="smscli-listen", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def serve_forever(self) -> None:
        """Serve until :meth:`stop` (or Ctrl-C); ``on_reports`` runs on this thread."""
        thread = threading.Thread(target=self._serve, name="smscli-listen", daemon=True)
        thread.start()
        self._threads.append(thread)
        try:
            self._dispatch()
        finally:
            self.httpd.shutdown()

    def stop(self) -> None:
        """Stop serving, let the dispatcher finish what it holds, close the socket."""
        self.httpd.shutdown()
        self._calls.put(None)
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        self.httpd.server_close()

    def __enter__(self) -> ResultListener:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _stderr(line: str) -> None:
    print(f"smscli: listen: {line}", file=sys.stderr, flush=True)


def serve(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    *,
    on_reports: OnReports,
    resolve: Resolve | None = None,
    log: Log | None = _stderr,
    max_body: int = MAX_BODY,
    request_timeout: float = REQUEST_TIMEOUT,
) -> None:
    """Run the listener on the calling thread until interrupted (Ctrl-C propagates).

    ``on_reports`` is called on this thread, one request at a time. Binds to 127.0.0.1
    unless ``host`` says otherwise.
    """
    try:
        listener = ResultListener(on_reports, resolve=resolve, host=host, port=port, log=log,
                                  max_body=max_body, request_timeout=request_timeout)
    except OSError as exc:
        from smscli.errors import UsageError

        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                         hint="choose another --port or --host") from None
    from smscli.interrupts import stop_on_signals

    try:
        with stop_on_signals():  # before the line below: a signal right after it stops the server
            if log is not None:
                log(f"listening on {listener.url} (BizNetShot GET, Bizppurio POST; any path)")
            listener.serve_forever()
    finally:
        listener.httpd.server_close()
