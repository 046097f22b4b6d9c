"""BizppurioVendor over real loopback sockets against smscli.sim.bizppurio."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from smscli import clock
from smscli.errors import AuthError, ConfigError, UnreachableError, UsageError
from smscli.models import Message, Report, SendResult
from smscli.sim.bizppurio import BizppurioSim, SimConfig
from smscli.vendors.bizppurio import (
    BizppurioVendor,
    parse_report,
    reservation_time,
)
from smscli.vendors.bizppurio import _Invalid as InvalidMessage  # what reservation_time raises
from smscli.vendors.bizppurio_tokens import Credentials, credential_fingerprint

KST = timezone(timedelta(hours=9))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200 + b"\xff\xd9"

pytestmark = pytest.mark.timeout(60)


class FakeProfile:
    """Stands in for smscli.config.Profile: get / require / secret / name / data_dir."""

    def __init__(self, data_dir: Path, **values: object) -> None:
        self.name = "biz"
        self.vendor = "bizppurio"
        self.data_dir = data_dir
        self.values = values
        self.secret_reads = 0

    def get(self, key: str, default: object = None) -> object:
        return self.values.get(key, default)

    def require(self, key: str) -> object:
        if key not in self.values:
            raise ConfigError(f"{key} is not set in profile {self.name}")
        return self.values[key]

    def secret(self, key: str = "password") -> str:
        self.secret_reads += 1
        return str(self.require(key))


class FakeEvents:
    """Stands in for the Journal's token cache."""

    def __init__(self) -> None:
        self.tokens: dict[str, tuple[str, float]] = {}

    def token_get(self, key: str) -> tuple[str, float] | None:
        return self.tokens.get(key)

    def token_put(self, key: str, token: str, expires_at: float) -> None:
        self.tokens[key] = (token, expires_at)


@pytest.fixture
def sim_factory():
    started: list[BizppurioSim] = []

    def make(**options: object) -> BizppurioSim:
        options.setdefault("report_delay", 0.0)
        sim = BizppurioSim(SimConfig(**options)).start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


def vendor_for(sim: BizppurioSim, tmp_path: Path, events: FakeEvents | None = None, **values: object):
    values = {"base_url": sim.base_url, "account": "test", "password": "test", "sender": "0212341234",
              "backoff": 0.01, "poll_interval": 0.05, **values}
    return BizppurioVendor(FakeProfile(tmp_path, **values), events or FakeEvents())


def messages(n: int, prefix: str = "m", **fields: object) -> list[Message]:
    base = {"text": "안녕하세요", "sender": "", "type": "sms"}
    base.update(fields)
    return [Message(id=f"{prefix}{i:05d}", to=f"010{i:08d}", **base) for i in range(n)]


def send_all(vendor: BizppurioVendor, msgs: list[Message], **kwargs: object) -> list[SendResult]:
    results: list[SendResult] = []
    vendor.send(msgs, results.append, **kwargs)
    return results


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- sending ---------------------------------------------------------------------------------


def test_send_accepts_each_message_once_with_refkey_and_content(sim_factory, tmp_path):
    record = tmp_path / "record.jsonl"
    sim = sim_factory(record=record)
    msgs = messages(20) + [Message(id="lms1", to="01099998888", text="긴 " * 100, sender="0299998888",
                                   type="lms", subject="제목")]
    results = send_all(vendor_for(sim, tmp_path), msgs)
    assert sorted(r.message_id for r in results) == sorted(m.id for m in msgs)
    assert {r.status for r in results} == {"accepted"} and {r.code for r in results} == {"1000"}
    assert sim.accepted() == {m.id: 1 for m in msgs}
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    lms = next(line for line in lines if line["refkey"] == "lms1")
    assert lms["type"] == "lms" and lms["to"] == "01099998888"


