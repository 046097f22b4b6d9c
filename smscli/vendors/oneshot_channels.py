"""OneShot's Kakao and RCS fields (spec 003 §3.3.6): a rendered :class:`Message` with a
``channel`` becomes MsgType 7 / 71 / 8 / 9–12 and its ``Kakao*`` / ``kakao*`` / ``rcs*``
fields; reports of those types name their channel. OneShot has no fallback field: smscli
sends the fallback itself (:mod:`smscli.fallback`).

Profile keys: ``kakao_nation_code`` (default "82"), ``rcs_agency_id``, ``rcs_brand_key``,
``rcs_agency_key``, ``reseller_code`` (9 digits, sent with every message when set).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from smscli import rcs_suggestions
from smscli.content import RCS_BASES, Kakao, buttons_text
from smscli.errors import ConfigError
from smscli.fastjson import compact

if TYPE_CHECKING:
    from smscli.config import Profile
    from smscli.models import Message

# Message.type of a channel message → OneShot MsgType (and back, for reports).
MSG_TYPES: dict[str, int] = {
    "alimtalk": 7, "alimtalk-image": 71, "friendtalk": 8,
    "rcs-sms": 9, "rcs-lms": 10, "rcs-mms": 11, "rcs-template": 12,
}
CHANNELS: dict[int, str] = {code: name for name, code in MSG_TYPES.items()}
DEFAULT_NATION_CODE = "82"


@dataclass(frozen=True)
class ChannelSettings:
    """The profile's values for Kakao/RCS fields (read once per vendor)."""

    nation_code: str = DEFAULT_NATION_CODE
    reseller_code: str = ""
    rcs_agency_id: str = ""
    rcs_brand_key: str = field(default="", repr=False)
    rcs_agency_key: str = field(default="", repr=False)


def load_channel_settings(profile: Profile) -> ChannelSettings:
    """Read and check the profile's Kakao/RCS keys (ConfigError naming the key)."""
    def text(key: str, default: str = "") -> str:
        value = profile.get(key, default)
        return default if value is None else str(value).strip()

    where = f"profile '{getattr(profile, 'name', '?')}'"
    reseller = text("reseller_code")
    if reseller and not (len(reseller) == 9 and reseller.isascii() and reseller.isdigit()):
        raise ConfigError(f"{where}: reseller_code must be 9 digits, not {reseller!r}",
                          hint="OneShot answers 39 when a reseller's code is missing")
    nation = text("kakao_nation_code", DEFAULT_NATION_CODE) or DEFAULT_NATION_CODE
    if not (nation.isascii() and nation.isdigit() and len(nation) <= 4):
        raise ConfigError(f"{where}: kakao_nation_code must be a country calling code such as 82, "
                          f"not {nation!r}")
    return ChannelSettings(nation_code=nation, reseller_code=reseller,
                           rcs_agency_id=text("rcs_agency_id"), rcs_brand_key=_secret(profile, "rcs_brand_key"),
                           rcs_agency_key=_secret(profile, "rcs_agency_key"))


def _secret(profile: Profile, key: str) -> str:
    """A key that may be a secret (inline, ``<key>_env`` or ``<key>_command``); "" unset."""
    if any(profile.get(name) not in (None, "") for name in (key, f"{key}_env", f"{key}_command")):
        return str(profile.secret(key)).strip()
    return ""


_COMPACT = compact()  # json.dumps(separators=(",", ":"), ensure_ascii=False), one C call


def buttons_json(channel: Kakao) -> str:
    """The buttons as OneShot carries them: a JSON string ``{"button": [...]}`` ("" for none)."""
    return '{"button":[' + buttons_text(channel) + "]}" if channel.buttons else ""


def message_fields(msg: Message, callback: str, reseller_code: str) -> dict[str, Any]:
    """The MsgSendReq fields every message of ``msg``'s carries, where they differ from
    their defaults: ids, numbers, text, the campaign tag, the reseller code and the files
    (:func:`image_names`); the caller adds ``msg_type`` and what its type needs."""
    out: dict[str, Any] = {"user_msg_id": msg.id, "phone_no": msg.to, "callback_no": callback,
                           "message": msg.text}
    if msg.tag:
        out["user_data"] = msg.tag  # the campaign tag; the server echoes it in the report
    if reseller_code:
        out["reseller_code"] = reseller_code
    ch = msg.channel
    if msg.file_keys or (ch is not None and isinstance(ch, Kakao) and ch.image_url):
        names = image_names(msg)
        if names:
            out["file_count"] = len(names)
            for i, name in enumerate(names, start=1):
                out[f"file_type{i}"] = "IMG"
                out[f"file_name{i}"] = name
    return out


def request_fields(msg: Message, cs: ChannelSettings, callback: str) -> dict[str, Any]:
    """The MsgSendReq fields (``MsgSendReq`` attribute names) of a channel message that
    differ from their defaults (``MsgSendReq.of`` fills in the rest): the message's,
    ``callback`` the sender, its files, ``msg_type`` and the Kakao or RCS ones. Files (an
    AlimTalk/FriendTalk image, the RCS MMS image) go through ``file_keys`` like MMS.
    ``rcsButton`` is the document's "RCS 버튼" with no format of its own: the RCS
    suggestions as Bizppurio's document writes them (one card, ``[{"suggestions": [...]}]``),
    the only RCS button format our documents define."""
    ch = msg.channel
    assert ch is not None
    out = message_fields(msg, callback, cs.reseller_code)
    out["msg_type"] = MSG_TYPES[msg.type]
    if isinstance(ch, Kakao):
        out["kakao_ad_flag"] = "Y" if ch.ad else "N"
        out["kakao_nation_code"] = cs.nation_code
        out["kakao_sender_key"] = ch.sender_key
        out["kakao_template_code"] = ch.template
        if ch.timeout:
            out["kakao_timeout"] = int(ch.timeout)
        if ch.buttons:
            out["kakao_button"] = buttons_json(ch)
        if ch.quick_replies:
            out["kakao_quick"] = '{"quickReply":[' + buttons_text(ch, "quick_replies") + "]}"
        if ch.image_link:
            out["kakao_image_link"] = ch.image_link
        if ch.title:
            out["kakao_title"] = ch.title
        if ch.user_key:
            out["kakao_user_key"] = ch.user_key
        if ch.type == "friendtalk" and (ch.image_url or msg.file_keys):
            out["kakao_wide"] = "Y" if ch.wide else "N"
        return out
    out.update(
        subject=ch.title,
        rcs_message_base_id=ch.base_id or RCS_BASES.get(ch.type, ""),
        rcs_button=_COMPACT(rcs_suggestions.card(ch.buttons)) if ch.buttons else "",
        rcs_header=1 if ch.ad else 0,
        rcs_footer=ch.footer,
        rcs_copy_allowed="Y" if ch.copy_allowed else "N",
        rcs_agency_id=cs.rcs_agency_id,
        rcs_brand_key=cs.rcs_brand_key,
        rcs_agency_key=cs.rcs_agency_key,
    )
    return out


def image_names(msg: Message) -> list[str]:
    """The file names a message attaches: uploaded keys, else a Kakao image URL (Kakao
    fetches FriendTalk/AlimTalk images by URL)."""
    names = list(msg.file_keys)[:3]
    if not names and isinstance(msg.channel, Kakao) and msg.channel.image_url:
        names = [msg.channel.image_url]
    return names
