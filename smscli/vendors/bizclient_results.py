"""BIZCLIENT results: a report from a finished BIZ_MSG / BIZ_LOG row (CALL_STATUS with
its meaning from smscli's code tables; Kakao rows through ``bizclient_kakao``, FAX / PHONE
rows through ``bizclient_faxvoice``)."""

from __future__ import annotations

import functools
from typing import Any

from smscli.models import DELIVERED, FAILED, Report
from smscli.vendors.bizclient_db import ERROR, iso_kst
from smscli.vendors.bizclient_faxvoice import fax_voice_report
from smscli.vendors.bizclient_kakao import kakao_report

NAME = "bizclient"
DELIVERED_CODES = frozenset({"4100", "6600", "7000"})  # SMS, LMS/MMS, AlimTalk


def report_from_row(row: Any, table: str) -> Report:
    """A report from a finished BIZ_MSG / BIZ_LOG row."""
    code = str(row.CALL_STATUS or "").strip()
    status = int(row.STATUS) if row.STATUS is not None else None
    delivered = code in DELIVERED_CODES
    extra = {"server_id": str(row.CMID), "table": table, "status": "" if status is None else str(status)}
    if row.UMID:
        extra["umid"] = str(row.UMID)
    if row.TEL_INFO:
        extra["tel_info"] = str(row.TEL_INFO)
    report_time = iso_kst(row.REPORT_TIME)
    if report_time:
        extra["report_time"] = report_time
    if code:
        detail = code_meaning(code, "delivered" if delivered else f"not delivered (CALL_STATUS {code})")
    else:
        detail = f"the agent reported an error without CALL_STATUS (STATUS {status})" if status == ERROR \
            else "finished without CALL_STATUS"
    report = Report(message_id=str(row.CMID), to=str(row.DEST_PHONE or ""),
                    status=DELIVERED if delivered else FAILED, code=code, detail=detail, vendor=NAME,
                    delivered_at=report_time if delivered else "", extra=extra)
    return fax_voice_report(kakao_report(report, row, code_meaning), row, code_meaning)


def code_meaning(code: str, fallback: str) -> str:
    """The result code's meaning from smscli's code tables, else ``fallback``."""
    return _meaning(code) or fallback


@functools.cache  # bounded: CALL_STATUS holds 4 characters, and the tables' codes are few
def _meaning(code: str) -> str:
    try:
        from smscli.codes import describe
    except ImportError:
        return ""
    try:
        entry = describe(NAME, code)
    except Exception:  # noqa: BLE001 - a code table problem must not lose a report
        return ""
    return entry.meaning if entry is not None else ""
