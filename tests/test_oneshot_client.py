"""OneShotVendor against the OneShot simulator over real loopback sockets."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from smscli.errors import AuthError, ConfigError, UnreachableError, VendorError
from smscli.models import Message, Report, SendResult
from smscli.sim.oneshot import OneShotSimulator
from smscli.vendors.base import OutsideHours
from smscli.vendors.oneshot import OneShotVendor
from smscli.vendors.oneshot_settings import load_settings, window_wait

pytestmark = pytest.mark.timeout(60)

PASSWORD = "test001#$$%"


class Profile:
    """A stand-in for smscli.config.Profile (same interface) holding plain values."""

    def __init__(self, data_dir: Path, **values: Any) -> None:
        self.name = "test"
        self.vendor = "oneshot"
        self.data_dir = data_dir
        self._values = values

    def get(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)

    def require(self, key: str) -> Any:
        if key not in self._values:
            raise ConfigError(f"profile '{self.name}' has no '{key}'")
        return self._values[key]

    def secret(self, key: str = "password") -> str:
        if key not in self._values:
            raise ConfigError(f"profile '{self.name}' has no {key}")
        return str(self._values[key])


class Events:
    """Records what the vendor hands to the journal besides results."""

    def __init__(self) -> None:
        self.suppressions: list[tuple[str, str, str]] = []
        self.phone_changes: list[tuple[str, str, str]] = []

    def add_suppression(self, phone: str, deny_no: str = "", source: str = "") -> None:
        self.suppressions.append((phone, deny_no, source))

    def add_phone_change(self, phone: str, new_phone: str, server_msg_id: str = "") -> None:
        self.phone_changes.append((phone, new_phone, server_msg_id))

    def token_get(self, key: str) -> tuple[str, float] | None:
        return None

    def token_put(self, key: str, token: str, expires_at: float) -> None:
        pass


SimFactory = Callable[..., OneShotSimulator]


@pytest.fixture
def make_sim() -> Iterator[SimFactory]:
    started: list[OneShotSimulator] = []

    def make(**overrides: Any) -> OneShotSimulator:
        overrides.setdefault("report_delay", 0.05)
        overrides.setdefault("speed", 1000)
        sim = OneShotSimulator(**overrides)
        sim.start_in_thread()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


def vendor_for(
    sim: OneShotSimulator, data_dir: Path, **values: Any
) -> tuple[OneShotVendor, Events]:
    host, port = sim.address
    settings: dict[str, Any] = {
        "host": host,
        "port": port,
        "bind_id": "test001",
        "password": PASSWORD,
        "aes_key": "0123456789abcdef",
        "aes_iv": "fedcba9876543210",
        "sender": "15666639",
        "response_timeout": 2.0,
        "connect_timeout": 2.0,
        "reconnect_backoff": 0.05,
        "login_retry_wait": 30,
        "poll_silence": 0.5,
    }
    settings.update(values)
    events = Events()
    return OneShotVendor(Profile(data_dir, **settings), events), events


def sms(n: int | str, to: str = "01012345678", text: str = "안녕하세요 테스트 😀") -> Message:
    return Message(id=f"m{n}", to=to, text=text, sender="")


def send(vendor: OneShotVendor, messages: Any, **kw: Any) -> list[SendResult]:
    results: list[SendResult] = []
    vendor.send(messages, results.append, **kw)
    return results


def by_id(results: list[SendResult]) -> dict[str, SendResult]:
    return {r.message_id: r for r in results}


# sending -------------------------------------------------------------------------------


def test_batch_is_accepted_with_the_documents_fields(make_sim, data_dir) -> None:
    sim = make_sim()
    vendor, _ = vendor_for(sim, data_dir)
    messages = [sms(i, to=f"0101234{i:04d}") for i in range(25)]
    results = send(vendor, messages)
    assert [r.message_id for r in sorted(results, key=lambda r: int(r.message_id[1:]))] == [
        m.id for m in messages
    ]
    assert {r.status for r in results} == {"accepted"}
    assert all(r.code == "0" and r.vendor == "oneshot" and r.type == "sms" for r in results)
    accepted = sim.accepted
    assert len(accepted) == 25
    body = accepted[0].body
    assert list(body)[:8] == [
        "UserMsgId",
        "UserMsgSubId",
        "MsgType",
        "PhoneNo",
        "CallbackNo",
        "TranId",
        "Subject",
        "Message",
    ]
    assert body["MsgType"] == 4 and body["CallbackNo"] == "15666639"
    assert body["Message"] == "안녕하세요 테스트 😀" and body["FileCount"] == 0
    assert sim.stats.get("result_903", 0) == 0


def test_messages_are_pulled_lazily_and_pipelined(make_sim, data_dir) -> None:
    sim = make_sim(silent_ids=frozenset({"m0"}))
    vendor, _ = vendor_for(sim, data_dir, response_timeout=1.0)
    pulled: list[str] = []

    def source() -> Iterator[Message]:
        for i in range(6):
            pulled.append(f"m{i}")
            yield sms(i, to=f"0109999000{i}")

    start = time.monotonic()
    results = send(vendor, source())
    # m0 is never answered; the others did not wait for it (no stop-and-wait).
    assert [r.message_id for r in results][:5] == ["m1", "m2", "m3", "m4", "m5"]
    assert results[-1].message_id == "m0" and results[-1].status == "unknown"
    assert "no answer" in results[-1].detail
    assert time.monotonic() - start < 3.0
    assert pulled == [f"m{i}" for i in range(6)]


def test_window_caps_what_is_in_flight(make_sim, data_dir) -> None:
    sim = make_sim(silent_ids=frozenset({f"m{i}" for i in range(3)}))
    vendor, _ = vendor_for(sim, data_dir, window=3, response_timeout=0.5)
    results = send(vendor, [sms(i, to=f"0109999000{i}") for i in range(5)])
    statuses = by_id(results)
    # The 3 silent ones fill the window; the connection is re-opened and they are
    # sent again (320: the server already had them), then the rest goes through.
    assert {statuses[f"m{i}"].status for i in range(3)} == {"duplicate"}
    assert {statuses[f"m{i}"].status for i in (3, 4)} == {"accepted"}
    assert sim.stats["connections"] == 2
    assert len(sim.accepted) == 5


def most_in_one_second(times: list[float]) -> int:
    """The most of ``times`` that any sliding one-second window [t, t + 1) holds."""
    times = sorted(times)
    return max(sum(1 for u in times[i:] if u < t + 1.0) for i, t in enumerate(times))


def test_no_burst_at_the_announced_speed(make_sim, data_dir) -> None:
    # The sim enforces Speed as a sliding one-second window over the arrival times it
    # sees. Paced at 98% of Speed, Speed + 1 sends span >= 1.01 s; at 101% they span
    # 0.99 s, so every stream of more than Speed + 1 sends puts Speed + 1 in a window.
    speed = 20
    sim = make_sim(speed=speed)
    vendor, _ = vendor_for(sim, data_dir)
    results = send(vendor, [sms(i, to=f"010555500{i:02d}") for i in range(40)])
    assert {r.status for r in results} == {"accepted"}
    assert len(sim.accepted) == 40
    assert most_in_one_second([m.accepted_at for m in sim.accepted]) <= speed
    assert sim.stats.get("result_903", 0) == 0


def test_too_fast_answers_slow_down_and_resend(make_sim, data_dir) -> None:
    sim = make_sim(speed=1000, enforce_speed=8)  # the server announces more than it allows
    vendor, _ = vendor_for(sim, data_dir)
    results = send(vendor, [sms(i, to=f"010777700{i:02d}") for i in range(12)])
    assert {r.status for r in results} == {"accepted"}
    assert sim.stats.get("result_903", 0) > 0
    assert len(sim.accepted) == 12


def test_duplicate_id_is_reported_as_duplicate(make_sim, data_dir) -> None:
    sim = make_sim()
    vendor, _ = vendor_for(sim, data_dir)
    assert send(vendor, [sms(1)])[0].status == "accepted"
    again = send(vendor, [sms(1), sms(2)])
    assert [
        (r.message_id, r.status, r.code) for r in sorted(again, key=lambda r: r.message_id)
    ] == [
        ("m1", "duplicate", "320"),
        ("m2", "accepted", "0"),
    ]
    assert len(sim.accepted) == 2


def test_rejections_carry_code_and_meaning(make_sim, data_dir) -> None:
    sim = make_sim(reject_rate=1.0, reject_codes=(33,))
    vendor, _ = vendor_for(sim, data_dir)
    (result,) = send(vendor, [sms(1)])
    assert result.status == "rejected" and result.code == "33"


def test_empty_batch_does_not_connect(make_sim, data_dir) -> None:
    sim = make_sim()
    vendor, _ = vendor_for(sim, data_dir)
    assert send(vendor, []) == []
    assert sim.stats.get("connections", 0) == 0


# connection trouble --------------------------------------------------------------------


def test_dropped_connection_is_reopened_and_nothing_is_doubled(make_sim, data_dir) -> None:
    sim = make_sim(drop_after=4)  # closes on the 4th MsgSendReq (accepted, unanswered)
    vendor, _ = vendor_for(sim, data_dir)
    results = send(vendor, [sms(i, to=f"010888800{i:02d}") for i in range(10)])
    statuses = [r.status for r in results]
    assert len(results) == 10 and len(by_id(results)) == 10
    assert statuses.count("duplicate") == 1  # the one the server had when it hung up
    assert statuses.count("accepted") == 9
    assert sim.stats["connections"] == 2
    assert len(sim.accepted) == 10


def test_server_gone_for_good(make_sim, data_dir) -> None:
    sim = make_sim(silent_ids=frozenset({"m1"}))
    vendor, _ = vendor_for(sim, data_dir, reconnect_attempts=2, response_timeout=5)
    results: list[SendResult] = []

    def on_result(result: SendResult) -> None:
        results.append(result)
        if result.message_id == "m0":
            sim.close()  # the server goes away with m1 unanswered

    with pytest.raises(UnreachableError) as info:
        vendor.send([sms(0), sms(1, to="01099990000")], on_result)
    assert "could not reconnect after 2 attempts" in str(info.value)
    assert info.value.exit_status == 4
    assert by_id(results)["m0"].status == "accepted"
    assert by_id(results)["m1"].status == "unknown"


def test_unreachable_port(data_dir) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    profile = Profile(
        data_dir,
        host="127.0.0.1",
        port=port,
        bind_id="a",
        password="b",
        aes_key="0123456789abcdef",
        aes_iv="fedcba9876543210",
        connect_timeout=1,
    )
    with pytest.raises(UnreachableError, match=f"cannot connect to 127.0.0.1:{port}"):
        OneShotVendor(profile, Events()).send([sms(1)], lambda r: None)


def test_server_that_never_answers_the_login(data_dir) -> None:
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        port = server.getsockname()[1]
        profile = Profile(
            data_dir,
            host="127.0.0.1",
            port=port,
            bind_id="a",
            password="b",
            aes_key="0123456789abcdef",
            aes_iv="fedcba9876543210",
            response_timeout=0.3,
        )
        with pytest.raises(UnreachableError, match="sent no BindRes within 0.3 s") as info:
            OneShotVendor(profile, Events()).send([sms(1)], lambda r: None)
        assert info.value.exit_status == 4
    finally:
        server.close()


# login -------------------------------------------------------------------------------


def test_refused_login_is_one_clear_auth_error_and_is_remembered(make_sim, data_dir) -> None:
    sim = make_sim()
    vendor, _ = vendor_for(sim, data_dir, password="wrong")
    with pytest.raises(AuthError) as info:
        send(vendor, [sms(1)])
    message = str(info.value)
    assert "refused the login for 'test001'" in message and "code 5" in message
    assert "check the password of profile 'test'" in message
    assert "wrong" not in message.replace("wrong password", "")
    assert info.value.exit_status == 3
    assert sim.stats["connections"] == 1
    # The next process does not even connect within login_retry_wait.
    vendor2, _ = vendor_for(sim, data_dir)
    with pytest.raises(AuthError) as info:
        send(vendor2, [sms(1)])
    assert info.value.exit_status == 3
    assert re.fullmatch(
        r"not logging in yet: OneShot refused the last login \d+ s ago \(code 5: .+\) and wants 30 s"
        r" between attempts; try again in (30|29|28) s",
        str(info.value),
    ), str(info.value)
    assert sim.stats["connections"] == 1
    # Nothing to send (an empty batch, or every row invalid upstream): no login, no lockout.
    assert send(vendor2, []) == []
    assert sim.stats["connections"] == 1
    pulled: list[int] = []

    def counted() -> Iterator[Message]:
        pulled.append(1)
        yield from ()

    assert send(vendor2, counted()) == [] and pulled == [1]
    stored = json.loads((data_dir / "oneshot-login-refusals.json").read_text())
    assert list(stored.values())[0]["code"] == 5
    # Once the wait is over, a good login works and clears the record.
    vendor3, _ = vendor_for(sim, data_dir, login_retry_wait=0)
    assert send(vendor3, [sms(1)])[0].status == "accepted"
    assert json.loads((data_dir / "oneshot-login-refusals.json").read_text()) == {}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"bind_id": "nobody"}, r"code 4.*check bind_id in profile 'test'"),
        (
            {"aes_key": "x" * 16},
            r"could not be read \(body does not decrypt.*check aes_key and aes_iv",
        ),
    ],
)
def test_login_codes(make_sim, data_dir, values: dict, expected: str) -> None:
    sim = make_sim()
    vendor, _ = vendor_for(sim, data_dir, **values)
    with pytest.raises(AuthError, match=expected) as info:
        send(vendor, [sms(1)])
    assert info.value.exit_status == 3


def test_bad_key_material_is_a_config_error(make_sim, data_dir) -> None:
    sim = make_sim()
    vendor, _ = vendor_for(sim, data_dir, aes_iv="short")
    with pytest.raises(ConfigError, match="aes_iv") as info:
        send(vendor, [sms(1)])
    assert info.value.exit_status == 3
    vendor, _ = vendor_for(sim, data_dir)
    del vendor.profile._values["aes_key"]
    with pytest.raises(ConfigError, match="aes_key"):
        send(vendor, [sms(1)])
    assert sim.stats.get("connections", 0) == 0


def test_settings_repr_hides_secrets(data_dir) -> None:
    profile = Profile(
        data_dir,
        host="h",
        port="9000",
        bind_id="a",
        password="pw-secret-1",
        aes_key="k" * 16,
        aes_iv="v" * 16,
        window="4",
        encrypt="true",
    )
    settings = load_settings(profile)
    assert settings.port == 9000 and settings.window == 4 and settings.encrypt is True
    assert "pw-secret-1" not in repr(settings) and "kkkk" not in repr(settings)
    profile._values["window"] = "many"
    with pytest.raises(ConfigError, match="window must be a number"):
        load_settings(profile)


# encryption --------------------------------------------------------------------------


@pytest.mark.parametrize("encrypted_key_res", [False, True])
def test_encrypted_session(make_sim, data_dir, encrypted_key_res: bool) -> None:
    sim = make_sim(encrypt=True, encrypted_key_res=encrypted_key_res)
    vendor, _ = vendor_for(sim, data_dir, encrypt=True)
    reports: list[Report] = []
    results = send(
        vendor, [sms(i, to=f"0104444000{i}") for i in range(3)], on_reports=reports.extend, wait=3
    )
    assert {r.status for r in results} == {"accepted"}
    assert sorted(r.message_id for r in reports) == ["m0", "m1", "m2"]
    assert sim.stats["key_exchanges"] == 1 and sim.stats.get("protocol_errors", 0) == 0


# hours -------------------------------------------------------------------------------


def test_outside_hours_without_waiting_fails_clearly(make_sim, data_dir, clock_at) -> None:
    from datetime import datetime

    clock_at(datetime(2026, 11, 23, 10, 0))  # the server opens at 12
    sim = make_sim(begin=12, end=13)
    vendor, _ = vendor_for(sim, data_dir, wait_window=False)
    results: list[SendResult] = []
    with pytest.raises(OutsideHours, match="only between 12–13 h Korea time") as info:
        vendor.send([sms(1), sms(2)], results.append)
    assert info.value.exit_status == 4 and not info.value.hold
    assert "--wait-window waits" in str(info.value)
    assert [m.id for m in info.value.unsent] == ["m1"] and results == []  # m2 never taken
    assert sim.accepted == []


def test_outside_hours_by_default_gives_the_messages_back_to_be_held(make_sim, data_dir, clock_at) -> None:
    from datetime import datetime

    clock_at(datetime(2026, 11, 23, 3, 0))  # the server opens at 8
    begin, end = 8, 21
    sim = make_sim(begin=begin, end=end)
    vendor, _ = vendor_for(sim, data_dir)
    with pytest.raises(OutsideHours) as info:
        vendor.send([sms(1), sms(2)], lambda r: pytest.fail(f"no result expected: {r}"))
    assert info.value.hold and [m.id for m in info.value.unsent] == ["m1"]
    assert info.value.opens_at.hour == begin and info.value.opens_at.minute == 0
    assert sim.accepted == []


def test_901_answer_without_waiting(make_sim, data_dir, clock_at) -> None:
    # The server's clock is 12 hours off ours: we think it is open, it answers 901.
    from datetime import datetime

    from smscli import clock

    clock_at(datetime(2026, 11, 23, 10, 0))
    sim = make_sim(begin=10, end=11, clock=lambda: clock.time() + 12 * 3600)
    vendor, _ = vendor_for(sim, data_dir, wait_window=False)
    results: list[SendResult] = []
    with pytest.raises(OutsideHours, match="only between") as info:
        vendor.send([sms(1), sms(2), sms(3)], results.append)
    assert results == [] and sorted(m.id for m in info.value.unsent) == ["m1", "m2", "m3"]
    assert sim.accepted == []


def test_window_wait_arithmetic() -> None:
    from datetime import datetime, timedelta, timezone

    from smscli.protocol.oneshot.messages import BindRes

    kst = timezone(timedelta(hours=9))
    at = datetime(2026, 11, 22, 21, 30, tzinfo=kst).timestamp()
    assert window_wait(BindRes(begin_time=0, end_time=24), at) == 0
    assert window_wait(BindRes(begin_time=8, end_time=22), at) == 0
    assert window_wait(BindRes(begin_time=8, end_time=20), at) == pytest.approx(10.5 * 3600)
    assert window_wait(BindRes(begin_time=22, end_time=6), at) == pytest.approx(1800)
    assert window_wait(BindRes(begin_time=20, end_time=2), at) == 0
    assert window_wait(None, at) == 0


# reports and pushes ------------------------------------------------------------------


def test_reports_are_stored_before_they_are_acknowledged(make_sim, data_dir) -> None:
    sim = make_sim()
    vendor, _ = vendor_for(sim, data_dir)
    stored: list[Report] = []

    def on_reports(reports: list[Report]) -> None:
        acked = {body["ServerMsgId"] for method, body in sim.acks if method == "ReportRes"}
        assert not acked & {r.extra["server_msg_id"] for r in reports}
        stored.extend(reports)

    results = send(
        vendor, [sms(i, to=f"0102222000{i}") for i in range(4)], on_reports=on_reports, wait=3
    )
    assert {r.status for r in results} == {"accepted"}
    assert sorted(r.message_id for r in stored) == ["m0", "m1", "m2", "m3"]
    report = stored[0]
    assert report.status == "delivered" and report.code == "0" and report.vendor == "oneshot"
    assert report.extra["telecom"] in ("SKT", "KTF", "LGT")
    assert sim.wait_until(lambda: len([a for a in sim.acks if a[0] == "ReportRes"]) == 4)
    assert sim.pending_reports == []


def test_reports_not_stored_are_not_acknowledged(make_sim, data_dir) -> None:
    sim = make_sim()
    vendor, _ = vendor_for(sim, data_dir)

    def broken_store(reports: list[Report]) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        send(vendor, [sms(1)], on_reports=broken_store, wait=3)
    assert len(sim.pending_reports) == 1
    assert not [a for a in sim.acks if a[0] == "ReportRes"]


def test_poll_collects_reports_left_unacknowledged(make_sim, data_dir) -> None:
    sim = make_sim(fail_rate=0.5)
    vendor, _ = vendor_for(sim, data_dir)
    send(vendor, [sms(i, to=f"0103333000{i}") for i in range(6)])  # no on_reports: nothing acked
    assert sim.wait_until(lambda: len(sim.pending_reports) == 6)
    peeked: list[Report] = []
    vendor.poll(peeked.extend, timeout=5, confirm=False)
    assert sorted(r.message_id for r in peeked) == [f"m{i}" for i in range(6)]
    assert len(sim.pending_reports) == 6  # not confirmed: the server keeps them
    got: list[Report] = []
    start = time.monotonic()
    vendor.poll(got.extend, timeout=5)
    assert time.monotonic() - start < 4  # stops after poll_silence, not at the timeout
    assert sorted(r.message_id for r in got) == [f"m{i}" for i in range(6)]
    assert {r.status for r in got} <= {"delivered", "failed"}
    failed = [r for r in got if r.status == "failed"]
    assert failed and all(r.code in ("7", "8", "15") and not r.delivered_at for r in failed)
    assert sim.pending_reports == []
    again: list[Report] = []
    vendor.poll(again.extend, timeout=1)
    assert again == []


def test_spam_and_number_changes_go_to_the_journal_then_are_acknowledged(
    make_sim, data_dir
) -> None:
    sim = make_sim(
        spam=(("01011112222", "0800000000"),), change_phone=(("0111234564", "01012345678"),)
    )
    vendor, events = vendor_for(sim, data_dir)
    vendor.poll(lambda reports: None, timeout=2)
    assert events.suppressions == [("01011112222", "0800000000", "oneshot")]
    assert [(old, new) for old, new, _ in events.phone_changes] == [("0111234564", "01012345678")]
    methods = [method for method, _ in sim.acks]
    assert "SpamRes" in methods and "ChangePhoneRes" in methods


def test_idle_connection_is_kept_alive(make_sim, data_dir) -> None:
    sim = make_sim(idle_timeout=1.0)
    vendor, _ = vendor_for(sim, data_dir, alive_interval=0.2, poll_silence=10)
    vendor.poll(lambda reports: None, timeout=2.0)
    assert sim.stats.get("alives", 0) >= 4
    assert sim.stats.get("idle_cuts", 0) == 0


# uploads -----------------------------------------------------------------------------


def jpeg(tmp_path: Path, size: int, name: str = "a.jpg") -> Path:
    path = tmp_path / name
    path.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(size - 6) + b"\xff\xd9")
    return path


@pytest.mark.parametrize("encrypt", [False, True])
def test_upload_keeps_frames_small(make_sim, data_dir, tmp_path, encrypt: bool) -> None:
    sim = make_sim(encrypt=encrypt, upload_ack=True)
    vendor, _ = vendor_for(sim, data_dir, encrypt=encrypt)
    paths = [jpeg(tmp_path, 50_000, "a.jpg"), jpeg(tmp_path, 1_000, "b.jpg")]
    names = vendor.upload(paths)
    assert len(names) == 2 and all(n.endswith(".jpg") for n in names)
    files = sim.files
    assert files[names[0]] == paths[0].read_bytes() and files[names[1]] == paths[1].read_bytes()


def test_upload_refused(make_sim, data_dir, tmp_path) -> None:
    sim = make_sim()
    vendor, _ = vendor_for(sim, data_dir)
    bad = tmp_path / "x.jpg"
    bad.write_bytes(b"not a jpeg")
    with pytest.raises(VendorError, match="refused the upload of x.jpg"):
        vendor.upload([bad])


def test_mms_uploads_its_images_then_sends(make_sim, data_dir, tmp_path) -> None:
    sim = make_sim()
    vendor, _ = vendor_for(sim, data_dir)
    image = jpeg(tmp_path, 20_000)
    message = Message(
        id="mms1",
        to="01012345678",
        text="사진",
        sender="0212345678",
        type="mms",
        subject="제목",
        images=(str(image),),
    )
    (result,) = send(vendor, [message])
    assert result.status == "accepted" and result.type == "mms"
    (accepted,) = sim.accepted
    body = accepted.body
    assert body["MsgType"] == 6 and body["FileCount"] == 1 and body["FileType1"] == "IMG"
    assert body["Subject"] == "제목" and body["CallbackNo"] == "0212345678"
    assert sim.files[body["FileName1"]] == image.read_bytes()
    keyed = Message(
        id="mms2",
        to="01012345678",
        text="again",
        sender="",
        type="mms",
        file_keys=(body["FileName1"],),
    )
    assert send(vendor, [keyed])[0].status == "accepted"


def test_calls_from_threads_each_run_their_own_loop(make_sim, data_dir) -> None:
    sim = make_sim()
    vendor, _ = vendor_for(sim, data_dir)
    out: list[list[SendResult]] = []
    threads = [
        threading.Thread(target=lambda i=i: out.append(send(vendor, [sms(f"t{i}")])))
        for i in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(r[0].message_id for r in out) == ["mt0", "mt1", "mt2"]


def test_confirm_acknowledges_only_the_listed_reports(make_sim, data_dir) -> None:
    sim = make_sim()
    vendor, _ = vendor_for(sim, data_dir)
    send(vendor, [sms(i, to=f"0106666000{i}") for i in range(3)])
    assert sim.wait_until(lambda: len(sim.pending_reports) == 3)
    polled: list[Report] = []
    vendor.poll(polled.extend, timeout=3, confirm=False)
    server_id = next(r.extra["server_msg_id"] for r in polled if r.message_id == "m1")
    vendor.confirm([server_id, "m2"])  # a server id, or our message id
    assert sorted(r["UserMsgId"] for r in sim.pending_reports) == ["m0"]


def test_with_the_real_profile_and_journal(make_sim, isolated_env, monkeypatch) -> None:
    """The vendor as the CLI runs it: a config-file profile (password from the
    environment) and the SQLite journal storing reports, opt-outs and number changes."""
    from smscli.config import load_profile
    from smscli.journal import Journal

    sim = make_sim(
        spam=(("01011112222", "0800000000"),), change_phone=(("0111234564", "01012345678"),)
    )
    host, port = sim.address
    config = isolated_env / "config.toml"
    config.write_text(
        f'default_profile = "prod"\n[profiles.prod]\nvendor = "oneshot"\nhost = "{host}"\nport = {port}\n'
        'bind_id = "test001"\npassword_env = "ONESHOT_PW"\naes_key = "0123456789abcdef"\n'
        'aes_iv = "hex:66656463626139383736353433323130"\nsender = "15666639"\nresponse_timeout = 3\n',
        encoding="utf-8",
    )
    config.chmod(0o600)
    monkeypatch.setenv("ONESHOT_PW", PASSWORD)
    profile = load_profile()
    journal = Journal.open(profile.data_dir)
    try:
        messages = [sms(i, to=f"0107777000{i}") for i in range(3)]
        journal.claim(messages, "oneshot", profile.name)
        results: list[SendResult] = []
        OneShotVendor(profile, journal).send(
            messages, results.append, on_reports=journal.add_reports, wait=3
        )
        journal.record(results)
        assert {r.status for r in results} == {"accepted"}
        assert {journal.get(m.id)["status"] for m in messages} == {"delivered"}
        assert journal.is_suppressed("01011112222")
        assert journal.phone_change("0111234564") == "01012345678"
    finally:
        journal.close()


def test_lms_goes_as_type_6_with_subject_and_the_session_ends_with_unbind(
    make_sim, data_dir
) -> None:
    lines: list[str] = []
    sim = make_sim(log=lines.append)
    vendor, _ = vendor_for(sim, data_dir)
    message = Message(
        id="l1", to="01012345678", text="긴 글 " * 50, sender="", type="lms", subject="공지"
    )
    (result,) = send(vendor, [message])
    assert result.status == "accepted" and result.type == "lms"
    body = sim.accepted[0].body
    assert body["MsgType"] == 6 and body["Subject"] == "공지" and body["FileCount"] == 0
    assert sim.wait_until(lambda: any("UnBindReq" in line for line in lines))


def test_connect_timeout_is_unreachable(make_sim, data_dir) -> None:
    sim = make_sim()
    vendor, _ = vendor_for(sim, data_dir, connect_timeout=0)
    with pytest.raises(
        UnreachableError, match=r"no answer from 127\.0\.0\.1:\d+ within 0 s"
    ) as info:
        send(vendor, [sms(1)])
    assert info.value.exit_status == 4


@pytest.mark.parametrize("wait", [0.0, 5.0])
def test_a_send_keeps_no_ids_once_answered_unless_it_waits(make_sim, data_dir, wait) -> None:
    """Without --wait nothing is kept per message once its answer is handed on, so a
    million-message send stays flat in memory; --wait needs the accepted ids."""
    import gc

    from smscli.vendors.oneshot_batch import Batch

    sim = make_sim(report_delay=0.0)
    vendor, _ = vendor_for(sim, data_dir, window=4)
    seen: list[tuple[int, int]] = []
    found: list[Any] = []

    def on_result(result: SendResult) -> None:
        if not found:  # this send's batch (earlier tests' may not be collected yet)
            found.extend(o for o in gc.get_objects()
                         if isinstance(o, Batch) and o.on_result is on_result)
        batch = found[0]
        seen.append((len(batch.accepted), len(batch.inflight)))

    vendor.send([sms(i, to=f"0101234{i:04d}") for i in range(30)], on_result,
                on_reports=lambda reports: None, wait=wait)
    assert len(seen) == 30
    if wait:
        assert seen[-1][0] == 30
    else:
        assert {a for a, _ in seen} == {0}
    assert max(n for _, n in seen) <= 4
