"""A stand-in for Daou's BIZCLIENT agent, working a database the way the real one does.

Each pass: rows with STATUS 0 whose SEND_TIME has come are checked (body size, CP949,
phone number, every ATTACHED_FILE present in ``file_path``) and taken (STATUS 1), or
refused at once (STATUS 3 with a 9xxx code); ``send_delay`` later the carrier "answers"
(STATUS 2, CALL_STATUS 4100/6600 or, for a ``fail_rate`` share, a failure code, plus
REPORT_TIME and TEL_INFO); ``move_delay`` after that the row moves to ``BIZ_LOG_YYYYMM``
(created on first use like the agent does, without a primary key) in one transaction.

Kakao rows (MSG_TYPE 6 AlimTalk / 7 FriendTalk) follow ``sim.bizclient_kakao``: checked
against ``kakao`` (:class:`~smscli.sim.kakao.KakaoRules`), answered 7000 or with Daou's
refusal code; a recipient not on Kakao gets the Kakao failure and, with RE_TYPE, the
fallback: STATUS 11 (CALL_STATUS the Kakao code, TEL_INFO KKO) until, ``send_delay``
later, STATUS 2 with the SMS/LMS result and the carrier. ``fail_rate`` applies to SMS,
LMS/MMS and fallbacks; Kakao recipients miss by ``kakao``'s miss rate and numbers.
FAX and PHONE rows (MSG_TYPE 2 / 3) follow ``sim.bizclient_faxvoice``: their files checked,
answered with the manual's FAX / PHONE codes and USE_PAGE, USE_TIME and SN_RESULT.

Outcomes depend only on ``seed`` and the CMID, so a run can be repeated exactly.
``accepted`` counts, per CMID, the times a row was taken (a CMID inserted again after its
row moved to the log is taken again), ``fallbacks`` the fallbacks sent; ``record`` writes
a JSON line per row taken and per fallback sent.
Nothing is delivered anywhere. ``BizclientAgent(...).start()`` runs it in a thread (tests);
``smscli sim bizclient`` runs it in the foreground.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from smscli.sim import bizclient_faxvoice as faxvoice
from smscli.sim import bizclient_kakao as kakao
from smscli.sim.kakao import KakaoRules
from smscli.vendors.bizclient_db import (
    DONE,
    ERROR,
    FINISHED,
    SENDING,
    WAITING,
    BizDatabase,
    chunks,
    log_table_name,
    now_kst,
    safe_file_name,
)

DELIVERED = {0: "4100", 5: "6600"}
FAILURES = {0: ("4401", "4410", "4414", "4421"), 5: ("6604", "6606", "6613", "6601")}
CARRIERS = ("SKT", "KTF", "LGT")
FALLBACK = 11  # STATUS: the fallback is being sent
BODY_BYTES = {0: 90, 5: 2000}
MAX_IMAGE = 60 * 1024
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".ma3", ".k3g")  # the manual's §6: images, audio, video
MAX_BATCHES_PER_PASS = 50


@dataclass
class AgentConfig:
    database_url: str
    file_path: str
    interval: float = 0.2  # seconds between passes over BIZ_MSG
    send_delay: float = 0.2  # STATUS 1 -> 2 (the carrier's report)
    move_delay: float = 1.0  # STATUS 2/3 -> BIZ_LOG_YYYYMM
    fail_rate: float = 0.0  # share of messages the carrier does not deliver
    seed: int = 0
    batch: int = 1000  # rows per statement
    connect_timeout: float = 5.0
    record: Path | None = None  # append a JSON line per row taken (STATUS 0 -> 1) and fallback sent
    kakao: KakaoRules | None = None  # approved templates, sender key, misses (None: accept all)


class BizclientAgent:
    """The agent loop. ``step()`` does one pass; ``start()``/``stop()`` run passes in a
    thread every ``interval`` seconds. ``stats`` counts taken / refused / delivered /
    failed / moved rows; ``error`` holds what stopped the thread, if anything."""

    def __init__(self, config: AgentConfig, *, on_event: Callable[[str], None] | None = None) -> None:
        self.config = config
        self.file_path = Path(config.file_path).expanduser()
        self.on_event = on_event or (lambda _line: None)
        self.db = BizDatabase(config.database_url, create=True, pool=True,
                              connect_timeout=config.connect_timeout)
        self.stats: Counter[str] = Counter()
        self.error: BaseException | None = None
        self._picked: dict[str, tuple[float, int]] = {}  # cmid -> (taken at, MSG_TYPE)
        self._plans: dict[str, kakao.Plan] = {}  # taken Kakao rows -> Kakao's answer
        self._calls: dict[str, faxvoice.Plan] = {}  # taken FAX / PHONE rows -> the far end's answer
        self._falling: dict[str, tuple[float, int]] = {}  # STATUS 11: cmid -> (since, its MSG_TYPE)
        self.kakao = config.kakao or KakaoRules()
        self.fallbacks: Counter[str] = Counter()  # CMID -> fallbacks sent
        self._finished: dict[str, float] = {}  # cmid -> finished at
        self._msg: str | None = None
        self._logs: dict[str, str] = {}  # wanted name -> real name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.accepted: Counter[str] = Counter()  # CMID -> times taken (a re-inserted CMID twice)
        self._record: IO[str] | None = None
        if config.record is not None:
            self._record = open(config.record, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()

    # -- lifecycle ------------------------------------------------------------------------
    def prepare(self) -> None:
        """Create BIZ_MSG if missing (the agent does), and take over rows left half-done."""
        with self.db.connect() as conn:
            created = self.db.create_tables(conn)
            self._msg = created[0][0]
            msg = self.db.table(self._msg)
            sa = self.db.sa
            now = time.monotonic()
            for row in conn.execute(self._select(msg).where(msg.c.STATUS == SENDING)):
                self._picked[row.CMID] = (now, int(row.MSG_TYPE))
                self._plan_row(row)
            for cmid, re_type in conn.execute(sa.select(msg.c.CMID, msg.c.RE_TYPE).where(msg.c.STATUS == FALLBACK)):
                self._falling[cmid] = (now, kakao.FALLBACK_TYPES.get(str(re_type or "").upper(), 0))
            for (cmid,) in conn.execute(sa.select(msg.c.CMID).where(msg.c.STATUS.in_(FINISHED))):
                self._finished[cmid] = now

    def start(self) -> BizclientAgent:
        self.prepare()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="bizclient-agent", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.db.dispose()
        self.close_record()

    def close_record(self) -> None:
        with self._lock:
            if self._record is not None:
                self._record.close()
                self._record = None

    def __enter__(self) -> BizclientAgent:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        if self.error is not None and exc[0] is None:
            raise self.error

    def run(self, duration: float | None = None) -> None:
        """Passes in the foreground until ``duration`` (seconds) or ``stop()``/Ctrl-C."""
        self.prepare()
        deadline = None if duration is None else time.monotonic() + duration
        try:
            while not self._stop.is_set():
                self.step()
                if deadline is not None and time.monotonic() >= deadline:
                    return
                wait = self.config.interval
                if deadline is not None:
                    wait = min(wait, max(0.0, deadline - time.monotonic()))
                self._stop.wait(wait)
        finally:
            self.db.dispose()
            self.close_record()

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                self.step()
                self._stop.wait(self.config.interval)
        except BaseException as exc:  # noqa: BLE001 - kept for the test that started us
            self.error = exc
            self.on_event(f"agent stopped: {exc}")

    def idle(self) -> bool:
        """Nothing taken and not yet moved (rows waiting in BIZ_MSG are not counted)."""
        return not self._picked and not self._finished and not self._falling

    # -- one pass ---------------------------------------------------------------------
    def step(self) -> Counter[str]:
        """Take due rows, finish the taken ones whose time has come, move finished ones."""
        with self._lock:
            if self._msg is None:
                self.prepare()
            done: Counter[str] = Counter()
            with self.db.connect() as conn:
                for _ in range(MAX_BATCHES_PER_PASS):
                    if self._take(conn, done) < self.config.batch:
                        break
                self._report(conn, done)
                self._fall_back(conn, done)
                self._move(conn, done)
            done = +done  # only what happened
            self.stats.update(done)
            if done:
                self.on_event(" ".join(f"{k} {v}" for k, v in sorted(done.items())))
            return done

    def _take(self, conn: Any, done: Counter[str]) -> int:
        sa = self.db.sa
        msg = self.db.table(self._msg or "")
        rows = conn.execute(
            self._select(msg).where(msg.c.STATUS == WAITING, msg.c.SEND_TIME <= now_kst())  # noqa: SIM300
            .limit(self.config.batch)
        ).all()
        if not rows:
            return 0
        taken: list[tuple[str, int]] = []
        refused: dict[str, list[str]] = {}
        by_cmid = {}
        for row in rows:
            code = self.check(row)
            if code:
                refused.setdefault(code, []).append(row.CMID)
            else:
                taken.append((row.CMID, int(row.MSG_TYPE)))
                by_cmid[row.CMID] = row
                self._plan_row(row)
        now = time.monotonic()
        with self.db.begin(conn):
            if taken:
                conn.execute(sa.update(msg).where(msg.c.CMID.in_([c for c, _ in taken]), msg.c.STATUS == WAITING)
                             .values(STATUS=SENDING))
            for code, ids in refused.items():
                conn.execute(sa.update(msg).where(msg.c.CMID.in_(ids), msg.c.STATUS == WAITING)
                             .values(STATUS=ERROR, CALL_STATUS=code, REPORT_TIME=now_kst()))
        for cmid, msg_type in taken:
            self._picked[cmid] = (now, msg_type)
            self.accepted[cmid] += 1
        self._write_record([by_cmid[cmid] for cmid, _ in taken])
        for ids in refused.values():
            for cmid in ids:
                self._finished[cmid] = now
        done["taken"] += len(taken)
        done["refused"] += sum(len(ids) for ids in refused.values())
        return len(rows)

    @staticmethod
    def _select(msg: Any) -> Any:
        return msg.select().with_only_columns(*(msg.c[name] for name in (
            "CMID", "MSG_TYPE", "DEST_PHONE", "MSG_BODY", "ATTACHED_FILE", "SEND_TIME", "SENDER_KEY",
            "TEMPLATE_CODE", "RE_TYPE", "RE_BODY", "CINFO", "DEST_NAME", "SUBJECT", "COVER_FLAG",
            "VXML_FILE", "REPLY_FLAG", "SMS_FLAG", "RETRY_CNT")))

    def _plan_row(self, row: Any) -> None:
        """Decide a taken Kakao, FAX or PHONE row's answer now (its files are read now)."""
        msg_type = int(row.MSG_TYPE)
        if msg_type in kakao.KAKAO_TYPES:
            self._plans[row.CMID] = self._plan(row)
        elif msg_type in faxvoice.TYPES:
            self._calls[row.CMID] = faxvoice.answer(
                row, self.file_path, lambda salt: self._fraction(row.CMID, salt), fail_rate=self.config.fail_rate)

    def _plan(self, row: Any) -> kakao.Plan:
        """Kakao's answer; whether the recipient misses depends on the seed and CMID, like
        every outcome here (the rules' numbers always miss)."""
        digits = "".join(c for c in row.DEST_PHONE or "" if c.isdigit())
        missed = digits in self.kakao.misses or self._fraction(row.CMID, "kakao-miss") < self.kakao.miss_rate
        return kakao.answer(row, self.file_path, self.kakao, missed=missed)

    def _write_record(self, rows: list[Any]) -> None:
        """One line per row taken: its CMID, how many times that CMID was taken so far,
        number, type (0 SMS / 5 LMS-MMS) and the time."""
        if self._record is None or not rows:
            return
        stamp = now_kst().isoformat(timespec="milliseconds")
        for row in rows:
            self._record.write(json.dumps({
                "event": "taken", "cmid": row.CMID, "times": self.accepted[row.CMID],
                "to": row.DEST_PHONE, "msg_type": int(row.MSG_TYPE),
                "send_time": str(row.SEND_TIME or ""), "time": stamp,
                "text": str(getattr(row, "MSG_BODY", "") or ""),
                "cinfo": str(row.CINFO or ""), "dest_name": str(row.DEST_NAME or ""),
            }, ensure_ascii=False) + "\n")
        self._record.flush()

    def check(self, row: Any) -> str:
        """The agent's own checks: "" if the row can be sent, else its 9xxx code."""
        msg_type = int(row.MSG_TYPE) if row.MSG_TYPE is not None else -1
        if msg_type in kakao.KAKAO_TYPES:
            return kakao.check(row, self.file_path) or self._phone_check(row)
        if msg_type in faxvoice.TYPES:
            return faxvoice.check(row, self.file_path) or self._phone_check(row)
        if msg_type not in BODY_BYTES:
            return "9020"  # this stand-in sends SMS / LMS / MMS, AlimTalk, FriendTalk, FAX and PHONE
        body = row.MSG_BODY or ""
        if not body:
            return "9021"
        try:
            size = len(body.encode("cp949"))
        except UnicodeEncodeError:
            return "9215"
        if size > BODY_BYTES[msg_type]:
            return "9024"
        if self._phone_check(row):
            return "9214"
        if msg_type == 5 and row.ATTACHED_FILE:
            for name in str(row.ATTACHED_FILE).split("|"):
                path = self.file_path / name
                if not safe_file_name(name) or not path.is_file():
                    return "9017"
                size = path.stat().st_size
                if size == 0:
                    return "9018"
                if not name.lower().endswith(IMAGE_SUFFIXES):
                    return "9019"
                if size > MAX_IMAGE:
                    return "9027"
        return ""

    @staticmethod
    def _phone_check(row: Any) -> str:
        phone = row.DEST_PHONE or ""
        return "" if phone.isdigit() and phone.isascii() and 8 <= len(phone) <= 12 else "9214"

    def outcome(self, cmid: str, msg_type: int) -> tuple[str, str]:
        """(CALL_STATUS, TEL_INFO) for a taken message: the same for the same seed and CMID."""
        tel = CARRIERS[int(self._fraction(cmid, "carrier") * len(CARRIERS))]
        if self._fraction(cmid, "fail") < self.config.fail_rate:
            codes = FAILURES[msg_type]
            return codes[int(self._fraction(cmid, "code") * len(codes))], tel
        return DELIVERED[msg_type], tel

    def _fraction(self, cmid: str, salt: str) -> float:
        digest = hashlib.blake2b(f"{self.config.seed}:{salt}:{cmid}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64

    def _report(self, conn: Any, done: Counter[str]) -> None:
        now = time.monotonic()
        due = [cmid for cmid, (at, _t) in self._picked.items() if now - at >= self.config.send_delay]
        if not due:
            return
        sa = self.db.sa
        msg = self.db.table(self._msg or "")
        groups: dict[tuple[str, str, int], list[str]] = {}
        calls = {cmid: self._calls.pop(cmid) for cmid in due if cmid in self._calls}
        for cmid in due:
            if cmid in calls:
                continue
            plan = self._plans.get(cmid)
            if plan is None:
                key = (*self.outcome(cmid, self._picked[cmid][1]), DONE)
            else:
                key = (plan.code, "KKO", DONE if plan.fallback is None else FALLBACK)
            groups.setdefault(key, []).append(cmid)
        report_time = now_kst()
        falling: list[str] = []
        with self.db.begin(conn):
            for cmid, call in calls.items():
                tel = CARRIERS[int(self._fraction(cmid, "carrier") * len(CARRIERS))]
                conn.execute(sa.update(msg).where(cmid == msg.c.CMID, msg.c.STATUS == SENDING).values(
                    STATUS=DONE, CALL_STATUS=call.code, REPORT_TIME=report_time, TEL_INFO=tel,
                    USE_PAGE=call.use_page, USE_TIME=call.use_time, SN_RESULT=call.sn_result))
                done["delivered" if call.code in faxvoice.DELIVERED else "failed"] += 1
                if call.sms:
                    done["sms on fail"] += 1
                    self._write_event({"event": "sms_on_fail", "cmid": cmid, "code": call.code,
                                       "text": call.sms})
            for (code, tel, status), ids in groups.items():
                for part in chunks(ids, self.config.batch):
                    conn.execute(sa.update(msg).where(msg.c.CMID.in_(part), msg.c.STATUS == SENDING)
                                 .values(STATUS=status, CALL_STATUS=code, REPORT_TIME=report_time, TEL_INFO=tel))
                if status == FALLBACK:
                    falling.extend(ids)
                    done["missed"] += len(ids)
                else:
                    delivered = code in DELIVERED.values() or code == kakao.DELIVERED
                    done["delivered" if delivered else "failed"] += len(ids)
        finished = time.monotonic()
        for cmid in falling:
            plan = self._plans[cmid]
            self._falling[cmid] = (finished, plan.fallback or 0)
            self.fallbacks[cmid] += 1
            self._write_fallback(cmid, self._picked[cmid], plan)
        for cmid in due:
            del self._picked[cmid]
            self._plans.pop(cmid, None)
            if cmid not in self._falling:
                self._finished[cmid] = finished

    def _fall_back(self, conn: Any, done: Counter[str]) -> None:
        """The fallbacks sent ``send_delay`` ago get their result: STATUS 2, the SMS/LMS code."""
        now = time.monotonic()
        due = [cmid for cmid, (at, _t) in self._falling.items() if now - at >= self.config.send_delay]
        if not due:
            return
        sa = self.db.sa
        msg = self.db.table(self._msg or "")
        groups: dict[tuple[str, str], list[str]] = {}
        for cmid in due:
            groups.setdefault(self.outcome(cmid, self._falling[cmid][1]), []).append(cmid)
        report_time = now_kst()
        with self.db.begin(conn):
            for (code, tel), ids in groups.items():
                for part in chunks(ids, self.config.batch):
                    conn.execute(sa.update(msg).where(msg.c.CMID.in_(part), msg.c.STATUS == FALLBACK)
                                 .values(STATUS=DONE, CALL_STATUS=code, REPORT_TIME=report_time, TEL_INFO=tel))
                done["fallback delivered" if code in DELIVERED.values() else "fallback failed"] += len(ids)
        finished = time.monotonic()
        for cmid in due:
            del self._falling[cmid]
            self._finished[cmid] = finished

    def _write_event(self, event: dict[str, Any]) -> None:
        if self._record is None:
            return
        self._record.write(json.dumps({**event, "time": now_kst().isoformat(timespec="milliseconds")},
                                      ensure_ascii=False) + "\n")
        self._record.flush()

    def _write_fallback(self, cmid: str, picked: tuple[float, int], plan: kakao.Plan) -> None:
        if self._record is None:
            return
        self._record.write(json.dumps({
            "event": "fallback", "cmid": cmid, "times": self.fallbacks[cmid], "msg_type": plan.fallback,
            "kakao_msg_type": picked[1], "kakao_code": plan.code, "text": plan.text,
            "time": now_kst().isoformat(timespec="milliseconds")}, ensure_ascii=False) + "\n")
        self._record.flush()

    def _move(self, conn: Any, done: Counter[str]) -> None:
        now = time.monotonic()
        due = [cmid for cmid, at in self._finished.items() if now - at >= self.config.move_delay]
        if not due:
            return
        sa = self.db.sa
        msg = self.db.table(self._msg or "")
        log = self.db.table(self._log_table(conn), log=True)
        names = [c.name for c in msg.columns]
        for part in chunks(due, self.config.batch):
            with self.db.begin(conn):
                where = (msg.c.CMID.in_(part), msg.c.STATUS.in_(FINISHED))
                conn.execute(log.insert().from_select(names, sa.select(*msg.c).where(*where)))
                moved = conn.execute(sa.delete(msg).where(*where)).rowcount
            done["moved"] += moved
            for cmid in part:
                del self._finished[cmid]

    def _log_table(self, conn: Any) -> str:
        wanted = log_table_name(now_kst())
        if wanted not in self._logs:
            real = self.db.names(conn).log(wanted)
            if real is None:  # the agent creates each month's table itself, without a key
                self.db.create_tables(conn, months=[wanted], log_index=False)
                real = wanted
                self.on_event(f"created {wanted}")
            self._logs[wanted] = real
        return self._logs[wanted]
