"""The HTTP servers within bounds, over real sockets: the result listener, the BizNetShot
simulator (both smscli.httpd) and the Bizppurio simulator (its own asyncio server).

Every bad request gets a status and a one-line reason: nested JSON and garbage 400,
oversized bodies 413, a stalled client 408; 300 slow clients hold no threads, and a
normal request is still answered meanwhile."""

from __future__ import annotations

import base64
import json
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from smscli.httpd import json_depth, loads_json
from smscli.listen import ResultListener
from smscli.sim.bizppurio import BizppurioSim
from smscli.sim.netshot import SEND_PATH, NetshotSim

TIMEOUT = 1.0  # the servers' request_timeout in these tests
LIMIT = 64 * 1024  # their max_body
HTTP = httpx.Client(timeout=5, trust_env=False)
PUSH = {"CMSGID": "c1", "PHONE": "01000000000", "RESULT": "4100", "REFKEY": "r1"}
FORM = "m_id=test&m_pw=test&m_corpfrcode={code}&fromNumber=0212341234&toNumber=01012345678&contents=hi"


@dataclass
class Target:
    """One server under test: where to send, and what a good request and a JSON one look like."""

    name: str
    host: str
    port: int
    path: str
    make_good: Callable[[], bytes]  # a complete request that gets 200 (a new one each call)
    json_reason: str | None  # the reason for JSON nested too deeply (None: it takes no JSON)
    workers: int  # its bound on request threads (0: it has none)

    @property
    def good(self) -> bytes:
        return self.make_good()

    def request(self, body: bytes, *, ctype: str = "application/json", extra: str = "") -> bytes:
        return request(self.path, body, ctype=ctype, extra=extra)


def request(path: str, body: bytes, *, ctype: str = "application/json", extra: str = "") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n").encode() + body


def _listener_target() -> Iterator[Target]:
    with ResultListener(lambda reports: None, port=0, request_timeout=TIMEOUT, max_body=LIMIT) as server:
        host, port = server.address
        push = request("/", json.dumps(PUSH).encode())
        yield Target("listener", host, port, "/push", lambda: push, "JSON nested deeper than 32 levels",
                     server.httpd.max_workers)


def _netshot_target() -> Iterator[Target]:
    codes = iter(range(10**6))
    with NetshotSim(request_timeout=TIMEOUT, max_body=LIMIT) as sim:
        host, port = sim.address

        def good() -> bytes:  # each accepted request needs a new corpfrcode
            return request(SEND_PATH, FORM.format(code=f"c{next(codes)}").encode(),
                           ctype="application/x-www-form-urlencoded")

        yield Target("netshot", host, port, SEND_PATH, good, None, sim.httpd.max_workers)


def _bizppurio_target() -> Iterator[Target]:
    with BizppurioSim(request_timeout=TIMEOUT, max_body=LIMIT) as sim:
        auth = base64.b64encode(b"test:test").decode()
        token = (f"POST /v1/token HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\n"
                 "Content-Length: 0\r\n\r\n").encode()
        yield Target("bizppurio", sim.config.host, sim.port, "/v3/message", lambda: token,
                     "JSON nested deeper than 32 levels", 0)


@pytest.fixture(params=["listener", "netshot", "bizppurio"])
def target(request) -> Iterator[Target]:
    yield from {"listener": _listener_target, "netshot": _netshot_target,
                "bizppurio": _bizppurio_target}[request.param]()


def connect(t: Target) -> socket.socket:
    return socket.create_connection((t.host, t.port), timeout=10)


def request_threads(t: Target) -> int:
    """Live request threads of ``t``'s server."""
    return sum(1 for th in threading.enumerate() if th.name.startswith(f"smscli-http-{t.port}-"))


_LEFT: dict[int, bytes] = {}  # bytes read past an answer, per socket (pipelined answers)


