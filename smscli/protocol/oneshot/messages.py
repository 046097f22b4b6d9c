"""One frozen dataclass per OneShot method, to and from JSON bodies.

Each is a ``@record`` (smscli.records) sharing ``fields_init``: defining the classes compiles
no method (``@dataclass(frozen=True)`` compiled six per class, most of this module's import
time), and they behave as the frozen dataclasses they stand for (tests/test_records.py).

Attributes are snake_case; each field's JSON key is in its metadata, fields are
declared in the document's key order, and keys we do not know are kept in ``extra``
(written back after the known ones). ``parse_message`` of a method we do not know
returns a ``GenericMessage``.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any, ClassVar

from smscli.protocol.oneshot.errors import OneShotError
from smscli.protocol.oneshot.message_plan import (
    ENCODE,
    GIVEN,
    coerce,
    defaults_of,
    layout_of,
    plan_of,
    sparse_body,
    sparse_json,
)
from smscli.records import fields_init, record


def _s(key: str, *, optional: bool = False) -> Any:
    """A text field; ``optional`` ones are written only when not empty."""
    return field(default="", metadata={"key": key, "type": str, "optional": optional})


def _n(key: str, default: int = 0) -> Any:
    """A number field."""
    return field(default=default, metadata={"key": key, "type": int, "optional": False})


def _n_opt(key: str) -> Any:
    """An optional number field: None (not written) unless set."""
    return field(default=None, metadata={"key": key, "type": int, "optional": True})


def _extra() -> Any:
    return field(default_factory=dict, hash=False, repr=False)


@record
class OneShotMessage:
    """Base: ``method`` is the frame's Header.Method; ``to_body()`` its Body."""

    METHOD: ClassVar[str] = ""
    HAS_BODY: ClassVar[bool] = True

    __init__ = fields_init  # every field by position or keyword, as the dataclass's

    @property
    def method(self) -> str:
        return self.METHOD

    def to_body(self) -> dict[str, Any] | None:
        plan = plan_of(type(self))
        values = self.__dict__  # frozen dataclass fields, read without getattr
        given = values.get(GIVEN)
        body = sparse_body(plan, values, given) if given is not None else None
        if body is None:
            body = dict(zip(plan.head_keys, plan.head_values(values), strict=True))
            tail = plan.tail_values(values)
            if tail != plan.tail_defaults:  # (all default: the usual SMS, one comparison)
                for key, value, default in zip(plan.tail_keys, tail, plan.tail_defaults, strict=True):
                    if value != default:
                        body[key] = value
        extra = values.get("extra")
        if extra:
            for key, value in extra.items():
                body.setdefault(key, value)
        if not body and not self.HAS_BODY:
            return None
        return body

    def body_json(self) -> str | None:
        """``to_body()`` as compact JSON text (non-ASCII kept, key order kept; None for no
        body). An instance made by ``of`` is written from the names it was given, spliced
        into its class's default text, without building the body dict (one per message on
        the send path); OneShotError when a value is not JSON."""
        values = self.__dict__
        given = values.get(GIVEN)
        try:
            if given is not None and self.HAS_BODY and not values.get("extra"):
                return sparse_json(plan_of(type(self)), values, given)
            body = self.to_body()
            return None if body is None else ENCODE(body)
        except (TypeError, ValueError, RecursionError) as exc:
            raise OneShotError(f"cannot encode as JSON: {exc}") from None

    @classmethod
    def of(cls, values: dict[str, Any]) -> Any:
        """``cls(**values)`` without the frozen ``__init__``'s per-field ``__setattr__``
        (the send path builds one MsgSendReq per message): the defaults, then ``values``,
        whose keys must be field names. The names given are noted, so that ``to_body``
        writes those few over the defaults instead of reading every field."""
        obj = object.__new__(cls)
        state = obj.__dict__
        state.update(defaults_of(cls))
        state["extra"] = {}
        state.update(values)
        if plan_of(cls).sparse:
            state[GIVEN] = tuple(values)
        return obj

    @classmethod
    def from_body(cls, body: dict[str, Any] | None) -> OneShotMessage:
        if body is None:
            body = {}
        elif isinstance(body, str):
            raise OneShotError(f"{cls.METHOD} body is encrypted: decrypt it first")
        elif not isinstance(body, dict):
            raise OneShotError(f"{cls.METHOD} body must be an object, not {type(body).__name__}")
        plan = plan_of(cls)
        if len(body) == len(plan.keys):  # every known key, of its type: no per-key loop
            try:
                found = plan.body_values(body)
            except KeyError:
                pass
            else:
                if tuple(map(type, found)) == plan.kinds:
                    obj = object.__new__(cls)  # as ``of``: every field is given
                    state = obj.__dict__
                    state.update(zip(plan.names, found, strict=True))
                    state["extra"] = {}
                    return obj
        values: dict[str, Any] = {}
        matched = 0
        for name, key, kind, optional, default in layout_of(cls):
            if key in body:
                matched += 1
                value = body[key]
                if type(value) is kind:  # the usual case: already the field's type
                    values[name] = value
                    continue
                if optional and default is None and value in (None, ""):
                    continue  # an optional number left empty
                values[name] = coerce(cls.METHOD, key, value, kind)
        if matched == len(body):
            extra: dict[str, Any] = {}
        else:
            known = plan.keys
            extra = {k: v for k, v in body.items() if k not in known}
        return cls(**values, extra=extra)  # type: ignore[call-arg]


