"""The code tables against the vendor documents themselves (shared/spec/), row by row.

Skipped when the documents are not beside the repository. Each document table is parsed
from its text; every row must be in our data with the same code(s) and the same Korean,
except the OCR slips we fixed on purpose (listed here with what the document prints).
"""

from __future__ import annotations

import re

import pytest

from smscli import codes
from smscli.codes._schema import split_codes
from tests.conftest import ROOT

SPEC = next(
    (p for p in (ROOT.parent / "shared" / "spec", ROOT.parent.parent / "shared" / "spec")
     if (p / "002_a10d7c8fc1cb6f0e.txt").is_file()),
    None,
)
pytestmark = pytest.mark.skipif(SPEC is None, reason="vendor documents (shared/spec) not found")

# (vendor, table, code) -> the document's text where ours fixes an OCR slip.
OCR = {
    ("oneshot", "send", "9"): "응영",
    ("oneshot", "send", "27"): "달형 상태의 옐로아이디",
    ("oneshot", "send", "315"): "세척 미준수",
    ("oneshot", "send", "317"): "발신번호 번작으로 등록된 발신번호",
    ("oneshot", "send", "320"): "중복발송 예러",
    ("bizppurio", "mms", "6616"): "통신사의 메시지 규 초과",
    ("bizclient", "mms", "6616"): "통신사의 메시지 규 초과",
}

DAOU_LABELS = {
    "공통": "common",
    "알림톡/친구톡": "kakao",
    "SMS": "sms",
    "MMS": "mms",
    "FAX": "fax",
    "PHONE 일반전화": "phone_landline",
    "PHONE 휴대전화": "phone_mobile",
    "SMS_INBOUND": "sms_inbound",
}


def _read(name: str) -> str:
    assert SPEC is not None
    return (SPEC / name).read_text(encoding="utf-8")


def _between(text: str, start: str, end: str | None) -> str:
    """The text after the last ``start`` (past the table of contents) up to ``end``."""
    begin = text.rindex(start) + len(start)
    return text[begin:text.index(end, begin)] if end else text[begin:]


def _ours(vendor: str, table: str) -> list[tuple[tuple[str, ...], str]]:
    (found,) = [t for t in codes.tables(vendor) if t.name == table]
    rows = []
    for row in found.rows:
        code_tuple = split_codes(row.codes)
        rows.append((code_tuple, OCR.get((vendor, table, code_tuple[0]), row.meaning)))
    return rows


def _markdown_rows(section: str) -> list[list[str]]:
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and not set(cells[0]) <= set("-") and cells[0] not in ("코드", "코드명", ""):
            rows.append(cells)
    return rows


def test_oneshot_tables() -> None:
    doc = _read("003_b5fc66ca8ae6cde6.txt")
    login = _markdown_rows(_between(doc, "3.3.3.1 로그인 결과코드", "3.3.4 연결상태"))
    assert _ours("oneshot", "login") == [((code,), meaning) for meaning, code in login]
    send = _markdown_rows(_between(doc, "3.4 발송결과코드\n", None))
    assert _ours("oneshot", "send") == [((code,), meaning) for code, meaning in send]
    msg_type = re.search(r"\| MsgType \| 숫자 \| 메시지 타입 (.+?) \|", doc).group(1)
    documented = re.findall(r"(\d+)\s*\.?\s*(.*?)\s*(?:,\s*|\s+(?=\d+\.?\D)|$)", msg_type)
    assert _ours("oneshot", "msgtype") == [((c,), m) for c, m in documented]


def test_netshot_tables() -> None:
    doc = _read("000_991497d36dad3aac.txt")
    send = re.findall(r"^- (\d+) - (.+)$", _between(doc, "**4) 에러코드**", "### 3."), re.M)
    assert _ours("netshot", "send") == [((c,), m.strip()) for c, m in send]
    result = re.findall(r"^- \| (\d+) \| (.+)$", _between(doc, "## 2) resultCode", None), re.M)
    assert _ours("netshot", "result") == [((c,), m.strip()) for c, m in result]


def test_daou_result_tables() -> None:
    section = _between(_read("002_a10d7c8fc1cb6f0e.txt"), "\n7. 발송결과코드", "\n8. 개정이력")
    parsed: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    table = None
    for line in section.splitlines():
        cells = [c.strip() for c in line.split("\t") if c.strip()]
        at = next((i for i, c in enumerate(cells) if re.fullmatch(r"\d{4}(?:[ ,]+\d{4})*", c)), None)
        if at is None:
            continue
        if at == 1:
            table = DAOU_LABELS[cells[0]]
        assert table is not None and len(cells) > at + 1, line
        parsed.setdefault(table, []).append((split_codes(cells[at]), cells[at + 1]))
    assert set(parsed) == set(DAOU_LABELS.values())
    for vendor in ("bizppurio", "bizclient"):
        for name, rows in parsed.items():
            assert _ours(vendor, name) == rows, (vendor, name)


def test_bizclient_msg_type_and_status() -> None:
    doc = _read("002_a10d7c8fc1cb6f0e.txt")
    types = re.findall(r"([A-Z]+) (\d)", _between(doc, "데이터 타입 (", ")"))
    spelled_out = {"AT": "AT (알림톡)", "FT": "FT (친구톡)"}
    assert _ours("bizclient", "msg_type") == [((code,), spelled_out.get(name, name)) for name, code in types]
    states = _between(doc, "5.2 발송상태변화 (STATUS)", "5.3")
    state_codes = re.search(r"상태\t(.+)", states).group(1).split("\t")
    state_meanings = re.search(r"설명\t(.+)", states).group(1).split("\t")
    ours = _ours("bizclient", "status")
    assert ours[: len(state_codes)] == [((c,), m) for c, m in zip(state_codes, state_meanings, strict=True)]
    assert ours[len(state_codes):] == [(("3",), "에러")]  # §3.2: 에러 3
    assert "에러 3" in doc


def test_bizppurio_media_table() -> None:
    section = _between(_read("004_524e2390c27db49f.txt"), "분류 | 설명 |", "POLLING")
    rows = re.findall(r"^([A-Z]{3}) \| (.+?) \|$", section, re.M)
    assert _ours("bizppurio", "media") == [((c,), m) for c, m in rows]