def test_wrong_password_is_auth_error_before_any_message_is_taken(sim_factory, tmp_path):
    sim = sim_factory()
    vendor = vendor_for(sim, tmp_path, password="not-the-password")
    taken: list[Message] = []

    def lazily():
        for m in messages(3):
            taken.append(m)
            yield m

    with pytest.raises(AuthError) as info:
        vendor.send(lazily(), lambda r: None)
    assert info.value.exit_status == 3
    assert "'test'" in str(info.value) and "3001" in str(info.value)
    assert "not-the-password" not in str(info.value)
    assert taken == [] and sim.accepted() == {}


def test_wrong_password_with_errors_in_200_is_still_auth_error(sim_factory, tmp_path):
    sim = sim_factory(errors_in_200=True)
    with pytest.raises(AuthError, match="3001"):
        vendor_for(sim, tmp_path, password="nope").send(messages(1), lambda r: None)


def test_a_failing_result_callback_stops_intake_after_in_flight_messages(sim_factory, tmp_path):
    sim = sim_factory()
    seen: list[SendResult] = []

    def on_result(result: SendResult) -> None:
        seen.append(result)
        if len(seen) == 5:
            raise OSError("journal is gone")

    with pytest.raises(OSError, match="journal is gone"):
        vendor_for(sim, tmp_path, concurrency=4).send(messages(100), on_result)
    assert 5 <= len(seen) <= 8 and len(sim.accepted()) == len(seen)


def test_unreachable_server_is_reported_quickly(tmp_path):
    port = free_port()
    vendor = BizppurioVendor(
        FakeProfile(tmp_path, base_url=f"http://127.0.0.1:{port}", account="test", password="pw",
                    backoff=0.01, attempts=3),
        FakeEvents(),
    )
    results: list[SendResult] = []
    started = time.monotonic()
    with pytest.raises(UnreachableError) as info:
        vendor.send(messages(2), results.append)
    assert time.monotonic() - started < 3
    assert info.value.exit_status == 4
    assert f"127.0.0.1:{port}" in str(info.value) and "pw" not in str(info.value)
    assert results == []


def test_rate_limit_storm_every_message_accepted_exactly_once(sim_factory, tmp_path):
    # 6 requests a second against 8 in flight at once: a storm even on a machine too loaded
    # to make 60 a second (where 60 and 150 messages once saw no 429 at all)
    sim = sim_factory(rate=6)
    msgs = messages(30)
    results = send_all(vendor_for(sim, tmp_path, concurrency=8), msgs)
    assert {r.status for r in results} == {"accepted"} and len(results) == 30
    assert sim.accepted() == {m.id: 1 for m in msgs}
    assert sim.stats()["rate_limited"] > 0


@pytest.mark.parametrize("header", ["retry-after", "ratelimit-reset"])
def test_bare_429_from_a_gateway_is_retried_after_the_wait_it_asks_for(sim_factory, tmp_path, header):
    # A 429 with no body and one header (a gateway's, not the API's 5002): every message
    # still goes through once, and no request comes before the announced wait is over.
    # 2 requests a second: however slow the machine, a token and 5 messages meet the limit.
    sim = sim_factory(rate=2, bare_429=header)
    msgs = messages(5)
    results = send_all(vendor_for(sim, tmp_path, concurrency=1), msgs)
    assert {r.status for r in results} == {"accepted"} and len(results) == 5
    assert sim.accepted() == {m.id: 1 for m in msgs}
    stats = sim.stats()
    assert stats.get("rate_limited", 0) > 0
    assert stats.get("early", 0) == 0


def test_5xx_then_success(sim_factory, tmp_path):
    sim = sim_factory(fail_5xx=4)
    msgs = messages(10)
    results = send_all(vendor_for(sim, tmp_path), msgs)
    assert {r.status for r in results} == {"accepted"}
    assert sim.accepted() == {m.id: 1 for m in msgs}
    assert sim.stats()["failed_5xx"] == 4


