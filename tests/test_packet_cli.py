"""``smscli packet encode`` / ``packet decode`` end to end, in a subprocess."""

from __future__ import annotations

import base64
import io
import json
import os
import pty
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from smscli.capture import LINKTYPE_LINUX_SLL, TCP_ACK, TCP_FIN, TCP_SYN, PcapWriter
from smscli.protocol.oneshot import BodyCipher, encode_frame
from tests.conftest import ROOT, run_cli

VECTORS = json.loads((ROOT / "tests" / "protocol" / "data" / "oneshot-wire-vectors.json").read_text("utf-8"))
KEY, IV = "0123456789abcdef", "fedcba9876543210"
KEYS = ["--key", KEY, "--iv", IV]
CIPHER = BodyCipher(KEY.encode(), IV.encode())
BIND = {"BindId": "test001", "BindPwd": "s3cret!", "Version": 1}


def lines(proc: subprocess.CompletedProcess[bytes]) -> list[dict]:
    return [json.loads(line) for line in proc.stdout.decode().splitlines()]


def err(proc: subprocess.CompletedProcess[bytes]) -> str:
    return proc.stderr.decode()


# --------------------------------------------------------------------------- encode
def test_encode_vectors_byte_exact_in_every_format() -> None:
    jsonl = "".join(v["json"] + "\n" for v in VECTORS)
    hexed = run_cli("packet", "encode", "--format", "hex", "-", input=jsonl)
    assert hexed.returncode == 0, err(hexed)
    out = hexed.stdout.decode().splitlines()
    assert out[0::2] == [f"Content-Length:{v['content_length']}" for v in VECTORS]
    assert out[1::2] == [v["compressed_hex"] for v in VECTORS]
    raw = run_cli("packet", "encode", input=jsonl)
    wire = b"".join(b"Content-Length:%d\r\n" % v["content_length"] + bytes.fromhex(v["compressed_hex"])
                    for v in VECTORS)
    assert raw.returncode == 0 and raw.stdout == wire
    b64 = run_cli("packet", "encode", "-f", "base64", input=jsonl)
    assert b"".join(base64.b64decode(line) for line in b64.stdout.splitlines()) == wire


def test_encode_body_with_method_and_from_a_file(tmp_path: Path) -> None:
    vec = VECTORS[3]  # MsgSendReq
    body = json.dumps(json.loads(vec["json"])["Body"], ensure_ascii=False)
    proc = run_cli("packet", "encode", "--method", "MsgSendReq", body, "-f", "hex")
    assert proc.stdout.decode().splitlines()[1] == vec["compressed_hex"]
    path = tmp_path / "body.json"
    path.write_text(body, encoding="utf-8")
    proc = run_cli("packet", "encode", "-m", "MsgSendReq", f"@{path}", "-f", "hex")
    assert proc.stdout.decode().splitlines()[1] == vec["compressed_hex"]
    alive = run_cli("packet", "encode", "--method", "AliveReq", "-f", "hex")
    assert alive.stdout.decode().splitlines()[1] == VECTORS[2]["compressed_hex"]


def test_bind_bodies_are_encrypted_and_round_trip_through_decode(tmp_path: Path) -> None:
    enc = run_cli("packet", "encode", "--method", "BindReq", json.dumps(BIND), *KEYS)
    assert enc.returncode == 0, err(enc)
    assert enc.stdout == encode_frame("BindReq", CIPHER.encrypt(BIND))
    dump = tmp_path / "bind.bin"
    dump.write_bytes(enc.stdout)
    masked = lines(run_cli("packet", "decode", str(dump), "--json", *KEYS))
    assert masked == [{"offset": 0, "length": len(enc.stdout) - 20, "method": "BindReq",
                       "header": {"Method": "BindReq"}, "body": {**BIND, "BindPwd": "********"},
                       "encrypted": True}]
    shown = lines(run_cli("packet", "decode", str(dump), "--json", "--show-secrets", *KEYS))
    assert shown[0]["body"] == BIND
    human = run_cli("packet", "decode", str(dump), *KEYS)
    assert "s3cret" not in human.stdout.decode()
    assert "#1  BindReq  offset 0  length" in human.stdout.decode()


