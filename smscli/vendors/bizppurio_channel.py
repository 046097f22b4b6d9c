"""Bizppurio's Kakao and RCS requests: the ``content.at|ai|ft|rcs`` objects and ``resend`` +
``recontent`` for the fallback (the vendor falls back itself), as Daou's public API v3
document has them (``../shared/spec/bizppurio-v3-public-README.md``). Their reports:
:mod:`smscli.vendors.bizppurio_reports`.
"""

from __future__ import annotations

from typing import Any

from smscli import rcs_suggestions
from smscli.content import RCS_BASES, Button, Channel, Kakao, Rcs, Text

# Our type → Bizppurio's ``type``.
WIRE_TYPES = {"alimtalk": "at", "alimtalk-image": "ai", "friendtalk": "ft",
              "rcs-sms": "rcs", "rcs-lms": "rcs", "rcs-mms": "rcs", "rcs-template": "rcs"}


class Unsendable(Exception):
    """The channel cannot be sent as it is (the message is ``invalid``)."""


def buttons_json(buttons: tuple[Button, ...]) -> list[dict[str, str]]:
    return [b.to_json() for b in buttons]


def rcs_buttons(buttons: tuple[Button, ...]) -> list[dict[str, Any]]:
    """RCS suggestions (one card), as the document's actions (smscli.rcs_suggestions)."""
    return rcs_suggestions.card(buttons)


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
        if channel.quick_replies:
            part["quickreply"] = buttons_json(channel.quick_replies)
        if wire == "ft":
            part["adflag"] = "Y" if channel.ad else "N"  # the vendor's default is Y
            if channel.user_key:
                part["userkey"] = channel.user_key
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
    if channel.images:
        raise Unsendable("Bizppurio takes an RCS image as its maapfile:// id, not a file")
    if channel.media:
        message["media"] = channel.media[0]
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
