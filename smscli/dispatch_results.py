"""The send pipeline's results: :class:`Summary` (counts per status, the notes, the exit
code) and :class:`ResultSink`, which journals the vendor's results and reports in batches
and passes the results on for output (``smscli.dispatch``)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import field, replace
from typing import TYPE_CHECKING

from smscli.errors import ExitStatus
from smscli.models import OK_STATUSES, QUEUED, Report, SendResult
from smscli.records import record

if TYPE_CHECKING:
    from smscli.fallback import Fallback
    from smscli.journal import Journal

RECORD_EVERY = 0.2  # seconds between journal commits of results


@record(frozen=False)
class Summary:
    """Counts per status; decides the exit code."""

    counts: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)
    notes: list[str] = field(default_factory=list)  # warnings for the user, said once
    complete: bool = True  # every row was read and handed over (or settled without sending)
    left: int = 0  # rows never handed over (a stop, an error)
    held: int = 0  # maybe handed over before, the vendor cannot tell: reported unknown

    def __init__(self, counts: Counter[str] | None = None, started: float | None = None,
                 notes: list[str] | None = None, complete: bool = True, left: int = 0, held: int = 0) -> None:
        self.counts = Counter() if counts is None else counts
        self.started = time.monotonic() if started is None else started
        self.notes = [] if notes is None else notes
        self.complete, self.left, self.held = complete, left, held

    def add(self, status: str) -> None:
        self.counts[status] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def exit_status(self) -> ExitStatus:
        bad = sum(n for s, n in self.counts.items() if s not in OK_STATUSES and s != "valid")
        return ExitStatus.REJECTED if bad else ExitStatus.OK

    def line(self, verb: str = "sent") -> str:
        parts = ", ".join(f"{n} {s}" for s, n in sorted(self.counts.items(), key=lambda kv: -kv[1]))
        secs = time.monotonic() - self.started
        left = f"; {self.left} not handed over" if self.left else ""
        return f"{verb} {self.total}: {parts or 'nothing'}{left} ({secs:.1f} s)"


class ResultSink:
    """Collects results from the vendor, writes them to the journal in batches and
    passes them on for output. ``flush()`` must run on every exit path."""

    def __init__(self, journal: Journal, summary: Summary, emit: Callable[[SendResult], None],
                 *, hold: bool = False, progress: Callable[[Counter[str]], None] | None = None,
                 give_back: Callable[[list[str]], object] | None = None) -> None:
        self.journal = journal
        # What the vendor gives back unsent: a claim is forgotten, a reservation held again.
        self.give_back = give_back or journal.unclaim
        self.summary = summary
        self.emit = emit
        self.hold = hold  # --wait: keep results to update them with reports
        self.held: dict[str, SendResult] = {}
        self.seen: Counter[str] = Counter()  # results so far
        # The run's counts (its progress): ``seen``, but what an earlier attempt of the run
        # settled (a resume's duplicate of the run's own message) under its status then.
        self.counts: Counter[str] = Counter()
        self.progress = progress
        self._pending: list[SendResult] = []
        self._unsent: list[str] = []
        self._last = time.monotonic()
        self.fallback: Fallback | None = None  # smscli's own fallback (smscli.fallback)

    def __call__(self, result: SendResult, *, record: bool = True, counted: str | None = None) -> None:
        """Take one result; ``record`` false for what the pipeline settled itself (an id
        already accepted, held by another process...): the journal has it right already.
        ``counted``: the status the run's counts give it, when not its own (see ``counts``)."""
        if result.status == QUEUED:  # the vendor gave it back unsent: forget the claim
            self._unsent.append(result.message_id)
            self.summary.left += 1
            return
        self.seen[result.status] += 1
        self.counts[counted or result.status] += 1
        if record:
            self._pending.append(result)
        if self.hold:
            self.held[result.message_id] = result
        else:
            self.summary.add(result.status)
            self.emit(result)
        now = time.monotonic()
        if now - self._last >= RECORD_EVERY or len(self._pending) >= 1000:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            server_ids = {r.message_id: r.server_id for r in self._pending if r.server_id}
            self.journal.record(self._pending, server_ids or None)
            self._pending = []
            if self.progress is not None:
                self.progress(self.counts)
        if self._unsent:
            self.give_back(self._unsent)
            self._unsent = []
        self._last = time.monotonic()

    def reports(self, reports: list[Report]) -> None:
        """Store reports (before the vendor acknowledges them); update held results."""
        self.flush()
        if self.fallback is not None:  # a fallback's report also settles its parent
            reports = self.fallback.expand(reports)
        self.journal.add_reports(reports)
        for rep in reports:
            held = self.held.get(rep.message_id)
            if held is not None:
                self.held[rep.message_id] = replace(held, status=rep.status, code=rep.code,
                                                    detail=rep.detail, channel=rep.channel or held.channel,
                                                    fallback=rep.fallback or held.fallback)

    def fallback_result(self, result: SendResult) -> None:
        """A fallback's answer (accepted, refused...): its held parent says it fell back
        (``fallback``: the type and this status) until a report of the fallback says more;
        shown so when the wait ends first (a Ctrl-C, the --wait deadline)."""
        hit = self.fallback.parent_of(result.message_id) if self.fallback is not None else None
        held = self.held.get(hit[0]) if hit is not None else None
        if hit is not None and held is not None and not held.fallback:
            self.held[hit[0]] = replace(held, fallback={"type": hit[1], "status": result.status})

    def release(self) -> None:
        """Emit held results (after --wait)."""
        for result in self.held.values():
            self.summary.add(result.status)
            self.emit(result)
        self.held.clear()
