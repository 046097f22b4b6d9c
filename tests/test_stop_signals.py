"""Servers that run until stopped stop on SIGINT and SIGTERM, also when started with SIGINT
ignored, as a background job of a script is (``smscli sim oneshot &``): Python installs no
Ctrl-C handler in such a process, so ``kill -INT`` used to leave it running."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

SERVERS = {
    "sim oneshot": (["sim", "oneshot", "--port", "0"], "listening on", 0),
    "sim netshot": (["sim", "netshot", "--port", "0"], "listening on", 0),
    "sim bizppurio": (["sim", "bizppurio", "--port", "0"], "listening on", 0),
    "sim bizclient": (["sim", "bizclient", "--database-url", "sqlite:///{tmp}/biz.db", "--file-path", "{tmp}",
                       "--interval", "0.05"], "working", 0),
    "result listen": (["result", "listen", "--port", "0"], "listening on", 130),
}


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _wait_for(proc: subprocess.Popen[bytes], text: str, timeout: float = 20.0) -> str:
    assert proc.stderr is not None
    seen = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stderr, selectors.EVENT_READ)
        while text.encode() not in seen:
            left = deadline - time.monotonic()
            assert left > 0 and proc.poll() is None, f"no {text!r} on stderr: {seen.decode(errors='replace')}"
            if sel.select(left):
                chunk = os.read(proc.stderr.fileno(), 65536)
                assert chunk, f"stderr closed before {text!r}: {seen.decode(errors='replace')}"
                seen += chunk
    return seen.decode(errors="replace")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("name", list(SERVERS))
def test_a_server_started_with_sigint_ignored_stops_on_a_signal(name: str, sig: int, tmp_path: Path):
    args, banner, status = SERVERS[name]
    argv = [a.format(tmp=tmp_path) for a in args]
    proc = subprocess.Popen([sys.executable, "-m", "smscli", *argv], cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=_ignore_sigint)
    try:
        _wait_for(proc, banner)
        proc.send_signal(sig)
        assert proc.wait(timeout=20) == status
        assert proc.stderr is not None
        rest = proc.stderr.read().decode(errors="replace")
        if status == 130:  # a listener has nothing to resume: the line does not say so
            assert "smscli: interrupted; the journal is consistent." in rest and "resume" not in rest, rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()
