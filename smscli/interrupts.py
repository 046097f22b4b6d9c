"""Ctrl-C drains, a second Ctrl-C aborts.

While :func:`graceful_stop` is active, the first SIGINT or SIGTERM only sets an event: the
send pipeline hands nothing new to the vendor, the requests in flight get their answers,
and those are journaled. The second one raises ``KeyboardInterrupt`` at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

STOPPING = ("smscli: stopping: nothing new is handed over; waiting for the answers to what is "
            "in flight (Ctrl-C again to stop at once)")


@contextmanager
def graceful_stop(say: Callable[[str], None]) -> Iterator[threading.Event]:
    """Yield the event the first SIGINT/SIGTERM sets (after ``say``-ing so once); the
    handlers are restored on exit. Outside the main thread signals cannot be caught: the
    event is then never set and Ctrl-C behaves as usual."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        say(STOPPING)

    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
