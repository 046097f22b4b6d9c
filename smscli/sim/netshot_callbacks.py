"""BizNetShot simulator: the result callbacks. Each accepted recipient's report is queued
(due ``report_delay`` seconds after the send or its reservation) and sent as an HTTP GET
to ``callback`` by worker threads, retried with backoff up to ``callback_retries`` times.
Mixed into :class:`smscli.sim.netshot.NetshotSim`, whose ``__init__`` sets the state used
here."""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from smscli.sim.netshot_form import encode_query
from smscli.sim.netshot_rules import FAILURE_CODES, TARIFF, digits, hyphenate


@dataclass(order=True)
class Callback:
    due: float
    seq: int
    params: dict[str, str] = field(compare=False)
    attempt: int = field(default=0, compare=False)


class CallbacksMixin:
    """Queueing, sending and retrying the result callbacks (see the module docstring)."""

    # ------------------------------------------------------------------ callbacks
    def pending_callbacks(self) -> int:
        with self._cond:
            return len(self._callbacks)

    def wait_callbacks(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until ``count`` callbacks were answered 2xx (or failed for good)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.counts["callbacks_sent"] + self.counts["callbacks_failed"] >= count:
                return True
            time.sleep(0.01)
        return False

    def _queue_callbacks(self, corpfrcode: str, numbers: list[str], kind: str, accepted: datetime,
                         reserve_at: datetime | None) -> None:
        start = reserve_at or accepted
        wait = max(0.0, (start - self.clock()).total_seconds()) + self.report_delay
        page, price = TARIFF[kind]
        with self._cond:
            due = time.monotonic() + wait
            for number in numbers:
                failed = self.fail_rate > 0 and self._random.random() < self.fail_rate
                params = {
                    "resultCode": self._random.choice(FAILURE_CODES) if failed else "1",
                    "corpfrcode": corpfrcode,
                    "sendNumber": hyphenate(digits(number)),
                    "sdate": start.strftime("%Y-%m-%d"),
                    "stime": start.strftime("%H:%M:%S"),
                    "page": page,
                    "price": price,
                }
                self._seq += 1
                heapq.heappush(self._callbacks, Callback(due, self._seq, params))
            self._cond.notify_all()

    def _callback_worker(self) -> None:
        import http.client

        assert self.callback
        target = urlsplit(self.callback)
        conn: http.client.HTTPConnection | None = None
        while True:
            with self._cond:
                while not self._stopping:
                    now = time.monotonic()
                    if self._callbacks and self._callbacks[0].due <= now:
                        break
                    self._cond.wait(self._callbacks[0].due - now if self._callbacks else None)
                if self._stopping:
                    break
                job = heapq.heappop(self._callbacks)
            done = self.clock()
            params = dict(job.params, edate=done.strftime("%Y-%m-%d"), etime=done.strftime("%H:%M:%S"))
            sep = "&" if target.query else "?"
            path = (target.path or "/") + (f"?{target.query}" if target.query else "") + sep + encode_query(params)
            try:
                if conn is None:
                    cls = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
                    conn = cls(target.netloc, timeout=10)
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                ok = 200 <= response.status < 300
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                ok = False
                if conn is not None:
                    conn.close()
                conn = None
            self._callback_done(job, ok)
        if conn is not None:
            conn.close()

    def _callback_done(self, job: Callback, ok: bool) -> None:
        with self._cond:
            if ok:
                self.counts["callbacks_sent"] += 1
            elif job.attempt < self.callback_retries:
                job.attempt += 1
                job.due = time.monotonic() + 0.2 * 2 ** (job.attempt - 1)
                heapq.heappush(self._callbacks, job)
                self._cond.notify_all()
            else:
                self.counts["callbacks_failed"] += 1
                self.log(f"gave up a callback for {job.params['corpfrcode']} after "
                         f"{job.attempt + 1} attempts")

