"""The sans-I/O client session, driven by a scripted server built from the codec."""

from __future__ import annotations

from typing import Any

import pytest

from smscli.protocol.oneshot import (
    BodyCipher,
    FrameDecoder,
    encode_frame,
    parse_iv,
    parse_key_material,
)
from smscli.protocol.oneshot import messages as m
from smscli.protocol.oneshot.connection import (
    NEED_DATA,
    Answered,
    BadFrame,
    Connection,
    ConnectionClosed,
    LocalProtocolError,
    State,
)
from smscli.protocol.oneshot.errors import OneShotError

KEY = parse_key_material("0123456789abcdef")
IV = parse_iv("fedcba9876543210")
CONFIGURED = BodyCipher(KEY, IV)
SESSION_KEY = "sessionkey-0001!"
SESSION = BodyCipher(parse_key_material(SESSION_KEY), IV)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def sent(data: bytes) -> tuple[str, Any]:
    """What the server sees: (method, raw body)."""
    (frame,) = FrameDecoder().feed(data)
    return frame.method, frame.body


def events(conn: Connection) -> list[Any]:
    out = []
    while (event := conn.next_event()) is not NEED_DATA:
        out.append(event)
    return out


def bind_res(result: int = 0, cipher: BodyCipher = CONFIGURED, speed: int = 100) -> bytes:
    body = {
        "Result": result,
        "BindId": "test001",
        "Speed": speed,
        "BeginTime": 0,
        "EndTime": 24,
        "EffectiveTime": 3,
    }
    return encode_frame("BindRes", cipher.encrypt(body))


def bound(**kw: Any) -> Connection:
    conn = Connection(key=KEY, iv=IV, **kw)
    conn.send(m.BindReq("test001", "pw"))
    conn.receive_data(bind_res())
    assert isinstance(conn.next_event(), m.BindRes)
    assert conn.state is State.BOUND
    return conn


def req(n: int, phone: str = "01012345678") -> m.MsgSendReq:
    return m.MsgSendReq(
        user_msg_id=str(n), phone_no=phone, callback_no="15666639", message="안녕 👋"
    )


def res(request: m.MsgSendReq, result: int = 0, **kw: Any) -> dict:
    body = {
        "UserMsgId": request.user_msg_id,
        "UserMsgSubId": request.user_msg_sub_id,
        "PhoneNo": request.phone_no,
        "MsgType": request.msg_type,
        "Result": result,
        "UserData": "",
    }
    body.update(kw)
    return body


def test_plain_session_encrypts_only_bind_and_unbind() -> None:
    conn = Connection(key=KEY, iv=IV)
    assert conn.state is State.CONNECTED
    method, body = sent(conn.send(m.BindReq("test001", "test001#$$%")))
    assert method == "BindReq" and isinstance(body, str)
    assert CONFIGURED.decrypt(body) == {"BindId": "test001", "BindPwd": "test001#$$%", "Version": 1}
    assert conn.state is State.BIND_WAIT
    conn.receive_data(bind_res(speed=7))
    (event,) = events(conn)
    assert isinstance(event, m.BindRes) and event.speed == 7 and event.end_time == 24
    assert conn.state is State.BOUND and conn.bind_result == event
    method, body = sent(conn.send(req(1)))
    assert method == "MsgSendReq" and body["Message"] == "안녕 👋" and body["UserMsgId"] == "1"
    assert sent(conn.send(m.AliveReq())) == ("AliveReq", None)
    method, body = sent(conn.send(m.UnBindReq("test001")))
    assert CONFIGURED.decrypt(body) == {"BindId": "test001"}
    assert conn.state is State.UNBINDING
    conn.receive_data(encode_frame("UnBindRes", CONFIGURED.encrypt({"Result": 0})))
    assert events(conn) == [m.UnBindRes(result=0)]
    assert conn.state is State.CLOSED
    with pytest.raises(LocalProtocolError, match="closed"):
        conn.send(req(2))


