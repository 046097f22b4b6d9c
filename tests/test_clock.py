"""smscli.clock (the one wall clock), SMSCLI_CLOCK_OFFSET, and the --clock-at option."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest

from smscli import clock
from smscli.clock import KST
from tests.conftest import ROOT, run_cli

PROBE = "from smscli import clock; print(clock.time())"


def probe(env: dict[str, str] | None = None) -> float:
    """``clock.time()`` as a fresh Python process with ``env`` added reads it."""
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    out = subprocess.run([sys.executable, "-c", PROBE], env=full, capture_output=True, text=True,
                         timeout=30, check=True)
    return float(out.stdout)


def test_time_time_ns_and_now_agree():
    t, ns, now = clock.time(), clock.time_ns(), clock.now()
    assert abs(ns / 1e9 - t) < 1 and abs(now.timestamp() - t) < 1
    assert now.utcoffset() == timedelta(hours=9) and now.tzinfo is KST


def test_frozen_stands_still_and_restores():
    before = clock.offset()
    with clock.frozen(datetime(2026, 12, 31, 23, 59, 59)):
        first = clock.now()
        time.sleep(0.01)
        assert clock.now() == first == datetime(2026, 12, 31, 23, 59, 59, tzinfo=KST)
        assert clock.time_ns() == round(first.timestamp() * 1e9)
        with clock.frozen(0.0):
            assert clock.time() == 0.0
        assert clock.now() == first
    assert abs(clock.offset() - before) < 0.01


def test_shifted_keeps_running_and_restores():
    before = clock.offset()
    with clock.shifted(datetime(2027, 1, 1, 3, 0)):
        start = clock.now()
        assert abs(start.timestamp() - datetime(2027, 1, 1, 3, 0, tzinfo=KST).timestamp()) < 1
        time.sleep(0.05)
        assert clock.now() > start
    assert clock.offset() == before


def test_set_offset_moves_the_clock_by_seconds():
    before = clock.offset()
    try:
        clock.set_offset(before + 86400)
        assert abs(clock.time() - (time.time() + before + 86400)) < 1
    finally:
        clock.set_offset(before)


def test_the_environment_variable_shifts_a_new_process():
    assert abs(probe({clock.ENV: "-3600"}) - (time.time() - 3600)) < 5
    assert abs(probe({clock.ENV: "90000.5"}) - (time.time() + 90000.5)) < 5
    assert abs(probe({clock.ENV: ""}) - time.time()) < 5


def test_the_cli_runs_at_the_shifted_time():
    offset = clock.offset_to(datetime(2031, 1, 1, 3, 0))
    got = run_cli("reserve", "--at", "2030-06-01 09:00", "--to", "01012345678", "-m", "x",
                  env={clock.ENV: repr(offset)})
    assert got.returncode == 2
    assert got.stderr.decode().startswith(
        "smscli: --at '2030-06-01 09:00' is in the past (Korea time now: 2031-01-01 03:0")


@pytest.mark.parametrize("value", ["abc", "nan", "inf", "1h"])
def test_an_unreadable_offset_is_a_config_error(value):
    got = run_cli("reserve", "--at", "2099-06-01 09:00", "--to", "01012345678", "-m", "x",
                  env={clock.ENV: value})
    assert got.returncode == 3
    err = got.stderr.decode()
    assert err.startswith(f"smscli: SMSCLI_CLOCK_OFFSET={value!r} is not a number of seconds")
    assert err.count("\n") == 1 and "Traceback" not in err


# --clock-at ------------------------------------------------------------------------------

INNER = f"""
import json, subprocess, sys
from smscli import clock

def test_report():
    here = clock.time()
    out = subprocess.run([sys.executable, "-c", {PROBE!r}], capture_output=True, text=True, check=True)
    print("CLOCK", json.dumps({{"here": here, "there": float(out.stdout)}}))
