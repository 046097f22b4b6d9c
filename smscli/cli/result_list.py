"""`smscli result list`: the journal's messages as a table, TSV, CSV or JSON Lines.

Rows come from ``Client.message_pages`` a page (2,000 rows) at a time and are written a
page at a time (one ``write`` each), so a million rows print with flat memory. On a
terminal the default is the newest 100 as a table and a line saying how many more there
are; piped, every row (TSV unless ``--output`` says otherwise).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from smscli.cli.output import TSV_FLAT
from smscli.journal_history import CHANNEL_FIELDS, LIST_FIELDS

FORMATS = ("table", "tsv", "json", "csv")
TERMINAL_LIMIT = 100
_TABLE_PAGE = 500
_NEEDS_ESCAPE = r'["\\\x00-\x1f]'  # what json's encode_basestring changes (compiled on first use)
_TABLE_FIELDS = ("message_id", "to", "status", "code", "detail", "type", "tag", "created_at", "delivered_at")


def choose_format(output: str | None, json_: bool, tty: bool) -> str:
    from smscli.errors import UsageError

    if output is not None and output not in FORMATS:
        raise UsageError(f"--output {output!r} is not a format", hint=f"use one of: {'|'.join(FORMATS)}")
    if json_ and output not in (None, "json"):
        raise UsageError(f"--json and --output {output} disagree", hint="--json is --output json")
    return output or ("json" if json_ else "table" if tty else "tsv")


def write(pages: Iterable[list[Sequence[Any]]], fmt: str, *, fields: Sequence[str] = LIST_FIELDS,
          table_fields: Sequence[str] = _TABLE_FIELDS, stream: Any = None) -> int:
    """Write ``pages`` (lists of tuples of strings in ``fields`` order) in ``fmt``, one write per page; returns how many rows. A closed pipe raises
    BrokenPipeError from the write that finds it (main() makes it exit 141)."""
    out = stream or sys.stdout
    shown = 0
    if fmt == "json":
        from json.encoder import encode_basestring  # = json.dumps(ensure_ascii=False) of a str

        head = "{" + ", ".join(f"{encode_basestring(f)}: %s" for f in fields) + "}\n"
        plain = "{" + ", ".join(f'{encode_basestring(f)}: "%s"' for f in fields) + "}\n"
        for page in pages:
            if re.search(_NEEDS_ESCAPE, "".join(map("".join, page))):  # a quote, backslash or control
                text = "".join([head % tuple(map(encode_basestring, r)) for r in page])
            else:  # nothing to escape in the whole page: the same text, no call per value
                text = "".join([plain % r for r in page])
            out.write(text)
            shown += len(page)
    elif fmt == "tsv":
        tab = "\t".join
        tabs = len(fields) - 1
        for page in pages:
            if not page:
                continue
            text = "\n".join(map(tab, page)) + "\n"
            if text.count("\t") != tabs * len(page) or text.count("\n") != len(page) or "\r" in text:
                text = "".join(tab(c.translate(TSV_FLAT) for c in r) + "\n" for r in page)  # rare
            out.write(text)
            shown += len(page)
    elif fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        comma = ",".join
        commas = len(fields) - 1
        for page in pages:
            if not page:
                continue
            if not shown:
                writer.writerow(fields)  # the header, once there is a row to list
            text = "\n".join(map(comma, page)) + "\n"
            if (text.count(",") != commas * len(page) or text.count("\n") != len(page)
                    or '"' in text or "\r" in text):  # some value needs quoting: the csv module
                writer.writerows(page)
                text = buf.getvalue()
                buf.seek(0)
                buf.truncate()
            elif buf.tell():
                text = buf.getvalue() + text
                buf.seek(0)
                buf.truncate()
            out.write(text)
            shown += len(page)
    else:
        shown = _tables(pages, fields, table_fields, out)
    out.flush()
    return shown


def _tables(pages: Iterable[list[Sequence[Any]]], fields: Sequence[str],
            table_fields: Sequence[str], out: Any) -> int:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from smscli.cli.table_columns import cell, column_options, whole_columns

    at = [fields.index(f) for f in table_fields]
    console = Console(file=out, highlight=False)
    shown = 0
    for page in pages:
        for start in range(0, len(page), _TABLE_PAGE):  # a table per 500 rows: memory stays flat
            rows = [[cell(name, str(row[i])) for name, i in zip(table_fields, at, strict=True)]
                    for row in page[start:start + _TABLE_PAGE]]
            whole = whole_columns(table_fields, rows, console.width)  # ids stay whole: users copy them
            table = Table(show_lines=False)
            for name in table_fields:
                table.add_column(name, **column_options(name, whole))
            for values in rows:
                table.add_row(*map(escape, values))
            console.print(table)
        shown += len(page)
    return shown


def _json_with_channels(pages: Iterable[list[Sequence[Any]]], out: Any) -> int:
    """JSON Lines of rows of LIST_FIELDS + CHANNEL_FIELDS: a Kakao/RCS message's object gains
    ``channel`` and ``fallback`` (an object), a fax's / call's ``use_page`` / ``use_time`` /
    ``sn_result``; a page of plain messages takes :func:`write`'s
    fast path."""
    import json

    n = len(LIST_FIELDS)
    shown = 0
    for page in pages:
        if not any(row[n] for row in page):
            shown += write([[row[:n] for row in page]], "json", stream=out)
            continue
        lines = []
        for row in page:
            obj: dict[str, Any] = dict(zip(LIST_FIELDS, row[:n], strict=True))
            if row[n]:
                obj["channel"] = row[n]
            if row[n + 1]:
                obj["fallback"] = json.loads(row[n + 1])
            if row[n + 2]:  # a fax / call: USE_PAGE, USE_TIME, SN_RESULT of its latest report
                obj.update(_fax_voice_fields(row[n + 2]))
            lines.append(json.dumps(obj, ensure_ascii=False) + "\n")
        out.write("".join(lines))
        shown += len(page)
    out.flush()
    return shown


def _fax_voice_fields(raw: str) -> dict[str, str]:
    import json

    from smscli.journal_history import FAX_VOICE_EXTRA

    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: str(data[k]) for k in FAX_VOICE_EXTRA if data.get(k) not in (None, "")}


def run(client: Any, *, fmt: str, limit: int | None, tty: bool, all_profiles: bool,
        info: Any, **filters: Any) -> int:
    """List what ``filters`` select through ``client``; returns how many were shown."""
    newest = limit if limit else (TERMINAL_LIMIT if limit is None and tty else None)
    fields = (*LIST_FIELDS, *CHANNEL_FIELDS) if fmt == "json" else LIST_FIELDS
    pages = client.message_pages(fields=fields, newest=newest, all_profiles=all_profiles, **filters)
    table_fields = ("profile", "vendor", *_TABLE_FIELDS) if all_profiles else _TABLE_FIELDS
    if fmt == "json":
        shown = _json_with_channels(pages, sys.stdout)
    else:
        shown = write(pages, fmt, table_fields=table_fields)
    if tty and newest is not None and shown == newest:
        total = client.count(all_profiles=all_profiles, **filters)
        if total > shown:
            info(f"smscli: the newest {shown:,} of {total:,} shown; {total - shown:,} more "
                 "(--limit N shows more, --limit 0 all; piped, every row)")
    return shown
