"""The one wall clock: every "what time is it" in smscli reads it here.

- :func:`time`, :func:`time_ns` — Unix time, like :func:`time.time` / :func:`time.time_ns`;
  :func:`now` — the same moment as an aware datetime in Korea time (:data:`KST`).
- ``SMSCLI_CLOCK_OFFSET`` (seconds, may be negative or fractional), read once at import,
  shifts this clock in every process that inherits the variable: a testing aid
  (``SMSCLI_CLOCK_OFFSET=$((...)) smscli send ...`` runs a cron job "at 03:00").
- Tests: :func:`set_offset`, or the context managers :func:`shifted` (time keeps running
  from the shifted moment) and :func:`frozen` (time stands still), in this process only.

Durations, sleeps and timeouts are not wall-clock time: they keep using
:func:`time.monotonic`. Cheap to import: ``os``, ``time``, ``datetime``, ``contextlib``;
``zoneinfo`` only for a date before 1989 (see :class:`_Seoul`).
"""

from __future__ import annotations

import os
import time as _time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone, tzinfo

ENV = "SMSCLI_CLOCK_OFFSET"
FIXED_KST = timezone(timedelta(hours=9), "KST")


def _load_kst() -> tzinfo:
    """Asia/Seoul from the system or tzdata; a fixed +09:00 when no zone data is found
    (Korea has kept +09:00 without daylight saving since 1988)."""
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Seoul")
    except (ImportError, KeyError, OSError, ValueError):  # ZoneInfoNotFoundError is a KeyError
        return FIXED_KST


class _Seoul(tzinfo):
    """Korea time as Asia/Seoul has it, without loading zone data to start up: from 1989
    (after Korea's last daylight saving, 1988) a fixed +09:00 "KST", which is what
    Asia/Seoul says; before that, the zone data itself (``_load_kst``, on first use).
    Importing ``zoneinfo`` costs a few ms of every command (it reads ``sysconfig``).
    tests/test_clock.py compares the two over 1900-2100."""

    _zone: tzinfo | None = None

    def _old(self) -> tzinfo:
        if _Seoul._zone is None:
            _Seoul._zone = _load_kst()
        return _Seoul._zone

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        if dt is not None and dt.year >= _FIXED_FROM:
            return _NINE
        return self._old().utcoffset(None if dt is None else dt.replace(tzinfo=None))

    def dst(self, dt: datetime | None) -> timedelta | None:
        if dt is not None and dt.year >= _FIXED_FROM:
            return _ZERO
        return self._old().dst(None if dt is None else dt.replace(tzinfo=None))

    def tzname(self, dt: datetime | None) -> str | None:
        if dt is not None and dt.year >= _FIXED_FROM:
            return "KST"
        return self._old().tzname(None if dt is None else dt.replace(tzinfo=None))

    def fromutc(self, dt: datetime) -> datetime:
        if dt.year >= _FIXED_FROM:  # in UTC: 1989-01-01 00:00 local is still 1988 there
            return (dt + _NINE).replace(tzinfo=self)
        zone = self._old()
        return zone.fromutc(dt.replace(tzinfo=zone)).replace(tzinfo=self)

    def __repr__(self) -> str:
        return "smscli.clock.KST"

    def __reduce__(self) -> str:
        return "KST"  # pickles as the module's one instance


_FIXED_FROM = 1989  # Asia/Seoul: +09:00 without daylight saving since October 1988
_NINE, _ZERO = timedelta(hours=9), timedelta(0)
KST: tzinfo = _Seoul()


def _parse_env(text: str | None) -> tuple[float, str]:
    """The offset ``SMSCLI_CLOCK_OFFSET`` asks for, and why it cannot be used ("" if it can)."""
    if text is None or not text.strip():
        return 0.0, ""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if value != value or value in (float("inf"), float("-inf")):
        return 0.0, f"{ENV}={text!r} is not a number of seconds"
    return value, ""


_offset, _problem = _parse_env(os.environ.get(ENV))
_offset_ns = round(_offset * 1e9)
_frozen: float | None = None  # Unix time the clock stands at, or None: it runs


def _refuse() -> None:
    from smscli.errors import ConfigError

    raise ConfigError(_problem, hint="unset it, or give seconds such as -3600 or 5400.5")


def time() -> float:
    """Seconds since the Unix epoch, as this clock has it."""
    if _problem:
        _refuse()
    if _frozen is not None:
        return _frozen
    return _time.time() + _offset


def time_ns() -> int:
    """Nanoseconds since the Unix epoch, as this clock has it."""
    if _problem:
        _refuse()
    if _frozen is not None:
        return round(_frozen * 1e9)
    return _time.time_ns() + _offset_ns


def now() -> datetime:
    """The current moment in Korea time (aware)."""
    return datetime.fromtimestamp(time(), KST)


def offset() -> float:
    """Seconds this clock is ahead of the real one now (negative: behind)."""
    return _offset if _frozen is None else _frozen - _time.time()


def set_offset(seconds: float) -> None:
    """Shift this process's clock ``seconds`` ahead of the real one (and unfreeze it).

    Subprocesses follow only if they get ``SMSCLI_CLOCK_OFFSET`` in their environment.
    """
    global _offset, _offset_ns, _frozen, _problem
    _offset, _offset_ns, _frozen, _problem = float(seconds), round(seconds * 1e9), None, ""


def offset_to(when: datetime) -> float:
    """The offset that makes this clock read ``when`` now (a naive ``when`` is Korea time)."""
    moment = when.replace(tzinfo=KST) if when.tzinfo is None else when
    return moment.timestamp() - _time.time()


@contextmanager
def shifted(to: datetime) -> Iterator[None]:
    """Within the block the clock reads ``to`` (naive = Korea time) and runs on from there;
    the previous clock is restored after."""
    global _offset, _offset_ns, _frozen, _problem
    saved = _offset, _offset_ns, _frozen, _problem
    set_offset(offset_to(to))
    try:
        yield
    finally:
        _offset, _offset_ns, _frozen, _problem = saved


@contextmanager
def frozen(at: datetime | float) -> Iterator[None]:
    """Within the block the clock stands still at ``at`` (a datetime, naive = Korea time,
    or Unix seconds); the previous clock is restored after."""
    global _frozen, _problem
    saved = _frozen, _problem
    if isinstance(at, datetime):
        at = (at.replace(tzinfo=KST) if at.tzinfo is None else at).timestamp()
    _frozen, _problem = float(at), ""
    try:
        yield
    finally:
        _frozen, _problem = saved
