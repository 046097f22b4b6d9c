"""Bizppurio's Kakao and RCS: the ``content.at|ai|ft|rcs`` objects, ``resend`` +
``recontent`` for the fallback (the vendor falls back itself), and what a report says
about the channels (``RESEND_FLAG``, ``KAORES``/``TELRES``/``RCSRES`` and their times),
as Daou's public API v3 document has them (``../shared/spec/bizppurio-v3-public-README.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from smscli.content import Button, Channel, Kakao, Rcs, Text

# Our type → Bizppurio's ``type``.
WIRE_TYPES = {"alimtalk": "at", "alimtalk-image": "ai", "friendtalk": "ft",
              "rcs-sms": "rcs", "rcs-lms": "rcs", "rcs-mms": "rcs", "rcs-template": "rcs"}
# RCS common formats (message bases) for the types that need no template of their own.
RCS_BASES = {"rcs-sms": "SS000000", "rcs-lms": "SL000000", "rcs-mms": "SMwThT00"}
# A report's MEDIA → the channel it names.
MEDIA_CHANNELS = {"KAT": "alimtalk", "KFT": "friendtalk", "KFP": "friendtalk", "KFW": "friendtalk",
                  "RSS": "rcs-sms", "RLS": "rcs-lms", "RMS": "rcs-mms", "RTS": "rcs-template",
                  "SMS": "sms", "LMS": "lms", "MMS": "mms"}
# RESEND_FLAG → (the fallback's channel, the report key of its result, of its time). The
# polled form spells some keys differently (``teires``, ``resres``/``restime``).
RESEND = {"SMS": ("sms", ("telres", "teires"), "teltime"), "LMS": ("lms", ("telres", "teires"), "teltime"),
          "MMS": ("mms", ("telres", "teires"), "teltime"), "AT": ("alimtalk", ("kaores",), "kaotime"),
          "FT": ("friendtalk", ("kaores",), "kaotime"), "RCS": ("rcs", ("rcsres", "resres"), "rcstime")}
# What a report keeps of the channels (journal and --json).
CHANNEL_FIELDS = ("resend_flag", "kaores", "kaotime", "telres", "teltime", "rcsres", "rcstime",
                  "retry_flag", "wapinfo", "result")


class Unsendable(Exception):
    """The channel cannot be sent as it is (the message is ``invalid``)."""


def buttons_json(buttons: tuple[Button, ...]) -> list[dict[str, str]]:
    return [b.to_json() for b in buttons]


def rcs_buttons(buttons: tuple[Button, ...]) -> list[dict[str, Any]]:
    """RCS suggestions (one card): each WL button opens its ``url_mobile``."""
    if not buttons:
        return []
    return [{"suggestions": [{"action": {"urlAction": {"openUrl": {"url": b.url_mobile}},
                                         "displayText": b.name}} for b in buttons]}]


def channel_part(channel: Channel, profile: Any) -> tuple[str, dict[str, Any]]:
    """(Bizppurio ``type``, ``content[type]``) for a rendered Kakao/RCS channel."""
    wire = WIRE_TYPES[channel.type]
    if isinstance(channel, Kakao):
        key = channel.sender_key or str(profile.get("kakao_sender_key", "") or "")
        if not key:
            raise Unsendable(f"profile {getattr(profile, 'name', '?')!r} has no kakao_sender_key")
        part: dict[str, Any] = {"message": channel.body, "senderkey": key}
        if wire in ("at", "ai"):
            part["templatecode"] = channel.template
            if channel.title:
                part["title"] = channel.title
        if channel.buttons:
            part["button"] = buttons_json(channel.buttons)
        if wire == "ft":
            part["adflag"] = "Y" if channel.ad else "N"  # the vendor's default is Y
            if channel.image_url:
                image = {"img_url": channel.image_url}
                if channel.image_link:
                    image["img_link"] = channel.image_link
                part["image"] = image
                if channel.wide:
                    part["wide"] = "Y"
        return wire, part
    assert isinstance(channel, Rcs)
    chatbot = str(profile.get("rcs_chatbot_id", "") or "")
    if not chatbot:
        raise Unsendable(f"profile {getattr(profile, 'name', '?')!r} has no rcs_chatbot_id (RCS needs it)")
    message: dict[str, str] = {"description": channel.body}
    if channel.title:
        message["title"] = channel.title
    part = {"messagebaseid": channel.base_id or RCS_BASES.get(channel.type, ""), "chatbotid": chatbot,
            "header": "1" if channel.ad else "0", "copyallowed": "Y" if channel.copy_allowed else "N",
            "message": message}
    footer = channel.footer or (str(profile.get("optout_number", "") or "") if channel.ad else "")
    if channel.ad and not footer:
        raise Unsendable("RCS advertising (header 1) needs an opt-out footer: set the profile's optout_number")
    if footer:
        part["footer"] = footer
    agency = str(profile.get("rcs_agency_id", "") or "")
    if agency:
        part["agencyid"] = agency
    if channel.buttons:
        part["button"] = rcs_buttons(channel.buttons)
    return wire, part


def fallback_part(fallback: Text, file_keys: tuple[str, ...] = ()) -> tuple[dict[str, str], dict[str, Any]]:
    """(``resend``, ``recontent``) for a rendered fallback (its type concrete)."""
    kind = fallback.type
    part: dict[str, Any] = {"message": fallback.body}
    if kind != "sms" and fallback.subject:
        part["subject"] = fallback.subject
    if kind == "mms":
        part["file"] = [{"type": "IMG", "key": k} for k in file_keys]
    return {"first": kind}, {kind: part}


def report_channels(data: Mapping[str, str], delivered: Callable[[str], bool],
                    meaning: Callable[[str, str], str],
                    when: Callable[[str], str]) -> tuple[str, dict[str, str], str, str, str] | None:
    """For a Kakao/RCS report (lower-case keys): (channel that finally delivered or failed,
    the fallback ``{"type", "status", "code", "detail", "at"}`` or {}, the final code, its
    detail, delivered_at); None for a plain SMS/LMS/MMS report without a fallback."""
    first = MEDIA_CHANNELS.get(data.get("media", "").upper(), "")
    flag = data.get("resend_flag", "").strip().upper()
    if not flag and first in ("", "sms", "lms", "mms"):
        return None
    code = data.get("result", "")
    if not flag or flag not in RESEND:
        at = when(data.get("unixtime", "")) if delivered(code) else ""
        return first, {}, code, meaning(code, f"{first or 'message'} result {code or '?'}"), at
    fb_channel, res_keys, time_key = RESEND[flag]
    fb_code = next((data[k] for k in res_keys if data.get(k)), "")
    fb_ok = delivered(fb_code)
    fb_at = when(data.get(time_key, "")) if fb_ok else ""
    said = meaning(fb_code, f"{fb_channel} result {fb_code or '?'}")
    fallback = {"type": fb_channel, "status": "delivered" if fb_ok else "failed", "code": fb_code,
                "detail": said}
    if fb_at:
        fallback["at"] = fb_at
    if delivered(code):  # the first channel delivered after all: the fallback did not count
        return first, fallback, code, meaning(code, "delivered"), when(data.get("unixtime", ""))
    first_said = f"{first or 'first channel'} {code} {meaning(code, 'not delivered')}"
    return fb_channel, fallback, fb_code, f"{said} (fallback after {first_said})", fb_at