def test_persistent_5xx_ends_rejected_with_the_code_or_unreachable(sim_factory, tmp_path):
    sim = sim_factory(fail_5xx=10**6)
    events = FakeEvents()
    with pytest.raises(UnreachableError, match="5003") as info:
        send_all(vendor_for(sim, tmp_path, events=events, attempts=2), messages(1))
    assert info.value.exit_status == 4 and events.tokens == {}
    sim.api.config.fail_5xx = 0
    send_all(vendor_for(sim, tmp_path, events=events), messages(1, "ok"))  # token now cached
    sim.api.config.fail_5xx = 10**6
    result = send_all(vendor_for(sim, tmp_path, events=events, attempts=2), messages(1, "x"))[0]
    assert result.status == "rejected" and result.code == "5003"
    assert sim.accepted() == {"ok00000": 1}


def test_server_slower_than_timeout_gives_unknown_and_no_resend(sim_factory, tmp_path):
    sim = sim_factory(delay=0.6)
    msgs = messages(3)
    results = send_all(vendor_for(sim, tmp_path, timeout=0.2), msgs)
    assert {r.status for r in results} == {"unknown"}
    assert "may have been sent" in results[0].detail
    time.sleep(0.7)
    assert sim.accepted() == {m.id: 1 for m in msgs}  # arrived once, never repeated


def test_token_expiring_mid_batch_is_renewed_once(sim_factory, tmp_path):
    sim = sim_factory()
    vendor = vendor_for(sim, tmp_path, concurrency=4)
    msgs = messages(60)
    results: list[SendResult] = []

    def on_result(result: SendResult) -> None:
        results.append(result)
        if len(results) == 20:
            sim.api.expire_tokens()

    vendor.send(msgs, on_result)
    assert {r.status for r in results} == {"accepted"}
    assert sim.accepted() == {m.id: 1 for m in msgs}
    stats = sim.stats()
    assert stats["code_3005"] >= 1 and stats["tokens_issued"] == 2


def test_short_token_ttl_over_a_long_batch(sim_factory, tmp_path):
    # 300 at 50 a second (fixed one-second windows): over 5 s however fast the machine, so a
    # 3 s token runs out at least once
    sim = sim_factory(token_ttl=3, rate=50)
    msgs = messages(300)
    results = send_all(vendor_for(sim, tmp_path), msgs)
    assert {r.status for r in results} == {"accepted"}
    assert sim.accepted() == {m.id: 1 for m in msgs}
    assert sim.stats()["tokens_issued"] >= 2


def test_token_is_cached_through_events_and_reused(sim_factory, tmp_path):
    sim = sim_factory()
    events = FakeEvents()
    first = vendor_for(sim, tmp_path, events=events)
    send_all(first, messages(2, "a"))
    assert len(events.tokens) == 1
    (token, use_until), = events.tokens.values()
    assert use_until > clock.time() + 20 * 3600  # 24 h token, renewed an hour early
    second = vendor_for(sim, tmp_path, events=events)
    send_all(second, messages(2, "b"))
    assert sim.stats()["tokens_issued"] == 1
    assert second.profile.secret_reads == 1  # read once, for the cache key's fingerprint


def test_the_cached_token_is_sealed_and_one_that_does_not_open_is_not_used(sim_factory, tmp_path):
    """The journal never holds the bearer token in the clear: it is encrypted with a key
    from the password. A cached value that does not open (an older smscli's plain token,
    another password's) is replaced by a new token."""
    sim = sim_factory()
    events = FakeEvents()
    send_all(vendor_for(sim, tmp_path, events=events), messages(1, "a"))
    ((key, (sealed, until)),) = events.tokens.items()
    issued = set(sim.api.tokens)
    assert sealed.startswith("v1:") and not any(t in sealed for t in issued)
    assert Credentials.of(sim.base_url, "test", "test").open(sealed) in issued
    assert Credentials.of(sim.base_url, "test", "other").open(sealed) is None
    events.tokens[key] = (next(iter(issued)), until)  # as an older smscli cached it
    send_all(vendor_for(sim, tmp_path, events=events), messages(1, "b"))
    assert sim.stats()["tokens_issued"] == 2 and events.tokens[key][0].startswith("v1:")
    assert repr(Credentials.of("u", "a", "p")).endswith("key=...)")


