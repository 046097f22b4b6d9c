"""`result list` filters and outputs, `result show`, `result stats` (and the Client's
`messages`/`story`/`stats`) against a journal each test fills through the Journal API,
at fixed moments of the clock."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smscli import clock
from smscli.cli.app import program
from smscli.client import Client
from smscli.journal import Journal
from smscli.models import Message, Report, SendResult
from tests.conftest import ROOT

DAY1 = datetime(2026, 11, 20, 10, 0)
DAY2 = datetime(2026, 11, 21, 9, 30)


def _msg(mid: str, to: str, **kw) -> Message:
    return Message(id=mid, to=to, text=kw.pop("text", f"안녕 {mid}"), sender="15666639", **kw)


def _res(m: Message, status: str, code: str, detail: str = "", vendor: str = "oneshot") -> SendResult:
    return SendResult(m.to, status, m.id, vendor, m.type, code, detail)


@pytest.fixture
def data_dir(isolated_env: Path) -> Path:
    return isolated_env / "data"


@pytest.fixture
def filled(data_dir: Path) -> Path:
    """sandbox: a1 delivered (KTF), a2 failed (결번) with a fallback a2-fb delivered, a3
    accepted (tag spring); b1 an LMS rejected (tag autumn, the next day), r1 a cancelled
    reservation; profile other: o1."""
    a1, a2, a3 = (_msg("run1-a1", "01011110001", tag="spring"), _msg("run1-a2", "01011110002", tag="spring"),
                  _msg("run1-a3", "01011110003", tag="spring"))
    fb = _msg("run1-a2-fb", "01011110002", parent="run1-a2", tag="spring")
    b1 = _msg("b1", "01011110001", type="lms", subject="제목", tag="autumn")
    with Journal.open(data_dir) as j:
        with clock.frozen(DAY1):
            j.claim([a1, a2, a3], "sandbox", "sandbox", queued=True)
        with clock.frozen(DAY1.replace(second=1)):
            j.mark_handed([a1.id, a2.id, a3.id])
        with clock.frozen(DAY1.replace(second=2)):
            j.record([_res(m, "accepted", "0", "성공") for m in (a1, a2, a3)],
                     {a1.id: "900001", a2.id: "900002"})
        with clock.frozen(DAY1.replace(minute=5)):
            j.add_reports([
                Report(a1.id, a1.to, "delivered", "0", "성공", "sandbox", "2026-11-20T10:04:00+09:00",
                       extra={"server_msg_id": "900001", "telecom": "KTF"}),
                Report(a2.id, a2.to, "failed", "7", "결번", "sandbox",
                       extra={"server_msg_id": "900002", "telecom": "SKT"}),
            ])
        with clock.frozen(DAY1.replace(minute=6)):
            j.claim([fb], "sandbox", "sandbox")
            j.record([_res(fb, "accepted", "0", "성공")])
        with clock.frozen(DAY1.replace(minute=7)):
            j.add_reports([Report(fb.id, fb.to, "delivered", "0", "성공", "sandbox",
                                  extra={"telecom": "SKT"})])
        with clock.frozen(DAY2):
            j.claim([b1], "sandbox", "sandbox")
            j.record([_res(b1, "rejected", "5", "메시지 형식 오류")])
            j.schedule([_msg("r1", "01099990000", send_at=DAY2.replace(day=25, tzinfo=clock.KST))],
                       "sandbox", "sandbox")
        with clock.frozen(DAY2.replace(minute=31)):
            j.cancel("r1")
            j.claim([_msg("o1", "01011110001")], "oneshot", "other")
    return data_dir


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = program(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def ids(capsys, *args: str) -> list[str]:
    code, out, err = cli(capsys, "result", "list", "--json", *args)
    assert code == 0, err
    return [json.loads(line)["message_id"] for line in out.splitlines()]


# --- result list ----------------------------------------------------------------------

def test_list_filters(filled, capsys):
    everything = ["run1-a1", "run1-a2", "run1-a3", "run1-a2-fb", "b1", "r1"]
    assert ids(capsys) == everything  # oldest first, this profile only
    assert ids(capsys, "--to", "010-1111-0001") == ["run1-a1", "b1"]
    assert ids(capsys, "--id", "run1-a2") == ["run1-a2"]
    assert ids(capsys, "--id", "run1-a2*") == ["run1-a2", "run1-a2-fb"]
    assert ids(capsys, "--id", "run1*") == ["run1-a1", "run1-a2", "run1-a2-fb", "run1-a3"]  # id order
    assert ids(capsys, "--tag", "autumn") == ["b1"]
    assert ids(capsys, "--type", "lms") == ["b1"]
    assert ids(capsys, "--code", "7") == ["run1-a2"]
    assert ids(capsys, "--status", "delivered") == ["run1-a1", "run1-a2-fb"]
    assert ids(capsys, "--until", "2026-11-21 00:00") == everything[:4]
    assert ids(capsys, "--since", "2026-11-21 00:00") == ["b1", "r1"]
    assert ids(capsys, "--since", "2026-11-20 10:01", "--until", "2026-11-21") == ["run1-a2-fb"]
    assert ids(capsys, "--all-profiles", "--to", "01011110001") == ["run1-a1", "b1", "o1"]
    assert ids(capsys, "--limit", "2") == ["b1", "r1"]  # the newest two, oldest first
    assert ids(capsys, "--limit", "2", "--id", "run1*") == ["run1-a2-fb", "run1-a3"]
    assert ids(capsys, "--limit", "0") == everything
    assert ids(capsys, "--tag", "nothing") == []


def test_list_outputs(filled, capsys):
    code, out, _ = cli(capsys, "result", "list", "--output", "json", "--id", "run1-a1")
    assert code == 0
    row = json.loads(out)
    assert row == {"message_id": "run1-a1", "to": "01011110001", "status": "delivered", "code": "0",
                   "detail": "성공", "vendor": "sandbox", "delivered_at": "2026-11-20T10:04:00+09:00",
                   "type": "sms", "tag": "spring", "profile": "sandbox",
                   "created_at": "2026-11-20T10:00:00+09:00"}
    code, out, _ = cli(capsys, "result", "list", "--output", "csv", "--tag", "spring")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["message_id"] for r in rows] == ["run1-a1", "run1-a2", "run1-a3", "run1-a2-fb"]
    assert rows[1]["detail"] == "결번" and rows[1]["code"] == "7"
    assert list(rows[0]) == list(json.loads(cli(capsys, "result", "list", "--json")[1].splitlines()[0]))
    code, out, _ = cli(capsys, "result", "list", "--type", "lms")  # piped: TSV, no header
    assert out.split("\n")[0].split("\t") == ["b1", "01011110001", "rejected", "5", "메시지 형식 오류",
                                              "sandbox", "", "lms", "autumn", "sandbox",
                                              "2026-11-21T09:30:00+09:00"]
    code, out, _ = cli(capsys, "result", "list", "--output", "tsv", "--all-profiles")
    assert len(out.splitlines()) == 7
    code, out, _ = cli(capsys, "result", "list", "--output", "table", "--tag", "autumn")
    assert code == 0 and "b1" in out and "┃" in out and "message_id" in out
    code, out, _ = cli(capsys, "result", "list", "--output", "csv", "--tag", "nothing")
    assert code == 0 and out == ""  # nothing to list: not even the header


def test_tsv_keeps_one_row_per_line(data_dir, capsys):
    m = _msg("tab", "01011112222")
    with Journal.open(data_dir) as j:
        j.claim([m], "sandbox", "sandbox")
        j.record([_res(m, "rejected", "5", "bad\tfield\nsecond line")])
    code, out, _ = cli(capsys, "result", "list")
    assert out.count("\n") == 1 and out.split("\t")[4] == "bad field second line"
    code, out, _ = cli(capsys, "result", "list", "--output", "csv")
    assert list(csv.reader(io.StringIO(out)))[1][4] == "bad\tfield\nsecond line"


@pytest.mark.parametrize(("args", "says"), [
    (["--output", "xml"], "--output 'xml' is not a format"),
    (["--json", "--output", "csv"], "--json and --output csv disagree"),
    (["--type", "telex"], "--type 'telex' is not a message type"),
    (["--status", "sent"], "--status 'sent' is not a message state"),
    (["--until", "yesterday-ish"], "--until: cannot read"),
    (["--id", "a*b*"], "'*' may only end a prefix"),
    (["--limit", "-1"], "-1"),
])
def test_list_refuses_bad_options(filled, capsys, args, says):
    code, out, err = cli(capsys, "result", "list", *args)
    assert code == 2 and out == "" and says in err


def test_client_messages_take_the_same_filters(filled):
    with Client("sandbox") as client:
        assert [m.message_id for m in client.messages(tag="spring", status="delivered")] == [
            "run1-a1", "run1-a2-fb"]
        assert [m.message_id for m in client.messages(to="01011110001", all_profiles=True, newest=1)] == ["o1"]
        assert list(client.message_rows(id="b1")) == [
            ("b1", "01011110001", "rejected", "5", "메시지 형식 오류", "sandbox", "")]
        assert client.count(tag="spring") == 4
        with pytest.raises(TypeError):
            list(client.messages(colour="red"))


# --- terminals and pipes --------------------------------------------------------------

def _on_a_terminal(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run ``smscli ARGS`` with stdout on a pseudo-terminal (stderr a pipe)."""
    main, child = pty.openpty()
    full = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="200", **(env or {}))
    proc = subprocess.Popen([sys.executable, "-m", "smscli", *args], stdout=child,
                            stderr=subprocess.PIPE, env={k: v for k, v in full.items() if v is not None},
                            cwd=ROOT)
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    err = proc.stderr.read().decode() if proc.stderr else ""
    return proc.wait(timeout=60), b"".join(chunks).decode(), err


