"""The journal: claims, results, reports, reservations, vendor events, schema."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from smscli import clock, ids
from smscli.errors import UsageError
from smscli.ids import new_id
from smscli.journal import SCHEMA_VERSION, Journal, JournalError
from smscli.models import Message, Report, SendResult
from smscli.timeutil import KST, now_kst, parse_time
from tests.conftest import ROOT


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def journal(data_dir, open_journal):
    with open_journal(data_dir) as j:
        yield j


def msg(mid: str | None = None, to: str = "01012345678", **kw) -> Message:
    return Message(
        id=mid or new_id(), to=to, text=kw.pop("text", "안녕하세요"), sender="15666639", **kw
    )


def result(m: Message, status: str, code: str = "0", detail: str = "") -> SendResult:
    return SendResult(m.to, status, m.id, "oneshot", m.type, code, detail)


def test_open_creates_a_private_wal_journal(data_dir):
    with Journal.open(data_dir) as j:
        j.claim([msg()], "oneshot", "prod")
        assert j.path == data_dir / "journal.db"
    mode = stat.S_IMODE(os.stat(data_dir / "journal.db").st_mode)
    assert mode == 0o600
    conn = sqlite3.connect(data_dir / "journal.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables >= {"messages", "reports", "suppression", "phone_changes", "tokens"}


def test_open_tightens_a_world_readable_journal(data_dir):
    data_dir.mkdir()
    (data_dir / "journal.db").touch(mode=0o644)
    os.chmod(data_dir / "journal.db", 0o644)
    Journal.open(data_dir).close()
    assert stat.S_IMODE(os.stat(data_dir / "journal.db").st_mode) == 0o600


def test_reopen_keeps_data(data_dir, open_journal):
    m = msg()
    with open_journal(data_dir) as j:
        j.claim([m], "oneshot", "prod")
    with open_journal(data_dir) as j:
        assert j.get(m.id)["status"] == "pending"


def test_claim_stores_the_message(journal):
    at = parse_time("2026-11-23 09:00")
    m = msg(
        text="본문",
        subject="제목",
        type="mms",
        images=("/tmp/a.jpg",),
        file_keys=("k1.jpg",),
        send_at=at,
    )
    assert journal.claim([m], "oneshot", "prod") == [None]
    row = journal.get(m.id)
    assert row == {
        **row,
        "id": m.id, "vendor": "oneshot", "profile": "prod", "to": "01012345678", "type": "mms",
        "text": "본문", "subject": "제목", "sender": "15666639", "images": ["/tmp/a.jpg"],
        "file_keys": ["k1.jpg"], "send_at": "2026-11-23T09:00:00+09:00", "status": "pending",
        "code": "", "detail": "", "server_id": "", "attempts": 1, "held": False,
    }  # fmt: skip
    assert row["created_at"].endswith("+09:00")
    assert journal.get("nope") is None


@pytest.mark.parametrize(
    ("state", "reclaimed"),
    [
        ("accepted", False), ("delivered", False), ("failed", False), ("scheduled", False),
        ("cancelled", False),
        ("pending", True), ("unknown", True), ("rejected", True), ("invalid", True),
    ],
)  # fmt: skip
def test_reclaim_rules(data_dir, state, reclaimed, open_journal):
    m = msg()
    with open_journal(data_dir) as first:
        first.claim([m], "oneshot", "prod")
        if state != "pending":
            first.record([result(m, state, code="E1")], {m.id: "srv-1"})
    changed = Message(id=m.id, to="01099998888", text="새 본문", sender="15666639")
    with open_journal(data_dir) as second:  # a later run (e.g. after a crash)
        assert second.claim([changed], "bizppurio", "biz") == [state]
        row = second.get(m.id)
    if reclaimed:
        assert row["status"] == "pending" and row["attempts"] == 2
        assert (row["vendor"], row["to"], row["text"], row["code"]) == (
            "bizppurio",
            "01099998888",
            "새 본문",
            "",
        )
    else:
        assert row["status"] == state and row["attempts"] == 1
        assert (row["vendor"], row["text"], row["code"]) == ("oneshot", "안녕하세요", "E1")


def test_same_id_twice_in_one_run_is_a_duplicate(journal):
    a, b = msg("order-1"), msg("order-2")
    assert journal.claim([a, b, msg("order-1", to="01011112222")], "oneshot", "p") == [
        None,
        None,
        "duplicate",
    ]
    assert journal.claim([msg("order-2")], "oneshot", "p") == ["duplicate"]  # a later batch
    assert journal.get("order-1")["to"] == "01012345678"
    journal.record([result(a, "unknown")])
    assert journal.claim([a], "oneshot", "p") == ["duplicate"]
    assert journal.claim([a], "oneshot", "p", retry=True) == ["unknown"]  # the pipeline resending
    assert journal.get(a.id)["attempts"] == 2
    journal.record([result(a, "accepted")])
    assert journal.claim([a], "oneshot", "p", retry=True) == ["duplicate"]  # never resend accepted


def test_claim_of_nothing(journal):
    assert journal.claim([], "oneshot", "p") == []
    journal.record([])
    assert journal.add_reports([]) == []


def test_record_results_and_server_ids(journal, open_journal):
    a, b, c = msg(), msg(), msg()
    journal.claim([a, b, c], "oneshot", "p")
    journal.record(
        [
            result(a, "accepted", "0", "성공"),
            result(b, "rejected", "23", "번호 오류"),
            result(c, "duplicate"),
        ],
        {a.id: "S-1"},
    )
    assert (journal.get(a.id)["status"], journal.get(a.id)["server_id"], journal.get(a.id)["detail"]) == (
        "accepted", "S-1", "성공",
    )  # fmt: skip
    assert (journal.get(b.id)["status"], journal.get(b.id)["code"]) == ("rejected", "23")
    # "duplicate" is the vendor saying it has the message already: accepted, never re-claimed
    assert (journal.get(c.id)["status"], journal.get(c.id)["code"]) == ("accepted", "0")
    with open_journal(journal.data_dir) as later:
        assert later.claim([c], "oneshot", "p") == ["accepted"]


def test_late_results_do_not_undo_reports_or_cancels(journal):
    m = msg()
    journal.claim([m], "oneshot", "p")
    journal.add_reports([Report(m.id, m.to, "delivered", "4100", "전달", "oneshot")])
    journal.record([result(m, "accepted")], {m.id: "S-9"})
    row = journal.get(m.id)
    assert row["status"] == "delivered"
    journal.record([result(m, "failed", "4401")])
    assert journal.get(m.id)["status"] == "failed"


@pytest.mark.parametrize("later", ["invalid", "rejected", "unknown", "pending"])
def test_a_sent_message_is_never_unsent(data_dir, later, open_journal):
    m = msg("order-1")
    with open_journal(data_dir) as j:
        j.claim([m], "oneshot", "p")
        j.record([result(m, "accepted", "0", "성공")])
    with open_journal(data_dir) as j:  # a re-run in which the row is now invalid, say
        j.record([result(m, later, "X", "later")])
        assert (j.get(m.id)["status"], j.get(m.id)["code"]) == ("accepted", "0")
    with open_journal(data_dir) as j:
        assert j.claim([m], "oneshot", "p") == ["accepted"]  # so it is not sent again


def test_vendor_scheduled_message_can_become_accepted(journal):
    m = msg()
    journal.claim([m], "bizppurio", "p")
    journal.record([result(m, "scheduled")])
    journal.record([result(m, "accepted")])
    assert journal.get(m.id)["status"] == "accepted"
    journal.record([result(m, "rejected")])
    assert journal.get(m.id)["status"] == "accepted"


def test_record_stores_results_of_unclaimed_rows(journal):
    journal.record([SendResult("0101", "invalid", "row-7", "oneshot", "sms", "", "too short")])
    journal.record([SendResult("0101", "invalid", "", "oneshot", "sms", "", "no id")])
    row = journal.get("row-7")
    assert (row["status"], row["detail"], row["to"]) == ("invalid", "too short", "0101")
    assert journal.get("") is None
    assert len(journal.list_messages()) == 1


def test_failed_batch_leaves_nothing_behind(journal):
    good = msg()
    bad = Message(id=new_id(), to=object(), text="x", sender="1")  # cannot be bound
    # the driver's error, with where the journal is
    with pytest.raises(JournalError, match=re.escape(f"journal {journal.location}: ")):
        journal.claim([good, bad], "oneshot", "p")
    assert journal.get(good.id) is None
    assert journal.claim([good], "oneshot", "p") == [None]  # and the journal still works


def test_interrupt_inside_a_transaction_rolls_back(journal):
    m = msg()
    with pytest.raises(KeyboardInterrupt), journal._tx() as cur:
        cur.execute(
            "INSERT INTO messages (id, status, created_at, updated_at) VALUES (?, ?, ?, ?)",
            (m.id, "pending", "t", "t"),
        )
        raise KeyboardInterrupt
    assert journal.get(m.id) is None


# --- reports -------------------------------------------------------------------------


def test_reports_are_stored_once_and_update_messages(journal):
    a, b = msg(), msg()
    journal.claim([a, b], "bizppurio", "p")
    r1 = Report(a.id, a.to, "delivered", "4100", "전달", "bizppurio", "2026-11-21T10:00:00+09:00",
                {"server_id": "M1", "RESULT": "4100"})  # fmt: skip
    r2 = Report(b.id, b.to, "failed", "4401", "전원 꺼짐", "bizppurio", "", {"server_id": "M2"})
    stored = journal.add_reports([r1, r2])
    assert stored == [r1, r2]
    assert "unmatched" not in stored[0].extra
    assert journal.get(a.id)["status"] == "delivered"
    assert journal.get(b.id)["status"] == "failed"
    assert journal.add_reports([r1, r2]) == []  # pushed again: stored once
    reports = journal.list_reports()
    assert len(reports) == 2
    assert reports[0].to_json() == r1.to_json()
    assert reports[0].extra["RESULT"] == "4100" and reports[0].extra["server_id"] == "M1"
    assert [r.message_id for r in journal.list_reports(status="failed")] == [b.id]
    assert [r.message_id for r in journal.list_reports(message_id=a.id)] == [a.id]
    assert journal.list_reports(vendor="oneshot") == []
    assert len(journal.list_reports(limit=1)) == 1


def test_reports_for_unknown_ids_are_kept_and_flagged(journal):
    r = Report("who-knows", "01012345678", "delivered", "4100", "", "bizppurio")
    stored = journal.add_reports([r])
    assert stored[0].extra["unmatched"] == "true"
    assert journal.list_reports()[0].extra["unmatched"] == "true"
    assert journal.get("who-knows") is None


def test_reports_without_our_id_match_by_server_id(journal):
    m = msg()
    journal.claim([m], "netshot", "p")
    journal.record(
        [SendResult(m.to, "accepted", m.id, "netshot", "sms", "300", "")], {m.id: "CF-1"}
    )
    stored = journal.add_reports(
        [Report("", m.to, "delivered", "1", "", "netshot", extra={"server_id": "CF-1"})]
    )
    assert stored[0].message_id == m.id
    assert journal.get(m.id)["status"] == "delivered"


def test_a_report_pushed_before_its_server_id_was_recorded_matches_once_it_is(journal):
    """A vendor's push can beat the send's own answer into the journal."""
    m, other = msg(), msg()
    journal.claim([m, other], "netshot", "p")
    early = Report("", m.to, "failed", "2", "no answer", "netshot", extra={"server_id": "CF-9"})
    assert journal.add_reports([early])[0].extra["unmatched"] == "true"
    journal.record([SendResult(m.to, "accepted", m.id, "netshot", "sms", "300", ""),
                    SendResult(other.to, "accepted", other.id, "netshot", "sms", "300", "")],
                   {m.id: "CF-9", other.id: "CF-10"})
    assert journal.get(m.id)["status"] == "failed" and journal.get(m.id)["code"] == "2"
    assert journal.get(other.id)["status"] == "accepted"
    (report,) = journal.list_reports()
    assert report.message_id == m.id and "unmatched" not in report.extra


def test_reports_since(journal):
    journal.add_reports([Report("x", "010", "delivered", "1", "", "v")])
    assert len(journal.list_reports(since=now_kst() - timedelta(minutes=1))) == 1
    assert journal.list_reports(since=now_kst() + timedelta(minutes=1)) == []


# --- reservations --------------------------------------------------------------------


def test_schedule_due_claim_and_flush(journal):
    now = now_kst()
    early = msg(send_at=now - timedelta(minutes=5), images=("a.jpg",), type="mms")
    later = msg(send_at=now + timedelta(hours=1))
    assert journal.schedule([later, early], "netshot", "p") == [None, None]
    assert journal.get(early.id)["status"] == "scheduled" and journal.get(early.id)["held"]
    assert journal.get(early.id)["attempts"] == 0
    due = journal.due(now)
    assert [d.id for d in due] == [early.id]
    assert due[0] == Message(**{**early.__dict__, "send_at": early.send_at.replace(microsecond=0)})
    assert due[0].send_at.tzinfo is not None
    assert [d.id for d in journal.due(now + timedelta(hours=2))] == [early.id, later.id]
    assert journal.due(now, profile="other") == []
    assert journal.claim_scheduled([early.id, early.id]) == [early.id]
    assert journal.get(early.id)["status"] == "pending" and journal.get(early.id)["attempts"] == 1
    assert journal.due(now) == []


def test_rescheduling_the_same_id_is_reported(data_dir, open_journal):
    m = msg("rsv-1", send_at=now_kst() + timedelta(days=1))
    with open_journal(data_dir) as j:
        j.schedule([m], "netshot", "p")
    with open_journal(data_dir) as j:
        assert j.schedule([m], "netshot", "p") == ["scheduled"]
        assert j.claim([m], "netshot", "p") == ["scheduled"]  # and never sent early


def test_cancel(journal):
    m = msg("rsv-1", send_at=now_kst() + timedelta(days=1))
    journal.schedule([m], "netshot", "p")
    row = journal.cancel("rsv-1")
    assert row["status"] == "cancelled" and row["held"]
    assert journal.due(now_kst() + timedelta(days=2)) == []
    assert journal.claim_scheduled(["rsv-1"]) == []
    with pytest.raises(UsageError) as info:
        journal.cancel("rsv-1")
    assert (
        str(info.value) == "message 'rsv-1' is cancelled; only scheduled messages can be cancelled"
    )
    with pytest.raises(UsageError, match="no message 'nope' in the journal") as info:
        journal.cancel("nope")
    assert info.value.exit_status == 2


def test_cancel_of_a_vendor_kept_reservation_says_so(journal):
    m = msg(send_at=now_kst() + timedelta(days=1))
    journal.claim([m], "bizppurio", "p")
    journal.record(
        [SendResult(m.to, "scheduled", m.id, "bizppurio", "sms", "1000", "")], {m.id: "MK"}
    )
    assert journal.due(now_kst() + timedelta(days=2)) == []  # the vendor keeps it
    row = journal.cancel(m.id)
    assert (row["held"], row["server_id"], row["status"]) == (False, "MK", "cancelled")
    accepted = msg()
    journal.claim([accepted], "bizppurio", "p")
    journal.record([result(accepted, "accepted")])
    with pytest.raises(UsageError, match="is accepted; only scheduled"):
        journal.cancel(accepted.id)


# --- listing -------------------------------------------------------------------------


def test_list_messages_filters(journal):
    a, b, c = msg("a"), msg("b"), msg("c")
    journal.claim([a, b], "oneshot", "prod")
    journal.claim([c], "bizppurio", "biz")
    journal.record([result(a, "accepted"), result(b, "rejected")])
    assert [r["id"] for r in journal.list_messages()] == ["a", "b", "c"]
    assert [r["id"] for r in journal.list_messages(status="accepted")] == ["a"]
    assert [r["id"] for r in journal.list_messages(status=["accepted", "pending"])] == ["a", "c"]
    assert [r["id"] for r in journal.list_messages(vendor="bizppurio")] == ["c"]
    assert [r["id"] for r in journal.list_messages(profile="prod")] == ["a", "b"]
    assert [r["id"] for r in journal.list_messages(limit=2)] == ["b", "c"]  # the newest, in order
    assert [r["id"] for r in journal.list_messages(since=now_kst() - timedelta(hours=1))] == [
        "a",
        "b",
        "c",
    ]
    assert journal.list_messages(since="2999-01-01T00:00:00+09:00") == []


# --- vendor events -------------------------------------------------------------------


def test_suppression(journal):
    assert not journal.is_suppressed("010-1234-5678")
    journal.add_suppression("+82 10 1234 5678", deny_no="0801234567", source="oneshot")
    journal.add_suppression("01012345678", deny_no="0801234567", source="oneshot")  # again: fine
    assert journal.is_suppressed("010-1234-5678")
    assert journal.suppressed(["01012345678", "010-9999-8888"]) == {"01012345678"}


def test_phone_changes(journal):
    assert journal.phone_change("01012345678") is None
    journal.add_phone_change("010-1234-5678", "010-5555-6666", "S1")
    journal.add_phone_change("01012345678", "01077778888")
    assert journal.phone_change("01012345678") == "01077778888"


def test_tokens(journal):
    assert journal.token_get("biz:acct") is None
    expires = clock.time() + 3600
    journal.token_put("biz:acct", "tok-1", expires)
    assert journal.token_get("biz:acct") == ("tok-1", expires)
    journal.token_put("biz:acct", "tok-2", clock.time() - 1)  # expired
    assert journal.token_get("biz:acct") is None
    journal.token_put("biz:acct", "tok-3", expires)
    journal.token_delete("biz:acct")
    assert journal.token_get("biz:acct") is None


def test_no_secret_columns():
    from smscli.journal import _SCHEMA_V1

    for word in ("password", "secret", "aes", "iv "):
        assert word not in _SCHEMA_V1.lower()


# --- schema and damaged files --------------------------------------------------------


def test_newer_schema_is_refused(data_dir):
    Journal.open(data_dir).close()
    conn = sqlite3.connect(data_dir / "journal.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(JournalError, match="written by a newer smscli") as info:
        Journal.open(data_dir)
    assert info.value.exit_status == 3


def test_damaged_file_is_a_clear_error(data_dir):
    data_dir.mkdir()
    (data_dir / "journal.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(JournalError, match="is damaged") as info:
        Journal.open(data_dir)
    text = str(info.value)
    assert "smscli journal check" in text and "smscli creates a new one" not in text
    assert "a re-run sends those messages again" in text and "Bizppurio cannot tell" in text


def test_unwritable_data_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(JournalError, match="cannot create the journal"):
        Journal.open(blocker / "data")


def test_heavy_modules_are_not_imported_at_module_level():
    code = (
        "import sys\n"
        "import smscli.journal, smscli.recipients, smscli.text, smscli.phone, smscli.timeutil, smscli.ids\n"
        "heavy = {'sqlite3', 'httpx', 'cryptography', 'asyncio', 'sqlalchemy', 'rich'} & set(sys.modules)\n"
        "print(sorted(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True, timeout=30, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == b"[]"


def test_claim_and_record_are_fast(journal):
    msgs = [msg(to=f"0101{i:07d}") for i in range(10_000)]
    start = time.perf_counter()
    for k in range(0, len(msgs), 1000):
        batch = msgs[k : k + 1000]
        journal.claim(batch, "oneshot", "p")
        journal.record([result(m, "accepted") for m in batch], {m.id: "S" + m.id for m in batch})
    elapsed = time.perf_counter() - start
    assert elapsed < 5, f"10,000 claim+record took {elapsed:.2f}s"  # ~0.3 s on an idle laptop
    assert len(journal.list_messages(status="accepted")) == 10_000


def test_due_uses_korea_time_for_any_offset(journal):
    at = parse_time("2026-11-23T00:00+00:00")  # 09:00 KST
    m = msg(send_at=at)
    journal.schedule([m], "netshot", "p")
    assert journal.due(parse_time("2026-11-23 08:59")) == []
    assert [d.id for d in journal.due(parse_time("2026-11-23 09:00"))] == [m.id]
    assert journal.due(parse_time("2026-11-23 09:00"))[0].send_at.tzinfo is KST


def test_unclaim_forgets_only_new_pending_claims(tmp_path, open_journal):
    from smscli.models import Message, SendResult

    journal = open_journal(tmp_path)
    a, b, c = (Message(f"id-{x}", "01012345678", "hi", "15666639") for x in "abc")
    journal.claim([a], "oneshot", "p")
    journal.record([SendResult(a.to, "unknown", a.id, "oneshot", "sms")])
    journal.close()  # that run is over: its claims are free again
    fresh = open_journal(tmp_path)  # a later run
    fresh.claim([a, b, c], "oneshot", "p")  # a re-claimed (attempt 2), b and c new
    fresh.record([SendResult(c.to, "accepted", c.id, "oneshot", "sms")])
    assert fresh.unclaim([a.id, b.id, c.id]) == 1  # only b: new and still pending
    assert fresh.get(b.id) is None
    assert fresh.get(a.id)["status"] == "pending" and fresh.get(c.id)["status"] == "accepted"


def test_readers_page_by_keyset_and_yield_before_the_last_page(journal, monkeypatch):
    """result list / reserve list / poll read the journal a page at a time (keyset, never
    OFFSET, never everything at once), in the same order as list_messages."""
    journal.claim([msg(f"k{i:02d}") for i in range(7)], "sandbox", "p")
    journal.schedule([msg(f"s{i}", send_at=now_kst() - timedelta(minutes=i)) for i in range(5)],
                     "sandbox", "p")
    statements: list[str] = []
    sqlite = journal.backend == "sqlite"  # PostgreSQL: the same pages, seen from its cursor
    if sqlite:
        journal._conn.set_trace_callback(statements.append)
    else:
        real = journal._query
        monkeypatch.setattr(journal, "_query", lambda sql, params=(): statements.append(
            sql.replace("LIMIT ?", f"LIMIT {params[-1]}")) or real(sql, params))
    rows = journal.iter_results(status="pending", page=3)
    first = next(rows)
    assert first[0] == "k00" and len([s for s in statements if s.startswith("SELECT")]) == 1
    rest = list(rows)
    assert [first[0], *(r[0] for r in rest)] == [f"k{i:02d}" for i in range(7)]
    assert first[1:] == ("01012345678", "pending", "", "", "sandbox", "")
    selects = [s for s in statements if s.startswith("SELECT")]
    assert len(selects) == 3 and all("LIMIT 3" in s and "OFFSET" not in s for s in selects)
    assert [m["id"] for m in journal.iter_messages(page=2)] == [m["id"] for m in journal.list_messages()]
    assert [len(p) for p in journal.iter_ids(["pending"], page=3)] == [3, 3, 1]
    due = [[m.id for m in page] for page in journal.iter_due(now_kst(), page=2)]
    assert due == [["s4", "s3"], ["s2", "s1"], ["s0"]]  # earliest first
    assert journal.among(["k01", "s1", "nope"], ["pending"]) == {"k01"}
    if sqlite:
        journal._conn.set_trace_callback(None)


def test_a_reservation_keeps_its_channel_tag_name_and_parent(journal) -> None:
    from datetime import datetime

    from smscli.content import Button, Kakao, Text

    kakao = Kakao("안녕 홍길동", template="T1", buttons=(Button("보기", "WL", url_mobile="https://x"),),
                  fallback=Text("안녕 홍길동"))
    at = datetime(2026, 12, 1, 10, 0, tzinfo=KST)
    msg = Message(id="k1", to="01012345678", text=kakao.body, sender="0212345678", type="alimtalk",
                  send_at=at, channel=kakao, tag="dec", name="홍길동", parent="p0")
    assert journal.schedule([msg], "sandbox", "default") == [None]
    due = journal.due(at + timedelta(minutes=1))
    assert due == [msg] and due[0].channel == kakao
    assert (due[0].tag, due[0].name, due[0].parent) == ("dec", "홍길동", "p0")


def test_filtered_listings_and_stats_read_the_same_on_each_backend(journal):
    """The history queries (id prefixes, keyset pages, newest N, GROUP BY day/hour/code)
    give the same answers on SQLite and PostgreSQL (byte-wise text order on both)."""
    from smscli.journal_history import build_filter

    batch = [msg(f"run7-{i:03d}", tag="dec" if i % 2 else "") for i in range(30)]
    batch += [msg("run7\U0001f600", tag="dec"), msg("run8-000"), msg("Run7-000")]
    journal.claim(batch, "oneshot", "p")
    journal.record([result(m, "accepted" if i % 3 else "rejected", code=f"E{i % 3}")
                    for i, m in enumerate(batch)])
    prefix = build_filter(id="run7*")
    ids = [row[0] for row in journal.iter_filtered(prefix, "id", page=7)]
    assert ids == [f"run7-{i:03d}" for i in range(30)] + ["run7\U0001f600"]
    assert [row[0] for row in journal.iter_filtered(prefix, "id", newest=3, page=2)] == [
        "run7-028", "run7-029", "run7\U0001f600"]
    assert journal.count_messages(build_filter(tag="dec")) == 16
    by_code = {(g["vendor"], g["code"]): g["count"] for g in journal.stats(build_filter(), by="code")}
    assert by_code == {("oneshot", "E0"): 11, ("oneshot", "E1"): 11, ("oneshot", "E2"): 11}
    [day] = journal.stats(build_filter(), by="day")
    assert day["count"] == 33 and len(day["day"]) == 10
    assert journal.nearest_ids("run7-0155", 2) == ["run7-015", "run7-016"]


def test_fallbacks_owed_and_report_fields_on_each_backend(journal):
    """smscli's own fallback finds failed Kakao messages that carry a fallback (a LIKE over
    their content, a NOT EXISTS over children), and a vendor's raw report field is found."""
    from smscli.content import Kakao, Text

    kakao = Kakao("안녕", template="T1", fallback=Text("안녕"))
    parent = Message(id="kp1", to="01012345678", text="안녕", sender="0212345678", type="alimtalk",
                     channel=kakao)
    plain = Message(id="kp2", to="01012345678", text="안녕", sender="0212345678", type="alimtalk",
                    channel=Kakao("안녕", template="T1"))
    journal.claim([parent, plain], "oneshot", "p")
    journal.record([result(parent, "failed", code="K1"), result(plain, "failed", code="K1")])
    owed = journal.fallbacks_owed("p")
    assert [row[:3] for row in owed] == [("kp1", "01012345678", "0212345678")] and owed[0][-1] > 0
    assert json.loads(owed[0][3])["fallback"] == {"kind": "text", "body": "안녕"}
    child = msg("kp1-fb", parent="kp1")
    journal.claim([child], "oneshot", "p")
    assert journal.parents_of(["kp1-fb", "kp2"]) == {"kp1-fb": ("kp1", "sms")}
    journal.record([result(child, "accepted")])
    assert journal.fallbacks_owed("p") == []  # settled by its fallback
    journal.add_reports([Report("kp2", "01012345678", "failed", "K1", "", "oneshot",
                                extra={"server_id": "S9", "msgid": "M-77"})])
    assert journal.report_values("oneshot", "msgid", ["M-77", "M-78"]) == {"M-77"}


