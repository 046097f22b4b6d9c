"""International messages in the Bizppurio simulator, as Daou's public API v3 document has
them ("국제 메시지 발송"): ``country`` (a country calling code, at most 3 digits) and the
national number in ``to``; types sms and lms (their length table: SMS 50 Korean / 150 Latin
characters, LMS 150 / 450), at and ft (1000 characters) with an sms or lms fallback.

Every refusal is the API's code 2000 (invalid message), its description saying what: a
country code the simulator does not know (:mod:`smscli.countries`; 82 is Korea, sent
without ``country``), a type not sent abroad, a text too long. Accepted SMS and LMS are
reported with MEDIA ``ISM``/``ILM`` (국제 SMS/LMS) and the usual results (4100, 6600).
"""

from __future__ import annotations

from typing import Any

from smscli import countries

TYPES = ("sms", "lms", "at", "ft")
FALLBACKS = ("sms", "lms")
LIMITS = {"sms": (50, 150), "lms": (150, 450)}  # (Korean, Latin) characters
KAKAO_CHARS = 1000
MEDIA = {"sms": "ISM", "lms": "ILM"}


class BadAbroad(ValueError):
    """The international request is malformed (code 2000 with this description)."""


def limit(kind: str, message: str) -> tuple[int, str]:
    """(characters allowed, "Latin"/"Korean"): ASCII text counts against the Latin limit."""
    korean, latin = LIMITS[kind]
    return (latin, "Latin") if message.isascii() else (korean, "Korean")


def _text(kind: str, message: Any, where: str) -> str:
    if not isinstance(message, str) or not message:
        raise BadAbroad(f"{where}.message is required")
    top, script = limit(kind, message)
    if len(message) > top:
        raise BadAbroad(f"{where}.message is {len(message)} characters; an international {kind} "
                        f"allows {top} {script} characters")
    return message


def check(kind: str, body: dict[str, Any]) -> str:
    """Check an international request (one with ``country``); its MEDIA for a report."""
    country = body.get("country")
    if not isinstance(country, str) or not country.isdigit() or not 1 <= len(country) <= 3:
        raise BadAbroad("country must be a country code of 1-3 digits")
    if country == countries.KOREA:
        raise BadAbroad("country 82 is Korea: send a Korean number without country")
    if country not in countries.CODES:
        raise BadAbroad(f"country {country} is not a country code")
    if kind not in TYPES:
        raise BadAbroad(f"type {kind} is not sent abroad (sms, lms, at, ft)")
    to = str(body.get("to", ""))
    if len(country) + len(to.lstrip("0")) > 15:
        raise BadAbroad("to is too long for an international number (15 digits with the country code)")
    content = body.get("content")
    part = content.get(kind) if isinstance(content, dict) else None
    if not isinstance(part, dict):
        raise BadAbroad(f"content.{kind} is required")
    if kind in LIMITS:
        _text(kind, part.get("message"), f"content.{kind}")
        subject = part.get("subject", "")
        if kind == "sms" and subject:
            raise BadAbroad("an international sms has no subject")
        if subject and (not isinstance(subject, str) or len(subject) > 64):
            raise BadAbroad("subject must be at most 64 characters")
        return MEDIA[kind]
    message = part.get("message")
    if isinstance(message, str) and len(message) > KAKAO_CHARS:
        raise BadAbroad(f"content.{kind}.message is {len(message)} characters; abroad at most {KAKAO_CHARS}")
    resend = body.get("resend")
    if resend is not None:
        first = resend.get("first") if isinstance(resend, dict) else None
        if first not in FALLBACKS:
            raise BadAbroad(f"resend.first abroad must be sms or lms, not {first}")
        recontent = body.get("recontent")
        fb = recontent.get(first) if isinstance(recontent, dict) else None
        _text(first, fb.get("message") if isinstance(fb, dict) else None, f"recontent.{first}")
    return ""
