"""Korea time: parsing ``--at`` / ``--since`` and formatting timestamps.

A time written without an offset is Korea time (Asia/Seoul, the vendors' clock) whatever
the machine's timezone; a time with an offset (``2026-11-23T09:00+00:00``, ``...Z``) is
honoured as written. Every datetime returned is timezone-aware.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from smscli import clock
from smscli.clock import FIXED_KST, KST  # noqa: F401  (FIXED_KST: re-exported)
from smscli.errors import UsageError

_HINT = "use YYYY-MM-DD HH:MM (Korea time) or ISO 8601 such as 2026-11-23T09:00+09:00"
_RELATIVE = r"(?i)(\d+)\s*([smhdw])"  # compiled on first use (re's cache), not at import
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def now_kst() -> datetime:
    """The current time in Korea (aware), from :mod:`smscli.clock`."""
    return clock.now()


def to_kst(dt: datetime) -> datetime:
    """``dt`` in Korea time; a naive ``dt`` is taken to be Korea time already."""
    return dt.replace(tzinfo=KST) if dt.tzinfo is None else dt.astimezone(KST)


def to_iso(dt: datetime) -> str:
    """ISO 8601 in Korea time to the second: ``2026-11-21T10:00:00+09:00``.

    All such strings have the same length and offset, so they sort as text (the journal
    relies on this).
    """
    return to_kst(dt).isoformat(timespec="seconds")


def format_kst(dt: datetime) -> str:
    """``2026-11-23 09:00`` in Korea time, for people."""
    return to_kst(dt).strftime("%Y-%m-%d %H:%M")


def parse_time(value: str, *, option: str = "--at") -> datetime:
    """Parse ``YYYY-MM-DD HH:MM[:SS]``, ``YYYY-MM-DD`` (midnight) or ISO 8601.

    Without an offset the time is Korea time; with one it is kept as written. Raises
    ``UsageError`` naming ``option`` when the text is not a time.
    """
    text = value.strip()
    if not text:
        raise UsageError(f"{option}: empty time", hint=_HINT)
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option}: cannot read {value!r} as a time", hint=_HINT) from None
    return dt.replace(tzinfo=KST) if dt.tzinfo is None else dt


def parse_relative(value: str) -> timedelta | None:
    """``30m``, ``1h``, ``2d``, ``1w``, ``90s`` or combinations like ``1h30m``; else None."""
    text = value.strip().replace(" ", "")
    if not text:
        return None
    pos, total = 0, timedelta()
    for m in re.finditer(_RELATIVE, text):
        if m.start() != pos:
            return None
        total += timedelta(**{_UNITS[m.group(2).lower()]: int(m.group(1))})
        pos = m.end()
    return total if pos == len(text) and pos > 0 else None


def parse_since(value: str, *, now: datetime | None = None, option: str = "--since") -> datetime:
    """A relative age (``30m``, ``1h``, ``2d``: that long before ``now``) or a time as
    :func:`parse_time` reads it. Raises ``UsageError`` naming ``option``."""
    try:
        delta = parse_relative(value)
    except OverflowError:
        raise UsageError(f"{option}: {value!r} is too far back") from None
    if delta is not None:
        try:
            return (now or now_kst()) - delta
        except OverflowError:
            raise UsageError(f"{option}: {value!r} is too far back") from None
    try:
        return parse_time(value, option=option)
    except UsageError:
        raise UsageError(
            f"{option}: cannot read {value!r}",
            hint="use an age such as 30m, 1h or 2d, or a time such as 2026-11-23 09:00 (Korea time)",
        ) from None
