"""The sandbox carries every type with nothing configured (issue 10: "every type works")."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli


@pytest.mark.parametrize("args", [
    ["--type", "alimtalk", "--template", "T1", "-m", "홍길동님 주문이 접수되었습니다"],
    ["--type", "alimtalk-image", "--template", "T2", "-m", "이미지 알림톡", "--image-url", "https://e.x/a.jpg"],
    ["--type", "friendtalk", "--ad", "--night-consent", "--fallback", "none", "-m", "신상품 안내",
     "--image-url", "https://e.x/a.jpg", "--wide"],
    ["--type", "rcs-sms", "-m", "RCS 문자"],
    ["--type", "rcs-lms", "--title", "안내", "-m", "RCS 장문 안내입니다"],
    ["--type", "rcs-mms", "--title", "사진", "-m", "RCS 사진"],  # media is optional (a maapfile:// id)
    ["--type", "rcs-template", "--rcs-base", "BASE01", "-m", "RCS 템플릿"],
], ids=lambda a: a[1])
def test_every_kakao_and_rcs_type_is_delivered_on_the_sandbox(args) -> None:
    proc = run_cli("send", "--to", "01012345678", *args, "--wait", "5", "--json")
    assert proc.returncode == 0, proc.stderr.decode()
    (result,) = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert (result["status"], result["type"], result["vendor"]) == ("delivered", args[1], "sandbox")
    listed = run_cli("result", "list", "--json")
    (report,) = [json.loads(line) for line in listed.stdout.decode().splitlines()]
    assert report["channel"] == args[1]


def test_the_readme_tour_a_sandbox_miss_falls_back_to_sms_once(tmp_path) -> None:
    (tmp_path / "buttons.json").write_text(
        '[{"name": "배송 조회", "type": "WL", "url_mobile": "https://shop.example.com/track/#{order}"}]',
        encoding="utf-8")
    (tmp_path / "orders.csv").write_text("phone,name,order\n01012345678,길동,A-1001\n01099998888,철수,A-1002\n",
                                         encoding="utf-8")
    assert run_cli("config", "set", "kakao_misses", "01099998888", "-p", "sandbox").returncode == 0
    args = ["send", "--csv", str(tmp_path / "orders.csv"), "--type", "alimtalk", "--template", "ORDER01",
            "-m", "#{name}님, 주문 #{order}이 접수되었습니다.", "--buttons", str(tmp_path / "buttons.json"),
            "--id", "tour", "--wait", "10", "--json"]
    sent = run_cli(*args)
    assert sent.returncode == 0, sent.stderr.decode()
    assert "sent 1 fallback message(s)" in sent.stderr.decode()
    listed = {r["message_id"]: r for r in map(json.loads, run_cli("result", "list", "--json").stdout.decode().splitlines())}
    parent, child = listed["tour-01099998888"], listed["tour-01099998888~F"]
    assert (parent["channel"], parent["fallback"]) == ("sms", {"type": "sms", "status": "delivered"})
    assert (child["type"], child["status"]) == ("sms", "delivered")
    assert listed["tour-01012345678"]["channel"] == "alimtalk" and len(listed) == 3
    again = run_cli(*args)  # the same command again: every id is a duplicate, no second fallback
    assert {json.loads(x)["status"] for x in again.stdout.decode().splitlines()} == {"duplicate"}
    assert len(run_cli("result", "list", "--json").stdout.decode().splitlines()) == 3


def _journal_texts() -> dict[str, str]:
    import os
    import sqlite3
    from pathlib import Path

    with sqlite3.connect(Path(os.environ["SMSCLI_DATA_DIR"]) / "journal.db") as db:
        return dict(db.execute("SELECT id, text FROM messages"))


def test_the_sms_an_advertising_friendtalk_falls_back_to_is_labelled_as_an_advertisement() -> None:
    for key, value in (("kakao_misses", "01099998888"), ("ad_name", "스마트몰"), ("optout_number", "0801234567")):
        assert run_cli("config", "set", key, value, "-p", "sandbox").returncode == 0
    sent = run_cli("send", "--to", "01099998888", "--type", "friendtalk", "--ad", "--night-consent",
                   "-m", "신상품 안내", "--id", "ft-ad", "--wait", "10", "--json")
    assert sent.returncode == 0, sent.stderr.decode()
    texts = _journal_texts()
    assert texts["ft-ad"] == "신상품 안내"  # Kakao labels a FriendTalk with adflag Y itself
    assert texts["ft-ad~F"] == "(광고)스마트몰\n신상품 안내\n무료거부 0801234567"


@pytest.mark.parametrize(("args", "said"), [
    (["--type", "alimtalk", "--template", "T1", "--ad"], "AlimTalk carries no advertising"),
    (["--ad", "--ignore-optout"], "--ad with --ignore-optout"),
])
def test_advertising_that_the_law_forbids_is_refused(args, said) -> None:
    proc = run_cli("send", "--to", "01012345678", "-m", "x", "--night-consent", *args)
    assert proc.returncode == 2 and said in proc.stderr.decode(), proc.stderr.decode()