def _many(data_dir: Path, n: int, prefix: str = "m") -> None:
    with Journal.open(data_dir) as j, clock.frozen(DAY1):
        msgs = [_msg(f"{prefix}{i:05d}", f"0101234{i % 10000:04d}") for i in range(n)]
        j.claim(msgs, "sandbox", "sandbox")


def test_terminal_shows_the_newest_100_and_says_how_many_more(data_dir):
    _many(data_dir, 130)
    code, out, err = _on_a_terminal("result", "list")
    assert code == 0
    shown = [f"m{i:05d}" for i in range(130) if f"m{i:05d}" in out]
    assert shown == [f"m{i:05d}" for i in range(30, 130)]
    assert "the newest 100 of 130 shown; 30 more" in err
    code, out, err = _on_a_terminal("result", "list", "--limit", "0")
    assert all(f"m{i:05d}" in out for i in range(130)) and "more" not in err


def test_no_color_is_honoured(filled):
    code, plain, _ = _on_a_terminal("result", "stats", env={"NO_COLOR": "1"})
    assert code == 0 and "delivered" in plain and "█" in plain
    assert "\x1b[3" not in plain and "\x1b[9" not in plain  # no foreground colour at all
    code, coloured, _ = _on_a_terminal("result", "stats", env={"NO_COLOR": None})  # type: ignore[dict-item]
    assert code == 0 and "\x1b[32m" in coloured  # the delivered part of a bar is green


