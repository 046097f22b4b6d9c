"""OneShot simulator: messages and their reports. MsgSendReq is judged (binding,
duplicates, sending hours, content, Kakao/RCS, attachments, speed, seeded rejections),
answered or lost as the fault knobs say, recorded, and reported by ReportReq after
``report_delay``; ReportRes/SpamRes/ChangePhoneRes acknowledge; pushes go to every bound
connection. Mixed into :class:`smscli.sim.oneshot.OneShotSimulator`."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from smscli.masking import mask_tree
from smscli.protocol.oneshot.frames import Frame
from smscli.sim import oneshot_kakao
from smscli.sim.oneshot_config import (
    BAD_DATA,
    DUPLICATE_SEND,
    FILE_COUNT,
    FILE_SIZE,
    KST,
    MAX_IMAGE_BYTES,
    MSG_TYPES,
    NO_CALLBACK,
    NO_FILE,
    NOT_BOUND,
    OK,
    OUTSIDE_HOURS,
    SUBJECT_LIMIT,
    TEXT_LIMITS,
    TOO_FAST,
    TOO_LONG,
    AcceptedMessage,
    HeldReport,
)
from smscli.sim.oneshot_session import SimSession

_TELECOMS = ("SKT", "KTF", "LGT")


class MessagesMixin:
    """MsgSendReq, reports, acknowledgements and pushes (see the module docstring)."""

    def _hour_open(self) -> bool:
        begin, end = self.config.begin, self.config.end
        if begin == 0 and end == 24:
            return True
        hour = datetime.fromtimestamp(self._clock(), KST).hour
        return begin <= hour < end if begin < end else (hour >= begin or hour < end)

    def _speed_ok(self) -> bool:
        limit = self.config.speed_limit
        if limit <= 0:
            return True
        now = time.monotonic()
        window = self._window
        while window and now - window[0] >= 1.0:
            window.popleft()
        if len(window) >= limit:
            return False
        window.append(now)
        return True

    def _on_msg_send(self, session: SimSession, frame: Frame, body: dict[str, Any]) -> None:
        cfg = self.config
        uid = str(body.get("UserMsgId", ""))
        sub = str(body.get("UserMsgSubId", ""))
        phone = str(body.get("PhoneNo", ""))
        key = (uid, sub, phone)
        session.msg_count += 1
        dropping = bool(
            cfg.drop_after
            and session.msg_count >= cfg.drop_after
            and (cfg.drop_every or not self._dropped_once)
        )
        code, _server_msg_id = self._judge(session, body, key)
        silent = code == OK and (
            uid in cfg.silent_ids
            or (cfg.silent_rate > 0 and self._fraction("silent", key) < cfg.silent_rate)
        )
        cut = code == OK and cfg.drop_rate > 0 and self._fraction("drop", key) < cfg.drop_rate
        if self._log is not None:
            extra = " (no answer)" if silent or dropping or cut else ""
            self._emit(f"{session.tag} MsgSendReq {uid}/{sub} → {phone}: Result {code}{extra}")
        if dropping:
            self._dropped_once = True
            self._count("dropped")
            session.close(f"dropping after {session.msg_count} MsgSendReq (--drop-after)")
            return
        if cut:
            self._count("dropped")
            session.close(f"dropping upon {uid}/{sub} → {phone} (--drop-rate)")
            return
        if silent:
            self._count("silent")
            return
        res = {
            "UserMsgId": body.get("UserMsgId", ""),
            "UserMsgSubId": body.get("UserMsgSubId", ""),
            "PhoneNo": body.get("PhoneNo", ""),
            "MsgType": body.get("MsgType", 0),
            "Result": code,
            "UserData": body.get("UserData", ""),
        }
        if cfg.delay > 0 and self._loop is not None:
            self._loop.call_later(cfg.delay, self._send, session, "MsgSendRes", res)
            return
        self._send(session, "MsgSendRes", res)

    def _judge(
        self, session: SimSession, body: dict[str, Any], key: tuple[str, str, str]
    ) -> tuple[int, str]:
        """Decide one MsgSendReq; accept it (record + schedule its report) when Result 0."""
        cfg = self.config
        if not session.bound:
            code = NOT_BOUND
        elif not key[0] or not key[2]:
            code = BAD_DATA
        elif key in self._accepted or key in self._earlier_keys:
            code = DUPLICATE_SEND
        elif not self._hour_open():
            code = OUTSIDE_HOURS
        else:
            code = _check_content(body)
            if code == OK and oneshot_kakao.is_channel(body.get("MsgType")):
                code = oneshot_kakao.judge(self._kakao, body)
            code = code or self._check_files(body)
            if code == OK and not self._speed_ok():
                code = TOO_FAST
            if (
                code == OK
                and cfg.reject_rate > 0
                and self._fraction("reject", key) < cfg.reject_rate
            ):
                code = int(self._pick("reject-code", key, cfg.reject_codes))
        if code != OK:
            self._count(f"result_{code}")
            return code, ""
        return OK, self._accept(session, body, key)

    def _check_files(self, body: dict[str, Any]) -> int:
        names = [
            str(n)
            for n in (body.get("FileName1"), body.get("FileName2"), body.get("FileName3"))
            if n
        ]
        if not names and not body.get("FileCount"):
            return OK
        if oneshot_kakao.is_channel(body.get("MsgType")) and all(map(oneshot_kakao.remote_image, names)):
            return OK  # a Kakao image by URL: Kakao fetches it
        try:
            count = int(body.get("FileCount") or 0)
        except (TypeError, ValueError):
            return FILE_COUNT
        if count != len(names):
            return FILE_COUNT
        with self._lock:
            missing = [n for n in names if n not in self._files]
            total = sum(len(self._files.get(n, b"")) for n in names)
        if missing:
            return NO_FILE
        return FILE_SIZE if total > MAX_IMAGE_BYTES else OK

    def _accept(self, session: SimSession, body: dict[str, Any], key: tuple[str, str, str]) -> str:
        cfg = self.config
        now = self._clock()
        with self._lock:
            self._next_msg += 1
            server_msg_id = str(100000 + self._next_msg)
            msg_type = body.get("MsgType", 0)
            accepted = AcceptedMessage(
                server_msg_id,
                key[0],
                key[1],
                key[2],
                msg_type if isinstance(msg_type, int) else 0,
                body,
                session.id,
                now,
            )
            self._accepted[key] = accepted
            self._stats["accepted"] = self._stats.get("accepted", 0) + 1
        channel = oneshot_kakao.is_channel(accepted.msg_type)
        missed = oneshot_kakao.report_code(self._kakao, body) if channel else None
        if self._record is not None:
            line: dict[str, Any] = {
                "event": "accepted",
                "server_msg_id": server_msg_id,
                "user_msg_id": key[0],
                "user_msg_sub_id": key[1],
                "phone": key[2],
                "msg_type": accepted.msg_type,
                "callback": body.get("CallbackNo", ""),
                "subject": body.get("Subject", ""),
                "message": body.get("Message", ""),
                "user_data": body.get("UserData", ""),
                "files": [
                    body.get(f"FileName{i}") for i in range(1, 4) if body.get(f"FileName{i}")
                ],
                "connection": session.id,
                "time": datetime.fromtimestamp(now, KST).isoformat(timespec="milliseconds"),
            }
            if channel:  # what was asked of Kakao/RCS (the sender key aside), and whether it missed
                line.update(channel=oneshot_kakao.recorded_fields(body), missed=missed is not None)
            self._write_record(line)
        failed = cfg.fail_rate > 0 and self._fraction("fail", key) < cfg.fail_rate
        report = {
            "UserMsgId": body.get("UserMsgId", ""),
            "UserMsgSubId": body.get("UserMsgSubId", ""),
            "ServerMsgId": server_msg_id,
            "MsgType": accepted.msg_type,
            "PhoneNo": body.get("PhoneNo", ""),
            "Result": missed if missed is not None else (
                int(self._pick("fail-code", key, cfg.fail_codes)) if failed else OK),
            "Telecom": _TELECOMS[sum(map(ord, key[2])) % 3],
            "DeliveryTime": "",
            "UserData": body.get("UserData", ""),
        }
        with self._lock:
            self._reports[server_msg_id] = HeldReport(report, session.id)
        assert self._loop is not None
        due_at = self._loop.time() + cfg.report_delay
        self._due.append((due_at, server_msg_id))
        if self._due_timer is None:
            self._due_timer = self._loop.call_at(due_at, self._run_due)
        return server_msg_id

    def _run_due(self) -> None:
        """Make every report whose time has come due (one timer for all: the delay is
        constant, so the queue is in due order)."""
        assert self._loop is not None
        self._due_timer = None
        now = self._loop.time()
        due = self._due
        while due and due[0][0] <= now:
            self._report_due(due.popleft()[1])
        if due and self._running:
            self._due_timer = self._loop.call_at(due[0][0], self._run_due)
        self._flush_record()

    def _report_due(self, server_msg_id: str) -> None:
        if not self._running:
            return
        with self._lock:
            report = self._reports.get(server_msg_id)
            if report is None:
                return
            report.due = True
            report.body["DeliveryTime"] = self._delivery_time()
            origin = self._sessions.get(report.origin)
            if origin is None or not origin.bound or origin.closed:
                origin = next(
                    (s for s in self._sessions.values() if s.bound and not s.closed), None
                )
        if origin is not None:
            self._send_report(origin, report)

    def _delivery_time(self) -> str:
        stamp = datetime.fromtimestamp(self._clock(), KST)
        return stamp.strftime("%Y-%m-%d %H:%M:%S.") + f"{stamp.microsecond // 1000:03d}"

    def _send_report(self, session: SimSession, report: HeldReport) -> None:
        self._count("reports_pushed")
        self._send(session, "ReportReq", report.body)

    def _on_ack(self, session: SimSession, frame: Frame, body: dict[str, Any]) -> None:
        with self._lock:
            self._acks.append((frame.method, body))
            self._stats[f"acks_{frame.method}"] = self._stats.get(f"acks_{frame.method}", 0) + 1
        if frame.method != "ReportRes":
            self._emit(f"{session.tag} {frame.method} {mask_tree(body)}")
            return
        server_msg_id = str(body.get("ServerMsgId", ""))
        with self._lock:
            report = self._reports.get(server_msg_id)
            known = report is not None and str(report.body["UserMsgId"]) == str(
                body.get("UserMsgId", "")
            )
            acked = known and body.get("Result", OK) in (OK, "0")
            if acked:
                del self._reports[server_msg_id]
        if acked:
            self._write_record({"event": "report_acked", "server_msg_id": server_msg_id})
        self._emit(
            f"{session.tag} ReportRes {server_msg_id}: "
            + ("acknowledged" if acked else "not matched (unknown ids or non-zero Result)")
        )

    def _push_everywhere(self, method: str, body: dict[str, Any]) -> None:
        with self._lock:
            targets = [s for s in self._sessions.values() if s.bound and not s.closed]
            if not targets:
                self._queued_pushes.append((method, body))
        for session in targets:
            self._send(session, method, body)
        self._emit(f"{method} {mask_tree(body)} → {len(targets) or 'next bind'}")


def _cp949_len(value: Any) -> int:
    return len(str(value).encode("cp949", errors="replace"))


def _check_content(body: dict[str, Any]) -> int:
    """911 unknown MsgType, 316 no callback number, 908 text too long for its type."""
    msg_type = body.get("MsgType")
    if type(msg_type) is not int or msg_type not in MSG_TYPES:
        return BAD_DATA
    if not str(body.get("CallbackNo") or ""):
        return NO_CALLBACK
    limit = TEXT_LIMITS.get(msg_type)
    if limit is not None:
        if _cp949_len(body.get("Message", "")) > limit:
            return TOO_LONG
        if _cp949_len(body.get("Subject", "")) > SUBJECT_LIMIT:
            return TOO_LONG
    return OK
