"""The send pacer: evenly spaced, never a burst, slower after a 903."""

from __future__ import annotations

import pytest

from smscli.protocol.oneshot.pacing import Pacer


def simulate(pacer: Pacer, count: int, start: float = 0.0) -> list[float]:
    """Send ``count`` messages as fast as the pacer allows; return the send times."""
    now, times = start, []
    for _ in range(count):
        now += pacer.delay(now)
        pacer.take(now)
        times.append(now)
    return times


@pytest.mark.parametrize("speed", [1, 3, 10, 100])
def test_no_second_ever_holds_more_than_speed(speed: int) -> None:
    times = simulate(Pacer(speed), speed * 5, start=0.37)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) == pytest.approx(1 / speed)
    # Any one-second window (sliding, so also the server's wall-clock seconds).
    for i, t in enumerate(times):
        assert sum(1 for u in times[i:] if u < t + 1.0 - 1e-9) <= speed


def test_idle_time_earns_no_burst() -> None:
    pacer = Pacer(10)
    simulate(pacer, 5)
    times = simulate(pacer, 5, start=100.0)  # after a long pause
    assert times[1] - times[0] == pytest.approx(0.1)


def test_unknown_speed_is_unpaced_until_told_off() -> None:
    pacer = Pacer(0)
    assert simulate(pacer, 3) == [0.0, 0.0, 0.0]
    pacer.back_off(5.0)
    assert pacer.delay(5.0) == pytest.approx(1.0)
    times = simulate(pacer, 3, start=5.0)
    assert times[0] == pytest.approx(6.0) and times[1] - times[0] == pytest.approx(0.02)


def test_back_off_slows_down() -> None:
    pacer = Pacer(10)
    pacer.back_off(0.0)
    assert pacer.interval == pytest.approx(0.15)
    assert pacer.delay(0.0) == pytest.approx(1.0)


def test_answers_to_one_burst_back_off_once() -> None:
    pacer = Pacer(10)
    for _ in range(10):  # ten 903 answers to sends already in flight
        pacer.back_off(0.0)
    assert pacer.interval == pytest.approx(0.15)
    pacer.back_off(1.5)  # a new complaint after the pause counts again
    assert pacer.interval == pytest.approx(0.225)


def test_a_complaint_when_the_pause_ends_counts_again() -> None:
    pacer = Pacer(10)
    pacer.back_off(0.0)
    pacer.back_off(1.0)  # the pause (1 s) is over at 1.0 exactly
    assert pacer.interval == pytest.approx(0.225)


@pytest.mark.parametrize("speed", [None, 0, -0.5, -5])
def test_no_or_a_negative_speed_is_unpaced(speed: float | None) -> None:
    pacer = Pacer() if speed is None else Pacer(speed)
    assert pacer.interval == 0.0
    assert simulate(pacer, 3, start=2.0) == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("speed", [10, 100, 1000])
def test_late_wake_ups_catch_up_within_slack_and_never_exceed_speed(speed: int) -> None:
    import math
    import random

    rng = random.Random(speed)
    pacer = Pacer(speed * 0.98, slack=0.01)
    now, times = 0.0, []
    for _ in range(speed * 4):
        now += pacer.delay(now) + (rng.random() * 0.004 if rng.random() < 0.3 else 0.0)  # oversleep
        pacer.take(now)
        times.append(now)
    j = 0
    for i, t in enumerate(times):  # every sliding one-second window
        while j < len(times) and times[j] < t + 1.0 - 1e-9:
            j += 1
        assert j - i <= min(speed, math.ceil(speed * 0.98 * 1.01))
    achieved = (len(times) - 1) / (times[-1] - times[0])
    assert achieved >= 0.97 * speed  # oversleeping 4 ms now and then costs (almost) nothing