def test_closed_pipe_gives_no_traceback(data_dir):
    _many(data_dir, 5000)
    for fmt in ("tsv", "csv", "json", "table"):
        proc = subprocess.Popen([sys.executable, "-m", "smscli", "result", "list", "--output", fmt],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                                env=dict(os.environ, PYTHONPATH=str(ROOT)))
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline()
        proc.stdout.close()  # `| head -1`
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 141, (fmt, err)
        assert err == "", fmt


# --- result show ----------------------------------------------------------------------

def test_show_tells_the_whole_story_with_a_report_and_a_fallback(filled, capsys):
    code, out, err = cli(capsys, "result", "show", "run1-a2", "--json")
    assert code == 0, err
    story = json.loads(out)
    assert {k: story[k] for k in ("message_id", "to", "status", "code", "meaning", "category", "tag",
                                  "type", "sender", "text", "server_id", "telecom")} == {
        "message_id": "run1-a2", "to": "01011110002", "status": "failed", "code": "7", "meaning": "결번",
        "category": "permanent", "tag": "spring", "type": "sms", "sender": "15666639",
        "text": "안녕 run1-a2", "server_id": "900002", "telecom": "SKT"}
    steps = [(h["at"], h["event"], h["state"], h["code"]) for h in story["history"]]
    assert steps == [
        ("2026-11-20T10:00:00+09:00", "journaled", "queued", ""),
        ("2026-11-20T10:00:01+09:00", "handed to the vendor", "pending", ""),
        ("2026-11-20T10:00:02+09:00", "accepted by the vendor", "accepted", "0"),
        ("2026-11-20T10:05:00+09:00", "report", "failed", "7"),
        ("2026-11-20T10:06:00+09:00", "fallback", "delivered", "0"),
    ]
    report = story["history"][3]
    assert report["meaning"] == "결번" and report["extra"] == {"server_msg_id": "900002", "telecom": "SKT"}
    assert story["history"][4]["message_id"] == "run1-a2-fb"
    assert [f["message_id"] for f in story["fallbacks"]] == ["run1-a2-fb"]
    assert story["reports"] == [report]
    code, out, _ = cli(capsys, "result", "show", "run1-a2")  # for people: the same facts
    assert code == 0
    for fact in ("run1-a2", "결번", "permanent", "handed to the vendor", "report", "fallback run1-a2-fb",
                 "telecom=SKT", "server_msg_id=900002"):
        assert fact in out, fact