@pytest.mark.parametrize("encrypted_key_reply", [False, True])
def test_encrypted_session_uses_the_session_key_both_ways(encrypted_key_reply: bool) -> None:
    conn = Connection(key=KEY, iv=IV, encrypt=True)
    with pytest.raises(LocalProtocolError, match="session key"):
        conn.send(m.BindReq("a", "b"))
    assert sent(conn.send(m.PrivateKeyReq())) == ("PrivateKeyReq", None)
    assert conn.state is State.KEY_WAIT
    key_body = {"Result": 0, "PrivateKey": SESSION_KEY}
    conn.receive_data(
        encode_frame(
            "PrivateKeyRes", CONFIGURED.encrypt(key_body) if encrypted_key_reply else key_body
        )
    )
    (event,) = events(conn)
    assert isinstance(event, m.PrivateKeyRes) and conn.state is State.CONNECTED
    method, body = sent(conn.send(m.BindReq("test001", "pw")))
    assert SESSION.decrypt(body)["BindPwd"] == "pw"
    with pytest.raises(OneShotError, match="wrong key or IV"):  # not the configured key any more
        CONFIGURED.decrypt(body)
    conn.receive_data(bind_res(cipher=SESSION))
    assert isinstance(events(conn)[0], m.BindRes) and conn.state is State.BOUND
    request = req(1)
    method, body = sent(conn.send(request))
    assert isinstance(body, str) and SESSION.decrypt(body) == request.to_body()
    assert sent(conn.send(m.AliveReq())) == ("AliveReq", None)  # no body stays no body
    conn.receive_data(encode_frame("MsgSendRes", SESSION.encrypt(res(request))))
    (answer,) = events(conn)
    assert answer == Answered(
        request, m.MsgSendRes(user_msg_id="1", phone_no=request.phone_no, msg_type=4, result=0)
    )
    report = {"UserMsgId": "1", "ServerMsgId": "9", "Result": 0}
    conn.receive_data(encode_frame("ReportReq", SESSION.encrypt(report)))
    (event,) = events(conn)
    method, body = sent(conn.send(event.answer()))
    assert method == "ReportRes" and SESSION.decrypt(body)["ServerMsgId"] == "9"


def test_refused_key_or_bind() -> None:
    conn = Connection(key=KEY, iv=IV, encrypt=True)
    conn.send(m.PrivateKeyReq())
    conn.receive_data(encode_frame("PrivateKeyRes", {"Result": 1}))
    assert events(conn)[0].result == 1 and conn.state is State.REFUSED
    conn = Connection(key=KEY, iv=IV)
    conn.send(m.BindReq("test001", "wrong"))
    conn.receive_data(bind_res(result=5))
    (event,) = events(conn)
    assert event.result == 5 and conn.state is State.REFUSED
    with pytest.raises(LocalProtocolError):
        conn.send(req(1))


def test_sending_out_of_order_is_a_local_error() -> None:
    conn = Connection(key=KEY, iv=IV)
    with pytest.raises(LocalProtocolError, match="not bound"):
        conn.send(req(1))
    with pytest.raises(LocalProtocolError, match="PrivateKeyReq"):
        conn.send(m.PrivateKeyReq())
    conn.send(m.AliveReq())  # allowed any time
    conn.send(m.BindReq("a", "b"))
    with pytest.raises(LocalProtocolError, match="cannot bind"):
        conn.send(m.BindReq("a", "b"))


def test_window_and_matching() -> None:
    conn = bound(window=3)
    reqs = [req(i) for i in range(3)]
    for r in reqs:
        assert conn.can_send_message
        conn.send(r)
    assert not conn.can_send_message
    with pytest.raises(LocalProtocolError, match="window full"):
        conn.send(req(9))
    with pytest.raises(LocalProtocolError, match="already outstanding"):
        conn._check_can_send(reqs[0])
    # Answers in another order, one with the number rewritten by the server.
    conn.receive_data(encode_frame("MsgSendRes", res(reqs[2], 320)))
    conn.receive_data(encode_frame("MsgSendRes", res(reqs[0], 0, PhoneNo="+821012345678")))
    conn.receive_data(encode_frame("MsgSendRes", res(req(77), 0)))
    answers = events(conn)
    assert [a.request for a in answers] == [reqs[2], reqs[0], None]
    assert answers[0].response.result == 320
    assert list(conn.outstanding) == [reqs[1].key]
    assert conn.can_send_message