def test_encrypt_flag_encrypts_any_object_body() -> None:
    proc = run_cli("packet", "encode", "-m", "MsgSendRes", '{"Result":0}', "--encrypt", *KEYS, "-f", "base64")
    wire = base64.b64decode(proc.stdout)
    assert wire == encode_frame("MsgSendRes", CIPHER.encrypt({"Result": 0}))


def test_key_and_iv_from_the_profile(isolated_env: Path) -> None:
    config = isolated_env / "config.toml"
    config.write_text(
        'default_profile = "prod"\n[profiles.prod]\nvendor = "oneshot"\nhost = "127.0.0.1"\nport = 9000\n'
        f'bind_id = "test001"\npassword = "pw"\naes_key = "{KEY}"\naes_iv = "hex:{IV.encode().hex()}"\n',
        encoding="utf-8",
    )
    config.chmod(0o600)
    enc = run_cli("packet", "encode", "-m", "UnBindReq", '{"BindId":"test001"}')
    assert enc.returncode == 0, err(enc)
    assert enc.stdout == encode_frame("UnBindReq", CIPHER.encrypt({"BindId": "test001"}))
    dec = run_cli("packet", "decode", "-", "--json", input=enc.stdout)
    assert lines(dec)[0]["body"] == {"BindId": "test001"}


@pytest.mark.parametrize(
    ("args", "stdin", "code", "message"),
    [
        (["-m", "BindReq", json.dumps(BIND)], None, 3,
         "smscli: this body must be encrypted, and there is no AES key and IV "
         "(pass --key and --iv, or set aes_key and aes_iv in the profile)"),
        (["-m", "BindReq", json.dumps(BIND), "--key", KEY], None, 3, "there is no AES IV"),
        (["-m", "BindReq", json.dumps(BIND), "--key", "short", "--iv", IV], None, 2,
         "smscli: --key: AES key is 5 bytes; it needs 16"),
        (["-m", "BindReq", json.dumps(BIND), "--key", KEY, "--iv", "hex:zz"], None, 2,
         'smscli: --iv: AES IV "hex:" value is not hexadecimal'),
        (["{not json"], None, 2, "smscli: the input is not valid JSON: Expecting property name"),
        (['{"Body":{}}'], None, 2, "smscli: JSON value 1 has no Header.Method (pass --method M"),
        (['{"Header":{}}'], None, 2, "smscli: JSON value 1: Header has no Method"),
        (['{"Header":{"Method":"A"},"Extra":1}'], None, 2, "smscli: JSON value 1: unexpected key 'Extra'"),
        (['{"Header":{"Method":"A"}}', "-m", "B"], None, 2,
         "smscli: JSON value 1: --method B but the frame's Header.Method is A"),
        (["-m", "A", "[1, 2]"], None, 2, "the body must be a JSON object or an (encrypted) string, not list"),
        (["-"], b"", 2, "smscli: no JSON given"),
        (["@/nonexistent/body.json"], None, 2, "smscli: cannot read /nonexistent/body.json: No such file"),
    ],
)
def test_encode_errors(args: list[str], stdin: bytes | None, code: int, message: str) -> None:
    proc = run_cli("packet", "encode", *args, "-f", "hex", input=stdin)
    assert proc.returncode == code, err(proc)
    assert message in err(proc)
    assert "Traceback" not in err(proc) and proc.stdout == b""


def test_encode_warns_about_unknown_methods() -> None:
    proc = run_cli("packet", "encode", '{"Header":{"Method":"NoSuchReq"}}', "-f", "hex")
    assert proc.returncode == 0
    assert "smscli: 'NoSuchReq' is not a method of the OneShot document; encoding it anyway" in err(proc)


def test_raw_output_is_refused_on_a_terminal() -> None:
    main, child = pty.openpty()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    try:
        proc = subprocess.run([sys.executable, "-m", "smscli", "packet", "encode", "-m", "AliveReq"],
                              stdout=child, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                              env=env, timeout=60, cwd=ROOT)
    finally:
        os.close(child)
        os.close(main)
    assert proc.returncode == 2
    assert proc.stderr.decode().strip() == (
        "smscli: refusing to write binary frame bytes to a terminal "
        "(use --format hex or --format base64, or redirect: > frame.bin)")


# --------------------------------------------------------------------------- decode
def vector_wire() -> bytes:
    return b"".join(encode_frame(v["method"], json.loads(v["json"]).get("Body")) for v in VECTORS)


