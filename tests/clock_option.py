"""``pytest --clock-at WHEN``: run the suite as if it were WHEN in Korea.

WHEN is ``HH:MM`` (today, Korea time) or ``YYYY-MM-DD HH:MM`` (Korea time). At the start
of the session the offset WHEN − now goes into :mod:`smscli.clock` here and into
``SMSCLI_CLOCK_OFFSET`` for every subprocess (``conftest.isolated_env`` puts it back after
clearing ``SMSCLI_*``). Time keeps running from WHEN: it is a shift, not a freeze. Without
the option the clock is the real one, whatever the outer shell exported.

Tests that need a particular moment use the ``clock_at`` fixture rather than the session's.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest

from smscli import clock

_session_offset = 0.0


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock-at", metavar="WHEN", default=None,
        help='shift smscli.clock (here and in subprocesses) to WHEN at the start: "HH:MM" '
             'today or "YYYY-MM-DD HH:MM", Korea time; time keeps running from there',
    )


def parse_when(text: str, today: datetime) -> datetime:
    """``HH:MM`` on ``today``'s date, or ``YYYY-MM-DD HH:MM``; aware, Korea time."""
    value = text.strip()
    try:
        if len(value) <= 5:
            moment = datetime.strptime(value, "%H:%M")
            return today.replace(hour=moment.hour, minute=moment.minute, second=0, microsecond=0)
        return datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=clock.KST)
    except ValueError:
        raise pytest.UsageError(f'--clock-at {text!r}: use "HH:MM" or "YYYY-MM-DD HH:MM" (Korea time)') from None


def session_offset() -> float:
    """The offset the session runs at (0.0 without ``--clock-at``)."""
    return _session_offset


def session_env() -> dict[str, str]:
    """What every test's environment gets so that subprocesses share the session's clock."""
    return {clock.ENV: repr(_session_offset)} if _session_offset else {}


def pytest_configure(config: pytest.Config) -> None:
    global _session_offset
    when = config.getoption("--clock-at")
    real_today = datetime.fromtimestamp(time.time(), clock.KST)
    _session_offset = clock.offset_to(parse_when(when, real_today)) if when else 0.0
    clock.set_offset(_session_offset)
    os.environ.pop(clock.ENV, None)
    os.environ.update(session_env())


def pytest_report_header(config: pytest.Config) -> str:
    if not _session_offset:
        return "smscli.clock: the real time"
    return f"smscli.clock: shifted to {clock.now():%Y-%m-%d %H:%M:%S} KST (offset {_session_offset:+.0f} s)"


def restore() -> None:
    """Back to the session's clock (after a test that moved it)."""
    clock.set_offset(_session_offset)


@pytest.fixture
def clock_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[datetime], None]]:
    """``clock_at(when)``: from now on this test, here and in its subprocesses, the clock
    reads ``when`` (naive = Korea time) and runs on; the session's clock comes back after."""

    def shift(when: datetime) -> None:
        offset = clock.offset_to(when)
        clock.set_offset(offset)
        monkeypatch.setenv(clock.ENV, repr(offset))

    yield shift
    restore()
