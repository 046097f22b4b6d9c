"""One output sink: rich tables on a TTY, JSON Lines with ``--json``, diagnostics on stderr.

Stdout carries only results; everything else (warnings, progress, summaries) goes to stderr.
``NO_COLOR`` is honoured (rich reads it); progress bars appear only when stderr is a TTY.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager

# json and typing load only when used: ``smscli code lookup`` starts without them.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from typing import Any, TextIO

FLUSH_EVERY = 0.1  # seconds between stdout flushes of JSON Lines


class Output:
    """Where a command's results and diagnostics go.

    ``emit(obj)`` prints one JSON object per line with ``json_mode``; otherwise the
    objects are buffered and shown as one table by ``flush()`` (or streamed as plain
    lines when stdout is not a terminal, so pipes stay grep-able).
    """

    def __init__(
        self,
        json_mode: bool = False,
        *,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        columns: Sequence[str] | None = None,
        title: str | None = None,
    ) -> None:
        self.json_mode = json_mode
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.columns = list(columns) if columns else None
        self.title = title
        self._rows: list[dict[str, Any]] = []
        self._flushed = 0.0
        self._encode: Callable[[object], str] | None = None  # JSON, made on first use

    # results ---------------------------------------------------------------
    def emit(self, obj: dict[str, Any]) -> None:
        if self.json_mode:
            if self._encode is None:
                import json

                self._encode = json.JSONEncoder(ensure_ascii=False).encode  # = json.dumps(ensure_ascii=False)
            self.stdout.write(self._encode(obj) + "\n")
            now = time.monotonic()
            if now - self._flushed > FLUSH_EVERY:  # readers see lines promptly, without a
                self.stdout.flush()  # system call per line on big batches
                self._flushed = now
        elif self.is_tty(self.stdout):
            self._rows.append(obj)
        else:
            cols = self.columns or list(obj)
            self.stdout.write("\t".join(_cell(obj.get(c, "")) for c in cols) + "\n")

    def flush(self) -> None:
        """Render buffered rows as a table (human mode on a TTY); flush stdout."""
        if not self._rows:
            self.stdout.flush()
            return
        from rich.console import Console
        from rich.table import Table

        cols = self.columns or list(self._rows[0])
        table = Table(title=self.title, show_lines=False)
        for c in cols:  # ids must stay whole (users copy them): wrap, never cut
            table.add_column(c, overflow="fold")
        for row in self._rows:
            table.add_row(*(_cell(row.get(c, "")) for c in cols))
        Console(file=self.stdout).print(table)
        self._rows.clear()

    def text(self, line: str = "") -> None:
        """A line of human-readable result text on stdout."""
        self.stdout.write(line + "\n")

    # diagnostics -----------------------------------------------------------
    def info(self, message: str) -> None:
        self.stderr.write(f"{message}\n")

    def warn(self, message: str) -> None:
        self.stderr.write(f"smscli: warning: {message}\n")

    # progress --------------------------------------------------------------
    @contextmanager
    def progress(self, description: str, total: int | None = None) -> Iterator[ProgressHandle]:
        """A progress bar on stderr when it is a TTY; a no-op handle otherwise."""
        if not self.is_tty(self.stderr) or os.environ.get("SMSCLI_NO_PROGRESS"):
            yield ProgressHandle(None, None)
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(file=self.stderr),
            transient=True,
        ) as bar:
            task = bar.add_task(description, total=total, stats="")
            yield ProgressHandle(bar, task)

    @staticmethod
    def is_tty(stream: TextIO) -> bool:
        try:
            return stream.isatty()
        except (AttributeError, ValueError):
            return False


class ProgressHandle:
    """Advance a progress bar, or do nothing when there is none."""

    def __init__(self, bar: Any, task: Any) -> None:
        self._bar = bar
        self._task = task

    def advance(self, n: int = 1, **stats: Any) -> None:
        if self._bar is None:
            return
        text = " ".join(f"{k} {v}" for k, v in stats.items())
        self._bar.update(self._task, advance=n, stats=text)

    def total(self, total: int | None) -> None:
        if self._bar is not None:
            self._bar.update(self._task, total=total)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)


def rows_as_json(rows: Iterable[dict[str, Any]]) -> str:
    import json

    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
