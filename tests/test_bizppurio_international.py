"""International messages (issue 14, item 4) over real sockets: `smscli send` (subprocess)
and the Client against `sim bizppurio`, which checks ``country``, the national number and
the international length table as Daou's public document has them; every other vendor
refuses a number outside Korea (the row is ``invalid``)."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from smscli import codes
from smscli.content import Button, Kakao, Text
from smscli.images import make_jpeg
from smscli.sim.bizppurio import BizppurioSim, SimConfig
from smscli.sim.kakao import KakaoRules, Template
from tests.conftest import run_cli

pytestmark = pytest.mark.timeout(180)

ENV = {"BIZ_PASSWORD": "test"}
US = "+1 415 555 0100"
REFUSED = "a number outside Korea: only bizppurio sends abroad"
# Boundary texts: (text, the type auto picks, or None: too long for any type abroad)
BOUNDARIES = [
    ("a" * 150, "sms"), ("a" * 151, "lms"), ("가" * 50, "sms"), ("가" * 51, "lms"),
    ("a" * 149 + "가", "lms"),  # one Korean character: the Korean limit (50) counts the lot
    ("a" * 450, "lms"), ("a" * 451, None), ("가" * 150, "lms"), ("가" * 151, None),
]


def write_profile(home: Path, base_url: str, **extra: str) -> None:
    lines = ['default_profile = "biz"', "[profiles.biz]", 'vendor = "bizppurio"', f'base_url = "{base_url}"',
             'account = "test"', 'sender = "0212341234"', 'password_env = "BIZ_PASSWORD"',
             'kakao_sender_key = "KEY1"', "backoff = 0.01", "poll_interval = 0.1",
             *(f"{k} = {json.dumps(v)}" for k, v in extra.items())]
    (home / "config.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.chmod(home / "config.toml", 0o600)


def lines(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode().splitlines()]


def recorded(path: Path) -> dict[str, dict]:
    return {x["refkey"]: x for x in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


def test_csv_mixing_abroad_and_korea_sends_country_and_national_number_by_the_length_table(isolated_env):
    csv = isolated_env / "list.csv"
    rows = [f"intl-{n},{US},{body}" for n, (body, _) in enumerate(BOUNDARIES)]
    rows += ["home,010-1234-5678,안녕하세요", "plus82,+82 10 2222 3333," + "a" * 100,
             "uk,+44 20-7946-0958,hello London", "nowhere,+999 123 4567,hi"]
    csv.write_text("id,phone,text\n" + "\n".join(rows) + "\n", encoding="utf-8")
    record = isolated_env / "accepted.jsonl"
    with BizppurioSim(SimConfig(report_delay=0.1, record=record)) as sim:
        write_profile(isolated_env, sim.base_url)
        dry = run_cli("send", "--csv", str(csv), "-m", "{text}", "--dry-run", "--json", env=ENV)
        assert dry.returncode == 1, dry.stderr  # the rows too long abroad are invalid
        shown = {r["message_id"]: r for r in lines(dry.stdout)}
        assert (shown["intl-0"]["country"], shown["intl-0"]["national"]) == ("1", "4155550100")
        assert (shown["intl-0"]["characters"], shown["intl-0"]["limit"], shown["intl-0"]["script"]) == (
            150, 150, "Latin")
        assert shown["intl-3"]["detail"] == "abroad (+1): 51 of 150 Korean characters"
        assert "country" not in shown["home"] and shown["plus82"]["to"] == "01022223333"
        sent = run_cli("send", "--csv", str(csv), "-m", "{text}", "--wait", "10", "--json", env=ENV)
        assert sent.returncode == 1, sent.stderr
        out = {r["message_id"]: r for r in lines(sent.stdout)}
        accepted = recorded(record)
    for n, (body, kind) in enumerate(BOUNDARIES):
        result = out[f"intl-{n}"]
        assert result["to"] == "+14155550100"
        if kind is None:
            assert result["status"] == "invalid" and "characters; an LMS abroad carries at most" in result["detail"]
            assert f"intl-{n}" not in accepted
            continue
        assert (result["type"], result["status"]) == (kind, "delivered"), result
        line = accepted[f"intl-{n}"]
        assert (line["country"], line["to"], line["type"], line["text"]) == ("1", "4155550100", kind, body)
    assert (accepted["uk"]["country"], accepted["uk"]["to"]) == ("44", "2079460958")
    for key, to, kind in (("home", "01012345678", "sms"), ("plus82", "01022223333", "lms")):  # +82: at home
        assert "country" not in accepted[key] and (accepted[key]["to"], accepted[key]["type"]) == (to, kind)
        assert out[key]["status"] == "delivered"
    assert out["nowhere"]["status"] == "invalid" and "unknown country code" in out["nowhere"]["detail"]
    with sqlite3.connect(isolated_env / "data" / "journal.db") as db:
        media = dict(db.execute("SELECT message_id, json_extract(raw, '$.media') FROM reports"))
    assert (media["intl-0"], media["intl-1"], media["home"]) == ("ISM", "ILM", "SMS")


def test_an_international_alimtalk_falls_back_to_an_sms_counted_by_the_international_table(isolated_env):
    rules = KakaoRules([Template("HELLO1", "#{text}")], sender_key="KEY1", misses=["4155550199"])
    record = isolated_env / "accepted.jsonl"
    with BizppurioSim(SimConfig(report_delay=0.1, kakao=rules, record=record)) as sim:
        write_profile(isolated_env, sim.base_url)
        fallback = "x" * 120  # 120 Latin characters: an SMS abroad (an LMS at home)
        args = ("send", "--to", f"{US},+1 415 555 0199", "--type", "alimtalk", "--template", "HELLO1",
                "-m", "Your order has shipped.", "--fallback-message", fallback, "--wait", "10", "--json")
        dry = run_cli(*args[:-3], "--dry-run", "--json", env=ENV)
        assert dry.returncode == 0, dry.stderr
        assert lines(dry.stdout)[1]["fallback"] == {"type": "sms", "characters": 120, "limit": 150}
        sent = run_cli(*args, env=ENV)
        assert sent.returncode == 0, sent.stderr
        out = lines(sent.stdout)
        assert [(r["type"], r["status"], r["code"]) for r in out] == [
            ("alimtalk", "delivered", "7000"), ("alimtalk", "delivered", "4100")]
        rcs = run_cli("send", "--to", US, "--type", "rcs-sms", "-m", "hi", "--json",
                      env={**ENV, "SMSCLI_RCS_CHATBOT_ID": "15880000"})  # RCS on Bizppurio needs one
        assert rcs.returncode == 1
        assert "rcs-sms cannot be sent to a number outside Korea" in lines(rcs.stdout)[0]["detail"]
    lines_ = sorted(recorded(record).values(), key=lambda x: x["to"])
    assert [(x["country"], x["to"], x["type"], x["result"], x["fallback"]) for x in lines_] == [
        ("1", "4155550100", "at", "7000", ""), ("1", "4155550199", "at", "7318", "sms")]


def test_the_simulator_refuses_a_bad_country_and_too_long_a_text_with_2000(isolated_env):
    with BizppurioSim(SimConfig()) as sim, httpx.Client(base_url=sim.base_url) as http:
        token = http.post("/v1/token", auth=("test", "test")).json()["accesstoken"]

        def send(**body):
            base = {"account": "test", "refkey": "r1", "type": "sms", "from": "0212341234",
                    "to": "4155550100", "country": "1", "content": {"sms": {"message": "hi"}}}
            answer = http.post("/v3/message", json={**base, **body},
                               headers={"Authorization": f"Bearer {token}"})
            return answer.status_code, answer.json()

        assert send()[1]["code"] == 1000
        assert send(content={"sms": {"message": "a" * 150}})[1]["code"] == 1000
        for body, says in [
            ({"country": "999"}, "country 999 is not a country code"),
            ({"country": "82"}, "country 82 is Korea"),
            ({"country": "+1"}, "country must be a country code"),
            ({"content": {"sms": {"message": "a" * 151}}}, "151 characters; an international sms allows 150"),
            ({"content": {"sms": {"message": "가" * 51}}}, "allows 50 Korean"),
            ({"type": "lms", "content": {"lms": {"message": "가" * 151}}}, "allows 150 Korean"),
            ({"type": "mms", "content": {"mms": {"message": "x", "file": []}}}, "type mms is not sent abroad"),
        ]:
            status, data = send(**body)
            assert (status, data["code"]) == (400, 2000) and says in data["description"], data
    assert codes.lookup("2000", "bizppurio")  # the code every refusal above answers


@pytest.mark.parametrize("vendor", ["sandbox", "oneshot", "netshot", "bizclient"])
def test_other_vendors_refuse_a_number_outside_korea(vendor, tmp_path, monkeypatch):
    from smscli import testing

    monkeypatch.delenv("SMSCLI_PROFILE", raising=False)
    if vendor == "sandbox":
        from smscli import Client

        client = Client("sandbox", data_dir=tmp_path / "data")
        handle = None
    else:
        handle = testing.SIMS[vendor](tmp_path).start()
        client = handle.client()
    try:
        with client:
            result = client.send(US, "hello", id="abroad-1")
            assert (result.status, result.to) == ("invalid", US)
            assert result.detail == f"invalid number '{US}': {REFUSED}"
            home = client.send("01012345678", "hello", id="home-1")
            assert home.status in ("accepted", "delivered"), home
    finally:
        if handle is not None:
            handle.stop()


def test_the_cli_refuses_a_foreign_number_on_the_sandbox_and_the_client_sends_abroad(isolated_env, monkeypatch):
    sandbox = run_cli("send", "-p", "sandbox", "--to", f"{US},01012345678", "-m", "hi", "--json")
    assert sandbox.returncode == 1
    assert [(r["status"], r["detail"].endswith(REFUSED)) for r in lines(sandbox.stdout)] == [
        ("invalid", True), ("accepted", False)]
    monkeypatch.setenv("BIZ_PASSWORD", "test")
    record = isolated_env / "accepted.jsonl"
    with BizppurioSim(SimConfig(report_delay=0.1, record=record)) as sim:
        write_profile(isolated_env, sim.base_url)
        from smscli import Client

        with Client("biz") as client:
            result = client.send("+14155550100", "Hello", wait=10)
            assert (result.to, result.type, result.status, result.code) == ("+14155550100", "sms", "delivered", "4100")
            kakao = client.send("+44 7911 123456", Kakao(body="Hi", type="friendtalk",
                                                          buttons=(Button("Open", "WL", url_mobile="https://x.example"),),
                                                          fallback=Text(body="Hi", type="lms")))
            assert kakao.status == "accepted", kakao
            image = isolated_env / "x.jpg"
            image.write_bytes(make_jpeg())
            mms = client.send("+14155550100", Text(body="pic", type="mms", images=(str(image),)))
            assert mms.status == "invalid" and "MMS cannot be sent to a number outside Korea" in mms.detail
    accepted = list(recorded(record).values())
    assert [(x["country"], x["to"], x["type"]) for x in accepted] == [("1", "4155550100", "sms"),
                                                                     ("44", "7911123456", "ft")]


def test_a_reservation_abroad_is_kept_by_bizppurio_with_its_country(isolated_env):
    from smscli import clock

    record = isolated_env / "accepted.jsonl"
    with BizppurioSim(SimConfig(record=record)) as sim:
        write_profile(isolated_env, sim.base_url)
        at = time.strftime("%Y-%m-%d %H:%M", time.gmtime(clock.time() + 9 * 3600 + 86400))
        reserved = run_cli("reserve", "--at", at, "--to", "+81 90-1234-5678", "-m", "こんにちは", "--allow-unicode",
                           "--json", env=ENV)
        assert reserved.returncode == 0, reserved.stderr
        (result,) = lines(reserved.stdout)
        assert (result["to"], result["status"], result["type"]) == ("+819012345678", "scheduled", "sms")
    (line,) = recorded(record).values()
    assert (line["country"], line["to"], line["type"]) == ("81", "9012345678", "sms") and line["sendtime"]


def test_a_fallback_sms_too_long_abroad_suggests_another_fallback():
    from smscli.abroad import AbroadLimits, channel_abroad
    from smscli.text import InvalidInput

    kakao = Kakao(body="Hi", type="friendtalk", fallback=Text(body="x" * 151, type="sms"))
    with pytest.raises(InvalidInput, match=r"at most 150 Latin characters \(use --fallback lms, or --fallback auto"):
        channel_abroad(AbroadLimits(), kakao, kakao)
