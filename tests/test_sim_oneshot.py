"""The OneShot simulator, rule by rule, over real loopback sockets with a bare codec client."""

from __future__ import annotations

import base64
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from smscli.errors import UsageError
from smscli.protocol.oneshot.crypto import BodyCipher, parse_iv, parse_key_material
from smscli.protocol.oneshot.frames import encode_frame
from smscli.sim.oneshot import KST, OneShotSimulator
from tests.sim_oneshot_raw import IV, KEY, PASSWORD, Closed, RawClient, msg_body

pytestmark = pytest.mark.timeout(30)

SimFactory = Callable[..., OneShotSimulator]


@pytest.fixture
def make_sim() -> Iterator[SimFactory]:
    started: list[OneShotSimulator] = []

    def make(**overrides: object) -> OneShotSimulator:
        overrides.setdefault("report_delay", 0.05)
        sim = OneShotSimulator(**overrides)  # type: ignore[arg-type]
        sim.start_in_thread()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.close()


def client(sim: OneShotSimulator, **kw: object) -> RawClient:
    return RawClient(sim.address, **kw)  # type: ignore[arg-type]


def jpeg(size: int) -> bytes:
    return b"\xff\xd8\xff\xe0" + os.urandom(max(0, size - 6)) + b"\xff\xd9"


# login -------------------------------------------------------------------------------


def at(hour: int, minute: int = 0) -> float:
    """Unix time of ``hour:minute`` Korea time on a fixed day."""
    return datetime(2026, 11, 23, hour, minute, tzinfo=KST).timestamp()


def bind_then_send(sim: OneShotSimulator) -> int:
    """Bind to a simulator with speed 50 and hours 8–21, check what BindRes announces (its
    body encrypted with the configured key), send one message: the MsgSendRes Result."""
    with client(sim) as c:
        res = c.bind()
        assert res == {
            "Result": 0,
            "BindId": "test001",
            "Speed": 50,
            "BeginTime": 8,
            "EndTime": 21,
            "EffectiveTime": 3,
        }
        assert isinstance(c.wire_bodies[-1][1], str)  # BindRes went out encrypted
        c.send("AliveReq")
        assert c.expect("AliveRes") is None
        c.send_msg("1")
        result = c.expect("MsgSendRes")["Result"]
        assert c.wire_bodies[-1][1]["Result"] == result  # MsgSendRes in clear without encrypt
        return result


def test_bind_ok_announces_limits_with_bodies_encrypted_by_the_configured_key(make_sim):
    sim = make_sim(speed=50, begin=8, end=21, clock=lambda: at(12))
    assert bind_then_send(sim) == 0


@pytest.mark.parametrize(("hour", "minute"), [(3, 0), (7, 59), (21, 0), (23, 30)])
def test_the_same_session_outside_sending_hours_binds_but_sends_get_901(make_sim, hour, minute):
    sim = make_sim(speed=50, begin=8, end=21, clock=lambda: at(hour, minute))
    assert bind_then_send(sim) == 901
    assert sim.accepted == []


def test_by_default_the_simulator_reads_smscli_clock(make_sim, clock_at):
    clock_at(datetime(2026, 11, 23, 3, 0))
    sim = make_sim(speed=50, begin=8, end=21)
    assert bind_then_send(sim) == 901
    clock_at(datetime(2026, 11, 23, 12, 0))
    assert bind_then_send(sim) == 0  # refused before, so not a duplicate now
    assert [m.user_msg_id for m in sim.accepted] == ["1"]
    assert abs(sim.accepted[0].accepted_at - at(12)) < 60


@pytest.mark.parametrize(
    ("bind_id", "password", "version", "code"),
    [("nobody", PASSWORD, 1, 4), ("test001", "wrong", 1, 5), ("test001", PASSWORD, 2, 7)],
)
def test_failed_login_answers_the_code_then_closes(make_sim, bind_id, password, version, code):
    lines: list[str] = []
    sim = make_sim(log=lines.append)
    with client(sim) as c:
        assert c.bind(bind_id, password, version)["Result"] == code
        assert c.closed_within(2)
    assert sim.stats["login_failures"] == 1
    assert not any(password in line or PASSWORD in line for line in lines)


