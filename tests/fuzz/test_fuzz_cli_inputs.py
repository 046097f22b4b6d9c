"""Fuzz the CLI's file inputs in-process: a CSV into ``send --csv FILE -m TEMPLATE --dry-run``
(UTF-8, CP949, binary, odd quoting, huge fields; generated templates) and config files
(``config show --config FILE``, ``send --dry-run`` with a generated TOML profile).
The property: tests/fuzz/props.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.fuzz.profile import settings_for
from tests.fuzz.props import check, run

pytestmark = pytest.mark.timeout(600)

PHONES = ["01012345678", "010-1234-5678", "+82 10 1234 5678", "0101234567", "0212341234", "0101",
          "", " ", "01O12345678", "8210123456789", "１０１２３４５６７８", "010" + "9" * 40]
COLUMNS = ["phone", "name", "id", "Phone", " phone", "phone ", "이름", "", "name", "a b", "{x}"]
cell_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
cells = st.sampled_from(PHONES) | cell_text | st.sampled_from(["김철수", "a,b", 'x"y', "\n", "\r\n", "😀", "{name}"])


def quote(value: str, style: int) -> str:
    if style == 0:
        return value
    if style == 1:
        return '"' + value.replace('"', '""') + '"'
    return '"' + value  # an unclosed quote


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["rows", "rows", "rows", "binary", "huge"]))
    if kind == "binary":
        return draw(st.binary(max_size=1024))
    header = draw(st.lists(st.sampled_from(COLUMNS) | cell_text, min_size=0, max_size=4))
    if draw(st.booleans()):
        header = ["phone", *header]
    sep = draw(st.sampled_from([","] * 5 + [";", "\t"]))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    rows = [sep.join(quote(c, draw(st.integers(0, 2)) if draw(st.booleans()) else 0) for c in header)]
    for _ in range(draw(st.integers(0, 6))):
        n = draw(st.integers(0, len(header) + 2))
        rows.append(sep.join(quote(draw(cells), draw(st.sampled_from([0, 0, 1, 2]))) for _ in range(n)))
    if kind == "huge":
        rows.append(sep.join(["01012345678", "x" * draw(st.sampled_from([10_000, 200_000, 2_000_000]))]))
    text = eol.join(rows) + draw(st.sampled_from(["", eol]))
    encoding = draw(st.sampled_from(["utf-8"] * 3 + ["utf-8-sig", "cp949", "cp949", "utf-16"]))
    data = text.encode(encoding, "replace")
    if draw(st.integers(0, 3)) == 0 and data:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at + 1:]
    return data


templates = (st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=120)
             | st.lists(st.sampled_from(["안녕하세요 ", "{name}", "{phone}", "{id}", "{", "}", "{{", "}}",
                                         "{이름}", "{0}", "{name!r}", "{name:>10}", "😀", "x" * 100, "{}",
                                         "\n", "\x00", "%s"]), min_size=1, max_size=8).map("".join))


@settings_for(250)
@given(data=csv_bytes(), template=templates,
       flags=st.lists(st.sampled_from(["--json", "--allow-unicode", "--type=sms", "--type=lms",
                                       "--type=mms", "--subject=제목", "--ignore-optout"]),
                      unique=True, max_size=3))
def test_send_csv_dry_run(capsys, tmp_path: Path, data: bytes, template: str, flags: list[str]) -> None:
    assume(not template.startswith("-"))  # would be read as an option: a usage error anyway
    path = tmp_path / "recipients.csv"
    path.write_bytes(data)
    argv = ["send", "--csv", str(path), "-m", template, "--dry-run", *flags]
    status, out, err = run(capsys, argv)
    check(status, out, err, argv)


KEYS = ["vendor", "sender", "base_url", "account", "password", "password_env", "aes_key", "aes_iv",
        "host", "port", "timeout", "connect_timeout", "response_timeout", "database_url", "encrypt",
        "concurrency", "window", "wait_window", "verify_tls", "url", "attempts", "reconnect_attempts",
        "reconnect_backoff", "poll_interval", "poll_silence", "user", "file_path", "command_timeout",
        "a.b", "'quoted key'", '"x"']
VENDORS = ["sandbox", "bizppurio", "netshot", "oneshot", "bizclient", "nope", ""]
toml_scalars = (st.sampled_from(VENDORS).map(lambda v: f'"{v}"')
                | st.integers(-2**70, 2**70).map(str)
                | st.floats().map(lambda f: repr(f).replace("inf", "inf").replace("nan", "nan"))
                | st.booleans().map(lambda b: str(b).lower())
                | st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=30).map(
                    lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"')
                | st.sampled_from(["1979-05-27T07:32:00Z", "[1, 2]", '["a", 1]', "{ a = 1 }", "'lit'",
                                   '"""multi\nline"""', "0x10", "1_000", '"01012345678"',
                                   '"hex:00112233445566778899aabbccddeeff"', '"http://127.0.0.1:1/"']))


@st.composite
def toml_text(draw: st.DrawFn) -> str:
    lines: list[str] = []
    if draw(st.booleans()):
        value = draw(st.sampled_from(['"p"', '"sandbox"', '"none"', "1"]))
        lines.append(f"default_profile = {value}")
    tables = draw(st.lists(st.sampled_from(["profiles.p", "profiles.sandbox", "profiles.q", "profiles", "p",
                                            "profiles.p.sub", "[profiles.p]", "profiles.\"p x\""]),
                           max_size=4, unique=draw(st.integers(0, 5)) > 0))
    for table in tables:
        lines.append(f"[{table}]")
        keys = draw(st.lists(st.sampled_from(KEYS * 6) | st.text(max_size=10), max_size=6,
                             unique=draw(st.integers(0, 5)) > 0))
        for key in keys:
            lines.append(f"{key} = {draw(toml_scalars)}")
    if draw(st.integers(0, 4)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), draw(st.text(max_size=40)))
    return draw(st.sampled_from(["\n", "\r\n"])).join(lines)


@st.composite
def config_bytes(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["toml", "toml", "toml", "binary", "deep"]))
    if kind == "binary":
        return draw(st.binary(max_size=512))
    if kind == "deep":
        n = draw(st.sampled_from([100, 1000, 100_000]))
        return (b"x = " + b"[" * n + b"]" * n) if draw(st.booleans()) else b"x = " + b"{a=" * n
    encoding = draw(st.sampled_from(["utf-8"] * 6 + ["cp949", "utf-16"]))
    data = draw(toml_text()).encode(encoding, "replace")
    return data


def _no_commands(data: bytes) -> bool:
    """Never let a generated config run a program (``*_command`` keys)."""
    return b"command" not in data.lower() and b"c\x00o\x00m" not in data.lower()


@settings_for(200)
@given(data=config_bytes(), profile=st.sampled_from([None, "p", "sandbox", "q", "missing"]),
       json=st.booleans())
def test_config_show(capsys, tmp_path: Path, data: bytes, profile: str | None, json: bool) -> None:
    assume(_no_commands(data))
    path = tmp_path / "config.toml"
    path.write_bytes(data)
    argv = ["config", "show", "--config", str(path), *(["-p", profile] if profile else [])]
    status, out, err = run(capsys, argv)
    check(status, out, err, argv)


@settings_for(200)
@given(data=config_bytes(), profile=st.sampled_from([None, "p", "sandbox", "q"]),
       to=st.sampled_from(["01012345678", "01012345678,0212341234", "0101"]))
def test_send_dry_run_with_a_generated_profile(capsys, tmp_path: Path, data: bytes, profile: str | None,
                                               to: str) -> None:
    assume(_no_commands(data))
    path = tmp_path / "config.toml"
    path.write_bytes(data)
    argv = ["send", "--config", str(path), "--to", to, "-m", "안녕하세요", "--dry-run",
            *(["-p", profile] if profile else [])]
    status, out, err = run(capsys, argv)
    check(status, out, err, argv)
