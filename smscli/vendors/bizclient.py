"""BIZCLIENT (Daou Tech): the customer's database is the interface.

``send`` inserts one ``BIZ_MSG`` row per message (CMID = the message id), 1000 rows per
transaction; the agent picks rows with STATUS 0 whose SEND_TIME has come, sends them,
writes STATUS/CALL_STATUS/REPORT_TIME and moves finished rows to ``BIZ_LOG_YYYYMM``.
A CMID already in BIZ_MSG or in this or last month's log is reported ``duplicate`` and
never overwritten. MMS images (and ma3 / k3g audio / video) are copied into the agent's ``file_path`` (temp name, then
rename) under a name derived from their content, and named in ATTACHED_FILE. Kakao
AlimTalk / FriendTalk rows (MSG_TYPE 6 / 7, their button file and the fallback the
gateway sends itself) are built by ``bizclient_kakao``; FAX / PHONE rows (MSG_TYPE 2 / 3,
their documents, WAVE and scenario files) by ``bizclient_faxvoice``.

``poll`` reads the results of the journal's unfinished messages from BIZ_MSG and the
recent log tables; ``cancel`` deletes a reservation only while the agent has not taken it.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smscli.errors import UsageError, VendorError
from smscli.models import (
    ACCEPTED,
    DUPLICATE,
    INVALID,
    PENDING,
    SCHEDULED,
    UNKNOWN,
    Message,
    Report,
    SendResult,
)
from smscli.vendors.base import Limits, OnReports, OnResult, Vendor, profile_number
from smscli.vendors.bizclient_db import (
    DONE,
    FINISHED,
    IN_CHUNK,
    WAITING,
    BizDatabase,
    FinishedLookup,
    Names,
    chunks,
    now_kst,
    recent_log_names,
    safe_file_name,
    to_db_time,
)
from smscli.vendors.bizclient_faxvoice import RESULT_COLUMNS, Files, fax_voice_row
from smscli.vendors.bizclient_files import MAX_IMAGE, check_jpeg, write_atomic, write_many
from smscli.vendors.bizclient_insert import Inserter
from smscli.vendors.bizclient_kakao import Invalid as _Invalid
from smscli.vendors.bizclient_kakao import KakaoRow, kakao_row, nation_code
from smscli.vendors.bizclient_kakao import encoded_size as _cp949_size
from smscli.vendors.bizclient_results import report_from_row

if TYPE_CHECKING:
    from smscli.vendors.base import VendorEvents

NAME = "bizclient"
MAX_CMID = 32
MSG_TYPE = {"sms": 0, "lms": 5, "mms": 5}
BODY_BYTES = {"sms": 90, "lms": 2000, "mms": 2000}
SUBJECT_BYTES = 64
UNFINISHED = (PENDING, ACCEPTED, SCHEDULED, UNKNOWN)
PAGE = 5000  # unfinished ids read from the journal per page by ``poll``  # journal states that may still get a result
STATUS_WORDS = {0: "waiting", 1: "being sent", 2: "done", 3: "error", 7: "being sent", 11: "fallback send"}
_PHONE_NOISE = re.compile(r"[\s\-().]")
_PHONE_DIGITS = re.compile(r"[0-9]{3,16}")
_READ_COLUMNS = ("CMID", "DEST_PHONE", "STATUS", "CALL_STATUS", "REPORT_TIME", "UMID", "TEL_INFO",
                 "MSG_TYPE", "ATTACHED_FILE")
# read where the table has them (Kakao reports; FAX / PHONE pages, seconds, answer)
_FALLBACK_COLUMNS = ("RE_TYPE", "RE_PART", *RESULT_COLUMNS)

PendingIds = Callable[[], Iterable[str]]
MEDIA_SUFFIXES = (".ma3", ".k3g")  # MMS audio / video (the manual's §6)


class _CommitLost(Exception):
    """The connection failed while committing: the batch may or may not be stored."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class BizclientVendor(Vendor):
    name = NAME
    limits = Limits(sms_bytes=90, lms_bytes=2000, subject_bytes=SUBJECT_BYTES, max_images=3,
                    image_bytes=MAX_IMAGE, images_total_bytes=3 * MAX_IMAGE, image_max_wh=None)
    can_schedule = True
    can_cancel = True
    can_upload = False
    carries = frozenset({"text", "kakao", "fax", "voice", "mms-media"})
    falls_back = True  # a Kakao row carries its fallback (RE_TYPE / RE_BODY): the gateway sends it
    journal_vendor = NAME  # the vendor name its messages have in the journal (the sandbox's are "sandbox")

    def __init__(self, profile: Any, events: VendorEvents, *, pending_ids: PendingIds | None = None) -> None:
        """``pending_ids`` lists the message ids that still await a result (for ``poll``);
        without it, ``events.list_messages`` (the journal) is asked, and without that,
        ``poll`` reports the finished rows still in BIZ_MSG."""
        super().__init__(profile, events)
        self.database_url = str(profile.require("database_url"))
        self.file_path = Path(str(profile.require("file_path"))).expanduser()
        self.connect_timeout = profile_number(profile, "connect_timeout", 5.0)
        self.timeout = profile_number(profile, "timeout", 30.0)
        self.poll_interval = profile_number(profile, "poll_interval", 1.0)
        self.batch_size = IN_CHUNK
        self.default_sender = str(profile.get("sender") or "")
        self._sender = ("", "")  # the last sender as given, and as stored (_phone)
        self._text: tuple[str | None, int] = (None, 0)  # the last text counted, and its CP949 size
        self.pending_ids = pending_ids
        self._db: BizDatabase | None = None
        self._images: dict[str, bytes] = {}  # path -> checked JPEG bytes, until stored
        self._stored: dict[str, str] = {}  # path -> its name in file_path
        self._log_indexed: dict[str, bool] = {}  # log table -> CMID leads an index
        self._nation: str | None = None  # kakao_nation_code, checked on the first Kakao row
        self._columns: dict[str, int | None] = {}  # BIZ_MSG's columns -> declared length
        self._read_columns: tuple[str, ...] = _READ_COLUMNS
        self._written: set[str] = set()  # button files written into file_path by this vendor
        self._files = Files()  # fax documents, WAVE and scenario files, checked once per path
        self._inserter = Inserter()  # the INSERT statements of this vendor's sends

    # -- plumbing ------------------------------------------------------------------------

    def database(self) -> BizDatabase:
        if self._db is None:
            self._db = BizDatabase(self.database_url, connect_timeout=self.connect_timeout, timeout=self.timeout,
                                   pool=True)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
            self._db = None

    def _open(self) -> tuple[BizDatabase, Any, Names, str]:
        db = self.database()
        conn = db.connect()
        try:
            names = db.names(conn)
            msg = db.require_msg_table(conn, names)
            conn.rollback()
            self._columns = db.columns.get(msg, {})
            self._read_columns = _READ_COLUMNS + tuple(c for c in _FALLBACK_COLUMNS if c in self._columns)
        except BaseException:
            conn.close()
            raise
        return db, conn, names, msg

    # -- send ----------------------------------------------------------------------------

    def send(
        self,
        messages: Iterable[Message],
        on_result: OnResult,
        *,
        on_reports: OnReports | None = None,
        wait: float = 0.0,
    ) -> None:
        """Insert the messages, 1000 per transaction; ``on_result`` once per message after
        its batch is committed. If the database goes away before a commit, that batch gets
        no result (nothing of it is stored) and UnreachableError is raised; if it goes away
        during the commit, the batch is ``unknown``."""
        db, conn, _names, msg = self._open()
        finished = FinishedLookup(db, msg)
        queued: list[str] = []
        track = wait > 0 and on_reports is not None  # only --wait needs the ids afterwards
        try:
            for batch in _batches(messages, self.batch_size):
                self._send_batch(db, conn, msg, batch, finished, on_result, queued if track else None)
        finally:
            conn.close()
        if wait > 0 and on_reports is not None and queued:
            self._wait_reports(queued, on_reports, wait)

    def _send_batch(self, db: BizDatabase, conn: Any, msg: str, batch: list[Message],
                    finished: FinishedLookup, on_result: OnResult, accepted: list[str] | None) -> None:
        """Queue one batch and report each message's result; ``accepted`` (for ``--wait``)
        gets the ids accepted. No result is kept here: the results of a batch live only
        as long as ``on_result`` keeps them (fewer objects for the garbage collector)."""
        now = now_kst()
        rows: dict[str, dict[str, Any]] = {}
        kakao: dict[str, KakaoRow] = {}
        outcome: dict[int, SendResult] = {}
        for i, message in enumerate(batch):
            try:
                row, extra = self._row(message, now)
            except _Invalid as exc:
                outcome[i] = _result(message, INVALID, detail=str(exc))
                continue
            if row["CMID"] in rows:
                outcome[i] = _result(message, DUPLICATE, detail="the same id appears twice in this send")
                continue
            rows[row["CMID"]] = row
            if extra is not None:
                kakao[row["CMID"]] = extra
        self._attach(batch, rows, outcome)
        self._attach_kakao(rows, kakao)
        try:
            found = self._insert(db, conn, finished, list(rows.values())) if rows else {}
        except _CommitLost as lost:
            error = db.error(lost.cause)
            results = [outcome.get(i) or _result(m, UNKNOWN, detail=f"the database went away while committing: {error}")
                       for i, m in enumerate(batch)]
            for result in results:
                on_result(result)
            raise error from None
        queued = f"queued in {msg}"
        for i, message in enumerate(batch):
            cmid = message.id
            if outcome and i in outcome:
                result = outcome[i]
            elif found and cmid in found:
                result = _result(message, DUPLICATE, detail=found[cmid])
            elif (at := rows[cmid]["SEND_TIME"]) > now:
                result = _result(message, SCHEDULED, "0", f"queued in {msg} for {at:%Y-%m-%d %H:%M:%S} (Korea time)")
            else:  # SendResult's fields in their order, as _result gives them (the usual case)
                result = SendResult(message.to, ACCEPTED, cmid, NAME, message.type, "0", queued, cmid)
                if accepted is not None:
                    accepted.append(cmid)
            on_result(result)

    def _row(self, message: Message, now: Any) -> tuple[dict[str, Any], KakaoRow | None]:
        """The row for ``message`` and, for a Kakao one, what goes with it."""
        cmid = message.id
        if not (cmid and len(cmid) <= MAX_CMID and cmid.isascii() and cmid.isprintable() and " " not in cmid):
            raise _Invalid(f"message id {message.id!r} cannot be a CMID (1-{MAX_CMID} printable ASCII characters)")
        kind = message.type
        if kind not in MSG_TYPE and message.channel is None:
            raise _Invalid(f"BIZCLIENT sends sms, lms, mms, alimtalk, alimtalk-image, friendtalk, fax or voice, "
                           f"not {kind!r}")
        to = _phone(message.to)
        if not to:
            raise _Invalid(f"{message.to!r} is not a phone number (3-16 digits)")
        given = message.sender or self.default_sender
        if given != self._sender[0]:  # a send's messages share their sender: checked once
            self._sender = (given, _phone(given))
        sender = self._sender[1]
        if not sender:
            raise _Invalid("no valid sender number", hint="use --from, or set sender in the profile")
        send_time = now if message.send_at is None else max(now, to_db_time(message.send_at))
        if message.channel is None:  # SMS / LMS / MMS: the row at once
            text, subject, attached = self._text_fields(message)
            return {"CMID": message.id, "STATUS": WAITING, "REQUEST_TIME": now, "SEND_TIME": send_time,
                    "DEST_PHONE": to, "SEND_PHONE": sender, "CINFO": message.tag or None,
                    "DEST_NAME": message.name or None, "MSG_TYPE": MSG_TYPE[kind], "SUBJECT": subject,
                    "MSG_BODY": text, "ATTACHED_FILE": attached}, None
        head = {"CMID": message.id, "STATUS": WAITING, "REQUEST_TIME": now, "SEND_TIME": send_time,
                "DEST_PHONE": to, "SEND_PHONE": sender, "CINFO": message.tag or None,
                "DEST_NAME": message.name or None}
        if message.channel.kind in ("fax", "voice"):
            extra = fax_voice_row(message, self._files, self._columns)
            return {**head, **extra.fields}, extra
        if self._nation is None:
            self._nation = nation_code(self.profile)
        kakao = kakao_row(message, nation=self._nation, columns=self._columns)
        return {**head, **kakao.fields}, kakao

    def _text_fields(self, message: Message) -> tuple[str, str | None, str | None]:
        """The checked MSG_BODY, SUBJECT and ATTACHED_FILE (MMS file keys) of a text message."""
        kind = message.type
        text = message.text or ""
        if not text:
            raise _Invalid("the message text is empty")
        if text is self._text[0]:  # a send's messages often share their text: counted once
            size = self._text[1]
        else:
            try:
                size = len(text.encode("cp949"))
            except UnicodeEncodeError:
                size = _cp949_size(text, "message text")  # Invalid, naming the characters
            self._text = (text, size)
        if size > BODY_BYTES[kind]:
            raise _Invalid(f"{kind.upper()} text is {size} bytes (CP949); at most {BODY_BYTES[kind]}")
        subject = None
        if kind != "sms" and message.subject:
            if _cp949_size(message.subject, "subject") > SUBJECT_BYTES:
                raise _Invalid(f"the subject is longer than {SUBJECT_BYTES} bytes (CP949)")
            subject = message.subject
        attached = None
        if kind == "mms" and not message.images and message.file_keys:
            attached = self._file_keys(message.file_keys)
        return text, subject, attached

    def _file_keys(self, keys: Sequence[str]) -> str:
        for key in keys:
            if not safe_file_name(key):
                raise _Invalid(f"file key {key!r} is not a plain file name in file_path")
            if not (self.file_path / key).is_file():
                raise _Invalid(f"file {key} is not in file_path {self.file_path}")
        return "|".join(keys)

    # -- images ----------------------------------------------------------------------------

    def _attach(self, batch: list[Message], rows: dict[str, dict[str, Any]], outcome: dict[int, SendResult]) -> None:
        """Check every image of the batch (UsageError: nothing of the batch is inserted),
        then copy them into file_path (ConfigError if it is not writable)."""
        wanted = [(m, rows[m.id]) for i, m in enumerate(batch)
                  if i not in outcome and m.type == "mms" and m.images]
        for message, _row in wanted:
            if len(message.images) > self.limits.max_images:
                raise UsageError(f"message {message.id} has {len(message.images)} images; "
                                 f"BIZCLIENT MMS takes at most {self.limits.max_images}")
            for path in message.images:
                self._image(path)
        for message, row in wanted:
            row["ATTACHED_FILE"] = "|".join(self._store(path) for path in message.images)

    def _attach_kakao(self, rows: dict[str, dict[str, Any]], kakao: dict[str, KakaoRow]) -> None:
        """Check the fallbacks' images, then write the batch's button files and images
        into file_path (before the rows naming them are inserted)."""
        for extra in kakao.values():
            for path in extra.images:
                self._image(str(path))
        files = {name: data for extra in kakao.values() for name, data in extra.files.items()}
        # Written before by this vendor: again only if the agent removed it meanwhile.
        fresh = {name: data for name, data in files.items()
                 if name not in self._written or not (self.file_path / name).is_file()}
        write_many(self.file_path, fresh)
        self._written.update(fresh)
        for cmid, extra in kakao.items():
            if extra.images:
                names = [*extra.files, *(self._store(str(path)) for path in extra.images)]
                rows[cmid]["ATTACHED_FILE"] = "|".join(names)

    def _image(self, path: str) -> bytes:
        """A JPEG, or an MMS audio/video attachment (ma3 / k3g), checked by content."""
        if path in self._stored:
            return b""
        if path not in self._images:
            self._images[path] = _media(Path(path)) if _is_media(path) else check_jpeg(Path(path))
        return self._images[path]

    def _store(self, path: str) -> str:
        """The name of the image in file_path, copying it there first if needed."""
        if path in self._stored:
            return self._stored[path]
        data = self._images.pop(path)
        suffix = Path(path).suffix.lower() if _is_media(path) else ".jpg"
        name = f"smscli-{hashlib.sha256(data).hexdigest()[:40]}{suffix}"
        write_atomic(self.file_path, name, data)
        self._stored[path] = name
        return name

    # -- inserting ---------------------------------------------------------------------

    def _insert(self, db: BizDatabase, conn: Any, finished: FinishedLookup,
                rows: list[dict[str, Any]]) -> dict[str, str]:
        """Insert ``rows`` in one transaction; returns ``{cmid: why}`` for those that were
        already there (BIZ_MSG or a recent log) and so were not inserted."""
        sa = db.sa
        table = db.table(finished.msg)
        finished.before_batch(conn)
        try:
            return self._transaction(db, conn, lambda: self._insert_new(db, conn, table, finished, rows, {}))
        except sa.exc.IntegrityError:
            pass
        for _ in range(5):  # someone else inserted one of our CMIDs meanwhile: look again
            try:
                return self._transaction(db, conn, lambda: self._insert_missing(db, conn, table, finished, rows))
            except sa.exc.IntegrityError:
                continue
        raise VendorError(f"could not queue {len(rows)} messages: their CMIDs keep colliding in {table.name}",
                          hint="another program inserts the same CMIDs; retry the command")

    def _transaction(self, db: BizDatabase, conn: Any, work: Callable[[], dict[str, str]]) -> dict[str, str]:
        sa = db.sa
        trans = db.begin(conn)
        try:
            found = work()
        except BaseException as exc:
            with contextlib.suppress(sa.exc.DBAPIError):
                trans.rollback()
            if isinstance(exc, sa.exc.IntegrityError):
                raise
            if isinstance(exc, sa.exc.DBAPIError):
                raise db.error(exc) from None
            raise
        try:
            trans.commit()
        except sa.exc.DBAPIError as exc:
            raise _CommitLost(exc) from None
        return found

    def _insert_missing(self, db: BizDatabase, conn: Any, table: Any, finished: FinishedLookup,
                        rows: list[dict[str, Any]]) -> dict[str, str]:
        sa = db.sa
        ids = [r["CMID"] for r in rows]
        existing = dict(conn.execute(sa.select(table.c.CMID, table.c.STATUS).where(table.c.CMID.in_(ids))).all())
        found = {cmid: f"already queued in {table.name} (STATUS {status}: {STATUS_WORDS.get(status, '?')}); "
                       "not overwritten" for cmid, status in existing.items()}
        new = [r for r in rows if r["CMID"] not in existing]
        return self._insert_new(db, conn, table, finished, new, found)

    def _insert_new(self, db: BizDatabase, conn: Any, table: Any, finished: FinishedLookup,
                    rows: list[dict[str, Any]], found: dict[str, str]) -> dict[str, str]:
        if not rows:
            return found
        sa = db.sa
        first = rows[0].keys()
        if all(map(first.__eq__, map(dict.keys, rows))):  # one shape (the usual case)
            keys = list(first)
        else:  # Kakao and FAX / PHONE rows set more columns
            keys = list(dict.fromkeys(k for row in rows for k in row))
        self._inserter.insert(conn, table, keys, rows)
        # A CMID the agent already finished would be sent twice: take it back out.
        done = finished.find(conn, [r["CMID"] for r in rows])
        if done:
            for part in chunks(sorted(done)):
                conn.execute(sa.delete(table).where(table.c.CMID.in_(part), table.c.STATUS == WAITING))
        return {**found, **done}

    # -- results -------------------------------------------------------------------------

    def poll(self, on_reports: OnReports, *, timeout: float = 10.0, confirm: bool = True) -> None:
        """Report every unfinished message whose row is finished (STATUS 2/3 in BIZ_MSG, or
        moved to this or last month's log). The agent needs no acknowledgement: ``confirm``
        changes nothing. Reports are handed over 1000 at a time.

        With the journal, the unfinished ids come a page at a time and each page is looked
        up by CMID (the key of BIZ_MSG, indexed in the agent's logs) and reported before the
        next is read: memory stays flat for any journal. A log without an index on CMID is
        read once, at the end, and its rows matched against the journal (by its key)."""
        journal = self.events if hasattr(self.events, "iter_ids") and self.pending_ids is None else None
        if journal is None:
            ids = self._pending()
            for part in chunks(self.collect(ids)):
                on_reports(list(part))
            return
        db, conn, _names, msg = self._open()
        try:
            unindexed: list[str] = []
            for page in journal.iter_ids(UNFINISHED, vendor=self.journal_vendor, profile=self.profile.name,
                                         page=PAGE):
                for part in chunks(self._collect(db, conn, msg, page, unindexed=unindexed)):
                    on_reports(list(part))
            for real in dict.fromkeys(unindexed):
                self._scan_log(db, conn, real, journal, on_reports)
        except db.sa.exc.DBAPIError as exc:
            raise db.error(exc) from None
        finally:
            conn.close()

    def _scan_log(self, db: BizDatabase, conn: Any, real: str, journal: Any, on_reports: OnReports) -> None:
        """One streamed pass over a log table without a CMID index: its rows whose CMID is
        unfinished in the journal are reported, 1000 at a time (each batch is stored before
        the next is matched, so a CMID listed twice is reported once)."""
        log = db.table(real, log=True)
        stmt = db.sa.select(*[log.c[name] for name in self._read_columns])
        rows = conn.execution_options(stream_results=True, yield_per=5000).execute(stmt)
        batch: list[Any] = []

        def match() -> None:
            wanted = journal.among([row.CMID for row in batch], UNFINISHED, vendor=self.journal_vendor)
            found: dict[str, Report] = {}
            for row in batch:
                if row.CMID in wanted and row.CMID not in found:
                    found[row.CMID] = report_from_row(row, real)
            if found:
                on_reports(list(found.values()))
            batch.clear()

        for row in rows:
            batch.append(row)
            if len(batch) >= IN_CHUNK:
                match()
        if batch:
            match()

    def _pending(self) -> list[str] | None:
        if self.pending_ids is not None:
            return list(self.pending_ids())
        lister = getattr(self.events, "list_messages", None)
        if lister is None:
            return None
        rows = lister(status=list(UNFINISHED), vendor=self.journal_vendor)
        return [r["id"] for r in rows if r.get("profile") in (None, self.profile.name)]

    def collect(self, ids: Sequence[str] | None) -> list[Report]:
        """The reports for ``ids`` that are finished (each once), or with ``ids`` None, the
        finished rows still in BIZ_MSG."""
        db, conn, _names, msg = self._open()
        try:
            return self._collect(db, conn, msg, ids)
        except db.sa.exc.DBAPIError as exc:
            raise db.error(exc) from None
        finally:
            conn.close()

    def _collect(self, db: BizDatabase, conn: Any, msg: str, ids: Sequence[str] | None, *,
                 unindexed: list[str] | None = None) -> list[Report]:
        """``unindexed``: a list to which the logs without a CMID index are added (they are
        left to the caller) instead of being read here."""
        sa = db.sa
        table = db.table(msg)
        cols = [table.c[name] for name in self._read_columns]
        reports: dict[str, Report] = {}
        if ids is None:
            for row in conn.execute(sa.select(*cols).where(table.c.STATUS.in_(FINISHED))):
                reports.setdefault(row.CMID, report_from_row(row, msg))
            return list(reports.values())
        wanted = list(dict.fromkeys(ids))
        # BIZ_MSG first, then the logs: a row the agent moves meanwhile is found in the log.
        for part in chunks(wanted):
            for row in conn.execute(sa.select(*cols).where(table.c.CMID.in_(part), table.c.STATUS.in_(FINISHED))):
                reports.setdefault(row.CMID, report_from_row(row, msg))
        remaining = set(wanted) - reports.keys()
        names = db.names(conn)
        for log_name in recent_log_names():
            real = names.log(log_name)
            if real is None or not remaining:
                continue
            if unindexed is not None and not self._indexed(db, conn, real):
                unindexed.append(real)
                continue
            log = db.table(real, log=True)
            log_cols = [log.c[name] for name in self._read_columns]
            if len(remaining) <= IN_CHUNK or self._indexed(db, conn, real):
                rows: Iterable[Any] = (row for part in chunks(sorted(remaining))
                                       for row in conn.execute(sa.select(*log_cols).where(log.c.CMID.in_(part))))
            else:  # no index on CMID: one pass over the table beats a scan per 1000 ids
                rows = conn.execution_options(stream_results=True, yield_per=5000).execute(sa.select(*log_cols))
            for row in rows:
                if row.CMID in remaining:
                    remaining.discard(row.CMID)
                    reports[row.CMID] = report_from_row(row, real)
        order = {cmid: i for i, cmid in enumerate(wanted)}
        return sorted(reports.values(), key=lambda r: order[r.message_id])

    def _indexed(self, db: BizDatabase, conn: Any, real: str) -> bool:
        if real not in self._log_indexed:
            self._log_indexed[real] = db.has_cmid_index(conn, real)
        return self._log_indexed[real]

    def _wait_reports(self, ids: list[str], on_reports: OnReports, wait: float) -> None:
        deadline = time.monotonic() + wait
        remaining = list(ids)
        while remaining:
            reports = self.collect(remaining)
            if reports:
                on_reports(reports)
                done = {r.message_id for r in reports}
                remaining = [i for i in remaining if i not in done]
            left = deadline - time.monotonic()
            if not remaining or left <= 0 or self.stop_requested():
                return
            time.sleep(min(self.poll_interval, left, 0.5))

    # -- reservations ----------------------------------------------------------------------

    def cancel(self, message_id: str, server_id: str = "") -> None:
        """Delete the row while STATUS is 0 (the WHERE clause says so, so a row the agent
        took is never touched); VendorError when the agent already took it."""
        db, conn, names, msg = self._open()
        sa = db.sa
        table = db.table(msg)
        try:
            with db.begin(conn):
                deleted = conn.execute(sa.delete(table).where(
                    table.c.CMID == message_id, table.c.STATUS == WAITING)).rowcount  # noqa: SIM300
            if deleted:
                return
            cmid = table.c.CMID
            status = conn.execute(sa.select(table.c.STATUS).where(cmid == message_id)).scalar()
            if status is not None:
                raise VendorError(
                    f"message {message_id} cannot be cancelled: the agent has already taken it "
                    f"(STATUS {status}: {STATUS_WORDS.get(status, 'unknown state')})",
                    code=str(status), hint="it is being sent or was sent; see `smscli result poll`")
            for log_name in recent_log_names():
                real = names.log(log_name)
                if real is None:
                    continue
                log = db.table(real, log=True)
                log_cmid = log.c.CMID
                if conn.execute(sa.select(log_cmid).where(log_cmid == message_id).limit(1)).first():
                    raise VendorError(f"message {message_id} cannot be cancelled: it was already sent (in {real})",
                                      code=str(DONE))
            raise VendorError(f"message {message_id} is not in {msg}",
                              hint="it was never queued there, or was cancelled already")
        except sa.exc.DBAPIError as exc:
            raise db.error(exc) from None
        finally:
            conn.close()


