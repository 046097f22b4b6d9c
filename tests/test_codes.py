"""The code tables: complete, well-formed, and looked up the way vendors and users need."""

from __future__ import annotations

import subprocess
import sys

import pytest

from smscli import codes
from smscli.codes._schema import CATEGORIES, split_codes
from smscli.errors import ExitStatus, UsageError
from tests.conftest import ROOT

# (vendor, table) -> (rows as the document prints them, codes once multi-code rows are split).
# Counted by hand from the vendor documents in shared/spec/.
EXPECTED = {
    # 003 (OneShot) §3.4 발송결과코드: 0-33, 35-39, 315-318, 320, 800, 900-911, 997-999
    ("oneshot", "send"): (60, 60),
    # 003 (OneShot) §3.3.3.1 로그인 결과코드: 0-7, 901-906, 908-911, 913, 999
    ("oneshot", "login"): (20, 20),
    # 003 (OneShot) §3.3.6 MsgType field: 4, 6, 7, 71, 8, 9-12
    ("oneshot", "msgtype"): (9, 9),
    # 000 (BizNetShot) §2.4 에러코드 (sendCode): 201-204, 300-307, 313, 314, 401-403
    ("netshot", "send"): (17, 17),
    # 000 (BizNetShot) §3.2 resultCode: 1, 101-123, 901-907
    ("netshot", "result"): (31, 31),
    # spec/README.md 1000, 2000, 3001-3014, 5002-5005, plus Daou API v2.7 §8: 3000, 5000, 5001, 9000
    ("bizppurio", "api"): (24, 24),
    # 004 (Bizppurio push) MEDIA 유형: SMS ... RTS
    ("bizppurio", "media"): (19, 19),
    # bizppurio-v3-public-README.md §9 RCS: 8200-8209, 8800-8894 (105 rows), plus 8000
    # (delivered: not in the document, smscli's assumption, said in its row's note)
    ("bizppurio", "rcs"): (106, 106),
    # 002 (BIZCLIENT) §3.2 MSG_TYPE: SMS 0/FAX 2/PHONE 3/MMS 5/AT 6/FT 7
    ("bizclient", "msg_type"): (6, 6),
    # 002 (BIZCLIENT) §5.2 STATUS 0, 7, 1, 2, 11, plus 3 (에러) from §3.2
    ("bizclient", "status"): (6, 6),
}
# 002 (BIZCLIENT) §7 발송결과코드, Bizppurio's and BIZCLIENT's alike.
DAOU_RESULTS = {
    "common": (32, 32),  # 공통: 9903 ... 9090; 9023 is printed twice with two meanings
    "kakao": (23, 23),  # 알림톡/친구톡: 7000 ... 7421
    "sms": (28, 28),  # SMS: 4100 ... 4436
    "mms": (35, 35),  # MMS: 6600-6633, 6670
    "fax": (17, 19),  # FAX: rows "3213 3214" and "3218 3250" hold two codes each
    "phone_landline": (16, 18),  # PHONE 일반전화: "1213 1214", "1218 1250"
    "phone_mobile": (15, 18),  # PHONE 휴대전화: "2200, 2212", "2213 2214", "2218 2250"
    "sms_inbound": (6, 6),  # SMS_INBOUND: 5100, 5110, 5111, 5400, 5410, 5420
}
for _vendor in ("bizppurio", "bizclient"):
    for _table, _counts in DAOU_RESULTS.items():
        EXPECTED[(_vendor, _table)] = _counts


def test_every_table_has_the_documents_row_count() -> None:
    seen = {}
    for vendor in codes.VENDORS:
        for table in codes.tables(vendor):
            n_codes = sum(len(split_codes(r.codes)) for r in table.rows)
            seen[(vendor, table.name)] = (len(table.rows), n_codes)
    assert seen == EXPECTED


def test_entries_are_well_formed() -> None:
    entries = codes.all_entries()
    assert len(entries) == sum(n for _, n in EXPECTED.values())
    for e in entries:
        assert e.category in CATEGORIES, e
        assert isinstance(e.retryable, bool), e
        assert e.meaning.strip() and e.meaning_en.strip() and e.source, e
        assert e.code == codes.normalize_code(e.code), e
        if e.category in ("delivered", "permanent", "spam", "format"):
            assert not e.retryable, e


