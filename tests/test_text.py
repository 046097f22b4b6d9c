"""Text rules: CP949 byte counting, type choice, subjects, templates."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smscli.text import (
    InvalidInput,
    TemplateError,
    TextError,
    byte_length,
    check_subject,
    choose_type,
    choose_type_sized,
    compile_template,
    describe_chars,
    normalize_text,
    render_template,
    unencodable,
)

# Characters CP949 can carry: ASCII and Hangul syllables (all 11,172 are in CP949).
cp949_text = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
        st.sampled_from("\n가★※①ㄱ"),
    )
)


@given(cp949_text)
def test_byte_length_matches_cp949_encoding(text):
    assert byte_length(text) == len(text.encode("cp949"))
    assert unencodable(text) == []


@given(st.text())
def test_byte_length_counts_unencodable_as_one_byte(text):
    bad = unencodable(text)
    fitting = "".join(ch for ch in text if ch not in bad)
    assert byte_length(text) == len(fitting.encode("cp949")) + sum(ch in bad for ch in text)
    for ch in bad:
        with pytest.raises(UnicodeEncodeError):
            ch.encode("cp949")


def test_ascii_is_counted_without_the_codec_as_cp949_keeps_it() -> None:
    ascii_text = "".join(map(chr, range(128)))
    assert ascii_text.encode("cp949") == ascii_text.encode("ascii")  # what byte_length relies on
    assert byte_length(ascii_text) == 128


def test_byte_length_examples():
    assert byte_length("hello") == 5
    assert byte_length("안녕하세요") == 10
    assert byte_length("똠방각하") == 8  # CP949-only syllable (not in EUC-KR's 2,350)
    assert byte_length("") == 0


def test_unencodable_names_emoji_once_in_order():
    assert unencodable("hi 😀 there — 😀 €🎉") == ["😀", "—", "🎉"]  # € is in CP949, — is not
    assert "U+1F600" in describe_chars(["😀"])
    assert "and 2 more" in describe_chars(list("😀🎉🚀🌟💡✨✅"))


def test_describe_chars_says_more_only_past_the_limit():
    five = describe_chars(list("😀🎉🚀🌟💡"))
    assert five.count("U+") == 5 and "more" not in five
    assert "more" not in describe_chars(list("😀🎉"))
    assert describe_chars(list("😀🎉🚀"), limit=2).endswith("and 1 more")


def test_decomposed_hangul_needs_normalize_text():
    nfd = "\u1100\u1161"  # 가 as conjoining jamo (what macOS file names hold)
    assert unencodable(nfd)
    assert normalize_text(nfd) == "가"
    assert unencodable(normalize_text(nfd)) == []


@pytest.mark.parametrize(
    ("text", "images", "requested", "expected"),
    [
        ("a" * 90, (), "auto", "sms"),
        ("a" * 91, (), "auto", "lms"),
        ("가" * 45, (), "auto", "sms"),
        ("가" * 46, (), "auto", "lms"),
        ("가" * 1000, (), "auto", "lms"),
        ("hi", ("a.jpg",), "auto", "mms"),
        ("", ("a.jpg",), "mms", "mms"),
        ("hi", (), "LMS", "lms"),
        ("hi", (), "sms", "sms"),
        ("hi", (), "auto", "sms"),
        ("a" * 89, (), "auto", "sms"),
    ],
)
def test_choose_type(text, images, requested, expected):
    assert choose_type(text, images, requested) == expected


def test_choose_type_honours_vendor_limits():
    assert choose_type("a" * 85, (), "auto", sms_bytes=80) == "lms"
    with pytest.raises(TextError, match="at most 100 bytes"):
        choose_type("a" * 101, (), "lms", lms_bytes=100)


def test_subject_makes_auto_lms_and_sms_refuses_it():
    assert choose_type("hi", (), "auto", subject="공지") == "lms"
    with pytest.raises(TextError, match="SMS has no subject"):
        choose_type("hi", (), "sms", subject="공지")


@pytest.mark.parametrize(
    ("text", "images", "requested", "message"),
    [
        ("a" * 91, (), "sms", "message is 91 bytes; an SMS carries at most 90 bytes"),
        ("가" * 1001, (), "auto", "message is 2002 bytes; an LMS carries at most 2000"),
        ("가" * 1001, ("a.jpg",), "auto", "an MMS carries at most 2000"),
        ("hi", ("a.jpg",), "sms", "an SMS cannot carry images"),
        ("hi", ("a.jpg",), "lms", "an LMS cannot carry images"),
        ("hi", (), "mms", "an MMS needs at least one image"),
        ("  ", (), "auto", "message is empty"),
        ("", (), "lms", "message is empty"),
        (" \n ", (), "sms", "message is empty"),
        ("hi 😀", (), "auto", "characters CP949 cannot carry: '😀' (U+1F600)"),
        ("hi", (), "fax", "unknown message type 'fax'"),
    ],
)
def test_choose_type_errors(text, images, requested, message):
    with pytest.raises(TextError) as info:
        choose_type(text, images, requested)
    assert message in info.value.reason
    assert isinstance(info.value, ValueError) and isinstance(info.value, InvalidInput)


def test_choose_type_sized_gives_the_cp949_size_as_the_pipeline_calls_it():
    # keyword arguments, as smscli.dispatch passes them
    assert choose_type_sized("안녕 hi", images=(), requested="auto", sms_bytes=90, lms_bytes=2000,
                             subject="") == ("sms", 7)
    assert choose_type_sized("가" * 50, requested="auto") == ("lms", 100)
    assert choose_type_sized("x", images=("a.jpg",), requested="mms") == ("mms", 1)


def test_choose_type_checks_the_subject():
    with pytest.raises(TextError, match="subject is 66 bytes; at most 64"):
        choose_type("hi", (), "auto", subject="가" * 33)


def test_subject_limits():
    check_subject("가" * 32)
    with pytest.raises(TextError, match="subject is 66 bytes; at most 64"):
        check_subject("가" * 33)
    with pytest.raises(TextError, match="single line"):
        check_subject("a\nb")
    with pytest.raises(TextError, match="U\\+1F600"):
        check_subject("😀")


# --- templates ---------------------------------------------------------------------


def test_render_template():
    assert render_template(
        "안녕하세요 {name}님, {amount}원", {"name": "홍길동", "amount": "12,000"}
    ) == ("안녕하세요 홍길동님, 12,000원")
    assert render_template("no vars", {}) == "no vars"
    assert render_template("", {}) == ""
    assert render_template("{ name }", {"name": "x"}) == "x"
    assert render_template("{Name}", {"name": "x"}) == "x"  # case-insensitive fallback
    assert render_template("{고객 이름}", {"고객 이름": "김"}) == "김"


def test_render_template_escapes():
    assert render_template("{{literal}} {x} }}{{", {"x": "1"}) == "{literal} 1 }{"
    assert render_template("{{{x}}}", {"x": "1"}) == "{1}"


def test_missing_column_names_it():
    with pytest.raises(TemplateError) as info:
        render_template("hi {nmae}", {"name": "x", "amount": "1"})
    assert "no column 'nmae'" in info.value.reason
    assert "name, amount" in info.value.reason


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{name:>10}", "'{name:>10}' at position 1 of the message template is not understood"),
        ("{a!r}", "is not understood: a variable is a plain column name"),
        ("{a[0]}", "is not understood"),
        ("hello {name", "unclosed '{' at position 7 of the message template ('{name'):"),
        ("a { b {c}", "unclosed '{' at position 3"),
        ("a } b", "single '}' at position 3"),
        ("{}", "empty variable"),
        ("{  }", "empty variable"),
        ("ab {  }", "empty variable '{  }' at position 4 of"),
        # the excerpt: 20 characters from the brace, "..." only when the template goes on
        ("{" + "x" * 19, "unclosed '{' at position 1 of the message template ('{xxxxxxxxxxxxxxxxxxx'):"),
        ("{" + "x" * 20, "('{xxxxxxxxxxxxxxxxxxx...'):"),
    ],
)
def test_template_errors(template, message):
    with pytest.raises(TemplateError) as info:
        render_template(template, {"name": "x", "a": "y"})
    assert message in info.value.reason


def test_attribute_lookup_is_a_plain_missing_name():
    # "{x.__class__}" has no format-spec characters; it is only a column name, never evaluated.
    with pytest.raises(TemplateError, match="no column 'x.__class__'"):
        render_template("{x.__class__}", {"x": "1"})


def test_compiled_template_reports_missing_columns_up_front():
    tpl = compile_template("{name} {Amount} {name} {other}")
    assert tpl.names == ("name", "Amount", "other")
    assert tpl.missing(["name", "amount"]) == ["other"]


@given(st.text(alphabet=st.characters(blacklist_characters="{}")))
def test_text_without_braces_renders_unchanged(text):
    assert render_template(text, {}) == text


@given(st.text())
def test_escaped_text_renders_to_itself(text):
    escaped = text.replace("{", "{{").replace("}", "}}")
    assert render_template(escaped, {}) == text


@given(st.lists(st.tuples(st.text(alphabet="ab%{}s 님", max_size=6), st.sampled_from(["x", "Name", "y"])),
                max_size=4),
       st.text(alphabet="ab%{}s 님", max_size=6),
       st.dictionaries(st.sampled_from(["x", "Name", "y"]), st.text(alphabet="a%s{", max_size=4)))
def test_one_format_renders_as_the_part_by_part_fill(parts, tail, values):
    """The ``%`` formatting of rows with every variable renders what filling the parts one by
    one (the path for a case-insensitive match) does."""
    esc = lambda s: s.replace("{", "{{").replace("}", "}}")  # noqa: E731
    template = "".join(esc(lit) + "{" + name + "}" for lit, name in parts) + esc(tail)
    row = {**{"x": "1", "Name": "2", "y": "3"}, **values}
    want = "".join(lit + row[name] for lit, name in parts) + tail
    assert compile_template(template).render(row) == want
    folded = {k.upper(): v for k, v in row.items()}  # no exact names: the part-by-part fill
    assert compile_template(template).render(folded) == want


def test_render_reads_a_row_as_get_does():
    """The one-lookup path takes plain dicts only: a mapping's ``__missing__`` is not
    consulted (as ``row.get`` does not), a None value falls back like a missing column."""
    from collections import defaultdict
    from types import MappingProxyType

    assert render_template("{Name}님", defaultdict(str, name="김")) == "김님"
    with pytest.raises(TemplateError, match="no column 'x'"):
        render_template("{x}", defaultdict(str, name="김"))
    assert render_template("{x}:{y}", MappingProxyType({"x": "1", "y": "2"})) == "1:2"
    assert render_template("{x}", {"x": None, "X": "upper"}) == "upper"  # None: the case-insensitive fill
    assert render_template("{x}{x}", {"x": "a"}) == "aa"
