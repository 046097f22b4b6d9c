"""BIZCLIENT send: messages into BIZ_MSG rows (CMID = the message id), 1000 per
transaction, and one result per message after its batch is committed.

:class:`SendMixin` checks each message and builds its row: SMS / LMS / MMS here, Kakao
rows through ``bizclient_kakao``, FAX / PHONE rows through ``bizclient_faxvoice``. The
batch's files, its INSERT and the wait for reports are the other mixins' (``bizclient_files``,
``bizclient_insert``, ``bizclient_poll``). Mixed into
:class:`smscli.vendors.bizclient.BizclientVendor`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from smscli.models import (
    ACCEPTED,
    DUPLICATE,
    INVALID,
    SCHEDULED,
    UNKNOWN,
    Message,
    SendResult,
)
from smscli.vendors.base import OnReports, OnResult
from smscli.vendors.bizclient_db import (
    WAITING,
    BizDatabase,
    FinishedLookup,
    now_kst,
    safe_file_name,
    to_db_time,
)
from smscli.vendors.bizclient_faxvoice import fax_voice_row
from smscli.vendors.bizclient_insert import CommitLost
from smscli.vendors.bizclient_kakao import Invalid as _Invalid
from smscli.vendors.bizclient_kakao import KakaoRow, kakao_row, nation_code
from smscli.vendors.bizclient_kakao import encoded_size as _cp949_size

NAME = "bizclient"
MAX_CMID = 32
MSG_TYPE = {"sms": 0, "lms": 5, "mms": 5}
BODY_BYTES = {"sms": 90, "lms": 2000, "mms": 2000}
SUBJECT_BYTES = 64
_PHONE_NOISE = re.compile(r"[\s\-().]")
_PHONE_DIGITS = re.compile(r"[0-9]{3,16}")


class SendMixin:
    """``send`` and the rows of its messages (see the module docstring)."""

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
        except CommitLost as lost:
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


def _result(message: Message, status: str, code: str = "", detail: str = "") -> SendResult:
    queued = status in (ACCEPTED, SCHEDULED, DUPLICATE)  # a duplicate CMID is in the tables
    # SendResult's fields in their order (one result per message; keywords cost more)
    return SendResult(message.to, status, message.id, NAME, message.type, code, detail,
                      message.id if queued else "")


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