@record
class PrivateKeyReq(OneShotMessage):
    METHOD: ClassVar[str] = "PrivateKeyReq"
    HAS_BODY: ClassVar[bool] = False
    extra: dict[str, Any] = _extra()


@record
class PrivateKeyRes(OneShotMessage):
    METHOD: ClassVar[str] = "PrivateKeyRes"
    result: int = _n("Result")
    private_key: str = _s("PrivateKey")
    extra: dict[str, Any] = _extra()

    def __repr__(self) -> str:
        return f"PrivateKeyRes(result={self.result}, private_key=<secret>)"


@record
class BindReq(OneShotMessage):
    METHOD: ClassVar[str] = "BindReq"
    bind_id: str = _s("BindId")
    bind_pwd: str = _s("BindPwd")
    version: int = _n("Version", 1)
    extra: dict[str, Any] = _extra()

    def __repr__(self) -> str:
        return f"BindReq(bind_id={self.bind_id!r}, bind_pwd=<secret>, version={self.version})"


@record
class BindRes(OneShotMessage):
    METHOD: ClassVar[str] = "BindRes"
    result: int = _n("Result")
    bind_id: str = _s("BindId")
    speed: int = _n("Speed")
    begin_time: int = _n("BeginTime")
    end_time: int = _n("EndTime", 24)
    effective_time: int = _n("EffectiveTime")
    extra: dict[str, Any] = _extra()


@record
class AliveReq(OneShotMessage):
    METHOD: ClassVar[str] = "AliveReq"
    HAS_BODY: ClassVar[bool] = False
    extra: dict[str, Any] = _extra()


@record
class AliveRes(OneShotMessage):
    METHOD: ClassVar[str] = "AliveRes"
    HAS_BODY: ClassVar[bool] = False
    extra: dict[str, Any] = _extra()


