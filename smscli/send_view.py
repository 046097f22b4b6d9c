"""What ``send``/``reserve`` print per row (the CLI's view of a send): every row, or for a
big batch on a terminal only the rows that did not go well.

On a terminal (stdout a TTY, no ``--json``) a send of more than :data:`BIG` recipients
shows the summary and only the rows that are ``invalid``, ``rejected``, ``unknown`` (or
``failed``, a report after ``--wait``), plus a line naming the ``result list`` that shows
them all; ``--verbose`` shows every row, ``--quiet`` none (only the summary and
diagnostics). Piped or ``--json``: every row.
The first :data:`BIG` rows are held until it is clear whether the batch is big, so the
number of recipients need not be known in advance (memory: at most BIG rows).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

BIG = 50  # more recipients than this on a terminal: only the rows that did not go well
NOT_WELL = frozenset({"invalid", "rejected", "unknown", "failed"})  # failed: a report after --wait
COUNT_CHUNK = 1 << 20


class RowFilter:
    """``emit`` for each result row (a dict); passes rows on to ``show`` as the mode says."""

    def __init__(self, show: Callable[[dict[str, Any]], None], *, mode: str) -> None:
        """``mode``: ``all`` (every row), ``none`` (``--quiet``) or ``big`` (a terminal:
        every row of a small batch, only the bad ones of a big one)."""
        self.show = show
        self.mode = mode
        self.seen = 0  # rows that came (counted in mode ``big``, the only one that needs it)
        self.hidden = 0  # rows not shown (they went well)
        self.big = False  # more than BIG rows came (mode ``big``): only the bad ones shown
        self.prefix: str | None = None  # the first 20 characters every message id shares (mode ``big``)
        self._held: list[dict[str, Any]] = []

    def __call__(self, row: dict[str, Any]) -> None:
        if self.mode == "all":
            self.show(row)
            return
        if self.mode == "none":
            self.hidden += 1
            return
        self.seen += 1
        mid = str(row.get("message_id", ""))
        if self.seen == 1:
            self.prefix = mid[:20] if len(mid) > 20 else None
        elif self.prefix is not None and not mid.startswith(self.prefix):
            self.prefix = None
        if not self.big:
            self._held.append(row)
            if len(self._held) <= BIG:
                return
            self.big = True
            held, self._held = self._held, []
            for item in held:
                self._big(item)
            return
        self._big(row)

    def _big(self, row: dict[str, Any]) -> None:
        if row.get("status") in NOT_WELL:
            self.show(row)
        else:
            self.hidden += 1

    def finish(self) -> None:
        """A batch that stayed small: show what was held."""
        held, self._held = self._held, []
        for item in held:
            self.show(item)


def mode_for(*, tty: bool, json_mode: bool, verbose: bool, quiet: bool) -> str:
    if quiet:
        return "none"
    if verbose or json_mode or not tty:
        return "all"
    return "big"


def see_all_hint(*, run_id: str, tag: str, id_key: str | None, prefix: str | None) -> str:
    """The ``result list`` that shows every row of this send: by its tag, by the ids
    derived from the run (or from ``--id KEY``), else the run in ``smscli runs``."""
    if tag:
        return f"smscli result list --tag {_quote(tag)}"
    if prefix == run_id:
        return f"smscli result list --id '{run_id}*'"
    if id_key:
        return f"smscli result list --id {_quote(id_key[:15] + '*')}"
    return f"smscli runs (run {run_id})"


def _quote(value: str) -> str:
    import shlex

    return shlex.quote(value)


def count_csv_rows(path: str) -> int | None:
    """About the data rows of the CSV file at ``path``: its lines after the header (a
    quoted field over several lines, or a blank line, counts one more), for the progress
    bar; read in 1 MiB chunks, nothing decoded. None for stdin or a file that cannot be
    read or is not a regular file."""
    if path == "-":
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        import stat

        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        lines = 0
        last = b""
        while chunk := os.read(fd, COUNT_CHUNK):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
        if last not in (b"\n", b""):
            lines += 1  # the last line has no newline
    except OSError:
        return None
    finally:
        os.close(fd)
    return max(0, lines - 1)
