"""Issue 10, item 4: every bad Kakao/RCS input is refused before anything is sent, with its
reason on one line and the contract's exit code (2 usage, 3 config), or reported ``invalid``
(exit 1) for the row it concerns; and ``--dry-run`` shows type, characters, buttons and the
fallback with its type and bytes. In-process (``program``); nothing listens on the profile's
URL, so any attempt to send would fail with exit 4."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from smscli.cli.app import program

OK_BUTTON = {"name": "열기", "type": "WL", "url_mobile": "https://e.example/{order}"}


@pytest.fixture
def home(isolated_env: Path) -> Path:
    (isolated_env / "config.toml").write_text(
        'default_profile = "biz"\n[profiles.biz]\nvendor = "bizppurio"\nbase_url = "http://127.0.0.1:9"\n'
        'account = "test"\npassword = "test"\nsender = "0212341234"\nkakao_sender_key = "KEY1"\n'
        '[profiles.nokey]\nvendor = "bizppurio"\nbase_url = "http://127.0.0.1:9"\naccount = "test"\n'
        'password = "test"\nsender = "0212341234"\n'
        '[profiles.longkey]\nvendor = "bizppurio"\nbase_url = "http://127.0.0.1:9"\naccount = "test"\n'
        f'password = "test"\nsender = "0212341234"\nkakao_sender_key = "{"K" * 41}"\n'
        '[profiles.net]\nvendor = "netshot"\nurl = "http://127.0.0.1:9/"\nuser = "u"\npassword = "p"\n'
        'sender = "0212341234"\n', encoding="utf-8")
    os.chmod(isolated_env / "config.toml", 0o600)
    return isolated_env


def buttons(home: Path, data: object, name: str = "b.json") -> str:
    path = home / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = program(["send", "--to", "01011112222", *args])
    out, err = capsys.readouterr()
    return code, out, err


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code, out, err = run(capsys, *args)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert out == "" and len(lines) == 1 and lines[0].startswith("smscli: "), err
    return code, lines[0]


AT = ("--type", "alimtalk", "--template", "T1")


@pytest.mark.parametrize(("args", "said"), [
    (("--type", "alimtalk", "-m", "x"), "--type alimtalk needs --template CODE"),
    (("--type", "alimtalk-image", "--template", "T1", "-m", "x"), "--type alimtalk-image needs its image: --image-url URL"),
    (("--type", "friendtalk", "--image-url", "notaurl", "-m", "x"), "--image-url must be an http(s) URL (Kakao fetches"),
    (("--type", "friendtalk", "--image-url", "https://i/a.jpg", "--image-link", "a.jpg", "-m", "x"),
     "--image-link must be an http(s) URL"),
    (("--type", "friendtalk", "--wide", "-m", "x"), "a FriendTalk image needs --image-url URL"),
    (("--type", "friendtalk", "--template", "T1", "-m", "x"), "--template does not go with --type friendtalk"),
    (("--type", "rcs-template", "-m", "x"), "--type rcs-template needs --rcs-base ID"),
    (("--type", "rcs-sms", "--template", "T1", "-m", "x"), "--template does not go with --type rcs-sms"),
    (("--type", "sms", "--template", "T1", "-m", "x"), "--template goes with --type alimtalk, alimtalk-image, not sms"),
    (("--user-key", "K1", "-m", "x"), "--user-key goes with --type friendtalk, not auto"),
    (("--type", "lms", "--rcs-base", "B1", "-m", "x"), "--rcs-base goes with --type rcs-sms, rcs-lms, rcs-mms,"),
    (("--type", "kakao", "-m", "x"), "--type must be one of auto, sms, lms, mms, alimtalk"),
    ((*AT, "--subject", "s", "-m", "x"), "--subject does not go with --type alimtalk"),
    ((*AT, "--fallback", "fax", "-m", "x"), "--fallback must be one of auto, sms, lms, mms, none, not 'fax'"),
    ((*AT, "--fallback", "mms", "-m", "x"), "--fallback mms needs at least one --image"),
    ((*AT, "--fallback", "none", "--fallback-message", "y", "-m", "x"), "--fallback none sends no fallback"),
    (("--type", "alimtalk", "--template", "T" * 33, "-m", "x"), "template code is 33 characters; at most 32"),
    ((*AT, "--title", "t" * 51, "-m", "x"), "--title is 51 characters; at most 50"),
    ((*AT, "-m", "가" * 1001), "message: Kakao text is 1001 characters; at most 1000"),
    (("--type", "rcs-sms", "-m", "가" * 101), "message: rcs-sms text is 101 characters; at most 100"),
    ((*AT, "--fallback", "sms", "-m", "가" * 46), "the fallback SMS is 92 bytes; an SMS carries at most 90 "
     "(use --fallback lms, or --fallback auto to pick by length)"),
    ((*AT, "-m", "주문 😀"), "the fallback text has '😀' (U+1F600), which CP949 (SMS/LMS) cannot carry"),
    ((*AT, "-m", "x", "--fallback-message", "y" * 2001), "the fallback text is 2001 bytes; an LMS carries at most 2000"),
    ((*AT, "-m", "x", "--kakao-timeout", "0"), "Invalid value for '--kakao-timeout'"),
    ((*AT, "-m", "x", "--buttons", "/nonexistent/b.json"), "cannot read buttons file /nonexistent/b.json"),
])
def test_bad_input_is_exit_2_with_its_reason(home, capsys, args, said):
    code, line = refused(capsys, *args)
    assert code == 2 and said in line, line


@pytest.mark.parametrize(("data", "said"), [
    ([OK_BUTTON] * 6, "6 buttons: a message takes at most 5"),
    ([{"name": "x" * 29, "type": "WL", "url_mobile": "https://e"}], "button 1 name is 29 characters; at most 28"),
    ([{"name": "", "type": "WL", "url_mobile": "https://e"}], "button 1 has no name"),
    ([{"name": "a", "type": "ZZ"}], "button 1 has unknown type 'ZZ'"),
    ([{"name": "a", "type": "WL"}], "button 1 (WL) needs url_mobile"),
    ([{"name": "a", "type": "AL", "scheme_ios": "app://x"}], "button 1 (AL) needs two of scheme_ios, scheme_android, url_mobile"),
    ({"buttons": []}, 'must hold a list of buttons or {"button": [...], "quickreply": [...]}'),
    ({"button": [OK_BUTTON], "quickreply": [OK_BUTTON] * 11}, "11 quick replies: a message takes at most 10"),
    ({"quickreply": [{"name": "a", "type": "AC"}]}, "quick reply 1 has unknown type 'AC'"),
    ({"quickreply": [{"name": "a", "type": "WL"}]}, "quick reply 1 (WL) needs url_mobile"),
    ("not json", "is not valid JSON"),
    ("[" * 100_000 + "]" * 100_000, "nests too deep to be buttons"),
    (" " * (1024 * 1024) + "[]", "is over 1024 KiB: not a buttons file?"),
    ([{"name": "a", "type": "WL", "url_mobile": 5}], "button 1's url_mobile must be text, not int"),
    ([{"name": ["a"], "type": "WL", "url_mobile": "https://e"}], "button 1's name must be text, not list"),
    ({"button": [OK_BUTTON], "quickreply": [{"name": "a", "type": True}]}, "quick reply 1's type must be text, not bool"),
])
def test_bad_buttons_are_exit_2(home, capsys, data, said):
    path = home / "b.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    code, line = refused(capsys, *AT, "-m", "x", "--buttons", str(path))
    assert code == 2 and said in line, line


def test_quick_replies_are_for_alimtalk_only(home, capsys):
    path = buttons(home, {"quickreply": [OK_BUTTON]})
    for kind in ("friendtalk", "rcs-lms"):
        code, line = refused(capsys, "--type", kind, "-m", "x", "--buttons", path)
        assert code == 2 and f"quick replies are for AlimTalk only, not {kind}" in line, line


def test_friendtalk_takes_no_alimtalk_only_button_and_rcs_only_url_buttons(home, capsys):
    path = buttons(home, [{"name": "배송조회", "type": "DS"}])
    code, line = refused(capsys, "--type", "friendtalk", "-m", "x", "--buttons", path)
    assert code == 2 and "type DS is for AlimTalk only, not FriendTalk" in line
    path = buttons(home, [{"name": "봇", "type": "BK"}])
    code, line = refused(capsys, "--type", "rcs-lms", "-m", "x", "--buttons", path)
    assert code == 2 and "button 1 has unknown type 'BK'" in line


def test_sender_key_missing_or_too_long_is_exit_3_naming_the_key(home, capsys):
    code, line = refused(capsys, "-p", "nokey", *AT, "-m", "x")
    assert code == 3 and "has no kakao_sender_key" in line and "nokey" in line
    code, line = refused(capsys, "-p", "longkey", *AT, "-m", "x")
    assert code == 3 and "kakao_sender_key of profile 'longkey' is 41 characters; at most 40" in line
    assert "K" * 41 not in line  # a secret is never shown
    assert not (home / "data" / "journal.db").exists() or _messages(home) == 0


@pytest.mark.parametrize("dry_run", [True, False])
def test_rcs_without_the_chatbot_id_bizppurio_needs_is_exit_3_naming_the_key(home, capsys, dry_run):
    extra = ("--dry-run",) if dry_run else ()
    code, line = refused(capsys, "--type", "rcs-lms", "--title", "t", "-m", "안내", *extra)
    assert code == 3 and line == ("smscli: profile 'biz' has no rcs_chatbot_id (bizppurio needs it for RCS) "
                                  "(smscli config set rcs_chatbot_id VALUE -p biz, or set SMSCLI_RCS_CHATBOT_ID)")
    code = program(["reserve", "--at", "2099-01-01 10:00", "--to", "01011112222", "--type", "rcs-sms",
                    "-m", "x", *extra])
    assert code == 3 and "has no rcs_chatbot_id" in capsys.readouterr().err
    assert not (home / "data" / "journal.db").exists() or _messages(home) == 0


def test_rcs_with_the_chatbot_id_passes_the_dry_run(home, capsys, monkeypatch):
    monkeypatch.setenv("SMSCLI_RCS_CHATBOT_ID", "15880000")
    code, out, err = run(capsys, "--type", "rcs-lms", "--title", "t", "-m", "안내", "--dry-run")
    assert code == 0 and "\tvalid\trcs-lms\t" in out, err


def test_biznetshot_refuses_kakao_and_rcs_naming_what_it_carries(home, capsys):
    code, line = refused(capsys, "-p", "net", *AT, "-m", "x")
    assert code == 2 and line == ("smscli: netshot does not carry Kakao (AlimTalk/FriendTalk) messages "
                                  "(--type alimtalk); it carries SMS/LMS/MMS (nothing was sent)")
    code, line = refused(capsys, "-p", "net", "--type", "rcs-sms", "-m", "x")
    assert code == 2 and "netshot does not carry RCS messages (--type rcs-sms)" in line


def test_rows_that_break_a_rule_are_invalid_the_others_valid(home, capsys, tmp_path):
    csv = tmp_path / "list.csv"
    bad_buttons = buttons(home, [{"name": "a", "type": "WL"}], "bad.json")
    good_buttons = buttons(home, [OK_BUTTON], "good.json")
    only_var = buttons(home, [dict(OK_BUTTON, url_mobile="{order}")], "var.json")
    csv.write_text("phone,order,buttons,note\n"
                   "01011112222,A-1,,짧음\n"
                   "0212345678,A-2,,유선\n"
                   f"01033334444,A-3,{bad_buttons},\n"
                   f"01055556666,,{only_var},주문 없음\n"
                   f"01077778888,A-5,{good_buttons},{'가' * 1000}\n", encoding="utf-8")
    code = program(["send", "--csv", str(csv), "--type", "friendtalk", "-m", "#{order} {note}",
                    "--buttons", good_buttons, "--dry-run", "--json"])
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 1, err
    assert [(r["to"], r["status"]) for r in rows] == [
        ("01011112222", "valid"), ("0212345678", "invalid"), ("01033334444", "invalid"),
        ("01055556666", "invalid"), ("01077778888", "invalid")]
    assert rows[1]["detail"] == "FriendTalk goes to mobile numbers only (010, 011, ..., or one abroad)"
    assert rows[2]["detail"] == "button 1 (WL) needs url_mobile"
    assert rows[3]["detail"] == "button 1 (WL) has an empty url_mobile once filled"
    assert rows[4]["detail"].startswith("Kakao text is 1004 characters; at most 1000")
    assert all(r["type"] == "friendtalk" for r in rows)


def test_dry_run_shows_type_characters_buttons_and_the_fallback(home, capsys):
    path = buttons(home, {"button": [OK_BUTTON, {"name": "문의", "type": "BK"}]})
    code, line = refused(capsys, *AT, "-m", "주문 접수", "--buttons", path, "--dry-run", "--json")
    assert code == 2 and "a button URL uses {order} but there is no --csv" in line
    path = buttons(home, {"button": [dict(OK_BUTTON, url_mobile="https://e.example"), {"name": "문의", "type": "BK"}]})
    code = program(["send", "--to", "01011112222", *AT, "-m", "주문이 접수되었습니다", "--buttons", path,
                    "--dry-run", "--json"])
    out, err = capsys.readouterr()
    (obj,) = [json.loads(line) for line in out.splitlines()]
    assert code == 0, err
    assert {k: obj[k] for k in ("status", "type", "characters", "buttons", "fallback", "detail")} == {
        "status": "valid", "type": "alimtalk", "characters": 11, "buttons": 2,
        "fallback": {"type": "sms", "bytes": 21}, "detail": "11 characters, 2 buttons, fallback sms 21 bytes"}
    long = "안내 " * 40
    code = program(["send", "--to", "01011112222", *AT, "-m", long.strip(), "--dry-run", "--json"])
    out, _ = capsys.readouterr()
    assert json.loads(out)["fallback"] == {"type": "lms", "bytes": 199}
    code = program(["send", "--to", "01011112222", *AT, "-m", "x", "--fallback", "none", "--dry-run"])
    out, _ = capsys.readouterr()
    assert code == 0 and "1 character, 0 buttons, no fallback" in out
    one = buttons(home, {"button": [dict(OK_BUTTON, url_mobile="https://e.example")]}, "one.json")
    code = program(["send", "--to", "01011112222", *AT, "-m", "xy", "--buttons", one, "--fallback", "none",
                    "--dry-run"])
    out, _ = capsys.readouterr()
    assert code == 0 and "2 characters, 1 button, no fallback" in out
    assert not (home / "data" / "journal.db").exists() or _messages(home) == 0


def _messages(home: Path) -> int:
    import sqlite3

    with sqlite3.connect(home / "data" / "journal.db") as db:
        return db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]


def test_a_fax_or_call_dry_run_counts_in_the_singular_and_the_plural():
    from smscli.dispatch_dry_run import _fax_voice_detail

    assert _fax_voice_detail({"attachments": ["a.pdf"], "pages": 1, "cover": False}) == "1 page, no cover, files: a.pdf"
    assert _fax_voice_detail({"attachments": ["a.pdf"], "pages": 3, "cover": True}).startswith("3 pages, with")
    assert _fax_voice_detail({"attachments": [], "characters": 1}) == "1 character (TTS), files: no files"


@pytest.mark.parametrize(("message", "said"), [
    ("#{missing} 님", "the message uses #{missing} but the CSV's columns are name"),
    ("#{ missing } 님", "the message uses #{ missing } but the CSV's columns are name"),
    ("{missing} 님", "the message uses {missing} but the CSV's columns are name"),
])
def test_a_missing_column_is_named_as_the_message_writes_it(home, capsys, message, said):
    csv = home / "list.csv"
    csv.write_text("phone,name\n01011112222,길동\n", encoding="utf-8")
    code = program(["send", *AT, "--csv", str(csv), "-m", message, "--dry-run"])
    err = capsys.readouterr().err
    assert code == 2 and said in err, err


def test_an_sms_names_a_missing_column_as_written_too(home, capsys):
    csv = home / "list.csv"
    csv.write_text("phone,name\n01011112222,길동\n", encoding="utf-8")
    code = program(["send", "--csv", str(csv), "-m", "#{missing}", "--dry-run"])
    err = capsys.readouterr().err
    assert code == 2 and "uses #{missing} but" in err, err