def test_show_a_cancelled_reservation(filled, capsys):
    story = json.loads(cli(capsys, "result", "show", "r1", "--json")[1])
    assert [(h["event"], h["at"]) for h in story["history"]] == [
        ("scheduled", "2026-11-21T09:30:00+09:00"), ("cancelled", "2026-11-21T09:31:00+09:00")]
    assert story["send_at"] == "2026-11-25T09:30:00+09:00" and story["held"] is True


def test_show_an_unknown_id_names_the_nearest(filled, capsys):
    code, out, err = cli(capsys, "result", "show", "run1-a4")
    assert code == 1 and out == ""
    assert "no message 'run1-a4' in the journal; nearest ids: run1-a3, run1-a2-fb, run1-a2" in err
    with Client("sandbox") as client:
        assert client.story("run1-a1")["history"][-1]["extra"]["telecom"] == "KTF"


def test_show_without_a_journal(capsys):
    code, out, err = cli(capsys, "result", "show", "x")
    assert code == 1 and "no message 'x'" in err


def test_events_go_with_their_message(data_dir, open_journal):
    """A message deleted because it was never handed over takes its events with it."""
    m = _msg("gone", "01012345678")
    with open_journal(data_dir) as j:
        j.claim([m], "sandbox", "sandbox", queued=True)
        assert j._query("SELECT state FROM events WHERE message_id = 'gone'") == [("queued",)]
        assert j.unclaim(["gone"]) == 1
        assert j._query("SELECT COUNT(*) FROM events") == [(0,)]


# --- result stats ---------------------------------------------------------------------