def test_changed_password_never_reuses_a_token_got_with_another(sim_factory, tmp_path):
    sim = sim_factory()
    events = FakeEvents()
    send_all(vendor_for(sim, tmp_path, events=events, password="test"), messages(1, "a"))
    assert sim.stats()["tokens_issued"] == 1
    (key,) = events.tokens
    assert "test" not in key.rsplit("|", 1)[1] and len(key.rsplit("|", 1)[1]) == 16
    with pytest.raises(AuthError, match="3001") as info:
        vendor_for(sim, tmp_path, events=events, password="wrong").send(messages(1, "b"), lambda r: None)
    assert info.value.exit_status == 3
    assert sim.stats()["tokens_issued"] == 1 and list(sim.accepted()) == ["a00000"]


def test_credential_fingerprint_changes_with_each_part_and_hides_the_password():
    base = credential_fingerprint("https://a", "acct", "secret")
    assert len(base) == 16 and int(base, 16) >= 0
    assert base == credential_fingerprint("https://a", "acct", "secret")
    others = {credential_fingerprint("https://b", "acct", "secret"),
              credential_fingerprint("https://a", "acct2", "secret"),
              credential_fingerprint("https://a", "acct", "secret2")}
    assert base not in others and len(others) == 3


def test_server_rejections_map_to_rejected_with_code(sim_factory, tmp_path):
    for errors_in_200 in (False, True):
        sim = sim_factory(errors_in_200=errors_in_200)
        too_long = Message(id="long", to="01012345678", text="가" * 46, sender="", type="sms")  # 92 bytes
        ok = Message(id="ok", to="01012345678", text="가" * 45, sender="", type="sms")  # 90 bytes
        results = {r.message_id: r for r in send_all(vendor_for(sim, tmp_path), [too_long, ok])}
        assert results["ok"].status == "accepted"
        assert results["long"].status == "rejected" and results["long"].code == "2000"
        # the code's meaning, then what the server said about this message
        assert results["long"].detail.endswith(" (message is 92 bytes, sms allows 90)"), results["long"].detail
        assert sim.accepted() == {"ok": 1}


def test_local_checks_make_invalid_results(sim_factory, tmp_path):
    sim = sim_factory()
    long_id = Message(id="x" * 33, to="01012345678", text="hi", sender="", type="sms")
    results = send_all(vendor_for(sim, tmp_path), [long_id])
    assert results[0].status == "invalid" and "32 bytes" in results[0].detail
    no_sender = vendor_for(sim, tmp_path, sender="")
    assert send_all(no_sender, messages(1))[0].status == "invalid"
    assert sim.accepted() == {}


# -- reservations ----------------------------------------------------------------------------


def test_reservation_inside_the_window_is_scheduled(sim_factory, tmp_path):
    record = tmp_path / "rec.jsonl"
    sim = sim_factory(record=record)
    at = clock.now().replace(microsecond=0) + timedelta(days=2)
    results = send_all(vendor_for(sim, tmp_path), messages(1, send_at=at))
    assert results[0].status == "scheduled"
    line = json.loads(record.read_text())
    assert line["sendtime"] == int(at.timestamp())


def test_reservation_outside_the_window_is_invalid_and_not_sent(sim_factory, tmp_path):
    sim = sim_factory()
    past = clock.now() - timedelta(minutes=1)
    far = clock.now() + timedelta(days=30, minutes=5)
    results = send_all(vendor_for(sim, tmp_path), messages(1, "p", send_at=past) + messages(1, "f", send_at=far))
    by_id = {r.message_id: r for r in results}
    assert by_id["p00000"].status == "invalid" and "past" in by_id["p00000"].detail
    assert by_id["f00000"].status == "invalid" and "30 days" in by_id["f00000"].detail
    assert sim.accepted() == {}


