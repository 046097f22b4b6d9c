"""One output sink: rich tables on a TTY, JSON Lines with ``--json``, diagnostics on stderr.

Stdout carries only results; everything else (warnings, progress, summaries) goes to stderr.
``NO_COLOR`` is honoured (rich reads it); progress bars appear only when stderr is a TTY.

A closed stdout (``smscli ... | head``) raises BrokenPipeError from the write that finds it,
after pointing the descriptor at /dev/null (so nothing fails again when Python flushes at
exit); ``smscli.cli.main`` turns it into exit 141 with nothing on stderr. Diagnostics that
find stderr closed are dropped.
"""

from __future__ import annotations

import errno
import os
import sys
import time
from contextlib import contextmanager

# json and typing load only when used: ``smscli code lookup`` starts without them.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from typing import Any, TextIO, TypeVar

    T = TypeVar("T")

FLUSH_EVERY = 0.1  # seconds between stdout flushes of JSON Lines
LINES_PER_WRITE = 400  # JSON lines gathered by ``emitter`` before one write
TABLE_PAGE = 500  # rows per table on a terminal (memory stays flat for any listing)
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def json_line() -> Callable[[object], str]:
    """A fast ``json.dumps(obj, ensure_ascii=False) + "\\n"``: one C encoder made once
    (``JSONEncoder.encode`` makes one per call); an object that carries its line
    (``smscli.models.Encoded``) gives that."""
    from smscli.fastjson import encoder

    dumps = encoder()

    def encode(obj: object) -> str:
        return dumps(obj) + "\n"

    def line(obj: object) -> str:
        if type(obj) is dict:
            return encode(obj)
        return getattr(obj, "json_line", None) or encode(obj)
    return line


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
        drop_when_closed: bool = False,
    ) -> None:
        """``drop_when_closed``: once stdout is found closed, ``emit`` drops results instead
        of raising (a send keeps journaling what is in flight; ``on_close`` tells it to stop
        handing out messages) and only ``flush()`` raises BrokenPipeError."""
        self.json_mode = json_mode
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.columns = list(columns) if columns else None
        self.title = title
        self._rows: list[dict[str, Any]] = []
        self._lines: list[str] = []  # JSON lines from ``emitter`` not written yet
        self._flushed = 0.0
        self._encode: Callable[[object], str] | None = None  # JSON, made on first use
        self.drop_when_closed = drop_when_closed
        self.closed = False  # stdout went to a closed pipe: nothing more is written there
        self._full: OSError | None = None  # ... or to a full disk (ENOSPC): said, exit 3
        self.on_close: Callable[[], None] | None = None  # called once stdout is found closed

    # results ---------------------------------------------------------------
    def emit(self, obj: dict[str, Any]) -> None:
        if self.closed:
            if self.drop_when_closed:
                return
            raise self._closed_error()
        try:
            encode = self._encode
            if encode is None or self._lines:
                self._emit(obj)
            else:  # JSON Lines after the first (as _emit writes them, one call fewer per line)
                self.stdout.write(encode(obj) if type(obj) is dict else getattr(obj, "json_line", None)
                                  or encode(obj))
                now = time.monotonic()
                if now - self._flushed > FLUSH_EVERY:
                    self.stdout.flush()
                    self._flushed = now
        except BrokenPipeError:
            self._close()
            if not self.drop_when_closed:
                raise
        except OSError as exc:  # stdout on a full disk: like a closed pipe, but said (exit 3)
            if exc.errno not in _NO_SPACE:
                raise
            self._close(exc)
            if not self.drop_when_closed:
                raise

    def emitter(self, columns: Sequence[str]) -> Callable[[Sequence[str]], None]:
        """A fast ``emit`` for rows of strings in ``columns``' order (long listings): the
        same output as ``emit(dict(zip(columns, values)))``, without a dict or a JSON
        encoder run per row."""
        if not self.json_mode or self.closed:
            return lambda values: self.emit(dict(zip(columns, values, strict=True)))
        from json.encoder import encode_basestring  # what json.dumps(ensure_ascii=False) uses

        head = "{" + ", ".join(f"{encode_basestring(c)}: %s" for c in columns) + "}\n"
        lines = self._lines
        add = lines.append

        def emit(values: Sequence[str]) -> None:
            add(head % tuple(map(encode_basestring, values)))
            if len(lines) >= LINES_PER_WRITE:
                self._write_lines()
        return emit

    def _write_lines(self) -> None:
        """Write the lines ``emitter`` gathered, in one call (a pipe gets 64 KiB writes,
        not one system call per 8 KiB); flushed at most every FLUSH_EVERY seconds."""
        text = "".join(self._lines)
        self._lines.clear()
        try:
            self.stdout.write(text)
            now = time.monotonic()
            if now - self._flushed > FLUSH_EVERY:
                self.stdout.flush()
                self._flushed = now
        except BrokenPipeError:
            self._close()
            raise
        except OSError as exc:
            if exc.errno not in _NO_SPACE:
                raise
            self._close(exc)
            raise

    def _emit(self, obj: dict[str, Any]) -> None:
        if self._lines:  # an emitter's lines go first
            self._write_lines()
        if self.json_mode:
            if self._encode is None:
                self._encode = json_line()
            self.stdout.write(self._encode(obj))
            now = time.monotonic()
            if now - self._flushed > FLUSH_EVERY:  # readers see lines promptly, without a
                self.stdout.flush()  # system call per line on big batches
                self._flushed = now
        elif self.is_tty(self.stdout):
            self._rows.append(obj)
            if len(self._rows) >= TABLE_PAGE:  # a long listing: a table per page, as it comes
                self._flush()
        else:
            cols = self.columns or list(obj)
            self.stdout.write("\t".join(tsv_cell(obj.get(c, "")) for c in cols) + "\n")

    def flush(self) -> None:
        """Render buffered rows as a table (human mode on a TTY); flush stdout.

        BrokenPipeError when stdout is (or was found) closed, also with ``drop_when_closed``."""
        if self.closed:
            raise self._closed_error()
        try:
            self._flush()
        except BrokenPipeError:
            self._close()
            raise
        except OSError as exc:
            if exc.errno in _NO_SPACE:
                self._close(exc)
            raise

    def _closed_error(self) -> OSError:
        return self._full or _broken_pipe()

    def _close(self, full: OSError | None = None) -> None:
        self.closed = True
        self._full = full
        self._rows.clear()
        self._lines.clear()
        silence(self.stdout)
        if self.on_close is not None:
            self.on_close()

    def _flush(self) -> None:
        if self._lines:
            self._write_lines()
        if not self._rows:
            self.stdout.flush()
            return
        from rich.console import Console
        from rich.table import Table

        from smscli.cli.table_columns import cell, column_options, whole_columns

        cols = self.columns or list(self._rows[0])
        rows = [[cell(c, _cell(row.get(c, ""))) for c in cols] for row in self._rows]
        console = Console(file=self.stdout)
        whole = whole_columns(cols, rows, console.width)  # ids stay whole: users copy them
        table = Table(title=self.title, show_lines=False)
        for c in cols:
            table.add_column(c, **column_options(c, whole))
        for values in rows:
            table.add_row(*values)
        console.print(table)
        self._rows.clear()

    def text(self, line: str = "") -> None:
        """A line of human-readable result text on stdout."""
        if self.closed:
            raise self._closed_error()
        try:
            if self._lines:
                self._write_lines()
            self.stdout.write(line + "\n")
        except BrokenPipeError:
            self._close()
            raise

    # diagnostics -----------------------------------------------------------
    def info(self, message: str) -> None:
        to_stderr(message, self.stderr)

    def warn(self, message: str) -> None:
        to_stderr(f"smscli: warning: {message}", self.stderr)

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
            TextColumn("{task.fields[rate]}"),
            TextColumn("{task.fields[stats]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(file=self.stderr),
            transient=True,
        ) as bar:
            task = bar.add_task(description, total=total, stats="", rate="")
            yield ProgressHandle(bar, task)

    @staticmethod
    def is_tty(stream: TextIO) -> bool:
        try:
            return stream.isatty()
        except (AttributeError, ValueError):
            return False


