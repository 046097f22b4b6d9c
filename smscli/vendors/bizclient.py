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

The vendor is :class:`BizclientVendor`, here with its plumbing and ``cancel``; the rest
is mixed in: ``send`` and its rows (``bizclient_send``), the batch's files
(``bizclient_files``), the INSERT (``bizclient_insert``) and the results
(``bizclient_poll``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from smscli.errors import VendorError
from smscli.vendors.base import Limits, Vendor, profile_number
from smscli.vendors.bizclient_db import (
    DONE,
    IN_CHUNK,
    STATUS_WORDS,
    WAITING,
    BizDatabase,
    Names,
    recent_log_names,
)
from smscli.vendors.bizclient_faxvoice import RESULT_COLUMNS, Files
from smscli.vendors.bizclient_files import MAX_IMAGE, MEDIA_SUFFIXES, FilesMixin
from smscli.vendors.bizclient_insert import Inserter, InsertMixin
from smscli.vendors.bizclient_poll import PAGE, UNFINISHED, PendingIds, PollMixin
from smscli.vendors.bizclient_send import (
    BODY_BYTES,
    MAX_CMID,
    MSG_TYPE,
    NAME,
    SUBJECT_BYTES,
    SendMixin,
)

if TYPE_CHECKING:
    from smscli.vendors.base import VendorEvents

__all__ = [
    "BODY_BYTES",
    "MAX_CMID",
    "MEDIA_SUFFIXES",
    "MSG_TYPE",
    "NAME",
    "PAGE",
    "STATUS_WORDS",
    "SUBJECT_BYTES",
    "UNFINISHED",
    "BizclientVendor",
    "PendingIds",
]

_READ_COLUMNS = ("CMID", "DEST_PHONE", "STATUS", "CALL_STATUS", "REPORT_TIME", "UMID", "TEL_INFO",
                 "MSG_TYPE", "ATTACHED_FILE")
# read where the table has them (Kakao reports; FAX / PHONE pages, seconds, answer)
_FALLBACK_COLUMNS = ("RE_TYPE", "RE_PART", *RESULT_COLUMNS)


class BizclientVendor(SendMixin, FilesMixin, InsertMixin, PollMixin, Vendor):
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