def test_codes_are_unique_within_a_table_except_daous_9023() -> None:
    for vendor in codes.VENDORS:
        for table in codes.tables(vendor):
            found = [c for r in table.rows for c in split_codes(r.codes)]
            dups = {c for c in found if found.count(c) > 1}
            assert dups == ({"9023"} if table.name == "common" else set()), (vendor, table.name)


def test_json_has_exactly_the_contract_fields() -> None:
    (entry,) = codes.lookup("4401", "bizppurio")
    assert entry.to_json() == {
        "vendor": "bizppurio",
        "table": "sms",
        "code": "4401",
        "meaning": "단말기 전원 꺼짐",
        "meaning_en": "handset powered off",
        "category": "temporary",
        "retryable": True,
    }
    assert list(entry.to_json()) == ["vendor", "table", "code", "meaning", "meaning_en", "category",
                                     "retryable"]


def test_daou_result_codes_match_once_per_vendor() -> None:
    hits = codes.lookup("4100")
    assert [(e.vendor, e.table, e.meaning, e.category) for e in hits] == [
        ("bizppurio", "sms", "전달", "delivered"),
        ("bizclient", "sms", "전달", "delivered"),
    ]


def test_a_small_code_matches_in_every_table_that_has_it() -> None:
    hits = [(e.vendor, e.table) for e in codes.lookup("0")]
    assert hits == [("oneshot", "send"), ("oneshot", "login"), ("bizclient", "status"),
                    ("bizclient", "msg_type")]


def test_vendor_filter_and_sandbox_alias() -> None:
    assert [e.vendor for e in codes.lookup("4100", "bizclient")] == ["bizclient"]
    assert codes.lookup("4100", "netshot") == []
    (dup,) = codes.lookup("320", "oneshot")
    assert (dup.meaning, dup.category) == ("중복발송 에러", "accepted")
    assert codes.lookup("320", "sandbox") == codes.lookup("320", " OneShot ")


def test_rows_with_several_codes_give_one_entry_per_code() -> None:
    for code in ("3213", "3214"):
        assert {(e.vendor, e.table, e.meaning) for e in codes.lookup(code)} == {
            ("bizppurio", "fax", "잘못된 번호"), ("bizclient", "fax", "잘못된 번호")}
    assert [e.meaning for e in codes.lookup("2200", "bizppurio")] == ["부재 중"]
    assert [e.meaning for e in codes.lookup("2212", "bizppurio")] == ["부재 중"]
    assert [e.meaning for e in codes.lookup("1250", "bizclient")] == ["기타에러"]


def test_codes_are_normalised() -> None:
    assert codes.lookup(" 04100 ") == codes.lookup("4100")
    assert [e.meaning for e in codes.lookup("kat")] == ["알림톡 발송"]


def test_obvious_ocr_slips_are_fixed() -> None:
    def meaning(vendor: str, table: str, code: str) -> str:
        entry = codes.describe(vendor, code, table)
        assert entry is not None
        return entry.meaning

    assert meaning("oneshot", "send", "9") == "음영"  # printed 응영
    assert meaning("oneshot", "send", "27") == "닫힘 상태의 옐로아이디"  # printed 달형
    assert meaning("oneshot", "send", "315") == "세칙 미준수"  # printed 세척
    assert meaning("oneshot", "send", "317") == "발신번호 변작으로 등록된 발신번호"  # printed 번작
    assert meaning("oneshot", "send", "320") == "중복발송 에러"  # printed 예러
    assert meaning("bizppurio", "mms", "6616") == "통신사의 메시지 큐 초과"  # printed 규
    for vendor, table, code in (("oneshot", "send", "9"), ("bizclient", "mms", "6616")):
        entry = codes.describe(vendor, code, table)
        assert entry is not None and "OCR" in entry.note


def test_bizppurio_api_meanings_say_where_they_come_from() -> None:
    notes = {e.code: e.note for e in codes.all_entries("bizppurio") if e.table == "api"}
    assert notes["3007"].startswith("Daou HTTP API v2.7")
    assert "third-party" in notes["5004"]
    assert notes["3014"].startswith("spec/README.md only")
    assert notes["5002"].startswith("spec/README.md only")
    assert set(notes) >= {"1000", "2000", *(str(c) for c in range(3001, 3015)),
                          *(str(c) for c in range(5002, 5006))}