def test_bind_body_under_a_wrong_key_is_refused(make_sim):
    sim = make_sim()
    with client(sim, key="ffffffffffffffff") as c:
        c.send("BindReq", {"BindId": "test001", "BindPwd": PASSWORD, "Version": 1})
        c.base = BodyCipher(parse_key_material(KEY), parse_iv(IV))  # to read the answer
        assert c.expect("BindRes")["Result"] == 911
        assert c.closed_within(2)


def test_max_connections_refuses_a_second_bind_with_2(make_sim):
    sim = make_sim(max_connections=1)
    with client(sim) as a, client(sim) as b:
        assert a.bind()["Result"] == 0
        assert a.bind()["Result"] == 0  # binding again on the same connection is no second one
        assert b.bind()["Result"] == 2
        assert b.closed_within(2)


def test_unbind_answers_and_closes(make_sim):
    sim = make_sim()
    with client(sim) as c:
        c.bind()
        c.send("UnBindReq", {"BindId": "test001"})
        assert c.expect("UnBindRes") == {"Result": 0}
        assert isinstance(c.wire_bodies[-1][1], str)
        assert c.closed_within(2)


# sending -----------------------------------------------------------------------------


def test_send_before_bind_is_902(make_sim):
    sim = make_sim()
    with client(sim) as c:
        c.send_msg("1")
        assert c.expect("MsgSendRes")["Result"] == 902
    assert sim.accepted == []


def test_msg_send_res_echoes_ids_and_user_data(make_sim):
    sim = make_sim()
    with client(sim) as c:
        c.bind()
        c.send("MsgSendReq", msg_body("80", "01091874302", UserMsgSubId="2", UserData="x"))
        assert c.expect("MsgSendRes") == {
            "UserMsgId": "80",
            "UserMsgSubId": "2",
            "PhoneNo": "01091874302",
            "MsgType": 4,
            "Result": 0,
            "UserData": "x",
        }
    (acc,) = sim.accepted
    assert acc.key == ("80", "2", "01091874302")
    assert acc.body["Message"] == "SMS 테스트 메시지"


def test_content_rules_911_316_908(make_sim):
    sim = make_sim()
    with client(sim) as c:
        c.bind()
        c.send_msg("a", MsgType="4")  # a number in the document, not a string
        c.send_msg("b", MsgType=5)
        c.send_msg("c", CallbackNo="")
        c.send_msg("d", Message="가" * 45)  # 90 CP949 bytes: fits an SMS
        c.send_msg("e", Message="가" * 45 + "a")
        c.send_msg("f", MsgType=6, Subject="s", Message="나" * 1000)
        c.send_msg("g", MsgType=6, Subject="s", Message="나" * 1000 + "!")
        c.send_msg("h", MsgType=6, Subject="제" * 33, Message="x")
        results = [r["Result"] for r in c.collect("MsgSendRes", 8)]
        assert results == [911, 911, 316, 0, 908, 0, 908, 908]


def test_duplicate_is_320_across_connections(make_sim):
    sim = make_sim()
    with client(sim) as c:
        c.bind()
        c.send_msg("7")
        assert c.expect("MsgSendRes")["Result"] == 0
    with client(sim) as c:
        c.bind()
        c.send_msg("7")
        c.send_msg("7", UserMsgSubId="1")  # another sub id: a different message
        c.send_msg("7", phone="01099998888")  # another recipient: a different message
        assert [r["Result"] for r in c.collect("MsgSendRes", 3)] == [320, 0, 0]
    assert len(sim.accepted) == 3


def test_more_than_speed_in_one_second_is_903_sliding_window(make_sim):
    sim = make_sim(speed=5)
    with client(sim) as c:
        c.bind()
        for i in range(8):
            c.send_msg(str(i))
        results = [r["Result"] for r in c.collect("MsgSendRes", 8)]
        assert results == [0] * 5 + [903] * 3
        time.sleep(1.05)  # the window slides: room again
        c.send_msg("8")
        assert c.collect("MsgSendRes", 1)[0]["Result"] == 0
    assert len(sim.accepted) == 6


