"""Where a send job's rows come from (:func:`job_rows`): ``--to`` numbers, a CSV file or
stdin (its quoting checked to the end first), or the mappings of ``Client.send_many``;
each with the part of the run's fingerprint that names the input, and the check that the
text names no column the input lacks (:func:`check_template`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain
from typing import TYPE_CHECKING, Any

from smscli.errors import UsageError

if TYPE_CHECKING:
    from smscli.recipients import Row
    from smscli.sending import Hooks, Recipients


def job_rows(source: Recipients, hooks: Hooks, *, fingerprint: bool):
    """(rows iterator, number of rows if known, template columns, has an id column, the
    input's fingerprint part ("" unless ``fingerprint``))."""
    from smscli import recipients, runs

    if source.numbers:
        numbers = recipients.parse_to_options(source.numbers)
        given = len(recipients.split_to_options(source.numbers))
        if given > len(numbers):
            hooks.warn(f"smscli: warning: {given - len(numbers)} number(s) given more than once; "
                       "each recipient gets the message once")
        part = runs.numbers_part(numbers) if fingerprint else ""
        return (recipients.Row(line_no=0, phone=n) for n in numbers), len(numbers), [], False, part
    if source.rows is not None:
        return mapping_rows(source.rows, fingerprint=fingerprint)
    if source.csv is None:
        raise UsageError("no recipients", hint="pass --to NUMBER or --csv FILE")
    part, spool = runs.csv_part(source.csv) if fingerprint else ("", None)
    csv = recipients.open_csv(source.csv, stdin=spool)  # reads and checks the header now
    if fingerprint:  # a send: its quoting is checked to the end before a row goes out
        check_quoting_to_end(source.csv, spool, csv)
    return iter(csv), None, csv.variables, csv.id_column is not None, part


def check_quoting_to_end(source: str, spool: Any, csv: Any) -> None:
    """:func:`smscli.recipients.check_quoting` of the file, or of stdin's spooled copy
    (read from the start and put back where the open CSV input goes on reading); and,
    when the input opens with a block of ASCII, its encoding
    (:func:`smscli.csv_encoding.check_late_text`), decided otherwise as rows go out."""
    try:
        if spool is None:
            with open(source, "rb") as stream:
                _check_to_end(stream, csv)
            return
        at = spool.tell()
        spool.seek(0)
        try:
            _check_to_end(spool, csv)
        finally:
            spool.seek(at)
    except BaseException:
        csv.close()
        raise


def _check_to_end(stream: Any, csv: Any) -> None:
    from smscli import recipients

    recipients.check_quoting(stream, csv.name)
    if csv.encoding is None:
        from smscli.csv_encoding import check_late_text

        stream.seek(0)
        check_late_text(stream, csv.name, window=recipients.CHUNK)


PHONE_KEYS = ("phone", "to")


def mapping_rows(items: Iterable[Mapping[str, Any]], *, fingerprint: bool):
    """Rows from mappings (``Client.send_many``): the first row's keys are the template's
    columns. A sequence is fingerprinted whole (so ``resume`` can tell it is the same
    input); another iterable is read lazily and its fingerprint says only that."""
    from smscli import recipients

    count = len(items) if isinstance(items, Sequence) else None
    part = ""
    if fingerprint:
        part = (f"rows, {count}, sha256 {_rows_digest(items)}" if isinstance(items, Sequence)
                else "rows from an iterator (not fingerprinted)")
    stream = iter(items)
    first = next(stream, None)
    if first is None:
        raise UsageError("no recipients", hint="send_many needs at least one row")
    columns = [str(k) for k in first if k not in PHONE_KEYS and k != "id"]
    has_id = "id" in first

    def convert() -> Iterator[Row]:
        for n, item in enumerate(chain((first,), stream), start=1):
            if not isinstance(item, Mapping):
                yield recipients.Row(line_no=n, phone="", error=f"row {n} is not a mapping")
                continue
            number = item.get("phone", item.get("to"))
            given = item.get("id")
            yield recipients.Row(
                line_no=n, phone=str(number or "").strip(),
                vars={str(k): "" if v is None else str(v) for k, v in item.items()
                      if k not in PHONE_KEYS and k != "id"},
                id=str(given) if given not in (None, "") else None,
                error=None if number else f"row {n} has no phone")

    return convert(), count, columns, has_id, part


def _rows_digest(items: Sequence[Mapping[str, Any]]) -> str:
    import hashlib  # here: a send of a CSV file does not need it (nor its start-up)
    import json

    h = hashlib.sha256()
    for item in items:
        h.update(json.dumps(item, sort_keys=True, ensure_ascii=False, default=str).encode())
        h.update(b"\n")
    return h.hexdigest()[:16]


def check_template(message: str, columns: list[str], source: Recipients, *,
                    what: str = "the message", written: str | None = None) -> None:
    """Fail before sending anything when the text names a {column} the input lacks;
    ``written``: the text as the user wrote it (Kakao's ``#{column}`` before it became ``{column}``)."""
    from smscli.text import TemplateError, compile_template

    try:
        template = compile_template(message)
    except TemplateError as exc:  # bad braces: a usage error, nothing was sent
        raise UsageError(exc.reason) from None
    missing = template.missing(columns)
    if missing:
        if source.csv:
            where = f"the CSV's columns are {', '.join(columns) or 'none'}"
        elif source.rows is not None:
            where = f"the rows' keys are {', '.join(columns) or 'none'}"
        else:
            where = "there is no --csv"
        raise UsageError(f"{what} uses {_as_written(missing[0], written or message)} but {where}",
                         hint="write {{ and }} for literal braces")


def _as_written(name: str, text: str) -> str:
    """``#{name}`` when the text writes the variable so (Kakao's form), else ``{name}``."""
    import re

    hashed = re.search(r"#\{\s*" + re.escape(name) + r"\s*\}", text)
    return hashed[0] if hashed else f"{{{name}}}"
