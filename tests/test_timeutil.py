"""Korea time parsing whatever the machine's timezone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from smscli import clock, timeutil
from smscli.errors import UsageError
from smscli.timeutil import (
    KST,
    format_kst,
    now_kst,
    parse_relative,
    parse_since,
    parse_time,
    to_iso,
    to_kst,
)
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-11-23 09:00", "2026-11-23T00:00:00+00:00"),
        ("2026-11-23 09:00:30", "2026-11-23T00:00:30+00:00"),
        ("2026-11-23T09:00", "2026-11-23T00:00:00+00:00"),
        ("2026-11-23", "2026-11-22T15:00:00+00:00"),
        ("2026-11-23T09:00+00:00", "2026-11-23T09:00:00+00:00"),  # honoured as written
        ("2026-11-23T09:00Z", "2026-11-23T09:00:00+00:00"),
        ("2026-11-23T09:00:00-05:00", "2026-11-23T14:00:00+00:00"),
        ("  2026-11-23 09:00  ", "2026-11-23T00:00:00+00:00"),
    ],
)
def test_parse_time(text, utc):
    dt = parse_time(text)
    assert dt.tzinfo is not None
    assert dt.astimezone(UTC).isoformat() == utc


def test_time_without_offset_is_korea_time():
    dt = parse_time("2026-11-23 09:00")
    assert dt.utcoffset() == timedelta(hours=9)
    assert to_iso(dt) == "2026-11-23T09:00:00+09:00"


def test_offset_is_kept_as_written():
    dt = parse_time("2026-11-23T09:00+00:00")
    assert dt.utcoffset() == timedelta(0)
    assert to_iso(dt) == "2026-11-23T18:00:00+09:00"


@pytest.mark.parametrize("text", ["", "tomorrow", "2026-13-01 09:00", "2026-11-23 25:00", "09:00"])
def test_bad_times_are_usage_errors(text):
    with pytest.raises(UsageError) as info:
        parse_time(text)
    assert str(info.value).startswith("--at: ")
    assert "YYYY-MM-DD HH:MM" in str(info.value)
    assert info.value.exit_status == 2


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("30m", timedelta(minutes=30)),
        ("1h", timedelta(hours=1)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        ("90s", timedelta(seconds=90)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("2D", timedelta(days=2)),
    ],
)
def test_relative_since(text, delta):
    now = datetime(2026, 11, 21, 12, 0, tzinfo=KST)
    assert parse_relative(text) == delta
    assert parse_since(text, now=now) == now - delta


def test_since_accepts_times():
    assert to_iso(parse_since("2026-11-20 08:00")) == "2026-11-20T08:00:00+09:00"


@pytest.mark.parametrize("text", ["h", "1x", "1h-", "h1", "yesterday", ""])
def test_bad_since(text):
    assert parse_relative(text) is None
    with pytest.raises(UsageError, match="--since: cannot read"):
        parse_since(text)


def test_since_far_back_is_a_usage_error():
    with pytest.raises(UsageError, match="too far back"):
        parse_since("99999999999d")


def test_now_and_formatting():
    now = now_kst()
    assert now.utcoffset() == timedelta(hours=9)
    assert abs(now.timestamp() - clock.time()) < 5
    assert to_iso(datetime(2026, 1, 2, 3, 4, 5, 678)) == "2026-01-02T03:04:05+09:00"  # naive = KST
    assert format_kst(datetime(2026, 1, 1, 15, 30, tzinfo=UTC)) == "2026-01-02 00:30"
    assert to_kst(datetime(2026, 1, 1, tzinfo=UTC)).hour == 9


def test_now_is_smscli_clock():
    with clock.frozen(datetime(2026, 11, 23, 9, 0)):
        assert now_kst() == datetime(2026, 11, 23, 9, 0, tzinfo=KST)
        assert parse_since("1h") == datetime(2026, 11, 23, 8, 0, tzinfo=KST)


def test_fallback_without_tzdata(monkeypatch):
    import zoneinfo

    def missing(key):
        raise zoneinfo.ZoneInfoNotFoundError(key)

    monkeypatch.setattr(zoneinfo, "ZoneInfo", missing)
    assert clock._load_kst() is clock.FIXED_KST
    monkeypatch.undo()
    assert clock._load_kst() is not clock.FIXED_KST and timeutil.KST is clock.KST
    # What the modules do with the fallback zone:
    monkeypatch.setattr(clock, "KST", clock.FIXED_KST)
    monkeypatch.setattr(timeutil, "KST", clock.FIXED_KST)
    assert to_iso(parse_time("2026-11-23 09:00")) == "2026-11-23T09:00:00+09:00"
    assert now_kst().utcoffset() == timedelta(hours=9) and now_kst().tzinfo is clock.FIXED_KST


def test_machine_timezone_does_not_matter_in_process(monkeypatch):
    if not hasattr(time, "tzset"):
        pytest.skip("no time.tzset")
    try:
        for tz in ("UTC", "America/New_York"):
            monkeypatch.setenv("TZ", tz)
            time.tzset()
            assert to_iso(parse_time("2026-11-23 09:00")) == "2026-11-23T09:00:00+09:00"
            assert abs(now_kst().timestamp() - clock.time()) < 5
    finally:
        monkeypatch.undo()
        time.tzset()


_PROBE = """
import json, time
from smscli.timeutil import now_kst, parse_time, parse_since, to_iso
print(json.dumps({
    "at": to_iso(parse_time("2026-11-23 09:00")),
    "at_utc": parse_time("2026-11-23 09:00").timestamp(),
    "since": (now_kst() - parse_since("1h")).total_seconds(),
    "now": now_kst().timestamp(),
    "offset": now_kst().utcoffset().total_seconds(),
    "local": time.strftime("%Z"),
}))
"""


@pytest.mark.parametrize("tz", ["UTC", "America/New_York", "Asia/Seoul"])
def test_machine_timezone_does_not_matter_in_subprocess(tz):
    env = dict(os.environ, TZ=tz, PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, timeout=30, check=True
    )
    got = json.loads(out.stdout)
    assert got["at"] == "2026-11-23T09:00:00+09:00"
    assert got["at_utc"] == datetime(2026, 11, 23, 0, 0, tzinfo=UTC).timestamp()
    assert 3599 <= got["since"] <= 3605
    assert abs(got["now"] - clock.time()) < 5  # the same clock as this process (--clock-at)
    assert got["offset"] == 9 * 3600
