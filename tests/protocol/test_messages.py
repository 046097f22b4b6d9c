"""Message dataclasses: vectors, key order, extras, coercion, unknown methods."""

from __future__ import annotations

from dataclasses import fields

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smscli.protocol.oneshot import (
    FrameDecoder,
    GenericMessage,
    OneShotError,
    encode_frame,
    parse_message,
)
from smscli.protocol.oneshot import messages as m
from tests.protocol.vectors import VECTORS

DOCUMENT_METHODS = [
    "PrivateKeyReq",
    "PrivateKeyRes",
    "BindReq",
    "BindRes",
    "MsgSendReq",
    "MsgSendRes",
    "UploadFileNameReq",
    "UploadFileNameRes",
    "UploadFileDataReq",
    "UploadFileFinishReq",
    "UploadFileFinishRes",
    "ReportReq",
    "ReportRes",
    "AliveReq",
    "AliveRes",
    "SpamReq",
    "SpamRes",
    "ChangePhoneReq",
    "ChangePhoneRes",
    "UnBindReq",
    "UnBindRes",
]


def test_every_document_method_has_a_class() -> None:
    assert len(DOCUMENT_METHODS) == 21
    for method in DOCUMENT_METHODS + ["UploadFileReq", "UploadFileRes"]:
        assert method == m.MESSAGE_TYPES[method].METHOD


@pytest.mark.parametrize(
    "vector",
    [v for v in VECTORS if not isinstance(v["obj"].get("Body"), str)],
    ids=lambda v: v["method"],
)
def test_vector_bodies_round_trip_in_document_order(vector: dict) -> None:
    body = vector["obj"].get("Body")
    msg = parse_message(vector["method"], body)
    assert type(msg).__name__ == vector["method"]
    assert msg.extra == {}
    assert msg.to_body() == body
    assert list(msg.to_body() or {}) == list(body or {})
    assert encode_frame(msg.method, msg.to_body()) == vector["wire"]


def test_msgsendreq_defaults_give_the_full_example_key_set() -> None:
    req = m.MsgSendReq(
        user_msg_id="80",
        msg_type=4,
        phone_no="01091874302",
        callback_no="15666639",
        message="SMS 테스트 메시지 ",
    )
    vector = next(v for v in VECTORS if v["method"] == "MsgSendReq")
    assert encode_frame(req.method, req.to_body()) == vector["wire"]
    with_code = m.MsgSendReq(reseller_code="123456789").to_body()
    assert list(with_code)[-1] == "ResellerCode"
    assert req.key == ("80", "", "01091874302")


def test_unknown_keys_are_kept_in_extra_and_written_back() -> None:
    body = {
        "Result": 0,
        "BindId": "a",
        "Speed": 5,
        "Foo": [1],
        "BeginTime": 9,
        "EndTime": 18,
        "EffectiveTime": 3,
    }
    msg = parse_message("BindRes", body)
    assert isinstance(msg, m.BindRes)
    assert msg.extra == {"Foo": [1]} and msg.speed == 5 and msg.begin_time == 9
    assert msg.to_body() == {
        "Result": 0,
        "BindId": "a",
        "Speed": 5,
        "BeginTime": 9,
        "EndTime": 18,
        "EffectiveTime": 3,
        "Foo": [1],
    }


def test_missing_keys_take_defaults_and_numbers_are_coerced() -> None:
    msg = parse_message("MsgSendRes", {"UserMsgId": 80, "Result": "320"})
    assert msg == m.MsgSendRes(user_msg_id="80", result=320)
    assert parse_message("AliveRes", None) == m.AliveRes()
    assert m.AliveReq().to_body() is None and m.PrivateKeyReq().to_body() is None
    assert m.UnBindReq(bind_id="x").to_body() == {"BindId": "x"}
    with pytest.raises(OneShotError, match="MsgSendRes.Result must be a number"):
        parse_message("MsgSendRes", {"Result": "ok"})
    with pytest.raises(OneShotError, match="must be text"):
        parse_message("MsgSendRes", {"PhoneNo": {"a": 1}})
    with pytest.raises(OneShotError, match="encrypted"):
        parse_message("BindRes", "c2VjcmV0")
    with pytest.raises(OneShotError, match="must be an object"):
        parse_message("BindRes", [1])  # type: ignore[arg-type]


def test_unknown_method_is_generic_not_an_error() -> None:
    msg = parse_message("FutureReq", {"X": 1})
    assert msg == GenericMessage("FutureReq", {"X": 1})
    assert msg.method == "FutureReq" and msg.to_body() == {"X": 1}


def test_upload_data_accepted_under_both_names() -> None:
    a = parse_message("UploadFileReq", {"Data": "AAAA"})
    b = parse_message("UploadFileDataReq", {"Data": "AAAA"})
    assert a.data == b.data == "AAAA"
    assert a.method == "UploadFileReq" and b.method == "UploadFileDataReq"
    assert parse_message("UploadFileRes", {"Result": 0}).result == 0


def test_answers_echo_the_ids() -> None:
    report = m.ReportReq(user_msg_id="80", server_msg_id="781857", result=0)
    assert report.answer() == m.ReportRes(user_msg_id="80", server_msg_id="781857", result=0)
    spam = m.SpamReq("1", "01000000000", "0800000000")
    assert spam.answer().to_body() == {
        "SpamId": "1",
        "PhoneNo": "01000000000",
        "DenyNo": "0800000000",
        "Result": 0,
    }
    change = m.ChangePhoneReq("2603", "0111234564", "01012345678")
    assert change.answer().result == 0 and change.answer().change_phone_no == "01012345678"