def test_enforce_speed_below_the_announced_speed(make_sim):
    sim = make_sim(speed=10, enforce_speed=3)
    with client(sim) as c:
        assert c.bind()["Speed"] == 10
        for i in range(5):
            c.send_msg(str(i))
        assert [r["Result"] for r in c.collect("MsgSendRes", 5)] == [0, 0, 0, 903, 903]


def test_speed_zero_is_unlimited(make_sim):
    sim = make_sim(speed=0)
    with client(sim) as c:
        c.bind()
        c.send_raw(b"".join(c.frame("MsgSendReq", msg_body(str(i))) for i in range(500)))
        assert {r["Result"] for r in c.collect("MsgSendRes", 500)} == {0}


def test_outside_sending_hours_is_901_in_korea_time(make_sim):
    now = {"t": datetime(2026, 11, 21, 7, 59, tzinfo=KST).timestamp()}
    sim = make_sim(begin=8, end=20, clock=lambda: now["t"])
    with client(sim) as c:
        c.bind()
        c.send_msg("early")
        assert c.expect("MsgSendRes")["Result"] == 901
        now["t"] = datetime(2026, 11, 21, 8, 0, tzinfo=KST).timestamp()
        c.send_msg("early")  # refused before, so not a duplicate now
        assert c.expect("MsgSendRes")["Result"] == 0
        now["t"] = datetime(2026, 11, 21, 20, 0, tzinfo=KST).timestamp()
        c.send_msg("late")
        assert c.expect("MsgSendRes")["Result"] == 901


def test_hours_wrapping_past_midnight(make_sim):
    now = {"t": datetime(2026, 11, 21, 23, 30, tzinfo=KST).timestamp()}
    sim = make_sim(begin=22, end=6, clock=lambda: now["t"])
    with client(sim) as c:
        c.bind()
        c.send_msg("a")
        assert c.expect("MsgSendRes")["Result"] == 0
        now["t"] = datetime(2026, 11, 22, 12, 0, tzinfo=KST).timestamp()
        c.send_msg("b")
        assert c.expect("MsgSendRes")["Result"] == 901


def test_reject_rate_is_deterministic_per_message(make_sim):
    outcomes = []
    for _ in range(2):
        sim = make_sim(reject_rate=0.3, seed=5, speed=0)
        with client(sim) as c:
            c.bind()
            for i in range(200):
                c.send_msg(str(i))
            outcomes.append([r["Result"] for r in c.collect("MsgSendRes", 200)])
        sim.close()
    assert outcomes[0] == outcomes[1]
    rejected = [code for code in outcomes[0] if code]
    assert 30 < len(rejected) < 90
    assert set(rejected) <= {33, 316, 997}


def test_silent_ids_are_accepted_but_never_answered(make_sim):
    sim = make_sim(silent_ids=frozenset({"quiet"}))
    with client(sim) as c:
        c.bind()
        c.send_msg("quiet")
        c.send_msg("loud")
        assert c.expect("MsgSendRes")["UserMsgId"] == "loud"
        c.send_msg("quiet")  # the retry is answered: already accepted
        assert c.expect("MsgSendRes")["Result"] == 320
    assert [m.user_msg_id for m in sim.accepted] == ["quiet", "loud"]


def test_drop_after_closes_once_with_the_last_message_accepted_unanswered(make_sim):
    sim = make_sim(drop_after=3)
    with client(sim) as c:
        c.bind()
        c.send_raw(b"".join(c.frame("MsgSendReq", msg_body(str(i))) for i in range(5)))
        assert [r["Result"] for r in c.collect("MsgSendRes", 2)] == [0, 0]
        assert c.closed_within(2)
    assert [m.user_msg_id for m in sim.accepted] == ["0", "1", "2"]
    with client(sim) as c:  # only once: the next connection is not dropped
        c.bind()
        for i in range(5):
            c.send_msg(str(i))
        assert [r["Result"] for r in c.collect("MsgSendRes", 5)] == [320, 320, 320, 0, 0]


def test_drop_every_drops_each_connection(make_sim):
    sim = make_sim(drop_after=1, drop_every=True)
    for uid in ("a", "b"):
        with client(sim) as c:
            c.bind()
            c.send_msg(uid)
            assert c.closed_within(2)
    assert len(sim.accepted) == 2