class ProgressHandle:
    """Advance a progress bar (its rate per second since the start shown), or do nothing
    when there is none."""

    def __init__(self, bar: Any, task: Any) -> None:
        self._bar = bar
        self._task = task
        self._started = time.monotonic()
        self._done = 0

    def advance(self, n: int = 1, **stats: Any) -> None:
        if self._bar is None:
            return
        self._done += n
        text = " ".join(f"{k} {v}" for k, v in stats.items())
        secs = time.monotonic() - self._started
        rate = f"{self._done / secs:,.0f}/s" if secs > 0.5 else ""
        self._bar.update(self._task, advance=n, stats=text, rate=rate)

    def total(self, total: int | None) -> None:
        if self._bar is not None:
            self._bar.update(self._task, total=total)


def silence(stream: Any) -> None:
    """Point ``stream``'s file descriptor at /dev/null, after it was found to be a closed pipe:
    what is still buffered, and Python's flush at exit, then go nowhere instead of failing
    again ("Exception ignored ... BrokenPipeError", exit 120). See "Note on SIGPIPE" in the
    Python documentation of ``signal``."""
    try:
        fd = stream.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError, AttributeError):
        return
    try:
        os.dup2(null, fd)
    except OSError:
        pass
    finally:
        if null != fd:  # fd was closed already: /dev/null took its number, keep it
            os.close(null)


def to_stderr(line: str, stream: Any = None) -> None:
    """One diagnostic line; dropped (and the stream silenced) when stderr is a closed pipe."""
    stream = stream or sys.stderr
    try:
        stream.write(line + "\n")
        stream.flush()
    except BrokenPipeError:
        silence(stream)


def _broken_pipe() -> BrokenPipeError:
    return BrokenPipeError(errno.EPIPE, "stdout is a closed pipe")


TSV_FLAT = str.maketrans({"\t": " ", "\n": " ", "\r": " "})  # a TSV cell stays one cell


def tsv_cell(value: Any) -> str:
    """``value`` as one TSV cell: tabs and line breaks become spaces."""
    return _cell(value).translate(TSV_FLAT)


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
