"""``--message-file FILE`` and ``-`` (stdin): UTF-8 (a BOM too) or CP949, the last line
break dropped, at most 64 KiB read; one clear line and exit 2 for what cannot be the text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.usefixtures("isolated_env")


def dry(*args: str, input: bytes | None = None):
    return run_cli("send", "--to", "01012345678", "--dry-run", "--json", *args, input=input)


@pytest.mark.parametrize(("data", "text_bytes"), [
    ("안녕하세요\n".encode(), 10),  # UTF-8, the line break dropped
    (b"\xef\xbb\xbf" + "안녕\r\n".encode(), 4),  # a BOM and CRLF
    ("안녕하세요".encode("cp949"), 10),
])
def test_a_message_file_in_utf8_or_cp949(tmp_path: Path, data: bytes, text_bytes: int):
    path = tmp_path / "msg.txt"
    path.write_bytes(data)
    for proc in (dry("--message-file", str(path)), dry("--message-file", "-", input=data)):
        assert proc.returncode == 0, proc.stderr
        [line] = proc.stdout.decode().splitlines()
        assert json.loads(line)["bytes"] == text_bytes


def test_more_than_64_kib_is_refused_without_reading_it_all(tmp_path: Path):
    big = b"a" * (64 * 1024 + 1)
    path = tmp_path / "big.txt"
    path.write_bytes(big)
    for proc, where in ((dry("--message-file", str(path)), f"message file {path}"),
                        (dry("--message-file", "-", input=big), "stdin")):
        assert proc.returncode == 2
        assert proc.stderr.decode() == (f"smscli: {where} is over 64 KiB: no message is that long "
                                        "(an LMS takes 2000 bytes, a Kakao text 1000 characters)\n")
    at_most = dry("--message-file", "-", input=b"a" * 64 * 1024)  # read, then too long for an LMS
    assert at_most.returncode == 2 and "message is 65536 bytes; an LMS carries at most 2000" in at_most.stderr.decode()


def test_what_cannot_be_the_text_is_one_line_exit_2(tmp_path: Path):
    (tmp_path / "utf16.txt").write_bytes("안녕".encode("utf-16"))
    cases = [
        (dry("--message-file", str(tmp_path / "utf16.txt")), f"{tmp_path / 'utf16.txt'} is neither UTF-8 nor CP949 text"),
        (dry("--message-file", str(tmp_path / "none.txt")), f"cannot read message file {tmp_path / 'none.txt'}"),
        (dry("--message-file", str(tmp_path / "utf16.txt"), "-m", "hi"), "give the text with --message or --message-file, not both"),
        (run_cli("send", "--csv", "-", "--message-file", "-", input=b"phone\n01012345678\n"), "stdin is already the CSV"),
    ]
    for proc, said in cases:
        err = proc.stderr.decode()
        assert proc.returncode == 2 and err.startswith(f"smscli: {said}") and err.count("\n") == 1, err