def stats(capsys, *args: str) -> list[dict]:
    code, out, err = cli(capsys, "result", "stats", "--json", *args)
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def test_stats_groups_and_rates(filled, capsys):
    by_status = {g["status"]: (g["count"], g["rate"]) for g in stats(capsys)}
    # (a2-fb is a fallback: counted in a2's row, which here kept its own failure)
    assert by_status == {"delivered": (1, 1.0), "failed": (1, 0.0), "accepted": (1, 0.0),
                         "rejected": (1, 0.0), "cancelled": (1, 0.0)}
    assert stats(capsys, "--by", "tag") == [
        {"tag": "spring", "count": 3, "delivered": 1, "failed": 1, "waiting": 1, "rate": 0.3333},
        {"tag": "", "count": 1, "delivered": 0, "failed": 0, "waiting": 0, "rate": 0.0},
        {"tag": "autumn", "count": 1, "delivered": 0, "failed": 0, "waiting": 0, "rate": 0.0}]
    codes = {g["code"]: g for g in stats(capsys, "--by", "code", "--tag", "spring")}
    assert codes["7"] == {"vendor": "sandbox", "code": "7", "count": 1, "delivered": 0, "failed": 1,
                          "waiting": 0, "rate": 0.0, "meaning": "결번", "category": "permanent"}
    assert codes["0"]["count"] == 2 and codes["0"]["meaning"] == "성공"
    assert [(g["day"], g["count"]) for g in stats(capsys, "--by", "day")] == [
        ("2026-11-20", 3), ("2026-11-21", 2)]
    assert [(g["hour"], g["count"]) for g in stats(capsys, "--by", "hour", "--since", "2026-11-21")] == [
        ("2026-11-21 09:00", 2)]
    assert {g["telecom"]: g["count"] for g in stats(capsys, "--by", "telecom")} == {"SKT": 1, "KTF": 1, "": 3}
    assert {g["type"]: g["count"] for g in stats(capsys, "--by", "type", "--until", "2026-11-21")} == {"sms": 3}
    assert stats(capsys, "--by", "vendor", "--all-profiles") == [
        {"vendor": "sandbox", "count": 5, "delivered": 1, "failed": 1, "waiting": 1, "rate": 0.2},
        {"vendor": "oneshot", "count": 1, "delivered": 0, "failed": 0, "waiting": 1, "rate": 0.0}]


def test_stats_for_people_and_pipes(filled, capsys):
    code, out, _ = cli(capsys, "result", "stats", "--by", "code")  # piped: TSV
    assert "sandbox\t7\t결번\tpermanent\t1\t0\t1\t0\t0.0000" in out.splitlines()
    code, out, err = _on_a_terminal("result", "stats", "--by", "tag", env={"NO_COLOR": "1"})
    assert code == 0 and "(none)" in out and "spring" in out and "33.3%" in out
    assert "5 messages, 1 delivered (20.0%)" in out
    code, out, err = cli(capsys, "result", "stats", "--by", "weekday")
    assert code == 2 and "--by 'weekday' is not a grouping" in err
    with Client("sandbox") as client:
        assert client.stats(by="status", tag="autumn") == [
            {"status": "rejected", "count": 1, "delivered": 0, "failed": 0, "waiting": 0, "rate": 0.0}]


def test_a_kakao_message_its_content_masked_and_its_reports_channel(data_dir, capsys):
    from smscli.content import Kakao, Text

    kakao = Kakao(body="주문 완료", template="T001", sender_key="s3cr3t-sender-key",
                  fallback=Text("주문 완료", type="sms"))
    m = _msg("k1", "01012340000", type="alimtalk", channel=kakao)
    with Journal.open(data_dir) as j, clock.frozen(DAY1):
        j.claim([m], "bizppurio", "sandbox")
        j.record([_res(m, "accepted", "1000", vendor="bizppurio")])
        j.add_reports([Report("k1", m.to, "delivered", "4100", "전달", "bizppurio",
                              extra={"wapinfo": "LGT", "channel": "sms",
                                     "fallback": '{"type": "sms", "status": "delivered"}'})])
    assert ids(capsys, "--type", "alimtalk") == ["k1"]
    code, out, err = cli(capsys, "result", "show", "k1", "--json")
    assert code == 0, err
    assert "s3cr3t" not in out
    story = json.loads(out)
    assert story["kind"] == "kakao" and story["content"]["template"] == "T001"
    assert "sender_key" not in story["content"] and story["telecom"] == "LGT"  # never journaled
    report = story["reports"][0]
    assert report["channel"] == "sms" and report["fallback"] == {"type": "sms", "status": "delivered"}
    assert report["extra"] == {"wapinfo": "LGT"}
    assert "s3cr3t" not in cli(capsys, "result", "show", "k1")[1]
    assert {g["telecom"]: g["count"] for g in stats(capsys, "--by", "telecom")} == {"LGT": 1}


