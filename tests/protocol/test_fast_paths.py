"""The codec's fast paths give what the general ones give: ``MsgSendReq.of`` is the
constructor, ``from_body``'s typed shortcut is its per-key loop, and the deadline helpers
that read ``outstanding`` oldest-first still scan everything once the clock went back."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smscli.protocol.oneshot import message_plan as plan
from smscli.protocol.oneshot import messages as m
from smscli.protocol.oneshot.connection import Connection, LocalProtocolError
from smscli.protocol.oneshot.errors import OneShotError
from smscli.protocol.oneshot.frames import encode_frame, encode_frame_json, encode_json
from tests.protocol.test_connection import CONFIGURED, IV, KEY, SESSION, SESSION_KEY, bind_res, req

VALUES = [
    {},
    {"user_msg_id": "a1", "phone_no": "01012345678", "message": "안녕 👋", "msg_type": 6,
     "subject": "제목", "file_count": 1, "file_type1": "IMG", "file_name1": "x.jpg"},
    {"user_msg_id": "k", "msg_type": 7, "kakao_button": '{"button":[]}', "kakao_title": "T",
     "rcs_header": 1, "reseller_code": "123456789"},
]


@pytest.mark.parametrize("values", VALUES)
def test_of_is_the_constructor(values):
    made, quick = m.MsgSendReq(**values), m.MsgSendReq.of(values)
    assert quick == made and repr(quick) == repr(made) and hash(quick) == hash(made)
    assert list(quick.to_body().items()) == list(made.to_body().items())
    assert quick.extra == {} and quick.extra is not m.MsgSendReq.of({}).extra
    with pytest.raises(dataclasses.FrozenInstanceError):
        quick.message = "changed"  # type: ignore[misc]


def _field_values(cls):
    """Any subset of ``cls``'s fields, each set to its default or to another value."""
    def value(name, kind, default):
        other = st.integers(-5, 5) if kind is int else st.sampled_from(["", "x", "안녕", "0"])
        return st.one_of(st.just(default), other)
    fields = {name: value(name, kind, default) for name, _key, kind, _opt, default in plan.layout_of(cls)}
    return st.fixed_dictionaries({}, optional=fields)


@pytest.mark.parametrize("cls", sorted(m.MESSAGE_TYPES.values(), key=lambda c: c.METHOD), ids=lambda c: c.METHOD)
@given(data=st.data())
def test_of_writes_the_body_the_constructor_writes(cls, data):
    """``of`` instances write their body from the names given (the default head with
    those over it): the same keys, values and order as the constructor's, every class."""
    values = data.draw(_field_values(cls))
    extra = data.draw(st.sampled_from([{}, {"Zz": 1}, {"UserMsgId": "shadowed"}]))
    made = cls(**values, extra=extra)
    quick = cls.of({**values, "extra": extra})
    assert quick == made
    assert list((quick.to_body() or {}).items()) == list((made.to_body() or {}).items())
    assert quick.to_body() is not quick.to_body() or quick.to_body() is None  # a fresh dict each time
    for message in (quick, made):  # the body's text, spliced or encoded, is the encoder's
        body = message.to_body()
        assert message.body_json() == (None if body is None else encode_json(body).decode())


@pytest.mark.parametrize("values", [
    *VALUES,
    {"message": "a\"b\\c\n\x00\u2028", "kakao_button": '{"button":[{"name":"가"}]}', "msg_type": 71},
    {"kakao_timeout": True, "file_count": 2.5, "subject": None, "rcs_header": 0},  # not of their type
    {"reseller_code": "123456789", "rcs_footer": "080", "kakao_wide": "Y", "user_data": "t"},  # tail given out of order
    {"reseller_code": "", "rcs_header": None, "message": "x"},  # tail given at its default
])
def test_body_json_is_the_encoded_body(values):
    quick = m.MsgSendReq.of(values)
    assert quick.body_json() == encode_json(quick.to_body()).decode()
    body = quick.to_body()
    assert encode_frame_json("MsgSendReq", quick.body_json()) == encode_frame("MsgSendReq", body)


@pytest.mark.parametrize("value", [object(), "\ud800"])
def test_body_json_refuses_what_the_encoder_refuses(value):
    quick = m.MsgSendReq.of({"message": value})
    with pytest.raises(OneShotError):
        encode_json(quick.to_body())
    with pytest.raises(OneShotError):
        encode_frame_json("MsgSendReq", quick.body_json())


def slow_from_body(cls, body):
    """The per-key loop alone (what from_body did before its shortcut)."""
    values, known = {}, set()
    for name, key, kind, optional, default in plan.layout_of(cls):
        known.add(key)
        if key in body:
            if optional and default is None and body[key] in (None, ""):
                continue
            values[name] = plan.coerce(cls.METHOD, key, body[key], kind)
    return cls(**values, extra={k: v for k, v in body.items() if k not in known})


