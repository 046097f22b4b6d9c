"""Send pacing for OneShot: evenly spaced sends, no bursts.

The server counts MsgSendReq per second against BindRes.Speed and answers 903 (or 11)
when it is exceeded; a limiter that lets a second's quota out at once trips it at
every second boundary. ``Pacer`` spaces sends ``1/speed`` seconds apart instead.

A sender that wakes up late (a busy machine oversleeps) may catch up on at most
``slack`` seconds of its schedule, so the rate holds without a burst: any one-second
window then holds at most ``ceil(speed * (1 + slack))`` sends.
"""

from __future__ import annotations

MIN_BACKOFF_INTERVAL = 0.02  # after a 903 without a known speed, at most 50/s
BACKOFF_PAUSE = 1.0  # after a 903, the rest of the server's second


class Pacer:
    """When the next send may go out; times are a monotonic clock's seconds."""

    def __init__(self, speed: float = 0.0, slack: float = 0.0) -> None:
        self.interval = 1.0 / speed if speed and speed > 0 else 0.0
        self.slack = slack
        self._next = float("-inf")
        self._paused_until = float("-inf")

    def delay(self, now: float) -> float:
        """Seconds to wait before the next send (0 when it may go now)."""
        return max(0.0, self._next - now)

    def take(self, now: float) -> None:
        """Record a send at ``now`` (call it when the send goes out). Without a pace
        nothing is kept: the next send may go at once, and a ``back_off`` starts the
        schedule from its pause."""
        if self.interval:
            self._next = max(now - self.slack, self._next) + self.interval

    def back_off(self, now: float) -> None:
        """The server said too fast: pause, then send a third slower. Complaints about
        sends made before the pause began count once."""
        if now < self._paused_until:
            return
        self.interval = max(self.interval * 1.5, MIN_BACKOFF_INTERVAL)
        self._paused_until = now + BACKOFF_PAUSE
        self._next = max(self._next, self._paused_until)
