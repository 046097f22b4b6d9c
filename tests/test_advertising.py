"""`send --ad` / `reserve --ad`: "(광고)" and the sender's name first, the free opt-out
number last, sized and typed as sent; refused between 21:00 and 08:00 Korea time without
`--night-consent` (the clock injected; the machine in UTC)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from smscli.advertising import ad_template, is_night
from smscli.clock import KST
from smscli.text import byte_length
from tests.conftest import run_cli

AD = {"SMSCLI_AD_NAME": "스마트샵", "SMSCLI_OPTOUT_NUMBER": "080-123-4567", "TZ": "UTC"}
TODAY = datetime(2026, 11, 23)


def _dry(*args: str, env: dict[str, str] | None = None):
    return run_cli("send", "--to", "01012345678", "--dry-run", "--json", *args, env={**AD, **(env or {})})


def test_the_text_as_sent_and_its_size(clock_at) -> None:
    clock_at(TODAY.replace(hour=12))
    done = _dry("-m", "봄 세일 20%", "--ad")
    assert done.returncode == 0, done.stderr
    sent = "(광고)스마트샵\n봄 세일 20%\n무료거부 080-123-4567"
    row = json.loads(done.stdout)
    assert row["bytes"] == byte_length(sent) and row["type"] == "sms"
    assert sent in done.stderr.decode()  # --dry-run shows it


def test_the_additions_can_turn_an_sms_into_an_lms(clock_at) -> None:
    clock_at(TODAY.replace(hour=12))
    body = "가" * 40  # 80 bytes: an SMS alone
    assert json.loads(_dry("-m", body).stdout)["type"] == "sms"
    row = json.loads(_dry("-m", body, "--ad").stdout)
    assert row["type"] == "lms" and row["bytes"] > 90
    too_long = _dry("-m", body, "--ad", "--type", "sms")
    assert too_long.returncode == 2 and b"at most 90 bytes" in too_long.stderr  # the text as sent


@pytest.mark.parametrize(("hour", "minute", "refused"), [(21, 0, True), (7, 59, True), (23, 30, True),
                                                           (8, 0, False), (20, 59, False)])
def test_night_time_is_refused_without_consent(clock_at, hour, minute, refused) -> None:
    clock_at(TODAY.replace(hour=hour, minute=minute))
    done = _dry("-m", "세일", "--ad")
    if refused:
        assert done.returncode == 2
        err = done.stderr.decode().strip()
        assert len(err.splitlines()) == 1 and f"{hour:02d}:{minute:02d} Korea time" in err
        assert "--night-consent" in err and done.stdout == b""
        assert _dry("-m", "세일", "--ad", "--night-consent").returncode == 0
    else:
        assert done.returncode == 0, done.stderr
    assert _dry("-m", "세일").returncode == 0  # not an advertisement: any time


def test_a_reservation_that_falls_at_night_is_refused(clock_at) -> None:
    clock_at(TODAY.replace(hour=12))
    night = (TODAY + timedelta(days=1)).replace(hour=22)
    args = ("reserve", "--to", "01012345678", "-m", "세일", "--ad", "--dry-run", "--json")
    done = run_cli(*args, "--at", f"{night:%Y-%m-%d %H:%M}", env=AD)
    assert done.returncode == 2 and "reserved for 22:00" in done.stderr.decode()
    assert run_cli(*args, "--at", f"{night:%Y-%m-%d %H:%M}", "--night-consent", env=AD).returncode == 0
    day = night.replace(hour=10)
    assert run_cli(*args, "--at", f"{day:%Y-%m-%d %H:%M}", env=AD).returncode == 0


@pytest.mark.parametrize("missing", ["SMSCLI_AD_NAME", "SMSCLI_OPTOUT_NUMBER"])
def test_a_missing_key_is_a_config_error_naming_it(clock_at, missing) -> None:
    clock_at(TODAY.replace(hour=12))
    env = {k: v for k, v in AD.items() if k != missing}
    done = run_cli("send", "--to", "01012345678", "-m", "세일", "--ad", "--dry-run", env=env)
    assert done.returncode == 3
    assert missing.removeprefix("SMSCLI_").lower() in done.stderr.decode()


def test_night_consent_needs_ad() -> None:
    done = _dry("-m", "hi", "--night-consent")
    assert done.returncode == 2 and "--ad" in done.stderr.decode()


def test_the_vendor_gets_the_advertisement(clock_at, smscli_oneshot_sim, monkeypatch) -> None:
    clock_at(TODAY.replace(hour=12))
    for key, value in AD.items():
        monkeypatch.setenv(key, value)
    with smscli_oneshot_sim.client() as sms:
        batch = sms.send_many([{"phone": "01012345678", "name": "김철수"}], template="{name}님 세일", ad=True)
        assert batch.counts == {"accepted": 1}
    text = smscli_oneshot_sim.wait_accepted(1)[0].text
    assert text == "(광고)스마트샵\n김철수님 세일\n무료거부 080-123-4567"


def test_template_rules() -> None:
    assert ad_template("hi", ad_name="{A}", optout_number="080") == "(광고){{A}}\nhi\n무료거부 080"
    already = "(광고)스마트샵\nhi\n무료거부 080-123-4567"
    assert ad_template(already, ad_name="스마트샵", optout_number="080-123-4567") == already
    assert is_night(datetime(2026, 1, 1, 12, 0, tzinfo=KST).replace(hour=21))
    assert not is_night(datetime(2026, 1, 1, 8, 0, tzinfo=KST))


def test_an_advertising_send_that_reaches_21_00_holds_the_rest_until_08_00(
        clock_at, smscli_oneshot_sim, monkeypatch) -> None:
    from smscli import clock

    clock_at(TODAY.replace(hour=20, minute=59, second=50))
    for key, value in AD.items():
        monkeypatch.setenv(key, value)
    numbers = [f"010{i:08d}" for i in range(300)]
    seen: list[str] = []

    def on_result(result) -> None:
        seen.append(result.status)
        if len(seen) == 40:  # 21:00 strikes in the middle of the send
            clock.set_offset(clock.offset_to(TODAY.replace(hour=21)))

    with smscli_oneshot_sim.client() as sms:
        batch = sms.send_many(numbers, template="봄 세일", ad=True, id="spring", on_result=on_result)
        held = batch.counts.get("scheduled", 0)
        assert batch.counts.get("accepted", 0) + held == 300 and held > 0, batch.counts
        assert any("held until 2026-11-24 08:00" in note for note in batch.notes), batch.notes
        clock.set_offset(clock.offset_to(TODAY.replace(hour=23)))
        assert sms.flush().counts == {}  # still night: nothing is due before 08:00
        clock.set_offset(clock.offset_to((TODAY + timedelta(days=1)).replace(hour=8, minute=1)))
        assert sms.flush().counts == {"accepted": held}
    accepted = smscli_oneshot_sim.wait_accepted(300)
    assert sorted(m.to for m in accepted) == numbers  # each exactly once


def test_reserve_flush_holds_an_advertisement_that_is_due_at_night(clock_at, smscli_oneshot_sim,
                                                                   monkeypatch) -> None:
    import os
    from pathlib import Path

    from smscli import clock
    from smscli.journal import Journal
    from smscli.models import Message

    clock_at(TODAY.replace(hour=22))
    for key, value in AD.items():
        monkeypatch.setenv(key, value)
    with smscli_oneshot_sim.client() as sms:
        due = TODAY.replace(hour=20, tzinfo=KST)  # due before the night; flushed only now
        with Journal.open(Path(os.environ["SMSCLI_DATA_DIR"])) as journal:
            journal.schedule([Message(id="ad1", to="01012345678", text="(광고)x\n무료거부 080", sender="15666639",
                                      send_at=due, ad=1),
                              Message(id="ok2", to="01012345678", text="공지", sender="15666639", send_at=due),
                              Message(id="ad3", to="01012345678", text="(광고)y", sender="15666639",
                                      send_at=due, ad=2)], "oneshot", sms.profile)
        batch = sms.flush()
        assert batch.counts == {"accepted": 2}, batch.counts  # the notice and the consented ad
        assert any("1 advertisement(s) held until 2026-11-24 08:00" in n for n in batch.notes), batch.notes
        clock.set_offset(clock.offset_to((TODAY + timedelta(days=1)).replace(hour=8)))
        assert sms.flush().counts == {"accepted": 1}


@pytest.mark.parametrize("vendor", ["bizppurio", "bizclient"])
def test_a_reservation_made_at_night_for_the_day_keeps_its_time(vendor, clock_at, request, monkeypatch) -> None:
    """Reserving on the vendor's server is not sending: made at 23:00 for noon two days on,
    an advertisement stays reserved for noon (it was moved to 08:00 the next morning)."""
    import os
    from pathlib import Path

    from smscli.journal import Journal

    sim = request.getfixturevalue(f"smscli_{vendor}_sim")
    clock_at(TODAY.replace(hour=23))
    for key, value in AD.items():
        monkeypatch.setenv(key, value)
    noon = (TODAY + timedelta(days=2)).replace(hour=12, tzinfo=KST)
    with sim.client() as sms:
        result = sms.reserve("01012345678", "주말 세일", at=noon, ad=True, id="weekend")
    assert result.status == "scheduled" and "21:00" not in result.detail, result
    with Journal.open(Path(os.environ["SMSCLI_DATA_DIR"])) as journal:
        row = journal.get("weekend")
    assert row is not None and datetime.fromisoformat(row["send_at"]) == noon, row
