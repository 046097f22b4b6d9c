"""Fuzz the HTTP servers over real loopback sockets: the result listener (``result listen``),
the BizNetShot simulator and the Bizppurio simulator, each started once per module.

Generated requests: complete ones (any method, path, headers and body, with a right
Content-Length) must get an HTTP status line within a timeout; raw bytes (then a half-close)
must get an answer or a close, never a hang. After every example a normal request still
gets 200: the server stays up."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smscli.listen import ResultListener
from smscli.sim.bizppurio import BizppurioSim
from smscli.sim.netshot import SEND_PATH, NetshotSim
from tests.fuzz.profile import settings_for

pytestmark = pytest.mark.timeout(600)
REQUEST_TIMEOUT = 0.5  # the servers' request_timeout here: a stalled request is answered 408 soon
LIMIT = 64 * 1024
WAIT = REQUEST_TIMEOUT + 5.0  # how long an answer may take
PUSH = json.dumps({"CMSGID": "c1", "PHONE": "01000000000", "RESULT": "4100", "REFKEY": "r1"}).encode()
FORM = "m_id=test&m_pw=test&m_corpfrcode={code}&fromNumber=0212341234&toNumber=01012345678&contents=hi"


@dataclass
class Server:
    name: str
    address: tuple[str, int]
    paths: list[str]
    good: Callable[[], bytes]  # a request answered 200 (a new one each call)


def post(path: str, body: bytes, ctype: str = "application/json", extra: str = "") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n").encode() + body


def _listener() -> Iterator[Server]:
    with ResultListener(lambda reports: None, port=0, request_timeout=REQUEST_TIMEOUT,
                        max_body=LIMIT) as server:
        yield Server("listener", server.address, ["/", "/push", "/bizppurio/result", "/netshot/result",
                                                  "/netshot/result?resultCode=1&corpfrcode=1"],
                     lambda: post("/", PUSH))


def _netshot() -> Iterator[Server]:
    codes = iter(range(10**9))
    with NetshotSim(request_timeout=REQUEST_TIMEOUT, max_body=LIMIT) as sim:
        yield Server("netshot", sim.address, [SEND_PATH, "/", SEND_PATH + "?m_id=test"],
                     lambda: post(SEND_PATH, FORM.format(code=f"c{next(codes)}").encode(),
                                  "application/x-www-form-urlencoded"))


def _bizppurio() -> Iterator[Server]:
    with BizppurioSim(request_timeout=REQUEST_TIMEOUT, max_body=LIMIT) as sim:
        auth = base64.b64encode(b"test:test").decode()
        token = (f"POST /v1/token HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\n"
                 "Content-Length: 0\r\n\r\n").encode()
        yield Server("bizppurio", (sim.config.host, sim.port),
                     ["/v1/token", "/v3/message", "/v1/file", "/v2/report", "/"], lambda: token)


@pytest.fixture(scope="module", params=["listener", "netshot", "bizppurio"])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    yield from {"listener": _listener, "netshot": _netshot, "bizppurio": _bizppurio}[request.param]()


def exchange(server: Server, data: bytes, *, half_close: bool) -> bytes:
    """Send ``data``; what came back until the first line of an answer, a close, or WAIT."""
    with socket.create_connection(server.address, timeout=WAIT) as sock:
        try:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):  # it answered (413, 400) and closed early
            pass
        got = b""
        try:
            while b"\r\n" not in got:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                got += chunk
        except ConnectionResetError:
            pass
        except TimeoutError:
            raise AssertionError(f"{server.name}: no answer and no close within {WAIT} s: {data[:300]!r}") from None
        return got


def still_up(server: Server) -> None:
    got = exchange(server, server.good(), half_close=False)
    assert got.startswith(b"HTTP/1.1 200 "), (server.name, got[:200])


TOKEN = st.sampled_from(["GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE",
                         "post", "G\x00T", ""]) | st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ-_", max_size=12)
VERSION = st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/1.1", "HTTP/1.2", "HTTP/9", "http/1.1",
                           "HTTP/1.1.1", "HTTP/01.1", "", "HTTP/2.0", "HTTP/3.0"])
HEADER_NAMES = st.sampled_from(["Host", "Content-Type", "Authorization", "Accept", "Connection",
                                "Expect", "Cookie", "Content-Encoding", "X-Forwarded-For", "Range",
                                "Accept-Charset", "User-Agent"]) | st.text(
    st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=":"), min_size=1, max_size=20)
CTYPES = st.sampled_from(["application/json", "application/x-www-form-urlencoded",
                          "multipart/form-data; boundary=XbOuNdArY", "multipart/form-data",
                          "text/plain; charset=euc-kr", "application/json; charset=utf-16", ""])
header_value = st.binary(max_size=60).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))


@st.composite
def body(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["bytes", "json", "form", "multipart", "deep"]))
    if kind == "bytes":
        return draw(st.binary(max_size=2048))
    if kind == "json":
        value = draw(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                                  lambda i: st.lists(i, max_size=4) | st.dictionaries(
                                      st.sampled_from(["CMSGID", "PHONE", "RESULT", "REFKEY", "account",
                                                       "type", "to", "from", "content", "refkey"]) | st.text(max_size=8),
                                      i, max_size=5), max_leaves=15))
        return json.dumps(value, allow_nan=True).encode()
    if kind == "form":
        pairs = draw(st.lists(st.tuples(st.sampled_from(["m_id", "m_pw", "m_corpfrcode", "fromNumber", "toNumber",
                                                         "contents", "subject", "resultCode", "x"]),
                                        st.binary(max_size=30)), max_size=8))
        from urllib.parse import quote_from_bytes
        return b"&".join(k.encode() + b"=" + quote_from_bytes(v).encode() for k, v in pairs)
    if kind == "multipart":
        parts = draw(st.lists(st.binary(max_size=100), max_size=3))
        return b"".join(b'--XbOuNdArY\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'
                        + p + b"\r\n" for p in parts) + draw(st.sampled_from([b"--XbOuNdArY--\r\n", b""]))
    n = draw(st.sampled_from([33, 1000, 50_000]))
    return b"[" * n + b"]" * n


@st.composite
def complete_request(draw: st.DrawFn, paths: list[str]) -> bytes:
    method = draw(TOKEN)
    path = draw(st.sampled_from(paths) | st.text(max_size=30).map(lambda t: "/" + t)
                | st.sampled_from(["*", "", "http://x/", "/%zz", "/../..", "/" + "a" * 9000]))
    head = f"{method} {path} {draw(VERSION)}".encode("utf-8", "surrogatepass")
    content = draw(body())
    headers = [(b"Host", b"x")] if draw(st.booleans()) else []
    headers.append((b"Content-Type", draw(CTYPES).encode()))
    for name, value in draw(st.lists(st.tuples(HEADER_NAMES, header_value), max_size=5)):
        if name.lower() not in ("content-length", "transfer-encoding"):
            headers.append((name.encode(), value))
    headers.append((b"Content-Length", str(len(content)).encode()))
    headers = draw(st.permutations(headers))
    return head + b"\r\n" + b"".join(k + b": " + v + b"\r\n" for k, v in headers) + b"\r\n" + content


@st.composite
def raw_bytes(draw: st.DrawFn, paths: list[str]) -> bytes:
    kind = draw(st.sampled_from(["bytes", "cut", "lengths", "huge"]))
    if kind == "bytes":
        return draw(st.binary(max_size=2048))
    request = draw(complete_request(paths))
    if kind == "cut":
        return request[:draw(st.integers(0, len(request)))]
    if kind == "lengths":
        n = draw(st.sampled_from(["-1", "1e3", "0x10", "99999999999999999999", "", " 5", "5, 5", "١٢"]))
        head, _, rest = request.partition(b"\r\n")
        return head + b"\r\nContent-Length: " + n.encode() + b"\r\nTransfer-Encoding: chunked\r\n" + rest
    return b"POST / HTTP/1.1\r\n" + b"X: " + b"a" * draw(st.sampled_from([70_000, 1_000_000])) + b"\r\n\r\n"


@settings_for(300)
@given(data=st.data())
def test_complete_requests_get_a_status_line(server: Server, data: st.DataObject) -> None:
    request = data.draw(complete_request(server.paths))
    got = exchange(server, request, half_close=False)
    assert got.startswith(b"HTTP/1."), f"{server.name}: closed without an answer to {request[:300]!r}: {got[:200]!r}"
    still_up(server)


@settings_for(200)
@given(data=st.data())
def test_raw_bytes_get_an_answer_or_a_close(server: Server, data: st.DataObject) -> None:
    request = data.draw(raw_bytes(server.paths))
    got = exchange(server, request, half_close=True)
    assert got == b"" or got.startswith(b"HTTP/1."), (server.name, request[:300], got[:200])
    still_up(server)
