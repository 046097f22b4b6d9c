"""`smscli optout` over the journal's suppression list: add/remove/list/import/export, a
send skipping an imported number, and the vendors filling it (OneShot SpamReq, a Daou
result code that means the recipient refused), each entry with its source."""

from __future__ import annotations

import io
import json
import sys

import pytest

from smscli.cli.app import program
from smscli.client import Client
from smscli.optout import refusal_codes


def _cli(capsys, *args: str, stdin: bytes | None = None, monkeypatch=None) -> tuple[int, str, str]:
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = program(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _listed(capsys) -> dict[str, dict]:
    code, out, _ = _cli(capsys, "optout", "list", "--json")
    assert code == 0
    return {row["phone"]: row for row in map(json.loads, out.splitlines())}


def test_add_remove_and_list(capsys) -> None:
    code, out, err = _cli(capsys, "optout", "add", "010-1234-5678", "+82 10 2222 3333")
    assert code == 0 and out.splitlines() == ["01012345678\tadded", "01022223333\tadded"]
    assert "added 2; 0 already listed" in err
    code, out, _ = _cli(capsys, "optout", "add", "01012345678", "--json")
    assert json.loads(out) == {"phone": "01012345678", "status": "already listed"}
    listed = _listed(capsys)
    assert set(listed) == {"01012345678", "01022223333"}
    assert listed["01012345678"]["source"] == "manual" and listed["01012345678"]["at"]
    code, out, _ = _cli(capsys, "optout", "list")
    assert out.splitlines()[0].split("\t")[:3] == ["01012345678", "", "manual"]
    code, out, _ = _cli(capsys, "optout", "remove", "01012345678", "01099999999")
    assert code == 0 and out.splitlines() == ["01012345678\tremoved", "01099999999\tnot listed"]
    assert set(_listed(capsys)) == {"01022223333"}


def test_a_bad_number_changes_nothing(capsys) -> None:
    code, out, err = _cli(capsys, "optout", "add", "01012345678", "0101234")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "'0101234'" in err
    assert _listed(capsys) == {}


def test_import_lines_csv_and_stdin_then_export(tmp_path, capsys, monkeypatch) -> None:
    lines = tmp_path / "refused.txt"
    lines.write_text("# from the call centre\n010-1111-2222\n\n01033334444\n", encoding="utf-8")
    code, _, err = _cli(capsys, "optout", "import", str(lines))
    assert code == 0 and "2 added, 0 already listed" in err
    table = tmp_path / "refused.csv"
    table.write_bytes("이름,수신번호\n홍길동,010-5555-6666\n김철수,01011112222\n".encode("cp949"))
    code, _, err = _cli(capsys, "optout", "import", str(table))
    assert code == 0 and "1 added, 1 already listed" in err
    code, _, err = _cli(capsys, "optout", "import", "-", stdin=b"phone\n01077778888\n", monkeypatch=monkeypatch)
    assert code == 0 and "1 added" in err
    code, out, _ = _cli(capsys, "optout", "export")
    rows = out.splitlines()
    assert rows[0] == "phone,deny_no,source,at"
    sources = {r.split(",")[0]: r.split(",")[2] for r in rows[1:]}
    assert sources == {"01011112222": f"import {lines}", "01033334444": f"import {lines}",
                       "01055556666": f"import {table}", "01077778888": "import stdin"}
    code, out, _ = _cli(capsys, "optout", "export", "--json")
    assert len(out.splitlines()) == 4 and json.loads(out.splitlines()[0])["phone"]


def test_export_then_import_elsewhere_keeps_each_080_number(tmp_path, capsys, monkeypatch) -> None:
    """What ``export`` writes, ``import`` reads back whole: each number with the 080 number it
    opted out through (a CSV ``deny_no`` column)."""
    exported = "phone,deny_no,source,at\n01011112222,0801234567,oneshot,2026-11-01T10:00:00+09:00\n" \
               "01033334444,,manual,2026-11-02T10:00:00+09:00\n01055556666,0807654321,x,\n"
    (tmp_path / "optouts.csv").write_text(exported, encoding="utf-8")
    code, _, err = _cli(capsys, "optout", "import", str(tmp_path / "optouts.csv"))
    assert code == 0 and "3 added" in err
    listed = _listed(capsys)
    assert {p: r["deny_no"] for p, r in listed.items()} == {
        "01011112222": "0801234567", "01033334444": "", "01055556666": "0807654321"}
    assert {r["source"] for r in listed.values()} == {f"import {tmp_path / 'optouts.csv'}"}


def test_import_stops_at_a_bad_line(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("01011112222\nnot a number\n", encoding="utf-8")
    code, _, err = _cli(capsys, "optout", "import", str(bad))
    assert code == 2 and "line 2" in err
    assert _listed(capsys) == {}
    code, _, err = _cli(capsys, "optout", "import", str(tmp_path / "missing.txt"))
    assert code == 2 and "cannot read" in err


def test_a_send_skips_an_imported_number(tmp_path, capsys, smscli_oneshot_sim) -> None:
    refused = tmp_path / "refused.txt"
    refused.write_text("01011112222\n", encoding="utf-8")
    assert _cli(capsys, "optout", "import", str(refused))[0] == 0
    code, out, _ = _cli(capsys, "send", "--to", "01011112222,01033334444", "-m", "hi", "--json")
    rows = {r["to"]: r for r in map(json.loads, out.splitlines())}
    assert code == 1
    assert rows["01011112222"]["status"] == "invalid" and "opted out (080)" in rows["01011112222"]["detail"]
    assert rows["01033334444"]["status"] == "accepted"
    assert [a.to for a in smscli_oneshot_sim.wait_accepted(1)] == ["01033334444"]
    code, out, _ = _cli(capsys, "send", "--to", "01011112222", "-m", "hi", "--json", "--ignore-optout")
    assert code == 0 and json.loads(out)["status"] == "accepted"


@pytest.mark.smscli_sim(spam=(("01055556666", "0801234567"),))
def test_oneshot_spamreq_shows_its_080_number(capsys, smscli_oneshot_sim) -> None:
    with smscli_oneshot_sim.client() as sms:
        sms.send("01012345678", "hi")
        sms.poll(timeout=1)
    listed = _listed(capsys)["01055556666"]
    assert listed["deny_no"] == "0801234567" and listed["source"] == "oneshot"


def test_a_daou_refusal_code_opts_the_number_out(capsys, smscli_bizppurio_sim) -> None:
    assert refusal_codes("bizppurio") == {"4431", "6626", "6627"} == refusal_codes("bizclient")
    with smscli_bizppurio_sim.client() as sms:
        assert sms.send("01012345678", "hi", id="r-1").status == "accepted"
        assert sms.send("01022223333", "hi", id="r-2").status == "accepted"
        smscli_bizppurio_sim.deliver("r-1", code=4431)
        smscli_bizppurio_sim.deliver("r-2", code=4100)  # another failure: not an opt-out
        sms.poll(timeout=2)
        assert sms.result("r-1").status == "failed"
        assert [o.phone for o in sms.optouts()] == ["01012345678"]
        assert next(sms.optouts()).source == "bizppurio result 4431"
        assert sms.is_opted_out("010-1234-5678")
        again = sms.send("01012345678", "hi", id="r-3")
        assert again.status == "invalid" and "opted out" in again.detail


def test_library_methods() -> None:
    with Client() as sms:
        assert sms.add_optouts(["010-1234-5678", "01012345678"]) == ["01012345678"]
        assert sms.add_optouts(["01012345678"], source="crm") == []
        assert [(o.phone, o.source) for o in sms.optouts()] == [("01012345678", "manual")]
        assert sms.remove_optouts(["01012345678", "01000000000"]) == ["01012345678"]
        assert list(sms.optouts()) == [] and not sms.is_opted_out("01012345678")


def test_nothing_to_list_prints_nothing(capsys) -> None:
    code, out, _ = _cli(capsys, "optout", "list")
    assert code == 0 and out == ""


def test_async_methods() -> None:
    import asyncio

    from smscli.aio import AsyncClient

    async def main() -> tuple[list[str], bool, list[str]]:
        async with AsyncClient() as sms:
            added = await sms.add_optouts(["01012345678"])
            listed = await sms.is_opted_out("010-1234-5678")
            phones = [o.phone for o in await sms.optouts()]
            assert await sms.remove_optouts(["01012345678"]) == ["01012345678"]
            return added, listed, phones

    assert asyncio.run(main()) == (["01012345678"], True, ["01012345678"])


def test_a_refusal_report_without_a_number_takes_the_journaled_one(tmp_path) -> None:
    from smscli.journal import Journal
    from smscli.models import Message, Report, SendResult

    journal = Journal.open(tmp_path)
    try:
        msgs = [Message(id=f"m{i}", to=f"0101111000{i}", text="hi", sender="0212341234") for i in range(3)]
        journal.claim(msgs, "bizclient", "agent")
        journal.record([SendResult(to=m.to, status="accepted", message_id=m.id, vendor="bizclient", type="sms")
                        for m in msgs])
        journal.add_suppression("01011110002", "0801112222", "oneshot")
        stored = journal.add_reports([
            Report(message_id="m0", to="", status="failed", code="6626", detail="080", vendor="bizclient"),
            Report(message_id="m1", to="01011110001", status="failed", code="4410", detail="wrong", vendor="bizclient"),
            Report(message_id="m2", to="01011110002", status="failed", code="4431", detail="x", vendor="bizclient"),
        ])
        assert len(stored) == 3
        listed = {row["phone"]: row for row in journal.iter_suppression()}
        assert set(listed) == {"01011110000", "01011110002"}
        assert listed["01011110000"]["source"] == "bizclient result 6626"
        assert listed["01011110002"]["source"] == "oneshot"  # the first source stays
        assert listed["01011110002"]["deny_no"] == "0801112222"
    finally:
        journal.close()


def test_rows_not_sent_are_filed_under_their_profile_and_tag() -> None:
    """An opted-out number and a bad one still count in their campaign (result list/stats --tag)."""
    from tests.conftest import run_cli

    assert run_cli("optout", "add", "01099998888").returncode == 0
    sent = run_cli("send", "--to", "01012345678,01099998888,0101", "-m", "안내", "--tag", "dec", "--json")
    assert sent.returncode == 1, sent.stderr
    listed = [json.loads(x) for x in run_cli("result", "list", "--tag", "dec", "--json").stdout.splitlines()]
    assert sorted((r["to"], r["status"], r["profile"]) for r in listed) == [
        ("0101", "invalid", "sandbox"), ("01012345678", "accepted", "sandbox"),
        ("01099998888", "invalid", "sandbox")]
    stats = [json.loads(x) for x in run_cli("result", "stats", "--tag", "dec", "--json").stdout.splitlines()]
    assert {s["status"]: s["count"] for s in stats} == {"accepted": 1, "invalid": 2}


def test_a_bad_row_counts_under_its_own_csv_tag(tmp_path) -> None:
    """A row that cannot be sent is filed under its CSV ``tag`` column, not under ``--tag``."""
    from tests.conftest import run_cli

    rows = tmp_path / "rows.csv"
    rows.write_text("phone,tag\n01012345678,spring\n0101,spring\n01033334444,\n", encoding="utf-8")
    sent = run_cli("send", "--csv", str(rows), "-m", "안내", "--tag", "fallback-tag", "--json")
    assert sent.returncode == 1, sent.stderr
    listed = [json.loads(x) for x in run_cli("result", "list", "--all-profiles", "--json").stdout.splitlines()]
    assert sorted((r["to"], r["status"], r["tag"]) for r in listed) == [
        ("0101", "invalid", "spring"), ("01012345678", "accepted", "spring"),
        ("01033334444", "accepted", "fallback-tag")]
