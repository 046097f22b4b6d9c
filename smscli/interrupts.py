"""Ctrl-C drains, a second Ctrl-C aborts.

While :func:`graceful_stop` is active, the first SIGINT or SIGTERM only sets an event: the
send pipeline hands nothing new to the vendor, the requests in flight get their answers,
and those are journaled. The second one raises ``KeyboardInterrupt`` at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

STOPPING = ("smscli: stopping: nothing new is handed over; waiting for the answers to what is "
            "in flight (Ctrl-C again to stop at once)")


@contextmanager
def graceful_stop(say: Callable[[str], None]) -> Iterator[threading.Event]:
    """Yield the event the first SIGINT/SIGTERM sets (after ``say``-ing so once); the
    handlers are restored on exit. Outside the main thread signals cannot be caught: the
    event is then never set and Ctrl-C behaves as usual."""
    stop = threading.Event()

    def handler(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        _say_now(say)

    with _handling(handler):
        yield stop


@contextmanager
def _handling(handler: Callable[..., object]) -> Iterator[None]:
    """``handler`` for SIGINT and SIGTERM until the block ends, then the previous ones
    again. Outside the main thread signals cannot be caught: nothing is installed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _say_now(say: Callable[[str], None]) -> None:
    """Write the stopping line from a signal handler: straight to fd 2 (a buffered write
    there could be one the signal interrupted: Python refuses re-entering it)."""
    import os
    import sys

    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # a captured stderr (tests): no fd
        say(STOPPING)
        return
    with suppress(OSError):  # stderr closed: nothing to tell
        os.write(fd, (STOPPING + "\n").encode())


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Until the block ends, SIGINT and SIGTERM raise ``KeyboardInterrupt``, for the servers
    that run until stopped (simulators, ``result listen``). Also in a process started with
    SIGINT ignored (``smscli sim oneshot &`` in a script), which would otherwise keep running
    after ``kill -INT``; Python installs no Ctrl-C handler there."""
    with _handling(signal.default_int_handler):
        yield