def in_process(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict], str]:
    """Run the CLI in this process (faster than a subprocess): exit code, JSON lines, stderr."""
    from smscli.cli.app import program

    code = program(list(args))
    out, stderr = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines() if line.startswith("{")], stderr


def test_every_format_and_auto_detection(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wire = vector_wire()
    text = "".join(f"Content-Length:{v['content_length']}[CR][LF]\n{v['compressed_hex']}\n" for v in VECTORS)
    inputs = {
        "raw": wire,
        "hex": text.encode(),
        "base64": base64.encodebytes(wire),
    }
    expected = [v["method"] for v in VECTORS]
    for fmt, data in inputs.items():
        path = tmp_path / f"in.{fmt}"
        path.write_bytes(data)
        for how in ("auto", fmt):
            code, recs, stderr = in_process(capsys, "packet", "decode", str(path), "--json", "--format", how)
            assert code == 0, (fmt, how, stderr)
            assert [r["method"] for r in recs] == expected, (fmt, how)
    piped = run_cli("packet", "decode", "--json", input=inputs["base64"])
    assert [r["method"] for r in lines(piped)] == expected


def test_document_hex_without_length_lines() -> None:
    text = "\n\n".join(v["compressed_hex"][i:i + 66] for v in VECTORS[1:3] for i in range(0, 80, 66))
    proc = run_cli("packet", "decode", "--json", input=text)
    assert [(r["method"], r["offset"], r["length"]) for r in lines(proc)] == [("AliveRes", 0, 40),
                                                                            ("AliveReq", 40, 40)]


def damaged_stream() -> tuple[bytes, list[tuple[int, str | None]]]:
    good = encode_frame("AliveReq", None)
    parts = [
        good,
        b"Content-Length:abc\r\n",                                          # bad header
        good,
        b"Content-Length:12\r\n" + b"\x78\xda" + b"\x00" * 10,               # zlib error
        good,
        b"Content-Length:%d\r\n" % len(zlib.compress(b"{nope", 9)) + zlib.compress(b"{nope", 9),  # not JSON
        good,
        encode_frame("BindRes", BodyCipher(b"k" * 16, IV.encode()).encrypt({"Result": 0})),  # other key
        good,
        b"Content-Length:500\r\n" + b"\x78\xda" + b"\x01" * 20,              # length past the data
    ]
    offsets, pos = [], 0
    for p in parts:
        offsets.append(pos)
        pos += len(p)
    reasons = [None, "bad frame header", None, "zlib error", None, "not JSON", None,
               "the body does not decrypt", None, "truncated: Content-Length 500 but only 22 bytes follow"]
    return b"".join(parts), list(zip(offsets, reasons, strict=True))


def test_damaged_frames_are_reported_and_decoding_resumes(tmp_path: Path) -> None:
    data, expected = damaged_stream()
    path = tmp_path / "damaged.bin"
    path.write_bytes(data)
    proc = run_cli("packet", "decode", str(path), "--json", *KEYS, "--format", "raw")
    assert proc.returncode == 1
    recs = lines(proc)
    assert [r["offset"] for r in recs] == [o for o, _ in expected]
    for rec, (_, reason) in zip(recs, expected, strict=True):
        if reason is None:
            assert "error" not in rec and rec["method"] == "AliveReq"
        else:
            assert rec["error"].startswith(reason), rec
    assert recs[7]["method"] == "BindRes" and isinstance(recs[7]["body"], str)
    assert err(proc).strip().splitlines()[-1] == (
        "smscli: 5 of 10 frames damaged (see the error of each damaged frame above)")
    human = run_cli("packet", "decode", str(path), *KEYS)
    assert human.returncode == 1
    assert "#2  DAMAGED  offset 59  length 20\n  error: bad frame header" in human.stdout.decode()
    assert err(human).startswith("smscli: 5 of 10 frames damaged")


def test_empty_and_unreadable_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = run_cli("packet", "decode", "-", input=b"")
    assert empty.returncode == 2
    assert err(empty).strip() == ("smscli: the input is empty: there is nothing to decode "
                                  "(give a FILE, or pipe frames on stdin)")
    text, wire = tmp_path / "words.txt", tmp_path / "wire.bin"
    text.write_text("just some words")
    wire.write_bytes(vector_wire())
    cases = [
        (["/nonexistent/dump.bin"], "smscli: cannot read /nonexistent/dump.bin: No such file or directory"),
        ([str(text)], "smscli: cannot tell the input format: the text is neither hex nor base64"),
        ([str(wire), "--format", "hex"],
         "smscli: hex input, line 2: unexpected bytes 78 da ab 56 f2 48 4d 4c (hex input"),
        ([str(wire), "--key", KEY],
         "smscli: an AES key was given without an IV (pass --iv, or set aes_iv in the profile)"),
        ([str(tmp_path)], f"smscli: cannot read {tmp_path}: Is a directory"),
    ]
    for args, message in cases:
        code, recs, stderr = in_process(capsys, "packet", "decode", *args)
        assert (code, recs) == (2, []), args
        assert stderr.startswith(message), stderr


def test_encrypted_body_without_key_is_shown_with_a_note() -> None:
    proc = run_cli("packet", "decode", "-", input=vector_wire()[:155])
    assert proc.returncode == 0
    out = proc.stdout.decode()
    assert "body (encrypted): BB1ytDwqoSZ5zpUkyA5p" in out
    assert "note: encrypted body: pass --key and --iv" in out


def session_pcap() -> bytes:
    """A OneShot session and an HTTP connection, both directions, out of order, retransmitted."""
    c, s = "192.0.2.10:51000", "198.51.100.7:9000"
    bind = encode_frame("BindReq", CIPHER.encrypt(BIND))
    bind_res = encode_frame("BindRes", CIPHER.encrypt({"Result": 0, "BindId": "test001", "Speed": 100}))
    send = encode_frame("MsgSendReq", json.loads(VECTORS[3]["json"])["Body"])
    sent = encode_frame("MsgSendRes", json.loads(VECTORS[4]["json"])["Body"])
    out = io.BytesIO()
    w = PcapWriter(out, LINKTYPE_LINUX_SLL)
    t = 1_750_000_000.0
    w.write_tcp(t, c, s, seq=99, flags=TCP_SYN)
    w.write_tcp(t + .01, s, c, seq=699, ack=100, flags=TCP_SYN | TCP_ACK)
    w.write_tcp(t + .02, c, s, bind, seq=100)
    w.write_tcp(t + .03, s, c, bind_res, seq=700)
    cseq = 100 + len(bind)
    w.write_tcp(t + .04, c, s, send[100:], seq=cseq + 100)         # second half first
    w.write_tcp(t + .05, c, s, send[:100], seq=cseq)               # then the first half
    w.write_tcp(t + .06, c, s, send[:100], seq=cseq)               # retransmitted
    w.write_tcp(t + .07, s, c, sent, seq=700 + len(bind_res))
    w.write_tcp(t + .08, c, s, seq=cseq + len(send), flags=TCP_FIN | TCP_ACK)
    w.write_tcp(t + .09, "192.0.2.10:51001", "198.51.100.7:80", b"GET / HTTP/1.1\r\n\r\n", seq=5,
                flags=TCP_ACK)
    w.write_tcp(t + .10, "198.51.100.7:80", "192.0.2.10:51001", b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
                seq=9, flags=TCP_ACK)
    return out.getvalue()


def test_pcap_session_both_directions(tmp_path: Path) -> None:
    path = tmp_path / "session.pcap"
    path.write_bytes(session_pcap())
    proc = run_cli("packet", "decode", str(path), "--json", *KEYS)
    assert proc.returncode == 0, err(proc)
    recs = lines(proc)
    assert [(r["method"], r["direction"], r["offset"]) for r in recs] == [
        ("BindReq", "client→server", 0),
        ("BindRes", "server→client", 0),
        ("MsgSendReq", "client→server", len(encode_frame("BindReq", CIPHER.encrypt(BIND)))),
        ("MsgSendRes", "server→client", recs[3]["offset"]),
    ]
    assert recs[0]["body"]["BindPwd"] == "********"
    assert recs[2]["body"]["Message"] == "SMS 테스트 메시지 "
    assert {r["connection"] for r in recs} == {1}
    assert recs[0]["src"] == "192.0.2.10:51000" and recs[0]["dst"] == "198.51.100.7:9000"
    assert recs[0]["time"] == "2025-06-15T15:06:40.020000Z"
    assert ("connection 2 (192.0.2.10:51001 ⇄ 198.51.100.7:80) does not carry OneShot frames; "
            "skipped (use --port to decode it anyway)") in err(proc)
    only_http = run_cli("packet", "decode", str(path), "--json", "--port", "80")
    assert only_http.returncode == 1  # forced: HTTP is not OneShot, so it is reported damaged
    assert {r["connection"] for r in lines(only_http)} == {1}
    human = run_cli("packet", "decode", str(path), "--port", "9000")
    assert "#2  BindRes  offset 0  length" in human.stdout.decode()
    assert "server→client 198.51.100.7:9000 → 192.0.2.10:51000 (connection 1)" in human.stdout.decode()
    assert "4 frames, none damaged" in err(human)


@pytest.mark.parametrize(("cut", "frames"), [(50, "0 frames"), (-5, "4 frames")])
def test_truncated_capture_is_damaged_input_on_one_line(tmp_path: Path, cut: int, frames: str) -> None:
    path = tmp_path / "trunc.pcap"
    path.write_bytes(session_pcap()[:cut])
    for extra in ([], ["--json"]):
        proc = run_cli("packet", "decode", str(path), *KEYS, *extra)
        assert proc.returncode == 1, err(proc)
        assert err(proc).splitlines()[-1] == (
            f"smscli: {path}: the capture file ends in the middle of a packet (file truncated?);"
            f" {frames} decoded before it")
        assert "none damaged" not in err(proc) and "holds no TCP" not in err(proc)
        if cut == 50:
            assert len(err(proc).splitlines()) == 1
    whole = tmp_path / "whole.pcapng"
    whole.write_bytes((ROOT / "tests" / "data" / "oneshot-session-sll2.pcapng").read_bytes())
    assert run_cli("packet", "decode", str(whole)).returncode == 0
    cut_block = run_cli("packet", "decode", "-", input=whole.read_bytes()[:-30])
    assert cut_block.returncode == 1
    assert err(cut_block).endswith("the capture file ends in the middle of a block (file truncated?);"
                                   " 10 frames decoded before it\n")
    assert len(err(cut_block).splitlines()) == 1


def test_pcap_with_no_tcp_is_noted(tmp_path: Path) -> None:
    out = io.BytesIO()
    PcapWriter(out).write(1.0, b"\xff" * 12 + b"\x08\x06" + b"\0" * 28)  # one ARP packet
    proc = run_cli("packet", "decode", "-", input=out.getvalue())
    assert proc.returncode == 2  # nothing to decode is an input error
    assert err(proc).splitlines() == [  # one line: why nothing was found is part of it
        "smscli: no OneShot frames found in stdin: the capture holds no TCP segments (1 packets "
        "read) (check --port and that the capture holds the OneShot connection)"]
    bad = run_cli("packet", "decode", "--format", "pcap", input=vector_wire())
    assert bad.returncode == 2
    assert "smscli: cannot read the capture: not a pcap or pcapng file" in err(bad)


def test_decode_streams_its_output() -> None:
    """The first frame is printed while the input is still open."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "smscli", "packet", "decode", "--json", "-"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, cwd=ROOT)
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(encode_frame("AliveReq", None))
        proc.stdin.flush()
        first = json.loads(proc.stdout.readline())
        assert first["method"] == "AliveReq"
        proc.stdin.write(encode_frame("AliveRes", None))
        proc.stdin.close()
        assert json.loads(proc.stdout.readline())["method"] == "AliveRes"
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_readme_samples_decode() -> None:
    for name in ("oneshot-session.hex", "oneshot-session.pcap"):
        proc = run_cli("packet", "decode", f"samples/{name}", "--json", *KEYS)
        assert proc.returncode == 0, err(proc)
        recs = lines(proc)
        assert [r["method"] for r in recs if r.get("direction", "client→server") == "client→server"][:3] == [
            "BindReq", "MsgSendReq", "AliveReq"] if name.endswith("pcap") else True
        assert len(recs) == 10 and not any("error" in r for r in recs)
        assert recs[0]["body"] == {"BindId": "test001", "BindPwd": "********", "Version": 1}


@pytest.mark.parametrize("command", ["encode", "decode"])
def test_help_has_a_summary_and_examples(command: str) -> None:
    proc = run_cli("packet", command, "--help")
    assert proc.returncode == 0
    out = proc.stdout.decode()
    assert "Examples:" in out and f"smscli packet {command}" in out
