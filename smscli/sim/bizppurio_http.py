"""The Bizppurio simulator's HTTP/1.1 over asyncio: one :class:`HttpConnection` per client
(keep-alive, chunked bodies, timeouts and bounds), handing each request to
:meth:`smscli.sim.bizppurio_api.BizppurioApi.handle` and writing its answer.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from smscli.sim.bizppurio_base import (
    INVALID_MESSAGE,
    MAX_HEAD,
    SERVER_ERROR,
    ApiAnswer,
    ApiRequest,
    BadHttp,
)

if TYPE_CHECKING:
    import asyncio

    from smscli.sim.bizppurio import BizppurioSim


class HttpConnection:
    """One client connection: parses requests (Content-Length or chunked), answers them in
    order, keeps the connection alive unless asked to close. Within bounds: a request must
    be complete ``request_timeout`` seconds after its first byte (408), an idle connection
    is closed after ``idle_timeout``, bodies over ``max_body`` get 413, a connection past
    ``max_connections`` or bytes past ``max_buffered`` (all connections) get 503."""

    def __init__(self, server: BizppurioSim) -> None:
        from smscli.httpd import Framing

        self.server = server
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.framing = Framing()
        self.busy = False
        self.closing = False
        self.discarding = False
        self.served = 0
        self.timer: asyncio.TimerHandle | None = None

    # asyncio.Protocol interface
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        over = len(self.server.connections) >= self.server.config.max_connections
        self.server.connections.add(self)
        if over:
            self._reject(503, "too many connections; try again later")
            return
        self._arm(self.server.config.request_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self._disarm()
        self.server.buffered -= len(self.buffer)
        self.buffer.clear()
        self.server.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        if self.discarding or self.closing:
            return
        cfg = self.server.config
        if not self.buffer and not self.busy:  # the first byte of a request: its clock starts
            self._arm(cfg.request_timeout)
        if self.server.buffered + len(data) > cfg.max_buffered:
            self._reject(503, "server busy: too many request bytes held; try again later")
            return
        self.server.buffered += len(data)
        self.buffer += data
        self._pump()

    def eof_received(self) -> bool:
        return False

    def pause_writing(self) -> None:
        pass

    def resume_writing(self) -> None:
        pass

    # timers
    def _arm(self, seconds: float) -> None:
        self._disarm()
        self.timer = self.server.loop.call_later(seconds, self._timed_out)

    def _disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _timed_out(self) -> None:
        self.timer = None
        if self.busy or self.closing or self.transport is None:
            return
        if not self.buffer and self.served:  # an idle keep-alive connection
            self.closing = True
            self.transport.close()
            return
        timeout = self.server.config.request_timeout
        self._reject(408, f"request not complete within {timeout:g} s" if self.buffer
                     else f"no request within {timeout:g} s")

    # request loop
    def _pump(self) -> None:
        while not self.busy and not self.closing:
            try:
                req = self._parse()
            except BadHttp as err:
                self._reject(err.status, err.reason)
                return
            if req is None:
                return
            self._disarm()
            answer = self.server.api.handle(req)
            if answer.delay > 0:
                self.busy = True
                self.server.loop.call_later(answer.delay, self._finish, answer, req.keep_alive)
                return
            if answer.drop:
                self._drop()
                return
            self._write(answer.status, answer.payload, answer.headers, close=not req.keep_alive)
            self._answered()

    def _answered(self) -> None:
        self.served += 1
        if not self.closing:
            cfg = self.server.config
            self._arm(cfg.request_timeout if self.buffer else cfg.idle_timeout)

    def _finish(self, answer: ApiAnswer, keep_alive: bool) -> None:
        self.busy = False
        if self.closing:
            return
        if answer.drop:
            self._drop()
            return
        self._write(answer.status, answer.payload, answer.headers, close=not keep_alive)
        self._answered()
        self._pump()

    def _drop(self) -> None:
        """Close the connection without an answer (the request was processed)."""
        self.closing = True
        if self.transport is not None:
            self.transport.close()

    def _write(self, status: int, payload: dict[str, Any], headers: list[tuple[str, str]], *, close: bool) -> None:
        if self.transport is None or self.closing:
            return
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
        if payload is not None:
            lines.append("Content-Type: application/json;charset=utf-8")
        lines.append(f"Content-Length: {len(body)}")
        lines += [f"{k}: {v}" for k, v in headers]
        if close:
            lines.append("Connection: close")
        self.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        if close:
            self.closing = True
            self.transport.close()

    def _reject(self, status: int, reason: str) -> None:
        """Answer ``status`` with the reason as the description, then close; what the client
        still sends is read and dropped for a while, so the answer is not lost to a reset."""
        from smscli.httpd import LINGER

        transport = self.transport
        if transport is None or self.closing:
            return
        self._disarm()
        with self.server.api.lock:
            self.server.api.stats[f"http_{status}"] += 1
        body = json.dumps({"code": INVALID_MESSAGE if status < 500 else SERVER_ERROR,
                           "description": reason}, ensure_ascii=False).encode()
        transport.write((f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
                         "Content-Type: application/json;charset=utf-8\r\n"
                         f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode("latin-1") + body)
        self.closing = True
        self.server.buffered -= len(self.buffer)
        self.buffer.clear()
        if transport.can_write_eof():
            transport.write_eof()
            self.discarding = True
            self.server.loop.call_later(LINGER, transport.close)
        else:
            transport.close()

    def _parse(self) -> ApiRequest | None:
        from smscli.httpd import Framing, Reject, dechunk, frame_request, strip_empty_lines

        buf = self.buffer
        cfg = self.server.config
        self.server.buffered -= strip_empty_lines(buf)
        if not buf:
            return None
        framing = self.framing
        try:
            end = frame_request(buf, framing, max_head=MAX_HEAD, max_body=cfg.max_body)
        except Reject as exc:
            raise BadHttp(exc.status, str(exc)) from None
        if end < 0:
            if framing.expect and self.transport is not None:
                framing.expect = False
                self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # curl waits for it
            return None
        text = bytes(buf[: framing.head_end]).decode("latin-1").rstrip("\r\n")
        raw_body = bytes(buf[framing.head_end : end])
        del buf[:end]
        self.server.buffered -= end
        self.framing = Framing()
        request_line, *header_lines = text.replace("\r\n", "\n").split("\n")
        method, target, version = request_line.split(" ", 2)
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = dechunk(raw_body) if framing.chunked else raw_body
        connection = headers.get("connection", "").lower()
        keep_alive = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
        return ApiRequest(method, target.split("?", 1)[0], headers, body, keep_alive)
