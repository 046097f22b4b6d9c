"""The lean HTTP/1.1 client behind ``AsyncHttpClient``'s JSON requests, against scripted
servers on loopback: body framings, keep-alive reuse, a connection the server closed while
idle, and which failures may be repeated (never a request that may have arrived, unless
idempotent)."""

from __future__ import annotations

import asyncio
import json

import pytest

from smscli.errors import UnreachableError
from smscli.transports.http import AnswerLost, AsyncHttpClient, HttpSettings, RetryPolicy

FAST = RetryPolicy(attempts=3, backoff_base=0.01, backoff_max=0.02)


class Server:
    """Answers each request with the next scripted raw answer; ``None`` drops the
    connection after reading the request; ``"close-idle"`` answers, then closes."""

    def __init__(self, answers: list) -> None:
        self.answers, self.requests, self.connections = answers, [], 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length")))
                body = await reader.readexactly(length)
                self.requests.append((head.decode(), body))
                answer = self.answers.pop(0)
                if answer is None:
                    break
                close = answer.startswith(b"close-idle:")
                writer.write(answer.removeprefix(b"close-idle:"))
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


def ok(body: bytes = b'{"code":"1000"}', extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n%bContent-Length: %d\r\n\r\n%b" % (
        extra, len(body), body)


async def exchange(answers: list, calls: list[dict], **settings):
    server = Server(answers)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    results = []
    try:
        async with AsyncHttpClient(HttpSettings(base_url=f"http://127.0.0.1:{port}/api", **settings),
                                   FAST, sleep=lambda s: asyncio.sleep(0)) as client:
            assert client._lean is not None
            for call in calls:
                try:
                    results.append(await client.request("POST", "/v3/message", **call))
                except Exception as exc:  # noqa: BLE001 - the test reads it
                    results.append(exc)
                await asyncio.sleep(0.05)  # lets a closing server's FIN arrive
        await asyncio.sleep(0.05)  # the server's handlers see the client go
    finally:
        listener.close()
    return server, results


def run(answers, calls, **settings):
    return asyncio.run(exchange(answers, calls, **settings))


def test_json_request_bytes_and_keep_alive():
    server, results = run([ok(), ok(b'{"n":2}')], [
        {"json": {"a": "한글", "b": [1, 2]}, "headers": {"Authorization": "Bearer t"}},
        {"json": {"x": 1}}])
    head, body = server.requests[0]
    assert head.startswith("POST /api/v3/message HTTP/1.1\r\n")
    assert "Authorization: Bearer t\r\n" in head and "Content-Type: application/json\r\n" in head
    assert "User-Agent: smscli\r\n" in head
    assert body == json.dumps({"a": "한글", "b": [1, 2]}, ensure_ascii=False, separators=(",", ":")).encode()
    assert results[0].status_code == 200 and results[0].json() == {"code": "1000"}
    assert results[1].json() == {"n": 2} and results[1].headers["content-type"] == "application/json"
    assert results[1].headers.get("Content-Length") == "7"
    assert server.connections == 1  # the second went over the same connection


def test_chunked_close_delimited_and_gzip_bodies():
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5;x=y\r\n{\"a\":\r\n4\r\n\"b\"}\r\n0\r\nTrailer: 1\r\n\r\n")
    delimited = b"HTTP/1.1 503 Busy\r\nConnection: close\r\n\r\n{\"code\":\"9\"}"
    import gzip

    packed = ok(gzip.compress(b'{"z":1}'), b"Content-Encoding: gzip\r\n")
    server, results = run([chunked, b"close-idle:" + delimited, ok(), packed], [{}, {}, {}, {}])
    assert results[0].json() == {"a": "b"} and results[3].json() == {"z": 1}
    assert results[1].status_code == 503 and results[1].text == '{"code":"9"}'
    assert results[2].status_code == 200 and server.connections == 2


def test_a_connection_closed_while_idle_is_not_reused():
    server, results = run([b"close-idle:" + ok(), ok()], [{}, {}])
    assert [r.status_code for r in results] == [200, 200]
    assert server.connections == 2 and len(server.requests) == 2


def test_a_dropped_answer_is_not_repeated_unless_idempotent():
    server, results = run([None, None, ok()], [{}, {"json": {}}])
    assert isinstance(results[0], AnswerLost) and "closed by the server" in str(results[0])
    assert isinstance(results[1], AnswerLost)
    assert len(server.requests) == 2  # each tried once


def test_an_idempotent_request_is_retried_after_a_drop():
    async def go():
        server = Server([None, ok()])
        listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        async with AsyncHttpClient(HttpSettings(base_url=f"http://127.0.0.1:{port}"), FAST) as client:
            response = await client.request("POST", "/v3/report", json={}, idempotent=True)
        listener.close()
        return server, response

    server, response = asyncio.run(go())
    assert response.status_code == 200 and len(server.requests) == 2


def test_read_timeout_is_an_answer_lost():
    async def go():
        async def silent(reader, writer):
            await reader.readuntil(b"\r\n\r\n")
            await asyncio.sleep(5)

        listener = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        async with AsyncHttpClient(HttpSettings(base_url=f"http://127.0.0.1:{port}", read_timeout=0.2),
                                   FAST) as client:
            with pytest.raises(AnswerLost, match="read timeout"):
                await client.request("POST", "/v3/message", json={})
        listener.close()

    asyncio.run(go())


def test_connect_refused_is_retried_then_unreachable():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens

    async def go():
        async with AsyncHttpClient(HttpSettings(base_url=f"http://127.0.0.1:{port}"), FAST,
                                   sleep=lambda s: asyncio.sleep(0)) as client:
            await client.request("POST", "/v3/message", json={})

    with pytest.raises(UnreachableError, match="connection refused after 3 attempts") as info:
        asyncio.run(go())
    assert not isinstance(info.value, AnswerLost)


def test_a_header_with_a_line_break_is_refused_before_sending():
    server, results = run([ok()], [{"headers": {"Authorization": "Bearer x\r\nX-Evil: 1"}}])
    assert isinstance(results[0], UnreachableError) and not isinstance(results[0], AnswerLost)
    assert server.requests == []


def test_other_requests_keep_httpx():
    server, results = run([ok(), ok()], [{"data": {"account": "a"}}, {"json": {"x": 1}}])
    (form_head, form_body), (json_head, _) = server.requests
    assert "application/x-www-form-urlencoded" in form_head and form_body == b"account=a"
    assert "accept-encoding: gzip" in form_head.lower()  # httpx's own headers
    assert "Accept-Encoding: identity\r\n" in json_head  # the lean client's
    assert [r.status_code for r in results] == [200, 200]


def test_a_gzip_body_that_inflates_past_the_limit_is_refused_not_inflated():
    import gzip

    bomb = ok(gzip.compress(b"0" * (17 * 1024 * 1024)), b"Content-Encoding: gzip\r\n")  # ~17 KB on the wire
    _, results = run([bomb], [{}])
    assert isinstance(results[0], Exception), results[0]
    assert "inflates past" in str(results[0])
