"""`smscli result listen` as users run it: a foreground process taking Bizppurio pushes
(POST JSON) and BizNetShot callbacks (GET) on any path, storing them in the journal."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from smscli.journal import Journal
from smscli.models import Message, SendResult
from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.timeout(60)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def listener(isolated_env):
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "smscli", "result", "listen", "--port", str(port), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(url + "/ping", timeout=1)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise AssertionError(proc.stderr.read().decode()) from None
            time.sleep(0.1)
    yield url, proc
    proc.terminate()
    proc.wait(timeout=10)


def journal_with(isolated_env, vendor: str, mid: str, to: str, server_id: str = "") -> None:
    journal = Journal.open(isolated_env / "data")
    journal.claim([Message(mid, to, "hi", "15666639")], vendor, "sandbox")  # the active profile
    journal.record([SendResult(to, "accepted", mid, vendor, "sms", "1000", "")],
                   {mid: server_id} if server_id else None)
    journal.close()


def test_bizppurio_push_and_netshot_callback_are_stored(listener, isolated_env):
    url, proc = listener
    journal_with(isolated_env, "bizppurio", "biz-1", "01012345678")
    journal_with(isolated_env, "netshot", "net-1", "01022223333", server_id="abc123:01022223333")

    push = {"DEVICE": "SMS", "CMSGID": "c1", "MSGID": "m1", "PHONE": "01012345678", "MEDIA": "SMS",
            "UNIXTIME": "1603773837", "RESULT": "4100", "REFKEY": "biz-1"}
    assert httpx.post(url + "/sms/result", json=push, timeout=5).status_code == 200
    params = {"resultCode": "1", "corpfrcode": "abc123", "sendNumber": "010-2222-3333",
              "sdate": "2026-11-21", "stime": "10:00:00", "edate": "2026-11-21", "etime": "10:00:05",
              "page": "1", "price": "20"}
    assert httpx.get(url + "/netshot", params=params, timeout=5).status_code == 200

    bad = httpx.post(url + "/", content=b"{not json", headers={"content-type": "application/json"}, timeout=5)
    assert bad.status_code == 400
    assert httpx.post(url + "/", json=push, timeout=5).status_code == 200  # still serving

    listed = {}
    deadline = time.monotonic() + 10
    while len(listed) < 2 and time.monotonic() < deadline:
        out = run_cli("result", "list", "--status", "delivered", "--json")
        listed = {o["message_id"]: o for o in map(json.loads, out.stdout.decode().splitlines())}
        time.sleep(0.2)
    assert set(listed) == {"biz-1", "net-1"}
    assert listed["biz-1"]["delivered_at"].startswith("2020-10-27T13:43:57+09:00")
    proc.terminate()
    out, err = proc.communicate(timeout=10)
    printed = [json.loads(line) for line in out.decode().splitlines()]
    assert {p["message_id"] for p in printed} >= {"biz-1", "net-1"}
    assert b"Traceback" not in err


def test_listen_limits_from_the_command_line(isolated_env):
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "smscli", "result", "listen", "--port", str(port), "--max-body", "2048",
         "--request-timeout", "0.5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.1)
        with sock:  # connected and silent: told within the request timeout
            sock.settimeout(5)
            assert sock.recv(4096).startswith(b"HTTP/1.1 408 ")
        response = httpx.post(f"http://127.0.0.1:{port}/", content=b"x" * 3000, timeout=5)
        assert response.status_code == 413 and response.text == "body larger than 2048 bytes\n"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert "-> 413 body larger than 2048 bytes" in proc.stderr.read().decode()
    assert run_cli("result", "listen", "--max-body", "10").returncode == 2
