"""The biggest inputs of the fuzz targets, each in a subprocess under RLIMIT_AS 1 GiB: the
exit status is 0-4 with no traceback, and the peak RSS stays under the budget."""

from __future__ import annotations

import base64
import functools
import io
import json
import os
import random
import resource
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from smscli.capture import TCP_SYN, PcapWriter
from smscli.protocol.oneshot.frames import encode_frame
from tests.conftest import ROOT

pytestmark = pytest.mark.timeout(300)
ADDRESS_SPACE = 1 << 30
BUDGET_MB = 400  # peak RSS of one command on one of these inputs

CHILD = """
import json, sys
from smscli.cli.app import program
status = program(json.loads(sys.argv[1]))
sys.stderr.flush(); sys.stdout.flush()
# VmHWM: this process's peak RSS (ru_maxrss would start from the parent's, kept across fork+exec)
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"status": status, "maxrss_kb": hwm}), file=sys.__stderr__)
"""


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def _bomb() -> bytes:
    """A frame whose ~200 KB of zlib inflate to 200 MB."""
    c = zlib.compressobj(9)
    z = c.compress(b"{") + b"".join(c.compress(b" " * (1 << 20)) for _ in range(200)) + c.flush()
    return b"Content-Length:%d\r\n" % len(z) + z


def _pcap(payload: bytes) -> bytes:
    buf = io.BytesIO()
    w = PcapWriter(buf)
    w.write_tcp(1.0, "10.0.0.1:50000", "10.0.0.2:9000", seq=999, flags=TCP_SYN)
    for i in range(0, len(payload), 60000):
        w.write_tcp(1.1, "10.0.0.1:50000", "10.0.0.2:9000", payload[i:i + 60000], seq=1000 + i)
    return buf.getvalue()


@functools.cache
def _inputs() -> dict[str, tuple[bytes, list[str]]]:
    rnd = random.Random(9)
    noise = rnd.randbytes(32 << 20)
    frames = b"".join(encode_frame("MsgSendReq", {"UserMsgId": str(i), "Message": "x" * 500}) for i in range(20000))
    return {
        "decode-raw-noise-32MB": (noise, ["packet", "decode", "{}", "--format", "raw"]),
        "decode-auto-frames": (frames, ["packet", "decode", "{}", "--json"]),
        "decode-zlib-bomb": (_bomb() * 3, ["packet", "decode", "{}", "--format", "raw"]),
        "decode-hex-24MB": (noise[:12 << 20].hex().encode(), ["packet", "decode", "{}", "--format", "hex"]),
        "decode-base64": (base64.b64encode(frames + _bomb()), ["packet", "decode", "{}", "-f", "base64"]),
        "decode-pcap": (_pcap(frames[:8 << 20] + _bomb() + noise[:4 << 20]), ["packet", "decode", "{}", "-f", "pcap"]),
        "csv-huge-field": (b"phone,name\n01012345678," + b"x" * (64 << 20) + b"\n",
                           ["send", "--csv", "{}", "-m", "hi {name}", "--dry-run"]),
        "csv-many-rows": (b"phone,name\n" + b"".join(b"010%08d,kim\n" % i for i in range(200_000)),
                          ["send", "--csv", "{}", "-m", "hi {name}", "--dry-run", "--json"]),
        "csv-binary": (noise[:16 << 20], ["send", "--csv", "{}", "-m", "hi", "--dry-run"]),
        "config-deep": (b"x = " + b"[" * 500_000 + b"]" * 500_000, ["config", "show", "--config", "{}"]),
        "config-huge-value": (b'[profiles.p]\nvendor = "sandbox"\nsender = "' + b"1" * (32 << 20) + b'"\n',
                              ["send", "--config", "{}", "-p", "p", "--to", "01012345678", "-m", "hi", "--dry-run"]),
    }


@pytest.fixture(scope="module", autouse=True)
def _free_inputs() -> Iterator[None]:
    yield
    _inputs.cache_clear()  # ~150 MB of inputs: not kept for the rest of the session


NAMES = ["config-deep", "config-huge-value", "csv-binary", "csv-huge-field", "csv-many-rows",
         "decode-auto-frames", "decode-base64", "decode-hex-24MB", "decode-pcap", "decode-raw-noise-32MB",
         "decode-zlib-bomb"]


@pytest.mark.parametrize("name", NAMES)
def test_biggest_inputs_stay_under_the_memory_budget(name: str, tmp_path: Path) -> None:
    data, argv = _inputs()[name]
    path = tmp_path / "input"
    path.write_bytes(data)
    argv = [a.replace("{}", str(path)) for a in argv]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(argv)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env=env, cwd=ROOT, timeout=240, preexec_fn=_limit)
    err = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err and "internal error" not in err and "MemoryError" not in err, err[-3000:]
    assert proc.returncode == 0, err[-3000:]
    assert sorted(_inputs()) == NAMES
    report = json.loads(err.strip().splitlines()[-1])
    print(f"{name}: exit {report['status']}, peak RSS {report['maxrss_kb'] // 1024} MB")  # -s shows it
    assert report["status"] in {0, 1, 2, 3, 4}, err[-3000:]
    assert report["maxrss_kb"] < BUDGET_MB * 1024, (name, report, err[-1000:])