def test_reservation_window_is_korea_time_whatever_the_machine_timezone(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        now = clock.time()
        kst_now = datetime.fromtimestamp(now, KST).replace(tzinfo=None)
        # naive = Korea wall clock: 29 days 20 h ahead is inside; were it read as UTC it would be outside
        inside = kst_now + timedelta(days=29, hours=20)
        assert reservation_time(inside, now=now) == pytest.approx(now + (29 * 24 + 20) * 3600, abs=1)
        with pytest.raises(InvalidMessage, match="is in the past"):
            reservation_time(kst_now - timedelta(minutes=1), now=now)
        aware_utc = datetime.fromtimestamp(now, UTC) + timedelta(days=30, seconds=30)
        with pytest.raises(InvalidMessage, match="more than 30 days ahead"):
            reservation_time(aware_utc, now=now)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_cancel_is_a_clear_usage_error(sim_factory, tmp_path):
    vendor = vendor_for(sim_factory(), tmp_path)
    with pytest.raises(UsageError, match="cannot cancel a reservation") as info:
        vendor.cancel("m1", "")
    assert info.value.exit_status == 2
    assert BizppurioVendor.can_schedule and not BizppurioVendor.can_cancel


# -- files -----------------------------------------------------------------------------------


def test_upload_jpeg_returns_file_key_and_non_jpeg_is_refused(sim_factory, tmp_path):
    sim = sim_factory()
    vendor = vendor_for(sim, tmp_path)
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(JPEG)
    keys = vendor.upload([photo])
    assert len(keys) == 1 and keys[0].endswith(".jpg") and keys[0] in sim.api.files
    png = tmp_path / "picture.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(UsageError, match="not a JPEG") as info:
        vendor.upload([png])
    assert info.value.exit_status == 2
    big = tmp_path / "big.jpg"
    big.write_bytes(JPEG[:-2] + b"\x00" * 300 * 1024 + b"\xff\xd9")
    with pytest.raises(UsageError, match="300 kB"):
        vendor.upload([big])
    assert sim.stats()["files"] == 1


def test_mms_with_images_uploads_once_and_sends_file_keys(sim_factory, tmp_path):
    sim = sim_factory()
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(JPEG)
    msgs = messages(12, type="mms", subject="사진", images=(str(photo),))
    results = send_all(vendor_for(sim, tmp_path, file_path="/v2/file"), msgs)
    assert {r.status for r in results} == {"accepted"}
    assert sim.stats()["files"] == 1
    keyed = messages(1, "k", type="mms", file_keys=(next(iter(sim.api.files)),))
    assert send_all(vendor_for(sim, tmp_path), keyed)[0].status == "accepted"
    bad_key = messages(1, "b", type="mms", file_keys=("nope.jpg",))
    result = send_all(vendor_for(sim, tmp_path), bad_key)[0]
    assert result.status == "rejected" and result.code == "2000"


def test_an_image_the_server_refuses_makes_its_message_rejected(sim_factory, tmp_path):
    sim = sim_factory(max_file_bytes=100)
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(JPEG)
    (result,) = send_all(vendor_for(sim, tmp_path), messages(1, type="mms", subject="사진", images=(str(photo),)))
    assert (result.status, result.code) == ("rejected", "2000")
    assert sim.accepted() == {}


# -- results ---------------------------------------------------------------------------------


def test_poll_pages_over_1000_and_confirms_what_was_stored(sim_factory, tmp_path):
    sim = sim_factory()
    for i in range(2500):
        sim.api.add_report("sms" if i % 2 else "lms", f"010{i:08d}", f"r{i}")
    pages: list[list[Report]] = []
    vendor = vendor_for(sim, tmp_path)
    vendor.poll(pages.append, timeout=30)
    assert [len(p) for p in pages] == [1000, 1000, 500]
    reports = [r for p in pages for r in p]
    assert len({r.message_id for r in reports}) == 2500
    assert {r.status for r in reports} == {"delivered"}
    assert {r.code for r in reports} == {"4100", "6600"}
    assert all(r.delivered_at.endswith("+09:00") for r in reports)
    assert sim.api.pending_reports() == 0 and sim.stats()["confirmed"] == 2500


def test_poll_without_confirm_reads_one_page_and_leaves_it(sim_factory, tmp_path):
    sim = sim_factory()
    for i in range(1200):
        sim.api.add_report("sms", "01012345678", f"r{i}")
    pages: list[list[Report]] = []
    vendor_for(sim, tmp_path).poll(pages.append, confirm=False)
    assert [len(p) for p in pages] == [1000]
    assert sim.api.pending_reports() == 1200


def test_poll_confirms_nothing_when_storing_fails_and_only_what_was_stored(sim_factory, tmp_path):
    sim = sim_factory()
    for i in range(10):
        sim.api.add_report("sms", "01012345678", f"r{i}")
    vendor = vendor_for(sim, tmp_path)

    def broken(reports: list[Report]) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError):
        vendor.poll(broken)
    assert sim.api.pending_reports() == 10
    vendor.poll(lambda reports: reports[:4])
    assert sim.api.pending_reports() == 6