def test_secrets_not_in_repr() -> None:
    assert "pw123" not in repr(m.BindReq("id", "pw123"))
    assert "k123" not in repr(m.PrivateKeyRes(0, "k123"))


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
_MSGSENDREQ = st.builds(
    m.MsgSendReq,
    **{f.name: (st.integers(-(2**31), 2**31) if f.metadata["type"] is int and f.default is not None
                else st.none() | st.integers(0, 1) if f.metadata["type"] is int else _TEXT)
       for f in fields(m.MsgSendReq) if "key" in f.metadata},
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(_MSGSENDREQ)
def test_msgsendreq_with_any_field_set_round_trips_through_a_frame(req: m.MsgSendReq) -> None:
    """Every field of §3.3.6 (Kakao, RCS, ResellerCode included): body, frame and back;
    the optional ones are written only when set, the example's keys always, in order."""
    body = req.to_body()
    keys = [f.metadata["key"] for f in fields(m.MsgSendReq) if "key" in f.metadata]
    assert list(body) == [k for k in keys if k in body]
    assert set(keys[:22]) <= set(body)
    [frame] = FrameDecoder().feed(encode_frame("MsgSendReq", body))
    assert parse_message(frame.method, frame.body) == req


def _filled(cls: type) -> m.OneShotMessage:
    """An instance of ``cls`` with every field set to something other than its default."""
    values = {f.name: (7 if f.metadata["type"] is int else f"v-{f.name}")
              for f in fields(cls) if "key" in f.metadata}
    return cls(**values)


@pytest.mark.parametrize("method", sorted(m.MESSAGE_TYPES))
def test_every_method_decodes_what_it_encodes(method: str) -> None:
    # the encrypted ones too (BindReq, UnBindRes...): this is the body after decryption
    msg = _filled(m.MESSAGE_TYPES[method])
    assert parse_message(method, msg.to_body()) == msg


def test_defaults_a_peer_may_leave_out() -> None:
    assert m.BindReq("id", "pw").to_body() == {"BindId": "id", "BindPwd": "pw", "Version": 1}
    assert parse_message("BindRes", {"Result": 0}).end_time == 24  # no window given: all day
    assert parse_message("BindRes", {"Result": 0}).begin_time == 0
    assert m.MsgSendReq(phone_no="01000000000").to_body()["MsgType"] == 4  # an SMS
    assert parse_message("MsgSendReq", {"PhoneNo": "01000000000"}).msg_type == 4


def test_an_empty_optional_number_is_unset_and_the_rest_still_read() -> None:
    for empty in ("", None):
        msg = parse_message("MsgSendReq", {"MsgType": 9, "rcsHeader": empty, "rcsFooter": "0800000000",
                                           "ResellerCode": "123456789"})
        assert msg.rcs_header is None and msg.rcs_footer == "0800000000"
        assert msg.reseller_code == "123456789" and "rcsHeader" not in msg.to_body()
    assert parse_message("MsgSendReq", {"rcsHeader": "1"}).rcs_header == 1


def test_numbers_sent_as_text_up_to_19_characters() -> None:
    assert parse_message("MsgSendRes", {"Result": "1234567890123456789"}).result == 1234567890123456789
    assert parse_message("MsgSendRes", {"Result": "-123456789012345678"}).result == -123456789012345678
    for too_long in ("12345678901234567890", "1" * 40):
        with pytest.raises(OneShotError, match="MsgSendRes.Result must be a number"):
            parse_message("MsgSendRes", {"Result": too_long})


def test_a_bodiless_method_writes_back_unknown_keys() -> None:
    msg = parse_message("AliveRes", {"Ping": 3})
    assert msg.extra == {"Ping": 3} and msg.to_body() == {"Ping": 3}


def test_a_response_matches_its_request_by_key() -> None:
    req = m.MsgSendReq(user_msg_id="80", user_msg_sub_id="2", phone_no="01091874302")
    res = parse_message("MsgSendRes", {"UserMsgId": "80", "UserMsgSubId": "2", "PhoneNo": "01091874302",
                                       "Result": 0})
    assert res.key == req.key == ("80", "2", "01091874302")
    assert {res.key: "in flight"}[req.key] == "in flight"


def test_messages_are_immutable_hashable_values() -> None:
    a = parse_message("BindRes", {"Result": 0, "Foo": [1]})
    b = parse_message("BindRes", {"Result": 0})
    assert a == m.BindRes(extra={"Foo": [1]}) and hash(a) == hash(b)  # extras do not hash
    assert len({m.MsgSendReq(phone_no="010"), m.MsgSendReq(phone_no="010")}) == 1
    generic = parse_message("FutureReq", {"X": 1})
    for msg, attr in [(a, "result"), (generic, "body")]:
        with pytest.raises(AttributeError):  # dataclasses.FrozenInstanceError
            setattr(msg, attr, None)


def test_unknown_keys_stay_out_of_repr() -> None:
    # a key we do not know may hold anything, a secret too: reprs end up in logs
    msg = parse_message("BindRes", {"Result": 0, "SessionToken": "t0ps3cret"})
    assert "t0ps3cret" not in repr(msg) and msg.extra == {"SessionToken": "t0ps3cret"}