def test_same_id_different_phones_are_separate() -> None:
    conn = bound()
    a, b = req(1, "01011112222"), req(1, "01033334444")
    conn.send(a)
    conn.send(b)
    conn.receive_data(encode_frame("MsgSendRes", res(b)) + encode_frame("MsgSendRes", res(a)))
    assert [e.request for e in events(conn)] == [b, a]
    conn.send(a)
    conn.send(b)
    # Ambiguous rewritten number: not matched rather than matched wrongly.
    conn.receive_data(encode_frame("MsgSendRes", res(a, PhoneNo="x")))
    assert events(conn)[0].request is None


def test_byte_by_byte_gives_the_same_events() -> None:
    stream = (
        bind_res()
        + encode_frame("ReportReq", {"UserMsgId": "1", "ServerMsgId": "5", "Result": 0})
        + encode_frame("SpamReq", {"SpamId": "1", "PhoneNo": "01000000000", "DenyNo": "0800000000"})
        + encode_frame(
            "ChangePhoneReq",
            {"ServerMsgId": "2603", "PhoneNo": "0111234564", "ChangePhoneNo": "01012345678"},
        )
        + encode_frame("AliveRes", None)
        + encode_frame("FutureReq", {"X": 1})
    )
    whole = Connection(key=KEY, iv=IV)
    whole.send(m.BindReq("a", "b"))
    whole.receive_data(stream)
    expected = events(whole)
    assert [type(e).__name__ for e in expected] == [
        "BindRes",
        "ReportReq",
        "SpamReq",
        "ChangePhoneReq",
        "AliveRes",
        "GenericMessage",
    ]
    slow = Connection(key=KEY, iv=IV)
    slow.send(m.BindReq("a", "b"))
    got = []
    for i in range(len(stream)):
        slow.receive_data(stream[i : i + 1])
        got += events(slow)
    assert got == expected


def test_bad_frames_and_bodies_become_events() -> None:
    conn = bound()
    wrong_key = BodyCipher(parse_key_material("x" * 16), IV)
    conn.receive_data(b"garbage" + encode_frame("ReportReq", wrong_key.encrypt({"Result": 0})))
    conn.receive_data(encode_frame("MsgSendRes", {"Result": "not a number"}))
    conn.receive_data(encode_frame("AliveRes", None))
    got = events(conn)
    assert got[0] == BadFrame(len(bind_res()), 7, "no frame header")
    assert got[1].method == "ReportReq" and "wrong key" in got[1].reason
    assert got[2].method == "MsgSendRes" and "must be a number" in got[2].reason
    assert got[3] == m.AliveRes()


def test_end_of_stream() -> None:
    conn = bound()
    conn.send(req(1))
    conn.receive_data(b"Content-Length:50\r\nabc")
    assert events(conn) == []
    conn.receive_data(b"")
    got = events(conn)
    assert isinstance(got[0], BadFrame) and got[0].reason.startswith("truncated")
    assert got[1] == ConnectionClosed()
    assert list(conn.outstanding) == [req(1).key]  # the caller decides what to re-send
    with pytest.raises(LocalProtocolError):
        conn.send(req(2))
    conn.receive_data(b"")  # idempotent
    with pytest.raises(LocalProtocolError):
        conn.receive_data(b"more")


def test_alive_and_response_deadlines() -> None:
    clock = Clock()
    conn = Connection(key=KEY, iv=IV, clock=clock, alive_interval=20)
    conn.send(m.BindReq("a", "b"))
    conn.receive_data(bind_res())
    events(conn)
    assert not conn.alive_due() and conn.alive_deadline() == 1020.0
    clock.now += 19.9
    assert not conn.alive_due()
    first = req(1)
    conn.send(first)  # any send resets the idle timer
    assert conn.alive_deadline() == pytest.approx(1039.9)
    clock.now += 20
    assert conn.alive_due()
    conn.send(m.AliveReq())
    assert not conn.alive_due() and not conn.alive_overdue(10)
    clock.now += 5
    second = req(2)
    conn.send(second)
    clock.now += 5
    assert conn.alive_overdue(10)
    assert conn.expired(30.5) == []
    assert conn.expired(10) == [first]
    assert conn.expired(5) == [first, second]
    assert conn.oldest_outstanding() == pytest.approx(1019.9)
    conn.receive_data(encode_frame("AliveRes", None))
    events(conn)
    assert not conn.alive_overdue(10)
    conn.forget(first)
    assert list(conn.outstanding) == [second.key]