# reports -----------------------------------------------------------------------------


def test_report_follows_acceptance_and_ack_clears_it(make_sim):
    sim = make_sim(report_delay=0.1)
    with client(sim) as c:
        c.bind()
        c.send_msg("80", "01091874302")
        assert c.expect("MsgSendRes")["Result"] == 0
        report = c.expect("ReportReq", timeout=2)
        assert list(report) == [
            "UserMsgId",
            "UserMsgSubId",
            "ServerMsgId",
            "MsgType",
            "PhoneNo",
            "Result",
            "Telecom",
            "DeliveryTime",
            "UserData",
        ]
        assert report["UserMsgId"] == "80" and report["Result"] == 0
        assert report["ServerMsgId"] == sim.accepted[0].server_msg_id
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", report["DeliveryTime"])
        c.ack(report)
        assert sim.wait_until(lambda: not sim.pending_reports)


def test_unacknowledged_reports_are_pushed_again_after_the_next_bind(make_sim):
    sim = make_sim(report_delay=0.05)
    with client(sim) as c:
        c.bind()
        c.send_msg("1")
        c.send_msg("2")
        reports = c.collect("ReportReq", 2)
        c.ack(reports[0])
        assert sim.wait_until(lambda: len(sim.pending_reports) == 1)
    with client(sim) as c:
        c.bind()
        again = c.expect("ReportReq")
        assert again["UserMsgId"] == "2" and again["ServerMsgId"] == reports[1]["ServerMsgId"]
        assert c.silent_for(0.2)  # the acknowledged one does not come back
        c.ack(again)
        assert sim.wait_until(lambda: not sim.pending_reports)
    with client(sim) as c:
        c.bind()
        assert c.silent_for(0.2)


def test_report_due_while_nobody_is_bound_waits_for_the_next_bind(make_sim):
    sim = make_sim(report_delay=0.2, drop_after=1)
    with client(sim) as c:
        c.bind()
        c.send_msg("1")
        assert c.closed_within(2)
    time.sleep(0.3)
    with client(sim) as c:
        c.bind()
        assert c.expect("ReportReq")["UserMsgId"] == "1"


def test_report_res_with_wrong_ids_does_not_acknowledge(make_sim):
    sim = make_sim()
    with client(sim) as c:
        c.bind()
        c.send_msg("1")
        report = c.collect("ReportReq", 1)[0]
        c.ack({**report, "UserMsgId": "other"})
        c.ack(report, result=1)
        c.send("AliveReq")
        c.expect("AliveRes")
    assert len(sim.pending_reports) == 1


def test_fail_rate_is_deterministic_with_the_seed(make_sim):
    results = []
    for _ in range(2):
        sim = make_sim(fail_rate=0.5, seed=3, speed=0)
        with client(sim) as c:
            c.bind()
            for i in range(100):
                c.send_msg(str(i))
            reports = c.collect("ReportReq", 100)
            results.append(sorted((r["UserMsgId"], r["Result"]) for r in reports))
        sim.close()
    assert results[0] == results[1]
    failed = [code for _, code in results[0] if code]
    assert 25 < len(failed) < 75
    assert set(failed) <= {7, 8, 15}


# pushes ------------------------------------------------------------------------------


def test_push_spam_and_change_phone_on_demand(make_sim):
    sim = make_sim()
    with client(sim) as c:
        c.bind()
        c.send_msg("1", "01000000000")
        c.expect("MsgSendRes")
        spam_id = sim.push_spam("01000000000", "0800000000")
        spam = c.collect("SpamReq", 1)[0]
        assert spam == {"SpamId": spam_id, "PhoneNo": "01000000000", "DenyNo": "0800000000"}
        c.send("SpamRes", {**spam, "Result": 0})
        sim.push_change_phone("01000000000", "01012345678")
        change = c.collect("ChangePhoneReq", 1)[0]
        assert change == {
            "ServerMsgId": sim.accepted[0].server_msg_id,
            "PhoneNo": "01000000000",
            "ChangePhoneNo": "01012345678",
        }
        c.send("ChangePhoneRes", {**change, "Result": 0})
        assert sim.wait_until(lambda: len(sim.acks) == 2)
    assert [m for m, _ in sim.acks] == ["SpamRes", "ChangePhoneRes"]