def test_stats_count_a_fallback_in_its_kakao_messages_row_on_each_backend(journal):
    """smscli's own fallback is a message of its own in the journal, but not in the
    statistics: the Kakao message's row holds its outcome, one row per recipient as where
    the vendor falls back itself."""
    from smscli.content import Kakao, Text
    from smscli.journal_history import build_filter

    parent = Message(id="kf1", to="01012345678", text="안녕", sender="0212345678", type="alimtalk",
                     channel=Kakao("안녕", template="T1", fallback=Text("안녕", type="sms")))
    journal.claim([parent, msg("kf2")], "oneshot", "p")
    journal.record([result(parent, "failed", code="29"), result(msg("kf2"), "accepted")])
    child = msg(ids.fallback_id("kf1"), parent="kf1")
    journal.claim([child], "oneshot", "p")
    journal.record([result(child, "accepted")])
    journal.add_reports([Report(child.id, child.to, "delivered", "0", "", "oneshot", extra={"server_id": "S1"}),
                         Report("kf1", child.to, "delivered", "0", "", "oneshot",
                                extra={"server_id": "S1", "fallback_id": child.id}, channel="sms",
                                fallback={"type": "sms", "status": "delivered"})])
    by_status = {g["status"]: g["count"] for g in journal.stats(build_filter(), by="status")}
    assert by_status == {"delivered": 1, "accepted": 1}
    assert {g["type"]: g["count"] for g in journal.stats(build_filter(), by="type")} == {"alimtalk": 1, "sms": 1}
    assert journal.count_messages(build_filter()) == 3  # listed, it is there


