"""Phone numbers: normalisation, recipient and sender validation with reasons."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smscli.phone import (
    Abroad,
    InvalidNumber,
    classify,
    is_international,
    normalize,
    recipient_problem,
    sender_problem,
    split_international,
    validate_recipient,
    validate_sender,
)


@pytest.mark.parametrize(
    "spelling",
    [
        "01012345678",
        "010-1234-5678",
        "+82 10 1234 5678",
        "+82-10-1234-5678",
        "+82 (0)10 1234 5678",
        "82-10-1234-5678",
        "821012345678",
        "0082 10 1234 5678",
        "(010) 1234 5678",
        "010.1234.5678",
        " 010 1234 5678 ",
        "010–1234–5678",  # en dashes from a word processor
        "０１０-１２３４-５６７８",  # full-width digits
    ],
)
def test_spellings_of_one_mobile_number(spelling):
    assert normalize(spelling) == "01012345678"
    assert validate_recipient(spelling) == "01012345678"
    assert validate_sender(spelling) == "01012345678"


@pytest.mark.parametrize(
    ("number", "kind", "normalized"),
    [
        ("011-123-4567", "mobile", "0111234567"),
        ("016-1234-5678", "mobile", "01612345678"),
        ("019-123-4567", "mobile", "0191234567"),
        ("02-123-4567", "landline", "021234567"),
        ("02-1234-5678", "landline", "0212345678"),
        ("+82 2 1234 5678", "landline", "0212345678"),
        ("031-123-4567", "landline", "0311234567"),
        ("064-1234-5678", "landline", "06412345678"),
        ("070-1234-5678", "internet", "07012345678"),
        ("0505-123-4567", "personal", "05051234567"),
        ("0504-1234-5678", "personal", "050412345678"),
    ],
)
def test_recipient_kinds(number, kind, normalized):
    assert classify(number)[:2] == (kind, normalized)
    assert recipient_problem(number) is None
    assert validate_recipient(number) == normalized


@pytest.mark.parametrize(
    ("number", "normalized"),
    [("1566-6639", "15666639"), ("1588 1234", "15881234"), ("1644-0000", "16440000"),
     ("1800-1234", "18001234"), ("080-123-4567", "0801234567"), ("02-1234-5678", "0212345678")],
)  # fmt: skip
def test_callback_numbers_are_senders_only(number, normalized):
    assert validate_sender(number) == normalized
    if not normalized.startswith("02"):
        with pytest.raises(InvalidNumber, match="cannot receive messages"):
            validate_recipient(number)


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("", "empty number"),
        ("   ", "empty number"),
        ("010-123-456", "too short (9 digits; a 010 number has 11)"),
        ("010-1234-56789", "too long (12 digits; a 010 number has 11)"),
        ("0101", "too short"),
        ("01", "too short"),
        ("010-CALL-ME", "letters in number"),
        ("abc", "letters in number"),
        ("+1 555 123 4567", "a number outside Korea"),
        ("+44 20 7946 0958", "a number outside Korea"),
        ("+1 555 1234", "a +1 number has 10 digits after the 1, not 7"),
        ("+999 1234 5678", "unknown country code"),
        ("+44 1234 5678 9012 34", "too long (16 digits with the country code; at most 15)"),
        ("+44 12", "too short (2 digits after +44)"),
        ("+1-CALL", "letters in number"),
        ("1234567890", "not a Korean number"),
        ("12345", "too short"),
        ("012-123-4567", "unknown mobile prefix 012"),
        ("060-123-4567", "unknown area code 060"),
        ("0501-123-4567", "unknown personal-number prefix 0501"),
        ("02-12-345", "too short (7 digits; a Seoul (02) number has 9 or 10)"),
        ("1588-12345", "too long (9 digits; a 15xx number has 8)"),
        ("010#1234#5678", "unexpected character '#'"),
        ("080-123-4567", "080 free-call numbers cannot receive messages"),
        ("1566-6639", "callback-only numbers cannot receive messages"),
    ],
)
def test_invalid_recipients_say_why(number, reason):
    assert reason in (recipient_problem(number) or "")
    with pytest.raises(InvalidNumber) as info:
        validate_recipient(number)
    assert reason in info.value.reason
    assert repr(number) in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("0501-123-4567", "unknown personal-number prefix 0501"),
        ("0502-123", "too short (7 digits; a 0502 number has 11 or 12)"),
        ("090-123-4567", "unknown area code 090"),
        ("099-1234-5678", "unknown area code 099"),
        ("030-123-4567", "unknown area code 030"),
        ("010", "too short (3 digits; a 010 number has 11)"),
        ("0502", "too short (4 digits; a 0502 number has 11 or 12)"),
        ("050", "unknown personal-number prefix 050"),
        ("1234567", "too short (7 digits)"),
        ("12345678", "not a Korean number (domestic numbers start with 0)"),
    ],
)
def test_reasons_name_exactly_the_prefix(number, reason):
    assert recipient_problem(number) == reason


@pytest.mark.parametrize("number", ["080-123-4567", "080-1234-5678"])
def test_080_numbers_of_10_and_11_digits_may_send(number):
    assert sender_problem(number) is None
    assert sender_problem("080-1234-56789") == "too long (12 digits; an 080 number has 10 or 11)"


def test_the_shortest_82_spelling_is_a_seoul_number():
    # 82 + 2 + 7 digits: ten digits in all, the fewest an 82-prefixed number may have
    assert normalize("82-2-123-4567") == "021234567"
    assert normalize("82-123-4567") == "821234567"  # nine: not a country prefix


def test_numbers_outside_korea_are_e164_and_split_by_country_code():
    assert normalize("+1 415-555-0100") == "+14155550100"
    assert validate_recipient("+1 (415) 555-0100", abroad=True) == "+14155550100"
    assert validate_recipient("+82 10 1234 5678", abroad=True) == "01012345678"  # Korea stays domestic
    assert split_international("+1 415 555 0100") == ("1", "4155550100")
    assert split_international("+44 20 7946 0958") == ("44", "2079460958")
    assert split_international("+852 9123 4567") == ("852", "91234567")
    assert classify("+81 90 1234 5678")[0] == "international" and is_international("+81 90 1234 5678")
    with pytest.raises(Abroad) as info:
        validate_recipient("+1 415 555 0100")
    assert info.value.reason == "a number outside Korea"
    with pytest.raises(InvalidNumber, match="unknown country code"):
        validate_recipient("+999 1234 5678", abroad=True)
    with pytest.raises(InvalidNumber):
        split_international("01012345678")


def test_invalid_senders_say_why():
    assert sender_problem("010-123") == "too short (6 digits; a 010 number has 11)"
    assert "not a Korean number" in (sender_problem("+1 555 1234") or "")


@given(st.text())
def test_normalize_is_idempotent_on_any_text(text):
    once = normalize(text)
    assert normalize(once) == once


phone_like = st.text(alphabet="0123456789+-. ()82", max_size=20)


@given(phone_like)
def test_normalize_is_idempotent_on_phone_like_text(text):
    once = normalize(text)
    assert normalize(once) == once


@given(st.from_regex(r"010[0-9]{8}", fullmatch=True), st.sampled_from(["-", " ", ".", ""]))
def test_any_formatting_of_a_valid_mobile_number_normalizes_back(number, sep):
    spelled = f"{number[:3]}{sep}{number[3:7]}{sep}{number[7:]}"
    assert validate_recipient(spelled) == number
    assert validate_recipient("+82 " + spelled[1:]) == number


@given(st.text(max_size=30))
def test_validation_never_crashes(text):
    kind, normalized, reason = classify(text)
    assert (kind is None) == (reason is not None)
    if kind is not None:
        assert normalized.isdigit() and normalized.isascii()


@given(st.one_of(st.from_regex(r"0[0-9]{8,11}", fullmatch=True), phone_like, st.text(max_size=14)))
def test_validate_recipient_says_what_classify_says(text):
    """Its shortcut for well-formed 010 numbers gives classify()'s answer."""
    from smscli.phone import RECIPIENT_KINDS

    kind, normalized, reason = classify(text)
    if kind in RECIPIENT_KINDS:
        assert validate_recipient(text) == normalized
    else:
        with pytest.raises(InvalidNumber):
            validate_recipient(text)