RES = {"UserMsgId": "1", "UserMsgSubId": "", "PhoneNo": "010", "MsgType": 4, "Result": 0, "UserData": "t"}


@pytest.mark.parametrize("body", [
    RES, dict(RES, Result="7"), dict(RES, Other=1), {k: v for k, v in RES.items() if k != "UserData"},
    dict(RES, MsgType=4.0), {"Result": 3}, {}, dict(RES, UserData=None),
    {**{k: v for k, v in RES.items() if k != "Result"}, "Extra": 0},  # six keys, one unknown
])
def test_from_body_shortcut_matches_the_loop(body):
    got, want = m.MsgSendRes.from_body(body), slow_from_body(m.MsgSendRes, body)
    assert got == want and got.extra == want.extra


def test_from_body_shortcut_keeps_the_type_checks():
    with pytest.raises(m.OneShotError):
        m.MsgSendRes.from_body(dict(RES, Result=True))
    with pytest.raises(m.OneShotError):
        m.MsgSendRes.from_body(dict(RES, UserMsgId=[1]))


def test_optional_number_left_empty_is_not_written_back():
    sent = m.MsgSendReq.from_body({**m.MsgSendReq(user_msg_id="1").to_body(), "rcsHeader": ""})
    assert sent.rcs_header is None and "rcsHeader" not in sent.to_body()


def test_deadlines_after_the_clock_went_back():
    now = [1000.0]
    conn = Connection(key=KEY, iv=IV, clock=lambda: now[0])
    conn.send(m.BindReq("test001", "pw"))
    conn.receive_data(bind_res())
    conn.next_event()
    first = req(1)
    conn.send(first)
    now[0] = 990.0  # stepped back: the second is older than the first
    second = req(2)
    conn.send(second)
    assert conn.oldest_outstanding() == 990.0
    assert conn.expired(10, now=1000.0) == [second]
    assert conn.expired(5, now=1006.0) == [first, second]


def test_in_order_deadlines_stop_at_the_first_in_time():
    now = [1000.0]
    conn = Connection(key=KEY, iv=IV, clock=lambda: now[0], window=5)
    conn.send(m.BindReq("test001", "pw"))
    conn.receive_data(bind_res())
    conn.next_event()
    sent = []
    for i in range(4):
        now[0] = 1000.0 + i
        sent.append(req(i))
        conn.send(sent[-1])
    assert conn.oldest_outstanding() == 1000.0
    assert conn.expired(2, now=1003.5) == sent[:2]
    conn.forget(sent[0])
    assert conn.oldest_outstanding() == 1001.0
    with pytest.raises(LocalProtocolError):
        conn.send(sent[1])  # still outstanding


def test_take_events_is_next_event_until_need_data():
    from smscli.protocol.oneshot.connection import NEED_DATA, Answered
    from smscli.protocol.oneshot.frames import encode_frame
    from tests.protocol.test_connection import res

    conn = Connection(key=KEY, iv=IV)
    conn.send(m.BindReq("test001", "pw"))
    conn.receive_data(bind_res())
    assert [type(e) for e in conn.take_events()] == [m.BindRes]
    first, second = req(1), req(2)
    conn.send(first)
    conn.send(second)
    conn.receive_data(encode_frame("MsgSendRes", res(second)) + encode_frame("MsgSendRes", res(first)))
    events = conn.take_events()
    assert [e.request for e in events if isinstance(e, Answered)] == [second, first]
    assert conn.take_events() == [] and conn.next_event() is NEED_DATA


@pytest.mark.parametrize("encrypt", [False, True])
def test_connection_sends_the_spliced_body_as_the_encoded_one(encrypt):
    """A MsgSendReq made by ``of`` goes out as the frame of its ``to_body()``, byte for
    byte, plain or encrypted with the session key."""
    conn = Connection(key=KEY, iv=IV, encrypt=encrypt)
    if encrypt:
        conn.send(m.PrivateKeyReq())
        conn.receive_data(encode_frame("PrivateKeyRes", {"Result": 0, "PrivateKey": SESSION_KEY}))
    conn.send(m.BindReq("test001", "pw"))
    conn.receive_data(bind_res(cipher=SESSION if encrypt else CONFIGURED))
    conn.take_events()
    for i, values in enumerate(VALUES):
        quick = m.MsgSendReq.of({**values, "user_msg_id": f"u{i}"})
        body = quick.to_body()
        assert conn.send(quick) == encode_frame("MsgSendReq", SESSION.encrypt(body) if encrypt else body)