@record
class MsgSendReq(OneShotMessage):
    """Every field of the document's table (§3.3.6), in its order. The example's keys
    (UserMsgId … UserData) are always written ("" / 0 when unused), so the document's SMS
    vector stays byte-exact; the Kakao extras (``kakao*``), the RCS fields (``rcs*``) and
    ``ResellerCode`` only when set. ``msg_type``: 4 SMS, 6 LMS/MMS, 7 AlimTalk, 71
    AlimTalk image, 8 FriendTalk, 9–12 RCS SMS / LMS / MMS / template."""

    METHOD: ClassVar[str] = "MsgSendReq"
    user_msg_id: str = _s("UserMsgId")
    user_msg_sub_id: str = _s("UserMsgSubId")
    msg_type: int = _n("MsgType", 4)
    phone_no: str = _s("PhoneNo")
    callback_no: str = _s("CallbackNo")
    tran_id: str = _s("TranId")
    subject: str = _s("Subject")
    message: str = _s("Message")
    kakao_ad_flag: str = _s("KakaoAdFlag")
    kakao_nation_code: str = _s("KakaoNationCode")
    kakao_sender_key: str = _s("KakaoSenderKey")
    kakao_template_code: str = _s("KakaoTemplateCode")
    kakao_timeout: int = _n("KakaoTimeout")
    kakao_button: str = _s("KakaoButton")
    file_count: int = _n("FileCount")
    file_type1: str = _s("FileType1")
    file_name1: str = _s("FileName1")
    file_type2: str = _s("FileType2")
    file_name2: str = _s("FileName2")
    file_type3: str = _s("FileType3")
    file_name3: str = _s("FileName3")
    user_data: str = _s("UserData")
    kakao_image_link: str = _s("kakaoImageLink", optional=True)  # FriendTalk image link
    kakao_user_key: str = _s("kakaoUserKey", optional=True)  # FriendTalk user key
    kakao_title: str = _s("kakaoTitle", optional=True)  # AlimTalk emphasised title
    kakao_quick: str = _s("kakaoQuick", optional=True)  # AlimTalk quick replies (JSON)
    kakao_wide: str = _s("kakaoWide", optional=True)  # FriendTalk wide image, Y/N
    rcs_message_base_id: str = _s("rcsMessageBaselId", optional=True)  # (sic) the document's key
    rcs_button: str = _s("rcsButton", optional=True)  # JSON
    rcs_header: int | None = _n_opt("rcsHeader")  # 0 none, 1 advertising
    rcs_footer: str = _s("rcsFooter", optional=True)  # opt-out number
    rcs_copy_allowed: str = _s("rcsCopyAllowed", optional=True)
    rcs_agency_id: str = _s("rcsAgencyId", optional=True)
    rcs_brand_key: str = _s("rcsBrandKey", optional=True)
    rcs_agency_key: str = _s("rcsAgencyKey", optional=True)
    reseller_code: str = _s("ResellerCode", optional=True)  # 9 digits (resellers; 39 if missing)
    extra: dict[str, Any] = _extra()

    @property
    def key(self) -> tuple[str, str, str]:
        """What a MsgSendRes is matched by."""
        return (self.user_msg_id, self.user_msg_sub_id, self.phone_no)


@record
class MsgSendRes(OneShotMessage):
    METHOD: ClassVar[str] = "MsgSendRes"
    user_msg_id: str = _s("UserMsgId")
    user_msg_sub_id: str = _s("UserMsgSubId")
    phone_no: str = _s("PhoneNo")
    msg_type: int = _n("MsgType")
    result: int = _n("Result")
    user_data: str = _s("UserData")
    extra: dict[str, Any] = _extra()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.user_msg_id, self.user_msg_sub_id, self.phone_no)


@record
class UploadFileNameReq(OneShotMessage):
    METHOD: ClassVar[str] = "UploadFileNameReq"
    file_extension: str = _s("FileExtension")
    extra: dict[str, Any] = _extra()


@record
class UploadFileNameRes(OneShotMessage):
    METHOD: ClassVar[str] = "UploadFileNameRes"
    result: int = _n("Result")
    file_name: str = _s("FileName")
    extra: dict[str, Any] = _extra()


@record
class UploadFileReq(OneShotMessage):
    """A chunk of file data (Base64); what we send (the example's method name)."""

    METHOD: ClassVar[str] = "UploadFileReq"
    data: str = _s("Data")
    extra: dict[str, Any] = _extra()


@record
class UploadFileDataReq(OneShotMessage):
    """The method table's name for a chunk of file data; accepted when decoding."""

    METHOD: ClassVar[str] = "UploadFileDataReq"
    data: str = _s("Data")
    extra: dict[str, Any] = _extra()


@record
class UploadFileRes(OneShotMessage):
    """Not in the document; tolerated if a server answers data chunks."""

    METHOD: ClassVar[str] = "UploadFileRes"
    result: int = _n("Result")
    extra: dict[str, Any] = _extra()


@record
class UploadFileFinishReq(OneShotMessage):
    METHOD: ClassVar[str] = "UploadFileFinishReq"
    file_name: str = _s("FileName")
    file_size: int = _n("FileSize")
    extra: dict[str, Any] = _extra()


@record
class UploadFileFinishRes(OneShotMessage):
    METHOD: ClassVar[str] = "UploadFileFinishRes"
    result: int = _n("Result")
    extra: dict[str, Any] = _extra()


