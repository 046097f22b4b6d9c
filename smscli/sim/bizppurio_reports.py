"""The Bizppurio simulator's delivery reports: made on acceptance (or queued by tests with
``add_report``), then polled with ``POST /v1/result/request`` and ``/v1/result/confirm``
(or pushed by :class:`smscli.sim.bizppurio.BizppurioSim` through ``on_report_ready``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from smscli import clock as wall_clock
from smscli.sim.bizppurio_base import (
    DELIVERED,
    FAILURES,
    FALLBACK_KEYS,
    INVALID_MESSAGE,
    KST,
    OK,
    REPORT_PAGE,
    ApiAnswer,
    ApiError,
    ApiRequest,
)
from smscli.sim.bizppurio_channel import KAKAO
from smscli.sim.bizppurio_channel import Outcome as ChannelOutcome

if TYPE_CHECKING:
    import random
    import threading
    from collections import Counter

    from smscli.sim.bizppurio_base import SimConfig


class ReportHandlers:
    """Reports for :class:`smscli.sim.bizppurio_api.BizppurioApi` (mixed in there; the state
    is its own)."""

    # set by BizppurioApi.__init__, or provided by BizppurioApi
    config: SimConfig
    lock: threading.Lock
    rng: random.Random
    stats: Counter[str]
    reports: dict[str, tuple[float, dict[str, str]]]
    _seq: int
    on_report_ready: Any
    _account_body: Callable[[ApiRequest], dict[str, Any]]

    # -- reports -----------------------------------------------------------------------

    def add_report(self, kind: str, to: str, refkey: str, *, ready_at: float | None = None) -> str:
        """Queue a report as if a message had been accepted (for tests); returns its msgid."""
        with self.lock:
            self._seq += 1
            seq = self._seq
        now = wall_clock.time()
        messagekey = f"{datetime.fromtimestamp(now, KST):%y%m%d%H%M%S}000{kind}{seq:08d}sim"
        return self._make_report(kind, to, refkey, messagekey, seq, now, None, ready_at)

    def _make_report(self, kind: str, to: str, refkey: str, messagekey: str, seq: int,
                     now: float, sendtime: int | None, ready_at: float | None = None, *,
                     outcome: ChannelOutcome | None = None, media: str = "") -> str:
        ready = max(now, float(sendtime or 0)) + self.config.report_delay if ready_at is None else ready_at
        with self.lock:
            failed = self.rng.random() < self.config.fail_rate
            carrier = self.rng.choice(("SKT", "KTF", "LGT"))
            if outcome is None:
                result = self.rng.choice(FAILURES[kind]) if failed else DELIVERED[kind]
            else:  # Kakao/RCS: what Kakao decided; the draw applies to a text fallback
                result = outcome.result
                fb_result = outcome.fallback_result
                if failed and outcome.fallback in FAILURES:
                    fb_result = self.rng.choice(FAILURES[outcome.fallback])
        msgid = f"{seq:010d}se_SIM{messagekey[-20:]}"[:32]
        report = {
            "device": kind.upper(), "cmsgid": messagekey, "msgid": msgid, "phone": to,
            "media": media or kind.upper(), "unixtime": str(int(ready)), "result": result,
            "userdata": "", "wapinfo": carrier, "refkey": refkey,
        }
        if outcome is not None:
            report.update(media=outcome.media, wapinfo="KAO" if kind in KAKAO else carrier)
            if outcome.fallback:
                res, when = FALLBACK_KEYS[outcome.fallback]
                report.update({"resend_flag": outcome.fallback.upper(), res: fb_result,
                               when: str(int(ready) + 1)})
        with self.lock:
            self.reports[msgid] = (ready, report)
        if self.on_report_ready is not None:
            self.on_report_ready(msgid, ready)
        return msgid

    def result_request(self, req: ApiRequest) -> ApiAnswer:
        self._account_body(req)
        now = wall_clock.time()
        page: list[dict[str, str]] = []
        with self.lock:
            for ready, report in self.reports.values():
                if ready <= now:
                    page.append(report)
                    if len(page) >= REPORT_PAGE:
                        break
            self.stats["result_requests"] += 1
        return ApiAnswer(200, {"code": "1000", "description": "success", "report": page})

    def result_confirm(self, req: ApiRequest) -> ApiAnswer:
        body = self._account_body(req)
        items = body.get("msgid")
        if not isinstance(items, list) or len(items) > REPORT_PAGE:
            raise ApiError(INVALID_MESSAGE, "msgid must be a list of at most 1000")
        with self.lock:
            for item in items:
                msgid = item.get("msgid") if isinstance(item, dict) else None
                if isinstance(msgid, str) and self.reports.pop(msgid, None) is not None:
                    self.stats["confirmed"] += 1
        return ApiAnswer(200, {"code": OK, "description": "Success"})

    def pending_reports(self) -> int:
        with self.lock:
            return len(self.reports)
