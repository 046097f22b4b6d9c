"""BIZCLIENT FAX (MSG_TYPE 2) and PHONE (MSG_TYPE 3) rows, MMS audio/video files, and
their results (spec ``002_…`` §3.2, §5.1.9, §5.1.10, §6, the FAX / PHONE result tables).

A rendered fax (``Message.channel`` a :class:`~smscli.content.Fax`) becomes SUBJECT (the
cover title), MSG_BODY (the cover text), COVER_FLAG 1 with a cover, RETRY_CNT and its
documents, written into the agent's FILE_PATH under names derived from their content and
named in ATTACHED_FILE (``|``-joined, in order). A call (:class:`~smscli.content.Voice`)
becomes MSG_BODY (the TTS text), its WAVE in ATTACHED_FILE, VXML_FILE (the scenario),
REPLY_FLAG, SMS_FLAG and RETRY_CNT. The files are checked again here (they may have changed
since a reservation was made): a bad one makes that message ``invalid``.

A finished FAX row reports USE_PAGE (pages sent), a PHONE row USE_TIME (seconds) and,
when the callee could answer, SN_RESULT (0-9): in ``Report.extra`` (``use_page``,
``use_time``, ``sn_result``) with ``channel`` fax / voice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from smscli.errors import UsageError
from smscli.models import DELIVERED, FAILED, Report
from smscli.vendors.bizclient_kakao import Invalid, KakaoRow, encoded_size, row_kind

MSG_TYPES = {"fax": 2, "voice": 3}
KINDS = {2: "fax", 3: "voice"}
# FAX 3200 delivered, 3241 partly; PHONE 1200/2201 listened, 1201 listened and hung up,
# 1202/2202 listened and answered.
DELIVERED_CODES = frozenset({"3200", "3241", "1200", "1201", "1202", "2201", "2202"})
COLUMNS = {"fax": ("COVER_FLAG", "RETRY_CNT"),
           "voice": ("VXML_FILE", "REPLY_FLAG", "SMS_FLAG", "RETRY_CNT")}
RESULT_COLUMNS = ("USE_PAGE", "USE_TIME", "SN_RESULT", "REPLY_FLAG")
MAX_ATTACHED = 1000
SUBJECT_BYTES = 64


class Files:
    """The checked files of a vendor: path -> (name in FILE_PATH, bytes), read once while
    the file is unchanged (its size and mtime: a long-lived Client sends an edited file anew)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str, int, int], tuple[str, bytes] | str] = {}

    def get(self, path: Path, check: Any, what: str) -> tuple[str, bytes]:
        try:
            st = path.stat()
            stamp = (st.st_size, st.st_mtime_ns)
        except OSError:
            stamp = (-1, -1)  # check() says why it cannot be read
        key = (what, str(path), *stamp)
        if key not in self._seen:
            if len(self._seen) > 256:  # bounded: a send names few files
                self._seen.clear()
            try:
                data = check(path)
            except UsageError as exc:
                self._seen[key] = str(exc)
            else:
                suffix = path.suffix.lower() or ".bin"
                self._seen[key] = (f"smscli-{hashlib.sha256(data).hexdigest()[:40]}{suffix}", data)
        found = self._seen[key]
        if isinstance(found, str):
            raise Invalid(found)
        return found


def fax_voice_row(message: Any, files: Files, columns: Mapping[str, int | None]) -> KakaoRow:
    """The BIZ_MSG columns and the files of a rendered fax or call; Invalid with the reason."""
    from smscli import fax_voice_rules as rules

    ch = message.channel
    kind = ch.kind
    missing = [c for c in COLUMNS[kind] if columns and c not in columns]
    if missing:
        raise Invalid(f"table BIZ_MSG has no {missing[0]} column, which {kind} messages need",
                      hint="create the table with `smscli bizclient init-db`, or update the agent's")
    out: dict[str, bytes] = {}
    if kind == "fax":
        names = []
        for path in ch.files:
            name, data = files.get(path, rules.check_fax_file, "fax")
            out[name] = data
            names.append(name)
        if not names:
            raise Invalid("a fax needs at least one file")
        if ch.cover_title and encoded_size(ch.cover_title, "cover title") > SUBJECT_BYTES:
            raise Invalid(f"the cover title is longer than {SUBJECT_BYTES} bytes (CP949)")
        encoded_size(ch.cover_text, "cover text")
        fields: dict[str, Any] = {
            "MSG_TYPE": 2, "SUBJECT": ch.cover_title or None, "MSG_BODY": ch.cover_text,
            "ATTACHED_FILE": "|".join(names), "COVER_FLAG": 1 if rules.has_cover(ch) else 0,
            "RETRY_CNT": ch.retries}
    else:
        encoded_size(ch.body, "TTS text")
        attached = vxml = None
        if ch.voice_file is not None:
            attached, data = files.get(ch.voice_file, rules.check_voice_file, "voice")
            out[attached] = data
        if ch.scenario is not None:
            vxml, data = files.get(ch.scenario, rules.check_scenario, "scenario")
            out[vxml] = data
        fields = {"MSG_TYPE": 3, "SUBJECT": None, "MSG_BODY": ch.body, "ATTACHED_FILE": attached,
                  "VXML_FILE": vxml, "REPLY_FLAG": int(ch.reply), "SMS_FLAG": int(ch.sms_on_fail),
                  "RETRY_CNT": ch.retries}
    attached_len = len(fields["ATTACHED_FILE"] or "")
    limit = columns.get("ATTACHED_FILE") or MAX_ATTACHED
    if attached_len > limit:
        raise Invalid(f"ATTACHED_FILE would be {attached_len} characters; the table's holds {limit} "
                      "(send fewer files)")
    return KakaoRow({k: v for k, v in fields.items() if k in ("MSG_TYPE", "SUBJECT", "MSG_BODY") or
                     not columns or k in columns}, out)


def media_names(paths: Any, files: Files) -> dict[str, bytes]:
    """MMS audio/video attachments (ma3 / k3g, checked by content) as {name: bytes}."""
    from smscli import fax_voice_rules as rules

    out: dict[str, bytes] = {}
    for path in paths:
        name, data = files.get(Path(path), rules.check_media, "media")
        out[name] = data
    return out


def fax_voice_report(report: Report, row: Any, meaning: Any) -> Report:
    """``report`` as a fax / call report when the row is one: ``channel``, the status by
    the FAX / PHONE codes, and USE_PAGE / USE_TIME / SN_RESULT in ``extra``."""
    found = row_kind(row, KINDS)
    if found is None:
        return report
    msg_type, kind = found
    code = report.code
    delivered = code in DELIVERED_CODES
    extra = {**report.extra, "msg_type": str(msg_type), "call_status": code, "channel": kind}
    if kind == "fax":
        extra["use_page"] = _number(getattr(row, "USE_PAGE", None))
    else:
        extra["use_time"] = _number(getattr(row, "USE_TIME", None))
        if _number(getattr(row, "REPLY_FLAG", None)) == "1":
            extra["sn_result"] = _number(getattr(row, "SN_RESULT", None))
    extra = {k: v for k, v in extra.items() if v != ""}
    detail = meaning(code, "delivered" if delivered else f"not delivered (CALL_STATUS {code})") \
        if code else report.detail
    return replace(report, status=DELIVERED if delivered else FAILED, channel=kind, detail=detail,
                   delivered_at=report.extra.get("report_time", "") if delivered else "", extra=extra)


def _number(value: Any) -> str:
    if value is None or value == "":
        return ""
    try:
        return str(int(value))
    except (TypeError, ValueError):
        return str(value)