def test_push_while_nobody_is_bound_goes_to_the_next_bind(make_sim):
    sim = make_sim()
    sim.push_spam("01011112222")
    with client(sim) as c:
        c.bind()
        assert c.expect("SpamReq")["PhoneNo"] == "01011112222"


def test_configured_pushes_follow_every_bind(make_sim):
    sim = make_sim(
        spam=(("01011112222", "0801234567"),), change_phone=(("0111234564", "01012345678"),)
    )
    for _ in range(2):
        with client(sim) as c:
            c.bind()
            assert c.expect("SpamReq")["DenyNo"] == "0801234567"
            assert c.expect("ChangePhoneReq")["ChangePhoneNo"] == "01012345678"


# uploads -----------------------------------------------------------------------------


def upload(
    c: RawClient,
    data: bytes,
    *,
    chunk: int = 1500,
    size: int | None = None,
    method: str = "UploadFileReq",
) -> tuple[str, int]:
    c.send("UploadFileNameReq", {"FileExtension": ".jpg"})
    res = c.expect("UploadFileNameRes")
    assert res["Result"] == 0
    name = res["FileName"]
    for i in range(0, len(data), chunk):
        c.send(method, {"Data": base64.b64encode(data[i : i + chunk]).decode()})
    c.send(
        "UploadFileFinishReq", {"FileName": name, "FileSize": len(data) if size is None else size}
    )
    return name, c.expect("UploadFileFinishRes")["Result"]


def test_upload_then_mms_referencing_it(make_sim, tmp_path):
    sim = make_sim(upload_dir=tmp_path / "up")
    image = jpeg(5000)
    with client(sim) as c:
        c.bind()
        name, code = upload(c, image)
        assert code == 0 and re.fullmatch(r"[0-9a-f]{32}\.jpg", name)
        name2, code2 = upload(c, jpeg(100), method="UploadFileDataReq")
        assert code2 == 0
        c.send_msg(
            "mms",
            MsgType=6,
            Subject="s",
            FileCount=2,
            FileType1="IMG",
            FileName1=name,
            FileType2="IMG",
            FileName2=name2,
        )
        assert c.expect("MsgSendRes")["Result"] == 0
        c.send_msg("ghost", MsgType=6, FileCount=1, FileType1="IMG", FileName1="0" * 32 + ".jpg")
        assert c.expect("MsgSendRes")["Result"] == 16
        c.send_msg("count", MsgType=6, FileCount=2, FileType1="IMG", FileName1=name)
        assert c.expect("MsgSendRes")["Result"] == 909
    assert sim.files[name] == image
    assert (tmp_path / "up" / name).read_bytes() == image


def test_upload_frame_over_2048_bytes_spoils_the_upload(make_sim):
    sim = make_sim()
    with client(sim) as c:
        c.bind()
        # 3000 random bytes: ~4000 Base64 characters (under 4096) but ~3000 bytes compressed.
        name, code = upload(c, jpeg(3000), chunk=3000)
        assert code == 910
        c.send_msg("x", MsgType=6, FileCount=1, FileType1="IMG", FileName1=name)
        assert c.expect("MsgSendRes")["Result"] == 16
    assert sim.files == {}


def test_upload_file_size_mismatch_and_non_jpeg(make_sim):
    sim = make_sim()
    with client(sim) as c:
        c.bind()
        assert upload(c, jpeg(2000), size=1999)[1] == 910
        assert upload(c, b"GIF89a" + os.urandom(100))[1] == 911
        c.send("UploadFileNameReq", {"FileExtension": ".png"})
        assert c.expect("UploadFileNameRes")["Result"] == 911


def test_upload_ack_option_answers_each_data_frame(make_sim):
    sim = make_sim(upload_ack=True)
    with client(sim) as c:
        c.bind()
        c.send("UploadFileNameReq", {"FileExtension": "jpg"})
        name = c.expect("UploadFileNameRes")["FileName"]
        c.send("UploadFileReq", {"Data": base64.b64encode(jpeg(50)).decode()})
        assert c.expect("UploadFileRes") == {"Result": 0}
        c.send("UploadFileFinishReq", {"FileName": name, "FileSize": 50})
        assert c.expect("UploadFileFinishRes") == {"Result": 0}


