"""``--buttons -`` reads the buttons from stdin (send and reserve), at most 1024 KiB as a
buttons file; stdin has one reader, so it is refused (exit 2) beside ``--csv -`` or
``--message-file -``; a CSV ``buttons`` column naming ``-`` is not stdin. Through the CLI
(a subprocess, its stdin piped); nothing listens on the profile's URL."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import run_cli

BUTTONS = json.dumps([{"name": "열기", "type": "WL", "url_mobile": "https://e.example/{order}"}],
                     ensure_ascii=False).encode()
AT = ("--type", "alimtalk", "--template", "T1")


@pytest.fixture(autouse=True)
def home(isolated_env: Path) -> Path:
    (isolated_env / "config.toml").write_text(
        'default_profile = "biz"\n[profiles.biz]\nvendor = "bizppurio"\nbase_url = "http://127.0.0.1:9"\n'
        'account = "test"\npassword = "test"\nsender = "0212341234"\nkakao_sender_key = "KEY1"\n',
        encoding="utf-8")
    os.chmod(isolated_env / "config.toml", 0o600)
    return isolated_env


def refused(*args: str, input: bytes) -> str:
    """The one stderr line of a command that must exit 2 and print nothing on stdout."""
    proc = run_cli(*args, input=input)
    err = proc.stderr.decode()
    assert proc.returncode == 2 and proc.stdout == b"" and err.count("\n") == 1, (proc.returncode, err)
    return err.rstrip("\n")


@pytest.mark.parametrize("command", [("send",), ("reserve", "--at", "2099-01-01 10:00")])
def test_buttons_from_stdin_for_send_and_reserve(command):
    proc = run_cli(*command, "--to", "01012345678", *AT, "-m", "주문 안내", "--buttons", "-",
                   "--dry-run", "--json", input=BUTTONS.replace(b"{order}", b"A-1"))
    assert proc.returncode == 0, proc.stderr
    (row,) = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert (row["status"], row["buttons"]) == ("valid", 1)


def test_buttons_from_stdin_fill_from_a_csv_file(home):
    csv = home / "list.csv"
    csv.write_text("phone,order\n01012345678,A-1\n", encoding="utf-8")
    proc = run_cli("send", "--csv", str(csv), *AT, "-m", "주문 #{order}", "--buttons", "-", "--dry-run", "--json",
                   input=BUTTONS)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["buttons"] == 1


def test_bad_or_too_big_buttons_on_stdin_are_one_line_exit_2():
    args = ("send", "--to", "01012345678", *AT, "-m", "x", "--buttons", "-", "--dry-run")
    assert refused(*args, input=b"{").startswith("smscli: --buttons - (stdin) is not valid JSON: ")
    assert refused(*args, input=b" " * (1024 * 1024) + b"[]") == (
        "smscli: --buttons - (stdin) is over 1024 KiB: not a buttons file?")


def test_stdin_has_one_reader():
    to = ("--to", "01012345678", *AT)
    assert refused("send", "--csv", "-", *AT, "-m", "x", "--buttons", "-", "--dry-run",
                   input=b"phone\n01012345678\n") == (
        "smscli: stdin is already the CSV; pass the buttons with --buttons FILE")
    assert refused("send", *to, "--message-file", "-", "--buttons", "-", "--dry-run", input=BUTTONS) == (
        "smscli: stdin is already the message (--message-file -); pass the buttons with --buttons FILE")
    assert refused("reserve", "--at", "2099-01-01 10:00", *to, "--buttons", "-", "--dry-run", input=BUTTONS) == (
        "smscli: no message text (pass --message TEXT or --message-file FILE: "
        "stdin is the buttons (--buttons -))")


def test_a_csv_buttons_column_naming_dash_is_not_stdin(home):
    csv = home / "list.csv"
    csv.write_text("phone,buttons\n01012345678,-\n01022223333,\n", encoding="utf-8")
    proc = run_cli("send", "--csv", str(csv), *AT, "-m", "x", "--dry-run", "--json", input=BUTTONS)
    assert proc.returncode == 1, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [(r["status"], r["detail"]) for r in rows] == [
        ("invalid", "the buttons column names a file; '-' (stdin) is for --buttons - only"),
        ("valid", "1 character, 0 buttons, fallback sms 1 bytes")]
