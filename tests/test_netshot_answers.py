"""BizNetShot send answers → statuses, each answer from a server on a real socket: the
simulator, or a gateway in front of it that answers with a given HTTP status and body."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from smscli.errors import AuthError
from smscli.sim.netshot import Account, NetshotSim
from smscli.vendors.netshot import corpfrcode_for, parse_answer
from tests.test_netshot_vendor import NOW, msgs, send, vendor_for


class Canned:
    """A server that answers every POST with ``status`` and ``body`` (a gateway's answer)."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status, self.body, self.posts = status, body, 0
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                canned.posts += 1
                self.send_response(canned.status)
                self.send_header("Content-Length", str(len(canned.body)))
                self.end_headers()
                self.wfile.write(canned.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/corp/send_message.php"


@pytest.fixture
def sim() -> Iterator[NetshotSim]:
    with NetshotSim(accounts={"member": "s3cret"}, clock=lambda: NOW) as server:
        yield server


@pytest.fixture
def canned() -> Iterator[type]:
    servers: list[Canned] = []

    def make(status: int, body: bytes = b"") -> Canned:
        server = Canned(status, body)
        threading.Thread(target=server.server.serve_forever, args=(0.02,), daemon=True).start()
        servers.append(server)
        return server

    yield make  # type: ignore[misc]
    for server in servers:
        server.server.shutdown()
        server.server.server_close()


@pytest.mark.parametrize(("status", "outcome", "code"), [
    (399, "unknown", ""), (400, "rejected", "HTTP 400"), (404, "rejected", "HTTP 404"),
    (499, "rejected", "HTTP 499"), (500, "unknown", ""), (503, "unknown", ""),
])
def test_an_http_error_is_rejected_from_a_4xx_and_unknown_otherwise(canned, status, outcome, code):
    # A 4xx refused the request; after anything else it may have been sent (never resent).
    server = canned(status)
    results = send(vendor_for(server.url), msgs(2))
    assert [(r.status, r.code, r.detail) for r in results] == [(outcome, code, f"HTTP {status}")] * 2
    assert server.posts == (2 if status == 503 else 1)  # FAST: two tries of a 503


def test_an_http_error_with_a_body_shows_its_first_60_bytes_on_one_line(canned):
    body = ("오류:\n" + "x" * 80).encode("euc-kr")
    (result,) = send(vendor_for(canned(403, body).url), msgs(1))
    snippet = body[:60].decode("cp949").replace("\n", " ")
    assert (result.status, result.detail) == ("rejected", f"HTTP 403: {snippet}")


@pytest.mark.parametrize("body", [b"", b"<html>busy</html>\n", b"sendCode:\n", b"sendcode: 300\n"])
def test_a_200_without_a_send_code_is_unknown_and_says_what_came(canned, body):
    (result,) = send(vendor_for(canned(200, body).url), msgs(1))
    shown = body[:60].decode("cp949").strip().replace("\n", " ")
    assert (result.status, result.code, result.detail) == ("unknown", "", f"unreadable answer: {shown!r}")


def test_a_code_in_a_non_200_answer_is_not_read(canned):
    (result,) = send(vendor_for(canned(500, b"sendCode: 300\n").url), msgs(1))
    assert (result.status, result.code) == ("unknown", "")


def test_results_carry_the_type_and_server_id_of_each_recipient(sim):
    batch = msgs(2)
    results = send(vendor_for(sim), batch)
    corp = corpfrcode_for(m.id for m in batch)
    assert [(r.message_id, r.to, r.type, r.vendor, r.server_id) for r in results] == [
        (m.id, m.to, "sms", "netshot", f"{corp}:{m.to}") for m in batch]
    assert {(r.status, r.code, r.detail) for r in results} == {("accepted", "300", "성공")}


def test_a_reservation_is_scheduled_with_the_time_the_server_gives(sim):
    (result,) = send(vendor_for(sim), msgs(1, send_at=NOW + timedelta(hours=2)))
    assert (result.status, result.code) == ("scheduled", "300")
    assert result.detail == "성공 (reserved 2026-11-21 12:00 KST)"


def test_a_reserve_time_in_the_answer_of_a_plain_send_is_not_shown(canned):
    (result,) = send(vendor_for(canned(200, b"sendCode: 300\nreserveTime: 2026-11-21 12:00\n").url), msgs(1))
    assert (result.status, result.detail) == ("accepted", "성공")


def test_a_scheduled_answer_without_reserve_time_is_the_meaning_alone(canned):
    (result,) = send(vendor_for(canned(200, b"sendCode: 300\n").url), msgs(1, send_at=NOW + timedelta(hours=2)))
    assert (result.status, result.detail) == ("scheduled", "성공")


def test_a_duplicate_names_the_corpfrcode_and_an_unknown_code_is_its_own_detail(canned):
    batch = msgs(1)
    (dup,) = send(vendor_for(canned(200, b"sendCode: 314\n").url), batch)
    assert (dup.status, dup.code) == ("duplicate", "314")
    assert dup.detail == f"고유코드 값 중복: already accepted under corpfrcode " \
                         f"{corpfrcode_for(['m0'])}"
    for odd in ("250", "299", "315", "999"):  # either side of 300 and 314 (compared as text)
        (result,) = send(vendor_for(canned(200, f"sendCode: {odd}\n".encode()).url), batch)
        assert (result.status, result.code, result.detail) == ("rejected", odd, odd)


@pytest.mark.parametrize(("state", "code"), [("suspended", "203"), ("waiting", "204")])
def test_a_suspended_or_waiting_member_is_an_auth_error_and_nothing_is_reported(state, code):
    with NetshotSim(accounts={"member": Account("s3cret", state=state)}) as sim:
        results: list = []
        with pytest.raises(AuthError, match=f": {code} "):
            vendor_for(sim).send(iter(msgs(2)), results.append)
    assert results == []


def test_parse_answer_keeps_the_first_value_and_colons_inside_it():
    body = "sendCode: 300\nsendCode: 301\nreserveTime: 2026-11-21 12:00\n: x\n  : y\nnot a field\n"
    assert parse_answer(body.encode("euc-kr")) == {"sendCode": "300", "reserveTime": "2026-11-21 12:00"}
    assert parse_answer(b" etc1 :  a:b  \r\n") == {"etc1": "a:b"}