def test_send_with_wait_collects_reports(sim_factory, tmp_path):
    sim = sim_factory(report_delay=0.2, fail_rate=0.5, seed=3)
    msgs = messages(10)
    got: list[Report] = []
    send_all(vendor_for(sim, tmp_path), msgs, on_reports=got.extend, wait=10)
    assert sorted(r.message_id for r in got) == [m.id for m in msgs]
    assert {r.status for r in got} == {"delivered", "failed"}
    failed = next(r for r in got if r.status == "failed")
    assert failed.code in {"4401", "4410", "4414"} and failed.delivered_at == ""


def test_confirm_by_msgid(sim_factory, tmp_path):
    sim = sim_factory()
    ids = [sim.api.add_report("sms", "01012345678", f"r{i}") for i in range(3)]
    vendor_for(sim, tmp_path).confirm(ids[:2])
    assert sim.api.pending_reports() == 1


def test_parse_report_reads_push_and_poll_shapes():
    push = {"DEVICE": "SMS", "CMSGID": "c1", "MSGID": "m1", "PHONE": "01000000000", "MEDIA": "SMS",
            "UNIXTIME": "1603773837", "RESULT": "4100", "WAPINFO": "SKT", "REFKEY": "smstest00001"}
    report = parse_report(push)
    assert report.message_id == "smstest00001" and report.status == "delivered"
    assert report.delivered_at == "2020-10-27T13:43:57+09:00"
    assert report.extra["msgid"] == "m1" and report.to == "01000000000"
    failed = parse_report({k.lower(): v for k, v in {**push, "RESULT": "6606", "MEDIA": "MMS"}.items()})
    assert failed.status == "failed" and failed.code == "6606" and failed.delivered_at == ""


def test_parse_report_without_a_known_code_says_which_it_was():
    assert parse_report({"refkey": "r", "result": "", "media": "SMS"}).detail == "not delivered (SMS result ?)"
    unknown = parse_report({"refkey": "r", "result": "9876", "device": "MMS"})
    assert (unknown.status, unknown.detail) == ("failed", "not delivered (MMS result 9876)")


def test_parse_report_falls_back_to_cmsgid_then_msgid():
    assert parse_report({"cmsgid": "c1", "msgid": "m1", "result": "4100"}).message_id == "c1"
    assert parse_report({"msgid": "m1", "result": "4100"}).message_id == "m1"


