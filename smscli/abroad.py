"""Messages to numbers outside Korea: what a vendor that sends abroad accepts there.

Only Bizppurio does (Daou's public API v3 document, "국제 메시지 발송"): SMS and LMS with
their own length table, counted in characters (SMS: 50 Korean / 150 Latin; LMS: 150 /
450), AlimTalk and FriendTalk up to 1000 characters, whose fallback may be an SMS or LMS.
A text in ASCII only is counted against the Latin limit; one with any other character
(Korean, an accent, an emoji) against the Korean one. A vendor says it sends abroad with
its ``abroad`` class attribute (:class:`AbroadLimits`, None: it does not); the send pipeline
(``smscli.dispatch.Prepared``) is the one place that asks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from smscli.text import InvalidInput


@dataclass(frozen=True)
class AbroadLimits:
    """Characters a message abroad may carry, per type: (Korean, Latin)."""

    sms: tuple[int, int] = (50, 150)
    lms: tuple[int, int] = (150, 450)
    kakao: int = 1000  # AlimTalk/FriendTalk, Korean or Latin
    types: frozenset[str] = frozenset({"sms", "lms", "alimtalk", "friendtalk"})
    fallbacks: frozenset[str] = frozenset({"sms", "lms"})  # a Kakao message's fallback

    def limit(self, kind: str, body: str) -> int:
        """The characters ``body`` may have as a ``kind`` (sms/lms) abroad."""
        korean, latin = self.sms if kind == "sms" else self.lms
        return latin if is_latin(body) else korean


def is_latin(body: str) -> bool:
    """Counted against the Latin limit: ASCII only."""
    return body.isascii()


def script(body: str) -> str:
    return "Latin" if is_latin(body) else "Korean"


def choose(limits: AbroadLimits, body: str, *, requested: str = "auto", subject: str = "",
           images: tuple[Any, ...] = (), what: str = "message", longer: str = "use type auto or lms") -> str:
    """The type (sms/lms) of ``body`` sent abroad: ``auto`` is an SMS when it fits the SMS
    limit and there is no subject, else an LMS; InvalidInput when it cannot go abroad
    (``longer``: what to do about an SMS that is too long)."""
    kind = (requested or "auto").strip().lower()
    if images or kind == "mms":
        raise InvalidInput(f"an MMS cannot be sent to a number outside Korea (send {' or '.join(sorted(limits.fallbacks))})")
    if not body.strip():
        raise InvalidInput(f"{what} is empty")
    size = len(body)
    if kind == "auto":
        kind = "sms" if size <= limits.limit("sms", body) and not subject else "lms"
    if kind not in ("sms", "lms"):
        raise InvalidInput(f"unknown message type {requested!r} (use auto, sms or lms abroad)")
    if kind == "sms" and subject:
        raise InvalidInput("an SMS has no subject (drop the subject or use type lms)")
    top = limits.limit(kind, body)
    if size > top:
        hint = f" ({longer})" if kind == "sms" else ""
        raise InvalidInput(f"{what} is {size} characters; an {kind.upper()} abroad carries at most {top} "
                           f"{script(body)} characters{hint}")
    return kind


def check_channel(limits: AbroadLimits, kind: str, body: str) -> None:
    """A Kakao/RCS ``kind`` abroad: InvalidInput when the vendor cannot send it there."""
    if kind not in limits.types:
        raise InvalidInput(f"{kind} cannot be sent to a number outside Korea "
                           f"(abroad: {', '.join(sorted(limits.types))})")
    if len(body) > limits.kakao:
        raise InvalidInput(f"the {kind} text is {len(body)} characters; abroad at most {limits.kakao}")


def channel_abroad(limits: AbroadLimits, channel: Any, content: Any) -> Any:
    """A rendered Kakao/RCS ``channel`` checked for sending abroad, its fallback's type
    chosen by the international table (``content``: what the user asked, whose fallback
    type may be ``auto``); InvalidInput when it cannot go abroad."""
    from dataclasses import replace

    check_channel(limits, channel.type, channel.body)
    fallback = getattr(channel, "fallback", None)
    if fallback is None:
        return channel
    asked = getattr(getattr(content, "fallback", None), "type", fallback.type)
    if asked not in ("auto", *limits.fallbacks):
        raise InvalidInput(f"a {asked} fallback cannot be sent to a number outside Korea "
                           f"(abroad: {', '.join(sorted(limits.fallbacks))})")
    kind = choose(limits, fallback.body, requested=asked, subject=fallback.subject, what="the fallback text",
                  longer="use --fallback lms, or --fallback auto to pick by length")
    return replace(channel, fallback=replace(fallback, type=kind, subject=fallback.subject if kind != "sms" else "",
                                             images=()))


def dry_run_object(limits: AbroadLimits, msg: Any, vendor: str, size: int) -> dict[str, object]:
    """What ``send --dry-run`` shows of a message abroad: its country and its length as the
    international table counts it (``characters`` of ``limit``, ``script`` Latin/Korean)."""
    from smscli.phone import split_international

    country, national = split_international(msg.to)
    kind = msg.type
    top = limits.limit(kind, msg.text) if kind in ("sms", "lms") else limits.kakao
    chars = len(msg.text)
    detail = f"abroad (+{country}): {chars} of {top} {script(msg.text)} characters"
    fallback = getattr(msg.channel, "fallback", None)
    shown: dict[str, object] = {}
    if fallback is not None:
        fb_top = limits.limit(fallback.type, fallback.body)
        detail += f", fallback {fallback.type} {len(fallback.body)} of {fb_top} characters"
        shown["fallback"] = {"type": fallback.type, "characters": len(fallback.body), "limit": fb_top}
    elif msg.channel is not None:
        detail += ", no fallback"
    return {"to": msg.to, "status": "valid", "message_id": msg.id, "vendor": vendor, "type": kind, "code": "",
            "detail": detail, "bytes": size, "country": country, "national": national, "characters": chars,
            "limit": top, "script": script(msg.text), **shown}
