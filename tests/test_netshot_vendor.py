"""NetshotVendor against the BizNetShot simulator over loopback."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smscli.errors import AuthError, ConfigError, UnreachableError, UsageError
from smscli.listen import ResultListener
from smscli.models import Message, SendResult
from smscli.sim.netshot import KST, NetshotSim
from smscli.transports.http import RetryPolicy
from smscli.vendors.netshot import (
    MAX_RECIPIENTS,
    NetshotVendor,
    _Batcher,
    corpfrcode_for,
    parse_answer,
)

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=KST)
FAST = RetryPolicy(attempts=2, backoff_base=0.01, backoff_max=0.02)
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 2000 + b"\xff\xd9"


class Profile:
    """A stand-in for smscli.config.Profile (get/require/secret/data_dir/name)."""

    def __init__(self, data: dict[str, object], data_dir: Path | None = None) -> None:
        self.data = data
        self.name = "net"
        self.vendor = "netshot"
        self.data_dir = data_dir or Path(".")

    def get(self, key: str, default: object = None) -> object:
        return self.data.get(key, default)

    def require(self, key: str) -> object:
        if key not in self.data:
            raise ConfigError(f"profile {self.name!r} has no {key}")
        return self.data[key]

    def secret(self, key: str = "password") -> str:
        return str(self.require(key))


class Events:
    def add_suppression(self, phone, deny_no="", source=""): ...
    def add_phone_change(self, phone, new_phone, server_msg_id=""): ...
    def token_get(self, key): return None
    def token_put(self, key, token, expires_at): ...


@pytest.fixture
def sim():
    with NetshotSim(accounts={"member": "s3cret"}, clock=lambda: NOW) as server:
        yield server


def vendor_for(sim_or_url, **extra: object) -> NetshotVendor:
    url = sim_or_url if isinstance(sim_or_url, str) else sim_or_url.url
    data = {"url": url, "user": "member", "password": "s3cret", "sender": "0212341234", **extra}
    return NetshotVendor(Profile(data), Events(), policy=FAST, clock=lambda: NOW)


def msgs(n: int, text: str = "안녕하세요", prefix: str = "m", start: int = 0, **kw) -> list[Message]:
    return [Message(id=f"{prefix}{i}", to=f"010{i:08d}", text=text, sender="", **kw)
            for i in range(start, start + n)]


def send(vendor: NetshotVendor, messages: list[Message]) -> list[SendResult]:
    results: list[SendResult] = []
    vendor.send(iter(messages), results.append)
    return results


def test_same_text_goes_in_one_request_and_results_carry_the_corpfrcode(sim):
    results = send(vendor_for(sim), msgs(3))
    assert [r.status for r in results] == ["accepted"] * 3
    assert {r.code for r in results} == {"300"} and {r.type for r in results} == {"sms"}
    (request,) = sim.requests
    assert request["contents"] == "안녕하세요" and request["fromNumber"] == "0212341234"
    assert request["toNumber"] == "01000000000,01000000001,01000000002"
    code = corpfrcode_for(["m0", "m1", "m2"])
    assert request["m_corpfrcode"] == code
    assert [r.server_id for r in results] == [f"{code}:0100000000{i}" for i in range(3)]
    assert "server_id" not in results[0].to_json()


def test_different_texts_and_repeated_numbers_go_in_separate_requests(sim):
    batch = msgs(2, "하나") + msgs(1, "둘", prefix="x") + [Message(id="dup", to="01000000000", text="하나",
                                                                  sender="")]
    results = send(vendor_for(sim), batch)
    assert len(results) == 4 and {r.status for r in results} == {"accepted"}
    assert sorted(r["toNumber"] for r in sim.requests) == ["01000000000", "01000000000",
                                                          "01000000000,01000000001"]
    assert sim.codes == {"300": 3}


def test_more_than_1500_recipients_are_split(sim):
    results = send(vendor_for(sim), msgs(3001))
    assert len(results) == 3001 and {r.status for r in results} == {"accepted"}
    sizes = sorted(len(r["toNumber"].split(",")) for r in sim.requests)
    assert sizes == [1, MAX_RECIPIENTS, MAX_RECIPIENTS]
    assert sim.counts["accepted_pairs"] == 3001
    assert len({r.server_id.split(":")[0] for r in results}) == 3


def test_resending_the_same_ids_is_reported_duplicate_not_sent_again(sim):
    vendor = vendor_for(sim)
    first = send(vendor, msgs(4))
    again = send(vendor, msgs(4))
    assert {r.status for r in first} == {"accepted"}
    assert {r.status for r in again} == {"duplicate"} and {r.code for r in again} == {"314"}
    assert corpfrcode_for(["m0", "m1", "m2", "m3"]) in again[0].detail
    assert sim.counts["accepted_pairs"] == 4 and sim.codes["314"] == 1


def test_long_text_is_reported_lms_and_mms_goes_as_multipart(sim, tmp_path):
    image = tmp_path / "사진.jpg"
    image.write_bytes(JPEG)
    results = send(vendor_for(sim), msgs(1, "가" * 41) + msgs(2, "그림", prefix="i", images=(str(image),)))
    assert {r.message_id: r.type for r in results} == {"m0": "lms", "i0": "mms", "i1": "mms"}
    assert {r.status for r in results} == {"accepted"}
    assert sorted(a.type for a in sim.accepted) == ["lms", "mms", "mms"]


def test_reservation_inside_the_window_is_scheduled(sim):
    at = NOW + timedelta(hours=2, minutes=5)
    results = send(vendor_for(sim), msgs(2, send_at=at.astimezone(KST)))
    assert {r.status for r in results} == {"scheduled"}
    assert "2026-11-21 12:05" in results[0].detail
    request = sim.requests[0]
    assert (request["reserveSend"], request["ryear"], request["rmonth"], request["rday"],
            request["rhour"], request["rmin"]) == ("Y", "2026", "11", "21", "12", "05")


def test_reservation_in_utc_is_sent_in_korea_time(sim):
    at = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)  # 09:00 KST
    send(vendor_for(sim), msgs(1, send_at=at))
    assert (sim.requests[0]["rday"], sim.requests[0]["rhour"]) == ("22", "09")


@pytest.mark.parametrize("ahead", [timedelta(minutes=20), timedelta(days=31)])
def test_reservation_outside_the_window_is_a_usage_error_before_sending(sim, ahead):
    with pytest.raises(UsageError) as err:
        send(vendor_for(sim), msgs(2, send_at=NOW + ahead))
    assert err.value.exit_status == 2
    assert "30 minutes to 30 days ahead (2026-11-21 10:30 to 2026-12-21 10:00 KST)" in str(err.value)
    assert sim.counts["requests"] == 0


def test_a_200_kb_image_is_refused_before_sending(sim, tmp_path):
    image = tmp_path / "big.jpg"
    image.write_bytes(b"\xff\xd8\xff" + b"\x00" * 200_000)
    with pytest.raises(UsageError) as err:
        send(vendor_for(sim), msgs(1, images=(str(image),)))
    assert err.value.exit_status == 2
    assert str(err.value) == (f"image {image} is 200 kB; BizNetShot takes at most 100 kB (100000 bytes) "
                              "(shrink or recompress the JPEG)")
    assert sim.counts["requests"] == 0


def test_a_non_jpeg_image_is_refused_before_sending(sim, tmp_path):
    image = tmp_path / "logo.jpg"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(UsageError, match="is not a JPEG; BizNetShot takes JPEG images only") as err:
        send(vendor_for(sim), msgs(1, images=(str(image),)))
    assert err.value.exit_status == 2 and sim.counts["requests"] == 0


def test_two_images_or_a_missing_image_are_usage_errors(sim, tmp_path):
    image = tmp_path / "a.jpg"
    image.write_bytes(JPEG)
    with pytest.raises(UsageError, match="one image per message, got 2"):
        send(vendor_for(sim), msgs(1, images=(str(image), str(image))))
    with pytest.raises(UsageError, match="cannot read image"):
        send(vendor_for(sim), msgs(1, images=(str(tmp_path / "nope.jpg"),)))
    assert sim.counts["requests"] == 0


def test_wrong_password_is_an_auth_error_and_the_password_is_not_shown(sim):
    with pytest.raises(AuthError) as err:
        send(vendor_for(sim, password="wrong-pw"), msgs(2))
    assert err.value.exit_status == 3
    assert "refused the login for user 'member': 201" in str(err.value)
    assert "wrong-pw" not in str(err.value) and "s3cret" not in str(err.value)


def test_unknown_member_is_an_auth_error(sim):
    with pytest.raises(AuthError, match=": 202"):
        send(vendor_for(sim, user="nobody"), msgs(1))


def test_unreachable_server_is_exit_4():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    results: list[SendResult] = []
    vendor = vendor_for(f"http://127.0.0.1:{port}/corp/send_message.php")
    with pytest.raises(UnreachableError) as err:
        vendor.send(iter(msgs(2)), results.append)
    assert err.value.exit_status == 4 and "cannot reach 127.0.0.1" in str(err.value)
    assert results == []  # never sent: the messages stay pending for a re-run


def test_lost_answer_is_unknown_and_a_resend_is_duplicate():
    with NetshotSim(accounts={"member": "s3cret"}, delay=0.4) as sim:
        vendor = vendor_for(sim, timeout=0.15)
        results: list[SendResult] = []
        with pytest.raises(UnreachableError) as err:
            vendor.send(iter(msgs(2)), results.append)
        assert err.value.exit_status == 4 and "no answer" in str(err.value)
        assert {r.status for r in results} == {"unknown"}
        deadline = time.monotonic() + 5
        while sim.counts["requests"] < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        sim.delay = 0
        again = send(vendor_for(sim), msgs(2))
    assert {r.status for r in again} == {"duplicate"}
    assert sim.counts["accepted_pairs"] == 2  # accepted once, never twice


def test_other_codes_reject_every_recipient_of_the_request():
    with NetshotSim(accounts={"member": "s3cret"}, credit=1) as sim:
        results = send(vendor_for(sim), msgs(2))
    assert {(r.status, r.code) for r in results} == {("rejected", "301")}
    assert results[0].detail


def test_text_cp949_cannot_carry_is_invalid_and_not_sent(sim):
    batch = msgs(1, "웃음 😀") + msgs(1, "ok", prefix="k") + [Message(id="bad", to="12ab", text="x", sender="")]
    results = send(vendor_for(sim), batch)
    by_id = {r.message_id: r for r in results}
    assert by_id["m0"].status == "invalid" and "'😀'" in by_id["m0"].detail
    assert by_id["bad"].status == "invalid" and by_id["bad"].detail == "invalid number '12ab': letters in number"
    assert by_id["k0"].status == "accepted"
    assert sim.counts["requests"] == 1


def test_missing_sender_and_bad_url_and_missing_user():
    with pytest.raises(UsageError, match="no sender number"):
        send(vendor_for("http://127.0.0.1:1/x", sender=""), msgs(1))
    with pytest.raises(ConfigError, match="not an http"):
        send(vendor_for("ftp://host/x"), msgs(1))
    vendor = NetshotVendor(Profile({"url": "http://127.0.0.1:1/x"}), Events())
    with pytest.raises(ConfigError, match="has no user"):
        send(vendor, msgs(1))


def test_upload_poll_and_wait_explain_what_to_do_instead(sim):
    vendor = vendor_for(sim)
    with pytest.raises(UsageError, match="send --image"):
        vendor.upload([Path("a.jpg")])
    with pytest.raises(UsageError, match="result listen"):
        vendor.poll(lambda reports: None)
    with pytest.raises(UsageError, match="result listen"):
        vendor.send(iter(msgs(1)), lambda r: None, wait=5)
    with pytest.raises(UsageError, match="cannot cancel"):
        vendor.cancel("m0", "x")
    assert sim.counts["requests"] == 0
    assert (vendor.can_schedule, vendor.can_upload, vendor.limits.sms_bytes) == (True, False, 80)


def test_callbacks_from_the_sim_reach_the_listener_and_the_journal(tmp_path):
    from smscli.journal import Journal

    journal = Journal.open(tmp_path / "data")
    batch = msgs(30) + msgs(5, "다른 문자", prefix="o", start=100)
    assert journal.claim(batch, "netshot", "net") == [None] * 35

    def record(result: SendResult) -> None:  # what the send pipeline does with each result
        journal.record([result], {result.message_id: result.server_id})

    stored: list = []

    def store(reports: list) -> None:  # what `result listen` does
        stored.extend(journal.add_reports(reports))

    with ResultListener(store, port=0) as listener, NetshotSim(
        accounts={"member": "s3cret"}, callback=listener.url + "netshot/result", report_delay=0.02,
        fail_rate=0.3, seed=5,
    ) as sim:
        vendor_for(sim).send(iter(batch), record)
        assert sim.wait_callbacks(35, timeout=10)
    rows = {r["id"]: r for r in journal.list_messages(vendor="netshot")}
    assert len(stored) == 35
    reports = journal.list_reports()  # a callback faster than its send's answer matches once that is recorded
    assert {r.message_id for r in reports} == set(rows) == {m.id for m in batch}
    assert {r.status for r in reports} == {"delivered", "failed"}
    for report in reports:  # each callback landed on its own message, not on its request's first
        assert rows[report.message_id]["status"] == report.status
        assert rows[report.message_id]["to"] == report.to
    journal.close()


def test_a_resolve_hook_matches_callbacks_without_a_journal():
    sent: dict[tuple[str, str], str] = {}
    reports: list = []

    def record(result: SendResult) -> None:
        sent[(result.server_id.split(":")[0], result.to)] = result.message_id

    with ResultListener(reports.extend, resolve=lambda v, key, phone: sent.get((key, phone)),
                        port=0) as listener, NetshotSim(
        accounts={"member": "s3cret"}, callback=listener.url, report_delay=0.01,
    ) as sim:
        vendor_for(sim).send(iter(msgs(5)), record)
        assert sim.wait_callbacks(5, timeout=10)
    assert sorted(r.message_id for r in reports) == [f"m{i}" for i in range(5)]
    assert {(r.status, r.code, r.vendor) for r in reports} == {("delivered", "1", "netshot")}
    assert all(r.delivered_at.endswith("+09:00") for r in reports)


def test_many_distinct_texts_are_sent_concurrently():
    with NetshotSim(accounts={"member": "s3cret"}, delay=0.1) as sim:
        started = time.monotonic()
        results = send(vendor_for(sim, concurrency=8), [Message(id=f"p{i}", to=f"010{i:08d}",
                                                                text=f"{i}님 안녕하세요", sender="")
                                                        for i in range(16)])
        elapsed = time.monotonic() - started
    assert len(results) == 16 and {r.status for r in results} == {"accepted"}
    assert sim.counts["requests"] == 16 and elapsed < 1.2  # sequential would take 1.6 s


def test_corpfrcode_is_stable_short_and_order_free():
    code = corpfrcode_for(["b", "a", "c"])
    assert code == corpfrcode_for(["c", "b", "a"]) and len(code) == 20 and code.isalnum()
    assert code != corpfrcode_for(["a", "b"])


def test_batcher_caps_what_it_holds_back():
    batcher = _Batcher(size=3, max_held=4)
    ready = []
    for i in range(6):
        message = Message(id=str(i), to=f"0100000000{i}", text=f"t{i}", sender="s")
        ready += batcher.add((f"t{i}",), message.to, message)
    assert [b.messages[0].id for b in ready] == ["0", "1"] and batcher.held == 4
    assert len(batcher.drain()) == 4


def test_parse_answer_reads_the_documents_example():
    body = ("sendCode: 300\ncorpfrcode: 2007102200001\nreserveTime:\nmergeUse: Y\n"
            "subject: 연동테스트입니다.\netc1: 테스트입니다..\n").encode("euc-kr")
    answer = parse_answer(body)
    assert answer["sendCode"] == "300" and answer["reserveTime"] == ""
    assert answer["subject"] == "연동테스트입니다."


def test_a_real_profile_from_the_config_file_drives_the_vendor(sim, isolated_env, monkeypatch):
    from smscli.config import load_profile
    from smscli.vendors.registry import create_vendor

    (isolated_env / "config.toml").write_text(
        f'[profiles.net]\nvendor = "netshot"\nurl = "{sim.url}"\nuser = "member"\n'
        'password_env = "NETSHOT_PW"\nsender = "02-1234-1234"\n', encoding="utf-8")
    (isolated_env / "config.toml").chmod(0o600)
    monkeypatch.setenv("NETSHOT_PW", "s3cret")
    vendor = create_vendor(load_profile("net"), Events())
    assert isinstance(vendor, NetshotVendor)
    results: list[SendResult] = []
    vendor.send(iter(msgs(2)), results.append)
    assert {r.status for r in results} == {"accepted"}
    assert sim.requests[0]["fromNumber"] == "0212341234"

