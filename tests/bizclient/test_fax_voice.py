"""FAX (MSG_TYPE 2) and PHONE (MSG_TYPE 3) through BIZCLIENT, on SQLite and MariaDB:
`smscli send --type fax|voice` as users run it, the rows and files it writes, the stand-in
agent's answers (USE_PAGE / USE_TIME / SN_RESULT) reaching `result list`, and the checks
that refuse before anything is sent."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest

from smscli.cli.app import program
from smscli.codes import describe
from smscli.sim import bizclient_faxvoice
from smscli.vendors.bizclient_faxvoice import MSG_TYPES
from tests.conftest import run_cli

from .conftest import rows, wait_for
from .test_cli import write_config

pytestmark = pytest.mark.timeout(90)

PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >> endobj\n"
       b"3 0 obj << /Type /Page /Parent 2 0 R >> endobj\n4 0 obj << /Type /Page /Parent 2 0 R >> endobj\n%%EOF\n")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def wave(seconds: float = 2.0, *, bits: int = 8, rate: int = 8000, channels: int = 1) -> bytes:
    """A PCM WAVE file of ``seconds`` of silence."""
    align = channels * bits // 8
    data = b"\x80" * int(seconds * rate * align)
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * align, align, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def run(*args: str, capsys: Any) -> tuple[int, list[dict[str, Any]], str]:
    code = program(list(args))
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines() if line.strip()], err


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    where = tmp_path / "docs"
    where.mkdir()
    (where / "notice.pdf").write_bytes(PDF)
    (where / "map.png").write_bytes(PNG)
    (where / "msg.wav").write_bytes(wave(2.5))
    (where / "ask.vxml").write_text('<?xml version="1.0"?><vxml version="2.1"><form/></vxml>', encoding="utf-8")
    return where


@pytest.fixture
def configured(database, files, isolated_env) -> None:
    write_config(isolated_env, database.url.render_as_string(hide_password=False), files)


def test_a_fax_with_a_cover_is_written_with_its_files_and_reports_its_pages(
        configured, database, files, docs, agent_factory, capsys):
    code, (result,), err = run("send", "--to", "031-234-5678", "--type", "fax", "--file", str(docs / "notice.pdf"),
                               "--file", str(docs / "map.png"), "--cover-title", "공지",
                               "--cover-text", "점검 안내입니다", "--retries", "2", "--id", "fax-1", "--json",
                               capsys=capsys)
    assert code == 0, err
    assert (result["status"], result["type"]) == ("accepted", "fax")
    (row,) = rows(database)
    assert (row.MSG_TYPE, row.DEST_PHONE, row.SUBJECT, row.MSG_BODY, row.COVER_FLAG, row.RETRY_CNT) == (
        2, "0312345678", "공지", "점검 안내입니다", 1, 2)
    names = row.ATTACHED_FILE.split("|")
    assert [n.rsplit(".", 1)[1] for n in names] == ["pdf", "png"]
    assert (files / names[0]).read_bytes() == PDF and (files / names[1]).read_bytes() == PNG
    assert not [p for p in files.iterdir() if p.name.startswith(".")]  # no temp file left

    agent = agent_factory()
    agent.prepare()
    assert wait_for(lambda: (agent.step(), rows(database)[0].STATUS == 2)[1])
    assert rows(database)[0].USE_PAGE == 4  # two PDF pages, the image, the cover
    assert program(["result", "poll"]) == 0
    capsys.readouterr()
    code, (shown,), _err = run("result", "list", "--json", capsys=capsys)
    assert code == 0
    assert (shown["message_id"], shown["status"], shown["code"]) == ("fax-1", "delivered", "3200")
    assert (shown["channel"], shown["use_page"]) == ("fax", "4")
    code, (story,), _err = run("result", "show", "fax-1", "--json", capsys=capsys)
    assert code == 0 and story["reports"][-1]["extra"]["use_page"] == "4"
    assert story["content"]["kind"] == "fax" and story["content"]["cover_title"] == "공지"
    assert program(["result", "show", "fax-1"]) == 0
    assert "use_page=4" in capsys.readouterr().out


def test_a_tts_call_and_a_wave_call_with_an_answer(configured, database, files, docs, agent_factory, capsys):
    code, results, err = run("send", "--to", "01012345678", "--type", "voice", "-m", "내일 오전 10시 예약입니다",
                             "--sms-on-fail", "--id", "call-tts", "--json", capsys=capsys)
    assert code == 0, err
    code, results2, err = run("send", "--to", "0212345678", "--type", "voice", "--voice-file",
                              str(docs / "msg.wav"), "--scenario", str(docs / "ask.vxml"), "--reply",
                              "--retries", "1", "--id", "call-wav", "--json", capsys=capsys)
    assert code == 0, err
    by_id = {r.CMID: r for r in rows(database)}
    tts, wav = by_id["call-tts"], by_id["call-wav"]
    assert (tts.MSG_TYPE, tts.MSG_BODY, tts.SMS_FLAG, tts.REPLY_FLAG, tts.ATTACHED_FILE, tts.VXML_FILE) == (
        3, "내일 오전 10시 예약입니다", 1, 0, None, None)
    assert (wav.MSG_TYPE, wav.MSG_BODY, wav.REPLY_FLAG, wav.SMS_FLAG, wav.RETRY_CNT) == (3, "", 1, 0, 1)
    assert (files / wav.ATTACHED_FILE).read_bytes() == (docs / "msg.wav").read_bytes()
    assert wav.VXML_FILE.endswith(".vxml") and (files / wav.VXML_FILE).is_file()

    agent = agent_factory()
    agent.prepare()
    assert wait_for(lambda: (agent.step(), all(r.STATUS == 2 for r in rows(database)))[1])
    assert program(["result", "poll"]) == 0
    capsys.readouterr()
    code, listed, _err = run("result", "list", "--json", capsys=capsys)
    by_id = {r["message_id"]: r for r in listed}
    assert sorted((r["message_id"], r["status"], r["code"], r["channel"]) for r in listed) == [
        ("call-tts", "delivered", "2201", "voice"), ("call-wav", "delivered", "1202", "voice")]
    assert by_id["call-wav"]["use_time"] == "3" and by_id["call-wav"]["sn_result"] in {str(n) for n in range(10)}
    # the TTS read at five characters a second; no answer without --reply
    assert by_id["call-tts"]["use_time"] == "3" and "sn_result" not in by_id["call-tts"]
    code, (story,), _err = run("result", "show", "call-wav", "--json", capsys=capsys)
    assert story["reports"][-1]["extra"]["sn_result"] == by_id["call-wav"]["sn_result"]


@pytest.mark.parametrize(("args", "said"), [
    (["--type", "voice", "--voice-file", "{docs}/stereo.wav"], "is 8-bit 8000 Hz 2 channels"),
    (["--type", "voice", "--voice-file", "{docs}/hifi.wav"], "is 16-bit 44100 Hz mono"),
    (["--type", "voice", "--voice-file", "{docs}/long.wav"], "it must be under 3 minutes"),
    (["--type", "voice", "-m", "가" * 101], "the TTS text is 101 characters; a call reads at most 100"),
    (["--type", "fax", "--file", "{docs}/notice.pdf", "--cover-text", "가" * 101],
     "--cover-text is 101 characters; a fax cover holds at most 100"),
    (["--type", "fax", "--file", "{docs}/run.exe"], "type 'exe' cannot be faxed"),
    (["--type", "fax", "--file", "{docs}/fake.pdf"], "is not a pdf file"),
    (["--type", "fax"], "--type fax needs at least one --file"),
    (["--type", "fax", "--file", "{docs}/notice.pdf", "-m", "hi"], "--message does not go with --type fax"),
    (["--type", "sms", "-m", "hi", "--cover-text", "x"], "--cover-text goes with --type fax, not sms"),
    (["--type", "voice", "--voice-file", "{docs}/msg.wav", "--sms-on-fail"], "--sms-on-fail sends the TTS text"),
    (["--type", "voice", "-m", "안내", "--reply"], "--reply needs --scenario FILE"),
    (["--type", "voice", "-m", "안내", "--voice-file", "{docs}/msg.wav"], "not both"),
    (["--type", "voice", "-m", "안내", "--file", "{docs}/notice.pdf"], "--file does not go with --type voice"),
])
def test_refused_before_anything_is_sent(configured, database, docs, args, said, capsys):
    (docs / "stereo.wav").write_bytes(wave(1, channels=2))
    (docs / "hifi.wav").write_bytes(wave(0.1, bits=16, rate=44100))
    (docs / "long.wav").write_bytes(wave(180))
    (docs / "run.exe").write_bytes(b"MZ\x90\x00")
    (docs / "fake.pdf").write_bytes(b"GIF89a not a pdf")
    argv = ["send", "--to", "0312345678", *[a.replace("{docs}", str(docs)) for a in args]]
    assert program(argv) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err
    assert rows(database) == []


def test_landline_and_mobile_accepted_and_dry_run_shows_pages_and_files(configured, docs, capsys):
    code, results, err = run("send", "--to", "0312345678,01012345678", "--type", "fax", "--file",
                             str(docs / "notice.pdf"), "--cover-text", "안내", "--dry-run", "--json", capsys=capsys)
    assert code == 0, err
    assert [(r["status"], r["type"], r["pages"]) for r in results] == [("valid", "fax", 3)] * 2
    assert results[0]["attachments"] == [str(docs / "notice.pdf")]
    code, (call,), err = run("send", "--to", "0212345678", "--type", "voice", "--voice-file",
                             str(docs / "msg.wav"), "--dry-run", "--json", capsys=capsys)
    assert code == 0, err
    assert (call["type"], call["seconds"], call["attachments"]) == ("voice", 2.5, [str(docs / "msg.wav")])


PROFILES = {
    "bizppurio": 'base_url = "http://127.0.0.1:9"\naccount = "test"\npassword = "test"\n',
    "netshot": 'url = "http://127.0.0.1:9/"\nuser = "u"\npassword = "p"\n',
    "oneshot": 'host = "127.0.0.1"\nport = 9\nbind_id = "test001"\npassword = "pw"\n'
               'aes_key = "0123456789abcdef"\naes_iv = "0123456789abcdef"\n',
}


@pytest.mark.parametrize("vendor", ["bizppurio", "netshot", "oneshot"])
def test_other_vendors_refuse_fax_and_voice_naming_bizclient(vendor, docs, isolated_env, capsys):
    """Exit 2 before anything is journaled (nothing listens on the profiles' ports)."""
    (isolated_env / "config.toml").write_text(
        f'default_profile = "p"\n[profiles.p]\nvendor = "{vendor}"\nsender = "0212341234"\n'
        + PROFILES[vendor], encoding="utf-8")
    (isolated_env / "config.toml").chmod(0o600)
    assert program(["send", "--to", "0312345678", "--type", "fax", "--file", str(docs / "notice.pdf")]) == 2
    err = capsys.readouterr().err
    assert (f"smscli: fax: only bizclient (and the sandbox, to try it) carries it; {vendor} does not carry "
            "fax messages (--type fax)") in err, err
    assert program(["send", "--to", "01012345678", "--type", "voice", "-m", "안내입니다"]) == 2
    assert "voice: only bizclient (and the sandbox, to try it) carries it" in capsys.readouterr().err


def test_the_sandbox_sends_fax_calls_and_mms_video_through_its_agent_simulator(docs, isolated_env):
    """The real BIZCLIENT vendor against the agent simulator on SQLite in the data dir:
    delivered with --wait; without it, a later `result poll` (another process) finds them."""
    (docs / "clip.k3g").write_bytes(K3G)
    sends = [["--type", "fax", "--to", "0312345678", "--file", str(docs / "notice.pdf"), "--cover-title", "안내"],
             ["--type", "voice", "--to", "01012345678", "-m", "내일 10시 예약입니다"],
             ["--to", "01012345678", "-m", "영상 안내", "--attach", str(docs / "clip.k3g")]]
    waited = [json.loads(run_cli("send", *args, "--wait", "10", "--json").stdout) for args in sends]
    assert [(r["type"], r["status"], r["vendor"]) for r in waited] == [
        ("fax", "delivered", "sandbox"), ("voice", "delivered", "sandbox"), ("mms", "delivered", "sandbox")]
    later = run_cli("send", *sends[0], "--json")
    assert later.returncode == 0 and json.loads(later.stdout)["status"] == "accepted", later.stderr
    polled = [json.loads(x) for x in run_cli("result", "poll", "--json", "--timeout", "5").stdout.splitlines()]
    assert [(r["message_id"], r["status"], r["channel"]) for r in polled] == [
        (json.loads(later.stdout)["message_id"], "delivered", "fax")]
    assert polled[0]["use_page"]


def test_every_code_the_simulator_writes_is_known():
    assert [c for c in bizclient_faxvoice.CODES if describe("bizclient", c) is None] == []
    assert MSG_TYPES == {"fax": 2, "voice": 3}


# --------------------------------------------------------------------------- MMS audio / video
K3G = b"\x00\x00\x00\x18ftyp3gp4\x00\x00\x00\x00isom3gp4" + b"\x00" * 200
MA3 = b"MMMD\x00\x00\x01\x00" + b"\x00" * 200


def test_mms_audio_and_video_go_with_the_manuals_warning(configured, database, files, docs, agent_factory, capsys):
    (docs / "clip.k3g").write_bytes(K3G)
    (docs / "tune.ma3").write_bytes(MA3)
    code, (result,), err = run("send", "--to", "01012345678", "-m", "새 영상 안내", "--attach", str(docs / "clip.k3g"),
                               "--attach", str(docs / "tune.ma3"), "--id", "mms-av", "--json", capsys=capsys)
    assert code == 0, err
    assert (result["status"], result["type"]) == ("accepted", "mms")
    assert "some carriers and handsets do not play them" in err
    (row,) = rows(database)
    names = row.ATTACHED_FILE.split("|")
    assert row.MSG_TYPE == 5 and [n.rsplit(".", 1)[1] for n in names] == ["k3g", "ma3"]
    assert [(files / n).read_bytes() for n in names] == [K3G, MA3]
    agent = agent_factory()
    agent.prepare()
    assert wait_for(lambda: (agent.step(), rows(database)[0].STATUS == 2)[1])
    assert rows(database)[0].CALL_STATUS == "6600"


def test_a_dry_run_shows_the_attachments(configured, docs, capsys):
    (docs / "clip.k3g").write_bytes(K3G)
    code, (shown,), err = run("send", "--to", "01012345678", "-m", "영상", "--attach", str(docs / "clip.k3g"),
                              "--dry-run", "--json", capsys=capsys)
    assert code == 0, err
    assert (shown["status"], shown["type"], shown["attachments"]) == ("valid", "mms", [str(docs / "clip.k3g")])
    assert "some carriers and handsets do not play them" in err


def test_attachments_are_checked_and_refused_elsewhere(configured, docs, capsys):
    (docs / "fake.k3g").write_bytes(b"not a video at all")
    (docs / "song.mp3").write_bytes(b"ID3\x03")
    assert program(["send", "--to", "01012345678", "-m", "x", "--attach", str(docs / "fake.k3g")]) == 2
    assert "is not a k3g file" in capsys.readouterr().err
    assert program(["send", "--to", "01012345678", "-m", "x", "--attach", str(docs / "song.mp3")]) == 2
    assert "type 'mp3' is not MMS audio/video" in capsys.readouterr().err
    (docs / "clip.k3g").write_bytes(K3G)
    assert program(["send", "--to", "01012345678", "-m", "x", "--type", "sms", "--attach",
                    str(docs / "clip.k3g")]) == 2
    assert "--attach goes with an MMS" in capsys.readouterr().err


def test_a_csv_fills_each_cover_a_rerun_is_duplicate_and_an_overlong_row_is_invalid(
        configured, database, files, docs, tmp_path, capsys):
    csv = tmp_path / "shops.csv"
    csv.write_text(f"phone,id,shop\n0312345678,shop-1,강남점\n0212345678,shop-2,{'가' * 95}\n", encoding="utf-8")
    argv = ["send", "--csv", str(csv), "--type", "fax", "--file", str(docs / "notice.pdf"),
            "--cover-text", "{shop} 점주님께 점검 안내", "--json"]
    code, results, err = run(*argv, capsys=capsys)
    assert code == 1, err  # one row invalid
    by_id = {r["message_id"]: r for r in results}
    assert {k: r["status"] for k, r in by_id.items()} == {"shop-1": "accepted", "shop-2": "invalid"}
    assert "a fax cover holds at most 100" in by_id["shop-2"]["detail"]
    (row,) = rows(database)
    assert (row.CMID, row.MSG_BODY, row.COVER_FLAG) == ("shop-1", "강남점 점주님께 점검 안내", 1)
    written = sorted(p.name for p in files.iterdir())
    code, results, err = run(*argv, capsys=capsys)
    assert sorted((r["message_id"], r["status"]) for r in results) == [("shop-1", "duplicate"), ("shop-2", "invalid")]
    assert len(rows(database)) == 1 and sorted(p.name for p in files.iterdir()) == written


def test_a_reserved_fax_waits_in_biz_msg_for_its_time(configured, database, docs, capsys):
    code, (result,), err = run("reserve", "--at", "2026-11-19 09:00", "--to", "0312345678", "--type", "fax",
                               "--file", str(docs / "map.png"), "--json", capsys=capsys)
    assert code == 0, err
    assert (result["status"], result["type"]) == ("scheduled", "fax")
    (row,) = rows(database)
    assert (row.MSG_TYPE, row.COVER_FLAG, f"{row.SEND_TIME:%Y-%m-%d %H:%M}") == (2, 0, "2026-11-19 09:00")


def test_the_library_sends_a_fax_and_a_call(configured, database, docs):
    from smscli import Client, Fax, Voice

    with Client("agent") as client:
        fax = client.send("0312345678", Fax(files=(docs / "notice.pdf",), cover_title="공지"), id="lib-fax")
        call = client.send("01012345678", Voice(voice_file=docs / "msg.wav", retries=3), id="lib-call")
    assert (fax.status, fax.type, call.status, call.type) == ("accepted", "fax", "accepted", "voice")
    by_id = {r.CMID: r for r in rows(database)}
    assert (by_id["lib-fax"].MSG_TYPE, by_id["lib-fax"].COVER_FLAG, by_id["lib-fax"].SUBJECT) == (2, 1, "공지")
    assert (by_id["lib-call"].MSG_TYPE, by_id["lib-call"].RETRY_CNT) == (3, 3)


# --------------------------------------------------------------------------- the stand-in agent
def _insert(database: Any, **values: Any) -> None:
    from smscli.vendors.bizclient_db import now_kst

    row = {"STATUS": 0, "REQUEST_TIME": now_kst(), "SEND_TIME": now_kst(), "SEND_PHONE": "0212341234",
           "MSG_BODY": "", **values}
    with database.connect() as conn, database.begin(conn):
        conn.execute(database.table("BIZ_MSG").insert(), [row])


def test_the_agent_checks_rows_inserted_by_hand_with_the_manuals_codes(database, files, agent_factory):
    (files / "hifi.wav").write_bytes(wave(0.1, bits=16, rate=44100))
    (files / "ok.wav").write_bytes(wave(1))
    (files / "run.exe").write_bytes(b"MZ")
    (files / "bad.vxml").write_text("not a scenario", encoding="utf-8")
    (files / "doc.pdf").write_bytes(PDF)
    _insert(database, CMID="no-file", MSG_TYPE=2, DEST_PHONE="0312345678", ATTACHED_FILE="gone.pdf")
    _insert(database, CMID="exe", MSG_TYPE=2, DEST_PHONE="0312345678", ATTACHED_FILE="run.exe")
    _insert(database, CMID="hifi", MSG_TYPE=3, DEST_PHONE="0212345678", ATTACHED_FILE="hifi.wav")
    _insert(database, CMID="silent", MSG_TYPE=3, DEST_PHONE="0212345678")
    _insert(database, CMID="vxml-l", MSG_TYPE=3, DEST_PHONE="0212345678", ATTACHED_FILE="ok.wav",
            VXML_FILE="bad.vxml")
    _insert(database, CMID="vxml-m", MSG_TYPE=3, DEST_PHONE="01012345678", MSG_BODY="안내", VXML_FILE="bad.vxml")
    _insert(database, CMID="fax-fail", MSG_TYPE=2, DEST_PHONE="0312345678", ATTACHED_FILE="doc.pdf")
    agent = agent_factory(fail_rate=1.0, move_delay=3600)  # the rows stay in BIZ_MSG to be read
    agent.prepare()
    assert wait_for(lambda: (agent.step(), all(r.STATUS in (2, 3) for r in rows(database)))[1])
    got = {r.CMID: (r.STATUS, r.CALL_STATUS) for r in rows(database)}
    assert {k: v for k, v in got.items() if k != "fax-fail"} == {
        "no-file": (3, "9017"), "exe": (3, "9019"), "hifi": (3, "9019"), "silent": (3, "9021"),
        "vxml-l": (2, "1233"), "vxml-m": (2, "2233")}
    assert got["fax-fail"][0] == 2 and got["fax-fail"][1] in bizclient_faxvoice.FAX_FAILURES
    assert agent.stats["failed"] == 3 and agent.stats["refused"] == 4


def test_a_failed_fax_reports_failed_with_the_codes_meaning(configured, database, docs, agent_factory, capsys):
    assert program(["send", "--to", "0312345678", "--type", "fax", "--file", str(docs / "map.png"),
                    "--id", "fax-x"]) == 0
    agent = agent_factory(fail_rate=1.0, move_delay=3600)  # the row stays in BIZ_MSG to be read
    agent.prepare()
    assert wait_for(lambda: (agent.step(), rows(database)[0].STATUS == 2)[1])
    capsys.readouterr()
    code, (report,), _err = run("result", "poll", "--json", capsys=capsys)
    assert (report["status"], report["channel"]) == ("failed", "fax")
    assert report["code"] in bizclient_faxvoice.FAX_FAILURES and report["use_page"] == "0"
    assert report["detail"] == describe("bizclient", report["code"]).meaning


def test_a_failed_call_with_sms_on_fail_sends_its_text_as_sms(database, files, tmp_path, agent_factory):
    _insert(database, CMID="call-sms", MSG_TYPE=3, DEST_PHONE="01012345678", MSG_BODY="예약 안내입니다", SMS_FLAG=1)
    _insert(database, CMID="call-no", MSG_TYPE=3, DEST_PHONE="01012345678", MSG_BODY="예약 안내입니다")
    record = tmp_path / "agent.jsonl"
    agent = agent_factory(fail_rate=1.0, record=record)
    agent.prepare()
    assert wait_for(lambda: (agent.step(), all(r.STATUS == 2 for r in rows(database)))[1])
    agent.close_record()
    events = [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()]
    sms = [e for e in events if e["event"] == "sms_on_fail"]
    assert [(e["cmid"], e["text"]) for e in sms] == [("call-sms", "예약 안내입니다")]
    assert sms[0]["code"] in bizclient_faxvoice.PHONE_FAILURES["mobile"]


def test_result_list_filters_by_fax_and_voice(configured, database, docs, capsys):
    assert program(["send", "--to", "0312345678", "--type", "fax", "--file", str(docs / "map.png"), "--id", "f1"]) == 0
    assert program(["send", "--to", "01012345678", "--type", "voice", "-m", "안내", "--id", "v1"]) == 0
    capsys.readouterr()
    for kind, wanted in (("fax", "f1"), ("voice", "v1")):
        code, listed, _err = run("result", "list", "--type", kind, "--json", capsys=capsys)
        assert code == 0 and [(r["message_id"], r["type"]) for r in listed] == [(wanted, kind)]


def test_one_client_sends_an_edited_document_anew(configured, database, files, docs):
    import os

    from smscli import Client, Fax

    doc = docs / "menu.txt"
    doc.write_text("오늘의 메뉴: 김밥\n", encoding="utf-8")
    with Client("agent") as client:
        assert client.send("0312345678", Fax(files=(doc,)), id="menu-1").status == "accepted"
        doc.write_text("오늘의 메뉴: 라면과 김밥\n", encoding="utf-8")
        os.utime(doc, ns=(doc.stat().st_atime_ns, doc.stat().st_mtime_ns + 10**9))
        assert client.send("0312345678", Fax(files=(doc,)), id="menu-2").status == "accepted"
    by_id = {r.CMID: r for r in rows(database)}
    first, second = (files / by_id["menu-1"].ATTACHED_FILE), (files / by_id["menu-2"].ATTACHED_FILE)
    assert first != second and second.read_text(encoding="utf-8") == "오늘의 메뉴: 라면과 김밥\n"