"""


def run_inner(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, float]]:
    """A pytest session with the --clock-at plugin and ``args``: what its test and a
    subprocess of that test read from smscli.clock."""
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_subprocess("-p", "tests.clock_option", "-s", *args)
    lines = [line.partition("CLOCK ")[2] for line in result.outlines if "CLOCK {" in line]
    return result, json.loads(lines[0]) if lines else {}


@pytest.fixture
def inner_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv(clock.ENV, "86400")  # what an outer shell exported: the option wins


@pytest.mark.parametrize("when", ["03:00", "2027-02-28 23:59"])
def test_clock_at_shifts_the_session_and_its_subprocesses(pytester, inner_env, when):
    real_before = datetime.fromtimestamp(time.time(), KST)
    result, got = run_inner(pytester, "--clock-at", when)
    assert result.ret == 0, result.outlines
    if len(when) == 5:  # today, Korea time (either side of a real midnight during the run)
        days = {real_before.date(), datetime.fromtimestamp(time.time(), KST).date()}
        targets = [datetime.combine(day, datetime.strptime(when, "%H:%M").time(), KST) for day in days]
    else:
        targets = [datetime.strptime(when, "%Y-%m-%d %H:%M").replace(tzinfo=KST)]
    here = datetime.fromtimestamp(got["here"], KST)
    assert any(timedelta(0) <= here - target < timedelta(seconds=30) for target in targets), here
    assert 0 <= got["there"] - got["here"] < 10  # the subprocess runs on the same shifted clock
    assert any(f"smscli.clock: shifted to {target:%Y-%m-%d %H:%M}" in result.stdout.str()
               for target in targets)


def test_without_clock_at_the_session_has_the_real_clock(pytester, inner_env):
    result, got = run_inner(pytester)
    assert result.ret == 0, result.outlines
    assert abs(got["here"] - time.time()) < 30 and 0 <= got["there"] - got["here"] < 10
    assert "smscli.clock: the real time" in result.stdout.str()


def test_clock_at_that_is_not_a_time_is_a_usage_error(pytester, inner_env):
    result, _ = run_inner(pytester, "--clock-at", "25:00")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--clock-at '25:00': use \"HH:MM\" or \"YYYY-MM-DD HH:MM\" (Korea time)" in result.stderr.str()


def test_the_variable_is_never_a_profile_key(monkeypatch, tmp_path):
    from smscli.config import Paths, resolve_profile

    monkeypatch.setenv(clock.ENV, "3600")
    monkeypatch.setenv("SMSCLI_WINDOW", "7")  # an ordinary key, for contrast
    table = {"vendor": "oneshot", "clock_offset": "from-file", "window": 3}
    profile = resolve_profile("p", table, Paths(tmp_path / "config.toml", tmp_path / "data"))
    assert profile.get("clock_offset") == "from-file" and profile.source("clock_offset") == "file"
    assert profile.get("window") == 7 and profile.source("window") == "env"


def test_kst_is_asia_seoul_from_1900_to_2100() -> None:
    """``clock.KST`` answers as the zone data does (it loads them only before 1989)."""
    import pickle
    from datetime import UTC
    from zoneinfo import ZoneInfo

    seoul = ZoneInfo("Asia/Seoul")
    moment = datetime(1900, 1, 1, tzinfo=UTC)
    step = timedelta(days=13, hours=7, minutes=31)  # walks through every hour of the day
    while moment.year < 2100:
        ours, theirs = moment.astimezone(KST), moment.astimezone(seoul)
        assert ours.replace(tzinfo=None) == theirs.replace(tzinfo=None), moment
        assert (ours.utcoffset(), ours.dst(), ours.tzname()) == (theirs.utcoffset(), theirs.dst(),
                                                                 theirs.tzname()), moment
        assert ours.isoformat() == theirs.isoformat() and ours == theirs, moment
        local = theirs.replace(tzinfo=None)
        assert local.replace(tzinfo=KST).utcoffset() == local.replace(tzinfo=seoul).utcoffset(), moment
        moment += step
    for local in (datetime(1988, 5, 8, 2, 30), datetime(1988, 10, 9, 2, 30), datetime(1988, 12, 31, 23, 59),
                  datetime(1989, 1, 1), datetime(2026, 12, 31, 23, 59)):
        for fold in (0, 1):
            at = local.replace(fold=fold)
            assert at.replace(tzinfo=KST).timestamp() == at.replace(tzinfo=seoul).timestamp(), at
    assert pickle.loads(pickle.dumps(datetime(2026, 1, 2, tzinfo=KST))).tzinfo is KST
    assert KST.utcoffset(None) is None and KST.tzname(None) == seoul.tzname(None)