# connection rules ----------------------------------------------------------------------


def test_idle_connection_is_cut_and_alive_keeps_it(make_sim):
    sim = make_sim(idle_timeout=0.4)
    with client(sim) as idle, client(sim) as alive:
        idle.bind()
        alive.bind()
        for _ in range(4):
            time.sleep(0.2)
            alive.send("AliveReq")
            alive.expect("AliveRes")
        assert idle.closed_within(0.1)
        assert not alive.closed_within(0.1)
    assert sim.stats["idle_cuts"] >= 1


def test_damaged_frame_closes_the_connection(make_sim):
    sim = make_sim()
    with client(sim) as c:
        c.bind()
        # The decoder knows the damage once the next frame header shows where it ends.
        c.send_raw(b"Content-Length:5\r\nhello" + c.frame("AliveReq"))
        with pytest.raises(Closed):
            c.recv()  # no AliveRes: the connection was closed at the damaged frame
    assert sim.stats["protocol_errors"] == 1


def test_a_zlib_bomb_closes_the_connection_at_once(make_sim):
    import zlib

    lines: list[str] = []
    sim = make_sim(log=lines.append)
    text = b'{"Header":{"Method":"MsgSendReq"},"Body":{"List":[' + b"[]," * 10_000_000 + b"[]]}}"
    bomb = zlib.compress(text, 9)
    with client(sim) as c:
        c.bind()
        c.send_raw(b"Content-Length:%d\r\n" % len(bomb) + bomb + c.frame("AliveReq"))
        with pytest.raises(Closed):
            c.recv()
    assert sim.stats["protocol_errors"] == 1
    assert any("body inflates past 4 MiB" in line for line in lines)


def test_frames_of_one_read_are_taken_a_bounded_lot_at_a_time(make_sim):
    import zlib

    sim = make_sim()
    text = b'{"Header":{"Method":"AliveReq"},"Body":{"Pad":"' + b"A" * 50_000 + b'"}}'
    frame = zlib.compress(text, 9)
    with client(sim) as c:
        c.bind()
        c.send_raw((b"Content-Length:%d\r\n" % len(frame) + frame) * 100)  # 5 MB of JSON, 9 KB sent
        assert [c.recv()[0] for _ in range(100)] == ["AliveRes"] * 100
    assert sim.stats.get("protocol_errors", 0) == 0


def test_plain_bind_body_is_a_protocol_error(make_sim):
    sim = make_sim()
    with client(sim) as c:
        c.send_raw(
            encode_frame("BindReq", {"BindId": "test001", "BindPwd": PASSWORD, "Version": 1})
        )
        assert c.closed_within(2)


# encryption mode -------------------------------------------------------------------------


@pytest.mark.parametrize("encrypted_key_res", [False, True])
def test_encrypt_mode_key_exchange_then_every_body_encrypted(make_sim, encrypted_key_res):
    sim = make_sim(encrypt=True, encrypted_key_res=encrypted_key_res, report_delay=0.05)
    with client(sim) as c:
        session_key = c.key_exchange()
        assert len(session_key) == 16
        key_res_wire = c.wire_bodies[-1][1]
        assert isinstance(key_res_wire, str) is encrypted_key_res
        assert c.bind()["Result"] == 0
        c.send_msg("1")
        assert c.expect("MsgSendRes")["Result"] == 0
        report = c.expect("ReportReq")
        c.ack(report)
        assert sim.wait_until(lambda: not sim.pending_reports)
        assert all(isinstance(body, str) for _, body in c.wire_bodies[1:])
    with client(sim) as other:  # each connection gets its own session key
        assert other.key_exchange() != session_key


def test_encrypt_mode_refuses_plain_bodies_and_bind_without_key_exchange(make_sim):
    sim = make_sim(encrypt=True)
    with client(sim) as c:
        c.key_exchange()
        c.bind()
        c.cipher = None
        c.send("MsgSendReq", msg_body("1"))  # in clear: not allowed once encrypted
        assert c.closed_within(2)
    with client(sim) as c:
        assert c.bind()["Result"] == 911  # no PrivateKeyReq first
        assert c.closed_within(2)
    assert sim.accepted == []


