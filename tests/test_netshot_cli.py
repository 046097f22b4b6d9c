"""`smscli sim netshot` as a user runs it: a foreground server stopped with Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import httpx

from tests.conftest import ROOT


def test_sim_netshot_serves_until_interrupted(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), SMSCLI_SIM_PASSWORD="s3cr3t-pw")
    record = tmp_path / "rec.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "smscli", "sim", "netshot", "--port", "0", "--user", "me",
         "--record", str(record)],
        stderr=subprocess.PIPE, env=env, cwd=ROOT,
    )
    try:
        assert proc.stderr is not None
        banner = ""
        while not banner.endswith('sender = "0212341234"\n'):  # the address, then a profile
            line = proc.stderr.readline().decode()
            assert line, banner
            banner += line
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+/corp/send_message\.php)", banner)
        assert match, banner
        assert banner.startswith("smscli sim netshot: listening on "), banner
        assert "netshot-sim:" not in banner
        assert f'url = "{match.group(1)}"\nuser = "me"\npassword_env = "SMSCLI_SIM_PASSWORD"' in banner
        body = "m_id=me&m_pw=s3cr3t-pw&m_corpfrcode=c1&fromNumber=0212341234&toNumber=01012345678&contents=hi"
        response = httpx.post(match.group(1), content=body, timeout=5, trust_env=False,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert response.text.startswith("sendCode: 300\n")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    text = err.decode()
    assert "smscli sim netshot: stopped: 1 requests, 1 recipients accepted" in text and "Traceback" not in text
    assert "s3cr3t" not in banner + text
    assert '"to": "01012345678"' in record.read_text("utf-8")


def test_sim_netshot_busy_port_is_exit_2():
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        from tests.conftest import run_cli

        proc = run_cli("sim", "netshot", "--port", str(port), timeout=20)
    assert proc.returncode == 2
    assert proc.stderr.decode().strip() == (
        f"smscli: cannot listen on 127.0.0.1:{port}: Address already in use (choose another --port)")


def test_send_warns_that_biznetshot_picks_sms_or_lms_at_80_bytes(isolated_env, monkeypatch):
    import json

    from smscli.sim.netshot import NetshotSim
    from tests.conftest import run_cli

    with NetshotSim(accounts={"member": "s3cret"}) as sim:
        (isolated_env / "config.toml").write_text(
            f'default_profile = "net"\n[profiles.net]\nvendor = "netshot"\nurl = "{sim.url}"\n'
            'user = "member"\npassword_env = "NETSHOT_PW"\nsender = "0212341234"\n', encoding="utf-8")
        (isolated_env / "config.toml").chmod(0o600)
        proc = run_cli("send", "--to", "01012345678", "-m", "가" * 45, "--type", "lms", "--json",
                       env={"NETSHOT_PW": "s3cret"})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "accepted"
    err = proc.stderr.decode()
    assert "netshot picks SMS or LMS itself (LMS over 80 bytes); --type lms is not sent" in err
    assert "1 message(s) are over 80 bytes: netshot sends them as LMS" in err


def test_unreachable_netshot_names_its_url_key(isolated_env):
    """netshot's config key is `url`, not bizppurio's `base_url`: the hint says the one to fix."""
    import socket

    from tests.conftest import run_cli

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (isolated_env / "config.toml").write_text(
        f'default_profile = "net"\n[profiles.net]\nvendor = "netshot"\nurl = "http://127.0.0.1:{port}/send"\n'
        'user = "member"\npassword = "s3cret"\nsender = "0212341234"\nbackoff = 0.01\n', encoding="utf-8")
    (isolated_env / "config.toml").chmod(0o600)
    proc = run_cli("send", "--to", "01012345678", "-m", "hi")
    err = proc.stderr.decode()
    assert proc.returncode == 4, err
    assert f"cannot reach 127.0.0.1:{port}" in err
    assert "check url and the network" in err and "base_url" not in err