def test_only_client_role() -> None:
    for role in ("server", "agent", ""):
        with pytest.raises(OneShotError, match="only the client side is implemented"):
            Connection(role, key=KEY, iv=IV)


def test_a_zlib_bomb_from_the_server_is_a_bad_frame_and_the_session_goes_on() -> None:
    import zlib

    conn = bound()
    text = b'{"Header":{"Method":"ReportReq"},"Body":{"List":[' + b"[]," * 10_000_000 + b"[]]}}"
    bomb = zlib.compress(text, 9)
    conn.receive_data(b"Content-Length:%d\r\n" % len(bomb) + bomb + encode_frame("AliveRes", None))
    got = events(conn)
    assert got[0] == BadFrame(len(bind_res()), len(bomb) + 22, "body inflates past 4 MiB")
    assert got[1] == m.AliveRes()


def test_window_bounds_and_defaults() -> None:
    for window in (0, -1):
        with pytest.raises(OneShotError, match="window must be at least 1"):
            Connection(key=KEY, iv=IV, window=window)
    conn = bound(window=1)
    conn.send(req(1))
    assert not conn.can_send_message
    with pytest.raises(LocalProtocolError, match=r"window full \(1 outstanding\)"):
        conn.send(req(2))
    conn = bound()  # ten outstanding by default, the eleventh waits
    for i in range(10):
        conn.send(req(i))
    with pytest.raises(LocalProtocolError, match=r"window full \(10 outstanding\)"):
        conn.send(req(10))


def test_default_alive_interval_is_twenty_seconds() -> None:
    clock = Clock()
    conn = Connection(key=KEY, iv=IV, clock=clock)
    assert conn.alive_deadline() == 1020.0
    clock.now = 1019.5
    assert not conn.alive_due()
    clock.now = 1020.0
    assert conn.alive_due() and conn.alive_due(now=1020.0) and not conn.alive_due(now=1019.0)


def test_deadlines_hold_at_the_exact_second() -> None:
    clock = Clock()
    conn = bound(clock=clock, alive_interval=20)
    first = req(1)
    conn.send(first)  # at 1000
    conn.send(m.AliveReq())
    clock.now = 1004.0
    conn.send(m.AliveReq())  # a second unanswered AliveReq: the first one still counts
    assert not conn.alive_overdue(10, now=1009.0)
    assert conn.alive_overdue(10, now=1010.0) and not conn.alive_overdue(10)  # now is 1004
    clock.now = 1010.0
    assert conn.alive_overdue(10)
    assert conn.expired(10) == [first] and conn.expired(10.5) == []
    assert conn.expired(10, now=1009.0) == [] and conn.expired(9, now=1009.0) == [first]
    assert conn.alive_due(now=1024.0) and not conn.alive_due(now=1023.9)
    # ... and after it.
    assert conn.alive_due(now=1030.0) and conn.alive_overdue(10, now=1015.0)
    assert conn.expired(5) == [first]


def test_a_private_key_res_is_read_with_the_configured_key_even_late() -> None:
    conn = Connection(key=KEY, iv=IV, encrypt=True)
    conn.send(m.PrivateKeyReq())
    reply = encode_frame(
        "PrivateKeyRes", CONFIGURED.encrypt({"Result": 0, "PrivateKey": SESSION_KEY})
    )
    conn.receive_data(reply)
    events(conn)
    conn.receive_data(reply)  # a repeat once the session key is in use
    (event,) = events(conn)
    assert isinstance(event, m.PrivateKeyRes) and event.private_key == SESSION_KEY
    assert conn.state is State.CONNECTED


def test_events_are_immutable_values() -> None:
    request = req(1)
    answer = Answered(request, m.MsgSendRes(user_msg_id="1", phone_no=request.phone_no))
    bad = BadFrame(0, 7, "no frame header")
    assert len({answer, bad, ConnectionClosed(), ConnectionClosed()}) == 3
    for event, name in ((answer, "request"), (bad, "reason"), (ConnectionClosed(), "x")):
        with pytest.raises(AttributeError):
            setattr(event, name, None)