@pytest.mark.parametrize(("status", "outcome", "code", "tries"),
                         [(500, "unknown", "", 1), (502, "unknown", "", 1), (504, "unknown", "", 1),
                          (499, "rejected", "HTTP 499", 1), (503, "accepted", "1000", 2)])
def test_an_answer_without_a_code_is_unknown_from_a_5xx_and_rejected_from_a_4xx(tmp_path, status, outcome,
                                                                                 code, tries):
    # A gateway in front of the API answers the first /v3/message with no body (the API
    # accepts a second): after a 5xx the message may have been sent (unknown, never
    # resent), a 4xx refused it; only a bare 503 (nothing processed) is tried again.
    sends: list[str] = []

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/v1/token":
                body = json.dumps({"accesstoken": "t", "type": "Bearer", "expired": "29991231235959"}).encode()
                self.send_response(200)
            else:
                sends.append(self.path)
                body = b"" if len(sends) == 1 else json.dumps({"code": 1000, "description": "ok"}).encode()
                self.send_response(status if len(sends) == 1 else 200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        values = {"base_url": f"http://127.0.0.1:{server.server_address[1]}", "account": "test",
                  "password": "test", "sender": "0212341234", "backoff": 0.01}
        vendor = BizppurioVendor(FakeProfile(tmp_path, **values), FakeEvents())
        (result,) = send_all(vendor, messages(1))
    finally:
        server.shutdown()
        server.server_close()
    assert (result.status, result.code) == (outcome, code)
    assert sends == ["/v3/message"] * tries


def test_sim_pushes_reports_with_upper_case_keys(sim_factory, tmp_path):
    received: list[dict] = []
    done = threading.Event()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            if len(received) >= 3:
                done.set()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sim = sim_factory(push_url=f"http://127.0.0.1:{server.server_port}/sms/result", report_delay=0.05)
        send_all(vendor_for(sim, tmp_path), messages(3))
        assert done.wait(10)
    finally:
        server.shutdown()
    assert {r["REFKEY"] for r in received} == {"m00000", "m00001", "m00002"}
    assert all(set(r) >= {"DEVICE", "CMSGID", "MSGID", "PHONE", "MEDIA", "UNIXTIME", "RESULT"} for r in received)
    assert [parse_report(r).status for r in received] == ["delivered"] * 3
    deadline = time.monotonic() + 5  # the simulator drops a report once it has read our 200
    while sim.api.pending_reports() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sim.api.pending_reports() == 0


# -- TLS -------------------------------------------------------------------------------------


def test_tls_with_self_signed_certificate(sim_factory, tmp_path):
    sim = sim_factory(tls=True)
    assert sim.base_url.startswith("https://") and sim.ca_file is not None
    with pytest.raises(ConfigError, match="not trusted") as info:
        send_all(vendor_for(sim, tmp_path), messages(1, "v"))
    assert info.value.exit_status == 3
    trusted = send_all(vendor_for(sim, tmp_path, ca_file=str(sim.ca_file)), messages(2, "c"))
    unverified = send_all(vendor_for(sim, tmp_path, verify_tls="false"), messages(2, "u"))
    assert {r.status for r in trusted + unverified} == {"accepted"}
    assert sim.accepted() == {"c00000": 1, "c00001": 1, "u00000": 1, "u00001": 1}


def test_bad_tuning_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="concurrency"):
        BizppurioVendor(FakeProfile(tmp_path, account="a", concurrency="many"), FakeEvents())
    with pytest.raises(ConfigError, match="account"):
        BizppurioVendor(FakeProfile(tmp_path), FakeEvents())


def test_no_heavy_imports_at_module_level():
    code = ("import sys, smscli.vendors.bizppurio, smscli.transports.http, smscli.sim.bizppurio; "
            "print([m for m in ('httpx', 'asyncio', 'cryptography') if m in sys.modules])")
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    assert out.stdout.strip() == "[]", out.stderr