def test_opt_outs_reservation_moves_and_run_listing_on_each_backend(journal):
    from smscli.optout import refusal_codes

    # opt-outs: one at a time, many at once, removed, listed in pages, and a refusal report
    assert journal.add_suppressions(["010-1111-0001", "01011110002", "01011110001"], "file") == [
        "01011110001", "01011110002"]
    assert journal.add_suppressions(["01011110002", "01011110003"], "file") == ["01011110003"]
    assert journal.remove_suppressions(["01011110003", "01099999999"]) == ["01011110003"]
    assert [s["phone"] for s in journal.iter_suppression()] == ["01011110001", "01011110002"]
    code = sorted(refusal_codes("bizppurio"))[0]
    refused = msg("r-1", to="01022223333")
    journal.claim([refused], "bizppurio", "p")
    journal.add_reports([Report("r-1", "", "failed", code, "", "bizppurio")])  # no number: the message's
    assert journal.is_suppressed("010-2222-3333")
    # reservations: due profiles, postponed, given back
    now = now_kst()
    journal.schedule([msg("d-1", send_at=now - timedelta(minutes=1))], "netshot", "p")
    journal.schedule([msg("d-2", send_at=now - timedelta(minutes=1))], "netshot", "q")
    assert journal.due_profiles(now) == ["p", "q"]
    assert journal.postpone_due(now, now + timedelta(hours=1), profile="q") == 1
    assert journal.due_profiles(now) == ["p"]
    assert journal.claim_scheduled(["d-1"]) == ["d-1"]
    journal.reschedule(["d-1"], now + timedelta(hours=2))
    assert journal.get("d-1")["status"] == "scheduled" and journal.due(now) == []
    # runs: listed by profile and command, unfinished ones; a refused one forgotten
    journal.start_run("R1", command="send", profile="p", vendor="oneshot", fingerprint="f", parts={})
    journal.start_run("R2", command="reserve", profile="q", vendor="netshot", fingerprint="g", parts={})
    journal.update_run("R2", rows=5, counts={"accepted": 5}, state="finished")
    journal.update_run("R2", rows=3, counts={"accepted": 5})  # rows never go back
    assert journal.get_run("R2")["rows"] == 5
    assert [r["id"] for r in journal.list_runs(profile="p", command="send", unfinished=True)] == ["R1"]
    assert [r["id"] for r in journal.list_runs(unfinished=True)] == ["R1"]
    journal.forget_run("R1")
    assert journal.get_run("R1") is None and [r["id"] for r in journal.list_runs()] == ["R2"]


def test_results_naming_one_id_twice_apply_in_order_on_each_backend(journal):
    m = msg("twice-1")
    journal.claim([m], "oneshot", "p")
    journal.record([result(m, "accepted", code="0"), result(m, "invalid", code="X")], {m.id: "S1"})
    row = journal.get(m.id)
    assert (row["status"], row["code"], row["server_id"]) == ("accepted", "0", "S1")  # never unsent


def test_recipients_of_on_each_backend(journal):
    """What the claim compares a taken id with (smscli.dispatch): recipient, text, vendor,
    status, and the run that claimed it."""
    journal.claim([Message(id="r1", to="01012345678", text="안녕", sender="0212345678"),
                   Message(id="r2", to="01099998888", text="hi", sender="0212345678")], "oneshot", "p",
                  run="R1")
    ids = [f"r{i}" for i in range(3, 1200)]  # more than one IN list: the unknown ones are left out
    assert journal.recipients_of(["r2", "r1", "r2", *ids]) == {
        "r1": ("01012345678", "안녕", "oneshot", "pending", "R1"),
        "r2": ("01099998888", "hi", "oneshot", "pending", "R1")}
    assert journal.recipients_of([]) == {}