def read_answer(sock: socket.socket, timeout: float = 10.0) -> tuple[int, str, bytes]:
    """(status, the one-line reason, the raw answer) of the next HTTP answer on ``sock``."""
    sock.settimeout(timeout)
    data = _LEFT.pop(id(sock), b"")

    def more() -> bytes:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed without an answer: {data!r}")
        return chunk

    while b"\r\n\r\n" not in data:
        data += more()
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length"))
    while len(rest) < length:
        rest += more()
    if rest[length:]:
        _LEFT[id(sock)] = rest[length:]
    status = int(head.split(b" ")[1])
    text = rest[:length].decode("utf-8", "replace")
    try:
        reason = json.loads(text)["description"]  # the Bizppurio simulator answers JSON
    except (ValueError, KeyError, TypeError):
        reason = text
    return status, reason.strip(), head + b"\r\n\r\n" + rest[:length]


def exchange(t: Target, data: bytes, timeout: float = 10.0) -> tuple[int, str]:
    with connect(t) as sock:
        sock.sendall(data)
        status, reason, _ = read_answer(sock, timeout)
        return status, reason


def assert_one_line(reason: str) -> None:
    assert reason and "\n" not in reason and len(reason) < 200, reason


# --------------------------------------------------------------------------- JSON depth
def test_json_depth_skips_strings_and_stops_past_the_limit():
    assert json_depth('{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert json_depth("[" * 10**6, 32) == 33
    assert loads_json(b'{"a": [1]}') == {"a": [1]}
    with pytest.raises(ValueError, match="nested deeper than 32 levels"):
        loads_json("[" * 33 + "]" * 33)
    assert loads_json("[" * 32 + "]" * 32, 32)


# --------------------------------------------------------------------------- each server
def test_a_good_request_is_answered(target):
    status, reason = exchange(target, target.good)
    assert status == 200, reason


@pytest.mark.parametrize("depth", [33, 30_000])  # 30000: past the interpreter's recursion limit
def test_nested_json_is_400_with_a_reason(target, depth):
    if target.json_reason is None:
        pytest.skip("the BizNetShot simulator takes forms, not JSON")
    body = b"[" * depth + b"]" * depth
    if target.name == "bizppurio":  # past the token check
        body = b'{"a":' + body + b"}"
        status, reason = exchange_bizppurio_message(target, body)
    else:
        status, reason = exchange(target, target.request(body))
    assert status == 400 and target.json_reason in reason
    assert_one_line(reason)
    assert exchange(target, target.good)[0] == 200  # still serving


def exchange_bizppurio_message(target: Target, body: bytes) -> tuple[int, str]:
    with connect(target) as sock:
        sock.sendall(target.good)
        token = json.loads(read_answer(sock)[2].partition(b"\r\n\r\n")[2])["accesstoken"]
        sock.sendall(target.request(body, extra=f"Authorization: Bearer {token}\r\n"))
        status, reason, _ = read_answer(sock)
        return status, reason


@pytest.mark.parametrize("chunked", [False, True])
def test_oversized_body_is_413(target, chunked):
    body = b"x" * (LIMIT + 1)
    if chunked:
        data = (f"POST {target.path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                f"{len(body):x}\r\n").encode() + body + b"\r\n0\r\n\r\n"
    else:
        data = target.request(body)
    status, reason = exchange(target, data)
    assert status == 413 and f"body larger than {LIMIT} bytes" in reason
    assert_one_line(reason)


def test_oversized_body_is_413_before_it_is_sent(target):
    with connect(target) as sock:  # only the head: the server answers without waiting for the body
        sock.sendall(f"POST {target.path} HTTP/1.1\r\nHost: x\r\nContent-Length: {10**9}\r\n\r\n".encode())
        status, reason, _ = read_answer(sock)
    assert status == 413 and "body larger than" in reason


def test_a_client_that_stalls_after_the_headers_gets_408_in_time(target):
    with connect(target) as sock:
        sock.sendall(f"POST {target.path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{{".encode())
        start = time.monotonic()
        status, reason, _ = read_answer(sock)
        waited = time.monotonic() - start
        assert sock.recv(100) == b""  # and closed
    assert status == 408 and f"request not complete within {TIMEOUT:g} s" in reason
    assert TIMEOUT * 0.8 < waited < TIMEOUT + 2
    assert_one_line(reason)


def test_a_slowloris_trickle_does_not_reset_the_clock(target):
    with connect(target) as sock:
        start = time.monotonic()
        sock.sendall(f"POST {target.path} HTTP/1.1\r\n".encode())
        for _ in range(50):  # a header byte every 0.1 s, never a whole line, until answered
            if select.select([sock], [], [], 0.1)[0]:
                break
            sock.sendall(b"X")
        waited = time.monotonic() - start
        status, reason, _ = read_answer(sock)
    assert status == 408 and "request not complete" in reason
    assert waited < TIMEOUT + 0.5


def test_a_connection_that_sends_nothing_gets_408(target):
    with connect(target) as sock:
        status, reason, _ = read_answer(sock)
    assert status == 408 and "no request within" in reason


@pytest.mark.parametrize("garbage", [
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS ClientHello on the HTTP port
    b"\x00\xff\xfe garbage \r\n\r\n",
    b"hello world\r\n\r\n",
    b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: 12x\r\n\r\n",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
])
def test_garbage_is_400_with_a_reason(target, garbage):
    status, reason = exchange(target, garbage)
    assert status == 400
    assert_one_line(reason)
    assert exchange(target, target.good)[0] == 200


@pytest.mark.parametrize("version", [b"HTTP/2.0", b"HTTP/3.0", b"HTTP/0.9"])
def test_an_http_version_other_than_1_is_505_with_a_status_line(target, version):
    status, reason = exchange(target, b"GET / " + version + b"\r\nHost: x\r\n\r\n")
    assert status == 505
    assert_one_line(reason)
    assert exchange(target, target.good)[0] == 200


def test_300_slow_connections_hold_no_threads_and_a_normal_request_is_answered(target):
    before = threading.active_count()
    slow = []
    try:
        for _ in range(300):
            sock = connect(target)
            sock.sendall(f"POST {target.path} HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n".encode())
            slow.append(sock)
        time.sleep(0.2)
        during = threading.active_count()
        start = time.monotonic()
        status, reason = exchange(target, target.good, timeout=5)
        answered_in = time.monotonic() - start
        assert status == 200, reason
        assert answered_in < TIMEOUT / 2  # not queued behind the slow ones
        assert during <= before and threading.active_count() <= before + 1, (before, during)
        assert request_threads(target) <= (1 if target.workers else 0)  # the normal request's
        answers = [read_answer(sock)[0] for sock in slow]  # then each is told, in time
        assert answers == [408] * 300
    finally:
        for sock in slow:
            sock.close()


def test_concurrent_requests_use_at_most_the_workers(target):
    if not target.workers:
        pytest.skip("the Bizppurio simulator answers on its event loop: no request threads")
    results: list[int] = []
    peak = [0]

    def one() -> None:
        results.append(exchange(target, target.good)[0])
        peak.append(request_threads(target))

    clients = [threading.Thread(target=one) for _ in range(100)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join(30)
    assert results == [200] * 100
    assert 1 <= max(peak) <= target.workers


def test_keep_alive_and_pipelining_still_work(target):
    with connect(target) as sock:
        good = target.good
        sock.sendall(good + target.good)  # two requests in one write
        assert read_answer(sock)[0] == 200
        assert read_answer(sock)[0] == 200
        sock.sendall(target.good)  # and a third on the same connection later
        assert read_answer(sock)[0] == 200


def test_expect_100_continue(target):
    head, _, body = target.good.partition(b"\r\n\r\n")
    if not body:
        body = b"{}"
        head = head.replace(b"Content-Length: 0", b"Content-Length: 2")
    with connect(target) as sock:
        sock.sendall(head + b"\r\nExpect: 100-continue\r\n\r\n")
        sock.settimeout(5)
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        assert read_answer(sock)[0] == 200


# --------------------------------------------------------------------------- more bounds
def test_listener_past_max_connections_answers_503():
    with ResultListener(lambda reports: None, port=0, max_connections=2) as server:
        host, port = server.address
        held = [socket.create_connection((host, port)) for _ in range(2)]
        time.sleep(0.1)
        with socket.create_connection((host, port), timeout=5) as third:
            status, reason, _ = read_answer(third)
        assert status == 503 and reason == "too many connections; try again later"
        for sock in held:
            sock.close()
        time.sleep(0.2)
        assert HTTP.post(server.url, json=PUSH).status_code == 200


def test_listener_holds_at_most_max_buffered_bytes():
    with ResultListener(lambda reports: None, port=0, max_buffered=100_000, max_body=80_000) as server:
        host, port = server.address
        first = socket.create_connection((host, port))
        first.sendall(b"POST / HTTP/1.1\r\nContent-Length: 80000\r\n\r\n" + b"x" * 70_000)
        time.sleep(0.2)
        with socket.create_connection((host, port), timeout=5) as second:
            second.sendall(b"POST / HTTP/1.1\r\nContent-Length: 80000\r\n\r\n" + b"x" * 70_000)
            status, reason, _ = read_answer(second)
        assert status == 503 and "too many request bytes" in reason
        assert 0 < server.httpd.buffered <= 100_000
        first.close()
        deadline = time.monotonic() + 5
        while server.httpd.buffered and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.httpd.buffered == 0
        assert HTTP.post(server.url, json=PUSH).status_code == 200


def test_bizppurio_sim_past_max_connections_answers_503():
    with BizppurioSim(max_connections=2) as sim:
        held = [socket.create_connection(("127.0.0.1", sim.port)) for _ in range(2)]
        time.sleep(0.1)
        with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as third:
            status, reason, _ = read_answer(third)
        assert status == 503 and reason == "too many connections; try again later"
        for sock in held:
            sock.close()


def test_a_handler_bug_is_500_in_one_line_and_serving_goes_on(monkeypatch):
    from smscli import listen

    lines: list[str] = []
    with ResultListener(lambda reports: None, port=0, log=lines.append) as server:
        def bug(*args, **kwargs):
            raise KeyError("boom")

        monkeypatch.setattr(listen, "parse_request", bug)
        response = HTTP.post(server.url, json=PUSH)
        assert response.status_code == 500 and response.text == "internal error\n"
        assert any("KeyError" in line for line in lines)
        monkeypatch.undo()
        assert HTTP.post(server.url, json=PUSH).status_code == 200


def test_netshot_sim_log_masks_a_password_in_the_query():
    lines: list[str] = []
    with NetshotSim(log=lines.append) as sim:
        HTTP.post(sim.url + "?m_pw=in-the-query", content=FORM.format(code="q1").encode(),
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert lines and all("in-the-query" not in line for line in lines)
    assert "m_pw=********" in lines[0]


@pytest.mark.parametrize("name", ["listener", "netshot", "bizppurio"])
def test_stopping_amid_keep_alive_traffic_ends_every_connection_at_once(name, caplog):
    """Stopping while 20 keep-alive clients keep sending ends each connection's task (none
    is left pending, to be destroyed after its loop closed), without waiting them out."""
    import gc

    servers = {"listener": _listener_target, "netshot": _netshot_target, "bizppurio": _bizppurio_target}
    running = servers[name]()
    t = next(running)
    socks = [connect(t) for _ in range(20)]
    stop = threading.Event()

    def hammer() -> None:
        for sock in socks:
            sock.setblocking(False)
        while not stop.is_set():
            for sock in socks:
                try:
                    sock.send(t.good)
                    sock.recv(65536)
                except OSError:
                    pass
            time.sleep(0.001)  # leaves the servers' threads the interpreter's lock

    client = threading.Thread(target=hammer, daemon=True)
    client.start()
    time.sleep(0.2)
    try:
        with caplog.at_level("ERROR", logger="asyncio"):
            started = time.monotonic()
            running.close()  # the server's with-block ends: it stops
            took = time.monotonic() - started
            gc.collect()
    finally:
        stop.set()
        client.join(5)
        for sock in socks:
            sock.close()
    assert took < 1.9  # not waited out: the old code gave up on the connections after 2 s
    assert not [r.getMessage() for r in caplog.records if "destroyed" in r.getMessage()]