@pytest.mark.parametrize(
    ("text", "vendor", "expected"),
    [
        ("음영", None, {("oneshot", "9"), ("netshot", "103"), ("bizppurio", "4400"), ("bizclient", "6603")}),
        ("음영지역", "bizppurio", {("bizppurio", "4400"), ("bizppurio", "6603"), ("bizppurio", "5400")}),
        ("POWERED OFF", None, {("oneshot", "8"), ("netshot", "104"), ("bizppurio", "4401"),
                               ("bizppurio", "6604")}),
        ("Power Off", "netshot", {("netshot", "104")}),
        ("스팸", "oneshot", {("oneshot", "17"), ("oneshot", "997")}),
    ],
)
def test_search_korean_and_english(text: str, vendor: str | None, expected: set[tuple[str, str]]) -> None:
    found = {(e.vendor, e.code) for e in codes.search(text, vendor)}
    assert expected <= found
    assert all(v == vendor for v, _ in found) if vendor else True


def test_search_finds_nothing_for_nonsense_and_blank() -> None:
    assert codes.search("zzqx") == []
    assert codes.search("   ") == []


def test_nearest_codes() -> None:
    assert codes.nearest("4199", "bizppurio") == ["4100", "4400", "4401", "4402", "4403"]
    assert codes.nearest("34", "oneshot", n=3) == ["33", "35", "32"]
    assert codes.nearest("KAX", "bizppurio", n=1) == ["KAT"]
    assert len(codes.nearest("123456")) == 5


def test_describe_prefers_the_right_table() -> None:
    def d(vendor: str, code: str, table: str | None = None) -> tuple[str, str] | None:
        e = codes.describe(vendor, code, table)
        return (e.table, e.meaning) if e else None

    assert d("bizppurio", "4401") == ("sms", "단말기 전원 꺼짐")
    assert d("bizppurio", "6600") == ("mms", "전달")
    assert d("bizppurio", "7000") == ("kakao", "전달")
    assert d("bizppurio", "3002") == ("api", "토큰이 유효하지 않음.")
    assert d("oneshot", "0") == ("send", "성공")
    assert d("oneshot", "3") == ("send", "BIND 미수행")
    assert d("oneshot", "3", "login") == ("login", "허용된 아이피가 아님")
    assert d("sandbox", "903") == ("send", "발송속도 초과")
    assert d("netshot", "1") == ("result", "전송완료")
    assert d("netshot", "300") == ("send", "성공")
    assert d("bizclient", "2") == ("status", "발송결과업데이트 (로그테이블 이동 대상)")
    assert d("bizclient", "2", "msg_type") == ("msg_type", "FAX")
    assert d("bizclient", "4401") == ("sms", "단말기 전원 꺼짐")
    assert d("bizppurio", "4199") is None


def test_describe_joins_a_code_printed_twice() -> None:
    entry = codes.describe("bizclient", "9023")
    assert entry is not None
    assert entry.meaning == "Callback error / 시간제한 (리포트 수신대기 timeout)"
    assert entry.retryable is False


def test_unknown_vendor_and_table_are_usage_errors() -> None:
    with pytest.raises(UsageError) as err:
        codes.lookup("4100", "kt")
    assert err.value.exit_status == ExitStatus.USAGE
    assert "oneshot, bizppurio, netshot, bizclient" in str(err.value)
    with pytest.raises(UsageError, match="no code table 'nope'"):
        codes.describe("oneshot", "0", "nope")


def test_import_is_cheap_and_tables_load_lazily() -> None:
    script = (
        "import sys, smscli.codes as c\n"
        "before = sorted(m for m in sys.modules if m.startswith('smscli.codes.'))\n"
        "c.lookup('4100', 'bizppurio')\n"
        "after = sorted(m for m in sys.modules if m.startswith('smscli.codes.'))\n"
        "print(before, after)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                         timeout=30, check=True).stdout.strip()
    assert out == ("['smscli.codes._schema'] "
                   "['smscli.codes._schema', 'smscli.codes.bizppurio', 'smscli.codes.daou_results']")