def test_private_key_req_without_encrypt_is_refused(make_sim):
    sim = make_sim()
    with client(sim) as c:
        c.send("PrivateKeyReq")
        assert c.expect("PrivateKeyRes")["Result"] == 999


# record file, config --------------------------------------------------------------------


def test_record_file_has_one_line_per_accepted_message(make_sim, tmp_path: Path):
    record = tmp_path / "rec.jsonl"
    sim = make_sim(record=record)
    with client(sim) as c:
        c.bind()
        c.send_msg("1")
        c.send_msg("1")
        c.send_msg("2", UserMsgSubId="a")
        c.collect("MsgSendRes", 3)
        reports = c.collect("ReportReq", 2)
        for r in reports:
            c.ack(r)
        assert sim.wait_until(lambda: not sim.pending_reports)
        c.send("AliveReq")
        c.expect("AliveRes")
    sim.close()
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    accepted = [x for x in lines if x["event"] == "accepted"]
    assert [(x["user_msg_id"], x["user_msg_sub_id"]) for x in accepted] == [("1", ""), ("2", "a")]
    assert accepted[0]["message"] == "SMS 테스트 메시지"
    assert sum(x["event"] == "report_acked" for x in lines) == 2


def test_state_file_keeps_ids_and_unacknowledged_reports_across_restarts(make_sim, tmp_path):
    state = tmp_path / "state.json"
    sim = make_sim(state_file=state, report_delay=0.05)
    with client(sim) as c:
        c.bind()
        c.send_msg("1")
        c.send_msg("2")
        c.send_msg("3")
        c.collect("MsgSendRes", 3)
        reports = c.collect("ReportReq", 3)
        c.ack(reports[0])
        assert sim.wait_until(lambda: len(sim.pending_reports) == 2)
    sim.close()
    again = make_sim(state_file=state)
    with client(again) as c:
        c.bind()
        pushed = c.collect("ReportReq", 2)
        assert sorted(r["UserMsgId"] for r in pushed) == ["2", "3"]
        assert {r["ServerMsgId"] for r in pushed} == {r["ServerMsgId"] for r in reports[1:]}
        c.send_msg("1")
        c.send_msg("4")
        results = c.collect("MsgSendRes", 2)
        assert [r["Result"] for r in results] == [320, 0]
        for r in [*pushed, *c.collect("ReportReq", 1)]:  # with the report for "4"
            c.ack(r)
        assert again.wait_until(lambda: not again.pending_reports)
    assert int(again.accepted[0].server_msg_id) > max(int(r["ServerMsgId"]) for r in reports)
    again.close()
    data = json.loads(state.read_text())
    assert data["reports"] == [] and ["4", "", "01012345678"] in data["accepted"]


def test_unreadable_state_file_is_replaced(make_sim, tmp_path):
    state = tmp_path / "state.json"
    state.write_text("{not json")
    lines: list[str] = []
    sim = make_sim(state_file=state, log=lines.append)
    sim.close()
    assert any("unreadable" in line for line in lines)
    assert json.loads(state.read_text())["version"] == 1


@pytest.mark.parametrize(
    ("overrides", "text"),
    [
        ({"fail_rate": 1.5}, "--fail-rate"),
        ({"begin": 5, "end": 5}, "sending hours"),
        ({"key": "short"}, "--key"),
        ({"iv": "hex:00"}, "--iv"),
        ({"speed": -1}, "--speed"),
    ],
)
def test_bad_config_is_a_usage_error(overrides, text):
    with pytest.raises(UsageError, match=text):
        OneShotSimulator(**overrides)


def test_config_repr_hides_credentials():
    sim = OneShotSimulator(password="hunter2-secret", key="k" * 16)
    assert "hunter2" not in repr(sim.config) and "kkkk" not in repr(sim.config)


def test_port_in_use_raises_from_start_in_thread(make_sim):
    sim = make_sim()
    other = OneShotSimulator(port=sim.address[1])
    with pytest.raises(OSError):
        other.start_in_thread()
