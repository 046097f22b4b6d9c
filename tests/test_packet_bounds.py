"""``packet decode`` on crafted input (issue 9): bounded memory and time in every format.

Each case runs ``python -m smscli packet decode FILE --json`` with its address space
capped (``RLIMIT_AS``) and a timeout: the code before the bounds needed 1-3 GB or minutes
on these inputs. Damaged frames are reported one line each, with their offset and
reason, and exit 1; never 70, never a traceback.
"""

from __future__ import annotations

import base64
import io
import json
import os
import random
import resource
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from smscli import packet_input as pin
from smscli import packet_input_capture as pin_capture
from smscli.capture import LINKTYPE_ETHERNET, TCP_ACK, TCP_SYN, PcapWriter
from smscli.protocol.oneshot import encode_frame

ROOT = Path(__file__).resolve().parent.parent
MEMORY = 600 * 1024 * 1024


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def decode(path: Path, *args: str, timeout: float = 60, out: bool = True) -> tuple[int, list[dict], str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "smscli", "packet", "decode", str(path), "--json", *args],
        stdout=subprocess.PIPE if out else subprocess.DEVNULL, stderr=subprocess.PIPE,
        env=env, cwd=ROOT, timeout=timeout, preexec_fn=limited,
    )
    stderr = proc.stderr.decode()
    assert "Traceback" not in stderr and proc.returncode != 70, stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()] if out else []
    return proc.returncode, lines, stderr


def frame(payload: bytes) -> bytes:
    return b"Content-Length:%d\r\n" % len(payload) + payload


def bomb() -> bytes:
    """One 31 KB frame whose body inflates to 32 MB of ``[],``."""
    text = b'{"Header":{"Method":"MsgSendReq"},"Body":{"List":[' + b"[]," * 10_666_666 + b"[]]}}"
    return frame(zlib.compress(text, 9))


BOMB = bomb()
GOOD = encode_frame("AliveReq", None)


def pcap(stream: bytes, *, pcapng: bool = False) -> bytes:
    out = io.BytesIO()
    w = PcapWriter(out, LINKTYPE_ETHERNET, pcapng=pcapng)
    c, s = "10.0.0.1:50000", "10.0.0.2:9000"
    w.write_tcp(0.0, c, s, seq=999, flags=TCP_SYN)
    w.write_tcp(0.0, s, c, seq=4999, ack=1000, flags=TCP_SYN | TCP_ACK)
    for i in range(0, len(stream), 1400):
        w.write_tcp(1.0, c, s, stream[i:i + 1400], seq=1000 + i, ack=5000)
    return out.getvalue()


def doc_hex(stream: bytes) -> bytes:
    """The document's hex form: a Content-Length line, then the payload in hex."""
    out, pos = [], 0
    while pos < len(stream):
        head, rest = stream[pos:].split(b"\r\n", 1)
        n = int(head.split(b":")[1])
        out.append(head + b"\n" + rest[:n].hex().upper().encode() + b"\n")
        pos += len(head) + 2 + n
    return b"".join(out)


BOMBS = BOMB * 3 + GOOD
FORMATS = {
    "raw": lambda: BOMBS,
    "hex": lambda: doc_hex(BOMBS),
    "base64": lambda: base64.encodebytes(BOMBS),
    "pcap": lambda: pcap(BOMBS),
    "pcapng": lambda: pcap(BOMBS, pcapng=True),
}


def test_one_bomb_frame(tmp_path: Path) -> None:
    path = tmp_path / "bomb.bin"
    path.write_bytes(BOMB + GOOD)
    code, lines, stderr = decode(path, timeout=30)
    assert code == 1
    assert lines[0] == {"offset": 0, "length": len(BOMB), "method": None, "header": None, "body": None,
                        "error": "body inflates past 4 MiB"}
    assert lines[1]["method"] == "AliveReq" and lines[1]["offset"] == len(BOMB)
    assert "1 of 2 frames damaged" in stderr


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_three_bombs_in_every_format(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"bombs.{fmt}"
    path.write_bytes(FORMATS[fmt]())
    code, lines, stderr = decode(path, timeout=30)
    assert code == 1, stderr
    assert [line.get("error") for line in lines] == ["body inflates past 4 MiB"] * 3 + [None]
    assert [line["offset"] for line in lines] == [0, len(BOMB), 2 * len(BOMB), 3 * len(BOMB)]
    assert "3 of 4 frames damaged" in stderr


def test_human_output_of_bombs(tmp_path: Path) -> None:
    path = tmp_path / "bombs.bin"
    path.write_bytes(BOMB * 3)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "smscli", "packet", "decode", str(path)], capture_output=True,
                          env=env, cwd=ROOT, timeout=30, preexec_fn=limited)
    assert proc.returncode == 1
    assert proc.stdout.decode().count("error: body inflates past 4 MiB") == 3


def test_repeated_16_mib_headers(tmp_path: Path) -> None:
    """17.5 MB of ``Content-Length:16777216\\r\\n`` (text: read as hex): one damaged stretch."""
    line = b"Content-Length:16777216\r\n"
    path = tmp_path / "headers.txt"
    path.write_bytes(line * 700_000 + b"\n" + doc_hex(GOOD))
    code, lines, _ = decode(path, timeout=60)
    assert code == 1
    assert lines[0]["offset"] == 0 and lines[0]["length"] == 700_000 * len(line)
    assert lines[0]["error"] == ("frame too large: Content-Length 16777216 over 4194304; "
                                 "700000 such headers in a row")
    assert lines[1]["method"] == "AliveReq"