# --------------------------------------------------------------------------- helpers
def _result(message: Message, status: str, code: str = "", detail: str = "") -> SendResult:
    queued = status in (ACCEPTED, SCHEDULED, DUPLICATE)  # a duplicate CMID is in the tables
    # SendResult's fields in their order (one result per message; keywords cost more)
    return SendResult(message.to, status, message.id, NAME, message.type, code, detail,
                      message.id if queued else "")


def _is_media(path: str) -> bool:
    return path.lower().endswith(MEDIA_SUFFIXES)


def _media(path: Path) -> bytes:
    """An ma3 / k3g attachment's bytes (checked by content) within the 60 kB MMS limit."""
    from smscli.fax_voice_rules import check_media

    data = check_media(path)
    if len(data) > MAX_IMAGE:
        raise UsageError(f"attachment {path} is {len(data)} bytes; BIZCLIENT MMS files are at most "
                         f"{MAX_IMAGE // 1024} kB")
    return data


def _batches(messages: Iterable[Message], size: int) -> Iterator[list[Message]]:
    batch: list[Message] = []
    for message in messages:
        batch.append(message)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _phone(number: str) -> str:
    if number and number.isdigit() and number.isascii() and 3 <= len(number) <= 16:
        return number  # already plain digits (the usual case): what the rest would return
    digits = _PHONE_NOISE.sub("", number or "")
    if digits.startswith("+82"):
        digits = "0" + digits[3:].lstrip("0")
    return digits if _PHONE_DIGITS.fullmatch(digits) else ""
