"""Bizppurio's delivery reports, polled (lower-case keys) or pushed (upper-case keys, seed
004), as :class:`~smscli.models.Report`; for Kakao/RCS messages also which channel finally
delivered and what became of the fallback the vendor sent itself (``RESEND_FLAG``,
``KAORES``/``KAOTIME``, ``TELRES``/``TELTIME``, ``RCSRES``/``RCSTIME``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from smscli.models import DELIVERED, FAILED, Report

NAME = "bizppurio"
KST = timezone(timedelta(hours=9))
DELIVERED_CODES = frozenset({"4100", "6600", "7000", "8000"})  # SMS, LMS/MMS, Kakao, RCS (codes "rcs")
# A report's MEDIA → the channel it names.
MEDIA_CHANNELS = {"KAT": "alimtalk", "KFT": "friendtalk", "KFP": "friendtalk", "KFW": "friendtalk",
                  "RSS": "rcs-sms", "RLS": "rcs-lms", "RMS": "rcs-mms", "RTS": "rcs-template",
                  "SMS": "sms", "LMS": "lms", "MMS": "mms"}
# RESEND_FLAG → (the fallback's channel, the report key of its result, of its time).
RESEND = {"SMS": ("sms", "telres", "teltime"), "LMS": ("lms", "telres", "teltime"),
          "MMS": ("mms", "telres", "teltime"), "AT": ("alimtalk", "kaores", "kaotime"),
          "FT": ("friendtalk", "kaores", "kaotime"), "RCS": ("rcs", "rcsres", "rcstime")}
# The polled form spells some keys differently (seed 004's polling table).
POLLED_SPELLINGS = {"teires": "telres", "resres": "rcsres", "restime": "rcstime"}
# What a report keeps of the channels (journal and --json).
CHANNEL_FIELDS = ("resend_flag", "kaores", "kaotime", "telres", "teltime", "rcsres", "rcstime",
                  "retry_flag", "wapinfo", "result")


def kst_iso(unixtime: str | int | float) -> str:
    """Unix seconds → ISO 8601 in Korea time (``2026-11-21T10:00:00+09:00``); "" if unreadable."""
    try:
        return datetime.fromtimestamp(int(float(unixtime)), KST).isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        return ""


def parse_report(item: Mapping[str, Any]) -> Report:
    """A report from a polled page (lower-case keys) or a push (upper-case keys)."""
    from smscli.transports.http import code_meaning

    data = {str(k).strip().lower().replace(" ", "_"): "" if v is None else str(v) for k, v in item.items()}
    for polled, pushed in POLLED_SPELLINGS.items():
        if data.get(polled) and not data.get(pushed):
            data[pushed] = data[polled]
    message_id = data.get("refkey") or data.get("cmsgid") or data.get("msgid", "")
    extra = {k: data[k] for k in ("msgid", "cmsgid", "device", "media", "wapinfo", "unixtime", "userdata")
             if data.get(k)}
    channels = report_channels(data, lambda c, default: code_meaning(NAME, c, default))
    if channels is not None:
        channel, fallback, code, detail, at = channels
        extra.update({k: data[k] for k in CHANNEL_FIELDS if data.get(k)})
        ok = code in DELIVERED_CODES
        return Report(message_id=message_id, to=data.get("phone", ""), status=DELIVERED if ok else FAILED,
                      code=code, detail=detail, vendor=NAME, delivered_at=at if ok else "", extra=extra,
                      channel=channel, fallback=fallback)
    code = data.get("result", "")
    delivered = code in DELIVERED_CODES
    media = data.get("media") or data.get("device", "")
    default = "delivered" if delivered else f"not delivered ({media or 'message'} result {code or '?'})"
    return Report(
        message_id=message_id,
        to=data.get("phone", ""),
        status=DELIVERED if delivered else FAILED,
        code=code,
        detail=code_meaning(NAME, code, default),
        vendor=NAME,
        delivered_at=kst_iso(data.get("unixtime", "")) if delivered else "",
        extra=extra,
    )


def report_channels(data: Mapping[str, str], meaning: Callable[[str, str], str]
                    ) -> tuple[str, dict[str, str], str, str, str] | None:
    """For a Kakao/RCS report (lower-case keys): (channel that finally delivered or failed,
    the fallback ``{"type", "status", "code", "detail", "at"}`` or {}, the final code, its
    detail, delivered_at); None for a plain SMS/LMS/MMS report without a fallback."""
    delivered = DELIVERED_CODES.__contains__
    first = MEDIA_CHANNELS.get(data.get("media", "").upper(), "")
    flag = data.get("resend_flag", "").strip().upper()
    if not flag and first in ("", "sms", "lms", "mms"):
        return None
    code = data.get("result", "")
    if flag not in RESEND:
        at = kst_iso(data.get("unixtime", "")) if delivered(code) else ""
        return first, {}, code, meaning(code, f"{first or 'message'} result {code or '?'}"), at
    fb_channel, res_key, time_key = RESEND[flag]
    fb_code = data.get(res_key, "")
    fb_ok = delivered(fb_code)
    fb_at = kst_iso(data.get(time_key, "")) if fb_ok else ""
    said = meaning(fb_code, f"{fb_channel} result {fb_code or '?'}")
    fallback = {"type": fb_channel, "status": "delivered" if fb_ok else "failed", "code": fb_code,
                "detail": said}
    if fb_at:
        fallback["at"] = fb_at
    if delivered(code):  # the first channel delivered after all: the fallback did not count
        return first, fallback, code, meaning(code, "delivered"), kst_iso(data.get("unixtime", ""))
    first_said = f"{first or 'first channel'} {code} {meaning(code, 'not delivered')}"
    return fb_channel, fallback, fb_code, f"{said} (fallback after {first_said})", fb_at