def test_repeated_headers_inside_the_frame_size(tmp_path: Path) -> None:
    """3 MB of headers promising 2 MB each: each fails on its first payload bytes (the
    code before kept waiting for 2 MB, then copied 2 MB for every header: minutes)."""
    line = b"Content-Length:2000000\r\n"
    path = tmp_path / "headers.bin"
    path.write_bytes(line * 125_000 + GOOD)
    code, lines, _ = decode(path, "--format", "raw", timeout=60)
    assert code == 1
    assert len(lines) == 125_001
    assert {line["error"] for line in lines[:-1]} == {"zlib error: Error -3 while decompressing data: "
                                                      "incorrect header check"}
    assert lines[0]["length"] == len(line) and lines[-1]["method"] == "AliveReq"


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "random.bin"
    path.write_bytes(b"\x01" + random.Random(9).randbytes(4_000_000))
    code, lines, _ = decode(path, "--format", "raw", timeout=30)
    assert code == 1
    assert lines == [{"offset": 0, "length": 4_000_001, "method": None, "header": None, "body": None,
                      "error": "no frame header"}]


def test_many_frames_of_many_values_are_decoded_in_bounded_lots(tmp_path: Path) -> None:
    """450 frames of 20,000 empty arrays (within the limits) in 66 KB: the code before
    parsed one 64 KB read at once, about 700 MB of lists."""
    text = b'{"Header":{"Method":"X"},"Body":{"a":[' + b"[]," * 19_999 + b"[]]}}"
    path = tmp_path / "values.bin"
    path.write_bytes(frame(zlib.compress(text, 9)) * 450)
    code, _, stderr = decode(path, timeout=60, out=False)
    assert code == 0 and stderr == "", stderr


def test_deep_nesting(tmp_path: Path) -> None:
    path = tmp_path / "deep.bin"
    text = b'{"Header":{"Method":"X"},"Body":{"a":' + b"[" * 100 + b"]" * 100 + b"}}"
    path.write_bytes(frame(zlib.compress(text, 9)) + GOOD)
    code, lines, _ = decode(path)
    assert code == 1
    assert lines[0]["error"] == "JSON nested deeper than 64" and lines[1]["method"] == "AliveReq"


def test_hex_length_with_thousands_of_digits(tmp_path: Path) -> None:
    path = tmp_path / "long.hex"
    path.write_bytes(b"Content-Length:" + b"9" * 5000 + b"\n78DA\n" + doc_hex(GOOD))
    code, lines, _ = decode(path)
    assert code == 1
    assert lines[0]["error"] == "bad frame header" and lines[1]["method"] == "AliveReq"


def test_capture_connections_share_one_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many connections, each leaving a frame unfinished: past the budget, the one that
    waited longest gives up its frame (damaged, with the reason); memory stays put."""
    monkeypatch.setattr(pin_capture, "CAPTURE_BUDGET", 1024 * 1024)
    out = io.BytesIO()
    w = PcapWriter(out, LINKTYPE_ETHERNET)
    stream = b"Content-Length:4000000\r\n" + b"\x78\x01\x00\xff\xff\x00\x00" + bytes(60_000)
    for n in range(40):
        c, s = f"10.0.0.{n + 1}:40000", "10.1.0.1:9000"
        w.write_tcp(0.0, c, s, seq=999, flags=TCP_SYN)
        for i in range(0, len(stream), 1400):
            w.write_tcp(1.0, c, s, stream[i:i + 1400], seq=1000 + i, ack=1)
    w.write_tcp(2.0, "10.0.0.1:40000", "10.1.0.1:9000", GOOD, seq=1000 + len(stream), ack=1)
    held = []
    real_account = pin_capture._Tracker._account

    def account(self: pin_capture._Tracker, stream: object, n: int) -> None:
        real_account(self, stream, n)
        held.append(self._total)

    monkeypatch.setattr(pin_capture._Tracker, "_account", account)
    records = list(pin.decode_records([out.getvalue()], "pcap"))
    assert max(held) <= 1024 * 1024
    dropped = [r for r in records if r.get("error", "").startswith("dropped:")]
    assert len(dropped) >= 20
    assert dropped[0]["error"] == "dropped: the capture's connections held more than 1 MiB"
    assert records[0]["connection"] == 1 and records[0] in dropped  # the oldest went first
    assert any(r["method"] == "AliveReq" and r["connection"] == 1 for r in records)


def test_bare_zlib_bombs(tmp_path: Path) -> None:
    """The document's bare payloads (no Content-Length lines): each bomb is damaged where
    it passes the cap, and the next payload is found."""
    payload = BOMB.split(b"\r\n", 1)[1]
    good = GOOD.split(b"\r\n", 1)[1]
    path = tmp_path / "bare.bin"
    path.write_bytes(payload * 3 + good)
    code, lines, _ = decode(path, timeout=30)
    assert code == 1
    assert [line.get("error") for line in lines] == ["body inflates past 4 MiB"] * 3 + [None]
    assert [line["offset"] for line in lines] == [0, len(payload), 2 * len(payload), 3 * len(payload)]