def test_no_outstanding_and_forgetting_twice() -> None:
    conn = bound()
    assert conn.oldest_outstanding() is None and conn.expired(0) == []
    r = req(1)
    conn.send(r)
    conn.forget(r)
    conn.forget(r)  # already gone: nothing happens
    assert conn.oldest_outstanding() is None and conn.can_send_message


def test_max_frame_bounds_what_the_server_may_send() -> None:
    conn = Connection(key=KEY, iv=IV, max_frame=16)
    conn.send(m.BindReq("a", "b"))
    conn.receive_data(bind_res())  # compressed to more than 16 bytes
    conn.receive_data(b"")
    event, closed = events(conn)
    assert isinstance(event, BadFrame) and event.reason.startswith("frame too large")
    assert event.reason.endswith(" over 16") and closed == ConnectionClosed()
    assert conn.state is State.BIND_WAIT
    conn = Connection(key=KEY, iv=IV)  # the default takes it
    conn.send(m.BindReq("a", "b"))
    conn.receive_data(bind_res())
    assert isinstance(events(conn)[0], m.BindRes)


def test_answers_outside_their_state_change_nothing() -> None:
    conn = bound()
    conn.receive_data(bind_res(result=5))  # a second BindRes, refusing: too late
    assert events(conn)[0].result == 5
    assert conn.state is State.BOUND and conn.bind_result.result == 0
    conn.receive_data(encode_frame("PrivateKeyRes", {"Result": 0, "PrivateKey": SESSION_KEY}))
    events(conn)
    assert conn.state is State.BOUND
    request = req(1)
    method, body = sent(conn.send(request))  # still the plain session
    assert body == request.to_body()


def test_private_key_req_only_once() -> None:
    conn = Connection(key=KEY, iv=IV, encrypt=True)
    conn.send(m.PrivateKeyReq())
    with pytest.raises(LocalProtocolError, match="PrivateKeyReq is sent once"):
        conn.send(m.PrivateKeyReq())
    conn.receive_data(encode_frame("PrivateKeyRes", {"Result": 0, "PrivateKey": SESSION_KEY}))
    events(conn)
    assert conn.state is State.CONNECTED
    with pytest.raises(LocalProtocolError, match="PrivateKeyReq is sent once"):
        conn.send(m.PrivateKeyReq())


def test_after_the_end_of_stream_nothing_can_be_sent() -> None:
    conn = bound()
    conn.receive_data(b"")
    assert events(conn) == [ConnectionClosed()]
    assert not conn.can_send_message
    for message in (m.AliveReq(), req(1), m.UnBindReq("test001")):
        with pytest.raises(LocalProtocolError, match="cannot send"):
            conn.send(message)


def test_a_body_that_is_not_an_object_cannot_be_encrypted() -> None:
    conn = Connection(key=KEY, iv=IV, encrypt=True)
    conn.send(m.PrivateKeyReq())
    conn.receive_data(encode_frame("PrivateKeyRes", {"Result": 0, "PrivateKey": SESSION_KEY}))
    events(conn)
    with pytest.raises(LocalProtocolError, match="FutureReq body must be an object"):
        conn.encode(m.GenericMessage("FutureReq", "text"))
    assert sent(conn.encode(m.GenericMessage("FutureReq", None))) == ("FutureReq", None)


def test_any_result_but_zero_refuses() -> None:
    conn = Connection(key=KEY, iv=IV, encrypt=True)
    conn.send(m.PrivateKeyReq())
    conn.receive_data(encode_frame("PrivateKeyRes", {"Result": -1, "PrivateKey": SESSION_KEY}))
    events(conn)
    assert conn.state is State.REFUSED
    conn = Connection(key=KEY, iv=IV)
    conn.send(m.BindReq("test001", "pw"))
    conn.receive_data(bind_res(result=-1))
    events(conn)
    assert conn.state is State.REFUSED and not conn.can_send_message


def test_a_bad_body_does_not_hide_the_frames_after_it_in_the_same_read() -> None:
    conn = bound()
    data = encode_frame("MsgSendRes", {"Result": "not a number"}) + encode_frame("AliveRes", None)
    conn.receive_data(data)
    bad, alive = events(conn)
    assert isinstance(bad, BadFrame) and bad.method == "MsgSendRes" and alive == m.AliveRes()