def test_without_a_journal_nothing_is_listed_or_counted(data_dir, capsys):
    for args in (["result", "list", "--output", "csv"], ["result", "list", "--tag", "x"],
                 ["result", "stats", "--json"], ["result", "stats", "--by", "day"]):
        code, out, err = cli(capsys, *args)
        assert (code, out) == (0, ""), args
    assert not (data_dir / "journal.db").exists()


def test_async_client_asks_the_same(filled):
    import asyncio

    from smscli import AsyncClient

    async def ask():
        async with AsyncClient("sandbox") as client:
            return (await client.messages(tag="autumn"), await client.message_rows(code="7"),
                    await client.story("b1"), await client.stats(by="type"))

    messages, rows, story, groups = asyncio.run(ask())
    assert [m.message_id for m in messages] == ["b1"] and rows[0][0] == "run1-a2"
    assert story["status"] == "rejected" and story["meaning"] == "메시지 형식 오류"
    assert {g["type"]: g["count"] for g in groups} == {"sms": 4, "lms": 1}


def test_a_report_that_came_before_its_send_answer_still_names_the_carrier(data_dir, open_journal):
    m = _msg("early", "01012345678")
    with open_journal(data_dir) as j:
        with clock.frozen(DAY1):
            j.claim([m], "bizppurio", "sandbox")
            j.add_reports([Report("", m.to, "delivered", "4100", "전달", "bizppurio",
                                  extra={"server_id": "sid-1", "wapinfo": "SKT"})])
        with clock.frozen(DAY1.replace(second=3)):
            j.record([_res(m, "accepted", "1000", vendor="bizppurio")], {"early": "sid-1"})
        assert j._query("SELECT status, telecom FROM messages WHERE id = 'early'") == [("delivered", "SKT")]
        assert [e[0] for e in j._query("SELECT state FROM events WHERE message_id = 'early' ORDER BY rowid")] == [
            "pending", "accepted", "delivered"]


_cells = st.text(alphabet=st.sampled_from('ab가,"\\\n\r\t \x00\x1fé'), max_size=6)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.lists(st.tuples(*[_cells] * 3), max_size=4), max_size=4))
def test_fast_tsv_csv_and_json_pages_equal_the_slow_way(pages):
    from smscli.cli.result_list import write

    fields = ("a", "b", "c")
    rows = [r for page in pages for r in page]
    out = io.StringIO()
    write(pages, "tsv", fields=fields, stream=out)
    flat = str.maketrans("\t\n\r", "   ")
    assert out.getvalue() == "".join("\t".join(c.translate(flat) for c in r) + "\n" for r in rows)
    for fmt in ("csv", "json"):
        out = io.StringIO()
        assert write(pages, fmt, fields=fields, stream=out) == len(rows)
        if fmt == "csv":
            expected = io.StringIO()
            if rows:
                csv.writer(expected, lineterminator="\n").writerows([fields, *rows])
            assert out.getvalue() == expected.getvalue()
        else:
            assert out.getvalue() == "".join(json.dumps(dict(zip(fields, r, strict=True)), ensure_ascii=False) + "\n"
                                             for r in rows)


def test_show_in_a_pipe_is_a_fact_per_line_and_on_a_terminal_a_table(filled, capsys):
    import io

    from smscli.cli.result_show import render

    with Client("sandbox") as client:
        story = client.story("run1-a2")
    piped = io.StringIO()
    render(story, json_mode=False, stream=piped)
    lines = piped.getvalue().splitlines()
    assert lines[:3] == ["message_id\trun1-a2", "status\tfailed", "code\t7"]
    at = lines.index("history")
    assert lines[at + 1] == "at\tevent\tstate\tcode\tmeaning\tdetail"
    assert lines[at + 2].split("\t")[:4] == ["2026-11-20T10:00:00+09:00", "journaled", "queued", ""]
    assert lines[at + 6].split("\t")[1] == "fallback run1-a2-fb (sms)"
    assert all("┃" not in x and "│" not in x for x in lines)  # no box drawing in a pipe

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    shown = Terminal()
    render(story, json_mode=False, stream=shown)
    assert "history" in shown.getvalue() and "┏" in shown.getvalue() and "fallback run1-a2-fb" in shown.getvalue()