@record
class ReportReq(OneShotMessage):
    METHOD: ClassVar[str] = "ReportReq"
    user_msg_id: str = _s("UserMsgId")
    user_msg_sub_id: str = _s("UserMsgSubId")
    server_msg_id: str = _s("ServerMsgId")
    msg_type: int = _n("MsgType")
    phone_no: str = _s("PhoneNo")
    result: int = _n("Result")
    telecom: str = _s("Telecom")
    delivery_time: str = _s("DeliveryTime")
    user_data: str = _s("UserData")
    extra: dict[str, Any] = _extra()

    def answer(self, result: int = 0) -> ReportRes:
        return ReportRes(self.user_msg_id, self.user_msg_sub_id, self.server_msg_id, result)


@record
class ReportRes(OneShotMessage):
    METHOD: ClassVar[str] = "ReportRes"
    user_msg_id: str = _s("UserMsgId")
    user_msg_sub_id: str = _s("UserMsgSubId")
    server_msg_id: str = _s("ServerMsgId")
    result: int = _n("Result")
    extra: dict[str, Any] = _extra()


@record
class SpamReq(OneShotMessage):
    METHOD: ClassVar[str] = "SpamReq"
    spam_id: str = _s("SpamId")
    phone_no: str = _s("PhoneNo")
    deny_no: str = _s("DenyNo")
    extra: dict[str, Any] = _extra()

    def answer(self, result: int = 0) -> SpamRes:
        return SpamRes(self.spam_id, self.phone_no, self.deny_no, result)


@record
class SpamRes(OneShotMessage):
    METHOD: ClassVar[str] = "SpamRes"
    spam_id: str = _s("SpamId")
    phone_no: str = _s("PhoneNo")
    deny_no: str = _s("DenyNo")
    result: int = _n("Result")
    extra: dict[str, Any] = _extra()


@record
class ChangePhoneReq(OneShotMessage):
    METHOD: ClassVar[str] = "ChangePhoneReq"
    server_msg_id: str = _s("ServerMsgId")
    phone_no: str = _s("PhoneNo")
    change_phone_no: str = _s("ChangePhoneNo")
    extra: dict[str, Any] = _extra()

    def answer(self, result: int = 0) -> ChangePhoneRes:
        return ChangePhoneRes(self.server_msg_id, self.phone_no, self.change_phone_no, result)


@record
class ChangePhoneRes(OneShotMessage):
    METHOD: ClassVar[str] = "ChangePhoneRes"
    server_msg_id: str = _s("ServerMsgId")
    phone_no: str = _s("PhoneNo")
    change_phone_no: str = _s("ChangePhoneNo")
    result: int = _n("Result")
    extra: dict[str, Any] = _extra()


@record
class UnBindReq(OneShotMessage):
    METHOD: ClassVar[str] = "UnBindReq"
    bind_id: str = _s("BindId")
    extra: dict[str, Any] = _extra()


@record
class UnBindRes(OneShotMessage):
    METHOD: ClassVar[str] = "UnBindRes"
    result: int = _n("Result")
    extra: dict[str, Any] = _extra()


@record
class GenericMessage:
    """A method this codec does not know: its body is kept as is."""

    method: str
    body: dict[str, Any] | str | None = None

    def __init__(self, method: str, body: dict[str, Any] | str | None = None) -> None:
        self.__dict__.update(method=method, body=body)

    def to_body(self) -> dict[str, Any] | str | None:
        return self.body


MESSAGE_TYPES: dict[str, type[OneShotMessage]] = {
    cls.METHOD: cls
    for cls in (
        PrivateKeyReq,
        PrivateKeyRes,
        BindReq,
        BindRes,
        MsgSendReq,
        MsgSendRes,
        UploadFileNameReq,
        UploadFileNameRes,
        UploadFileDataReq,
        UploadFileReq,
        UploadFileRes,
        UploadFileFinishReq,
        UploadFileFinishRes,
        ReportReq,
        ReportRes,
        AliveReq,
        AliveRes,
        SpamReq,
        SpamRes,
        ChangePhoneReq,
        ChangePhoneRes,
        UnBindReq,
        UnBindRes,
    )
}

# Bodies encrypted with the configured key even when `encrypt` is off.
ALWAYS_ENCRYPTED = frozenset({"BindReq", "BindRes", "UnBindReq", "UnBindRes"})


def parse_message(
    method: str, body: dict[str, Any] | str | None
) -> OneShotMessage | GenericMessage:
    """The message object for a decoded (and, if it was, decrypted) body."""
    cls = MESSAGE_TYPES.get(method)
    if cls is None:
        return GenericMessage(method, body)
    return cls.from_body(body)
