"""``smscli code lookup|search|list``: output, filters, errors and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from smscli.cli.app import program
from tests.conftest import ROOT, run_cli

FIELDS = ["vendor", "table", "code", "meaning", "meaning_en", "category", "retryable"]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = program(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def _json_lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def test_lookup_json_one_object_per_vendor_match(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(capsys, "code", "lookup", "4100", "--json")
    assert (rc, err) == (0, "")
    objs = _json_lines(out)
    assert [list(o) for o in objs] == [FIELDS, FIELDS]
    assert [(o["vendor"], o["table"], o["meaning"], o["retryable"]) for o in objs] == [
        ("bizppurio", "sms", "전달", False),
        ("bizclient", "sms", "전달", False),
    ]


def test_lookup_vendor_filter(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(capsys, "code", "lookup", "4401", "--vendor", "bizppurio", "--json")
    assert rc == 0
    assert _json_lines(out) == [{
        "vendor": "bizppurio", "table": "sms", "code": "4401", "meaning": "단말기 전원 꺼짐",
        "meaning_en": "handset powered off", "category": "temporary", "retryable": True,
    }]
    rc, out, _ = _run(capsys, "code", "lookup", "320", "--vendor", "sandbox", "--json")
    assert [(o["vendor"], o["meaning"]) for o in _json_lines(out)] == [("oneshot", "중복발송 에러")]


def test_lookup_human_output_is_one_line_per_match_when_piped(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(capsys, "code", "lookup", "0", "--vendor", "oneshot")
    assert rc == 0
    assert out.splitlines() == [
        "oneshot\tsend\t0\t성공\tsuccess (accepted in MsgSendRes, delivered in ReportReq)\tdelivered\tno",
        "oneshot\tlogin\t0\t성공\tsuccess\taccepted\tno",
    ]


def test_unknown_code_exits_1_naming_the_nearest_codes(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(capsys, "code", "lookup", "4199", "--vendor", "bizppurio")
    assert (rc, out) == (1, "")
    assert err == ("smscli: unknown code '4199' for bizppurio "
                   "(nearest known codes: 4100, 4400, 4401, 4402, 4403)\n")
    rc, _, err = _run(capsys, "code", "lookup", "KAX")
    assert rc == 1
    assert err.startswith("smscli: unknown code 'KAX' (nearest known codes: KAT")


def test_unknown_vendor_exits_2_listing_the_vendors(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["code", "lookup", "4100", "--vendor", "kt"], ["code", "search", "스팸", "--vendor", "kt"],
                 ["code", "list", "--vendor", "kt"]):
        rc, out, err = _run(capsys, *argv)
        assert (rc, out) == (2, "")
        assert err == ("smscli: unknown vendor 'kt' (choose from: oneshot, bizppurio, netshot, bizclient "
                       "(sandbox uses oneshot's codes))\n")


def test_blank_code_or_text_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = _run(capsys, "code", "lookup", " ")
    assert (rc, err) == (2, "smscli: give a code to look up (e.g. smscli code lookup 4100)\n")
    rc, _, err = _run(capsys, "code", "search", "")
    assert (rc, err) == (2, "smscli: give some text to search for (e.g. smscli code search 음영)\n")


def test_search_korean(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(capsys, "code", "search", "음영지역", "--vendor", "netshot", "--json")
    assert rc == 0
    assert [(o["code"], o["meaning"]) for o in _json_lines(out)] == [("103", "음영지역")]


def test_search_english_any_case(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(capsys, "code", "search", "Powered OFF", "--json")
    assert rc == 0
    found = {(o["vendor"], o["code"]) for o in _json_lines(out)}
    assert {("oneshot", "8"), ("netshot", "104"), ("bizppurio", "4401"), ("bizclient", "6604")} <= found


def test_search_without_match_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(capsys, "code", "search", "zzqx")
    assert (rc, out) == (1, "")
    assert err == ("smscli: no code meaning contains 'zzqx' (try a shorter word, in Korean or English, "
                   "or 'smscli code list')\n")


def test_list_all_and_per_vendor(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(capsys, "code", "list", "--json")
    objs = _json_lines(out)
    assert rc == 0 and len(objs) == 656  # 550 + the 106 Bizppurio RCS codes
    assert all(list(o) == FIELDS for o in objs)
    rc, out, _ = _run(capsys, "code", "list", "--vendor", "netshot")
    assert rc == 0 and len(out.splitlines()) == 48  # 31 resultCode + 17 sendCode
    assert out.splitlines()[0] == "netshot\tresult\t1\t전송완료\tdelivered\tdelivered\tno"


@pytest.mark.parametrize(
    ("command", "summary"),
    [
        ("lookup", "Show what a result or error code means."),
        ("search", "Find codes by meaning, in Korean or English."),
        ("list", "List every known code."),
    ],
)
def test_help_has_a_summary_and_examples(capsys: pytest.CaptureFixture[str], command: str,
                                         summary: str) -> None:
    rc, out, _ = _run(capsys, "code", command, "--help")
    assert rc == 0
    assert summary in out
    assert "Examples:" in out and f"smscli code {command}" in out


def test_code_group_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(capsys, "code", "--help")
    assert rc == 0
    for line in ("lookup  Show what a result or error code means.",
                 "search  Find codes by meaning, in Korean or English.",
                 "list    List every known code."):
        assert line in out


def test_lookup_start_up_imports_neither_rich_nor_httpx() -> None:
    code = (
        "import sys\n"
        "from smscli.cli.app import program\n"
        "rc = program(['code', 'lookup', '4100'])\n"
        "heavy = sorted(m for m in ('rich', 'httpx', 'cryptography', 'sqlalchemy', 'asyncio') if m in sys.modules)\n"
        "print('rc', rc, 'heavy', heavy, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)
    assert proc.stderr.strip() == "rc 0 heavy []"
    assert proc.stdout.splitlines() == ["bizppurio\tsms\t4100\t전달\tdelivered\tdelivered\tno",
                                        "bizclient\tsms\t4100\t전달\tdelivered\tdelivered\tno"]


def test_subprocess_json_is_utf8_json_lines() -> None:
    proc = run_cli("code", "lookup", "6626", "--json")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode("utf-8").splitlines()
    assert [json.loads(line)["meaning"] for line in lines] == ["080 수신거부(SPAM)", "080 수신거부(SPAM)"]
    assert proc.stderr == b""
