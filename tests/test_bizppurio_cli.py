"""End to end: `smscli send/reserve/result poll` with a bizppurio profile against the simulator
(subprocess CLI, real config file, real journal)."""

from __future__ import annotations

import json
import os
import socket
import time

import pytest

from smscli import clock
from smscli.sim.bizppurio import BizppurioSim, SimConfig
from tests.conftest import run_cli

pytestmark = pytest.mark.timeout(120)


def write_profile(home, base_url: str, **extra: str) -> None:
    lines = ['default_profile = "biz"', "[profiles.biz]", 'vendor = "bizppurio"', f'base_url = "{base_url}"',
             'account = "test"', 'sender = "0212341234"', 'password_env = "BIZ_PASSWORD"',
             "backoff = 0.01", "poll_interval = 0.1", *(f"{k} = {v}" for k, v in extra.items())]
    config = home / "config.toml"
    config.write_text("\n".join(lines) + "\n")
    os.chmod(config, 0o600)


def lines(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode().splitlines()]


def test_send_wait_duplicate_reserve_and_poll(isolated_env):
    env = {"BIZ_PASSWORD": "test"}
    with BizppurioSim(SimConfig(report_delay=0.2)) as sim:
        write_profile(isolated_env, sim.base_url)
        sent = run_cli("send", "--to", "01012345678,01098765432", "--message", "안녕하세요", "--id", "k1",
                       "--wait", "10", "--json", env=env)
        assert sent.returncode == 0, sent.stderr
        assert [r["status"] for r in lines(sent.stdout)] == ["delivered", "delivered"]
        again = run_cli("send", "--to", "01012345678,01098765432", "--message", "안녕하세요", "--id", "k1",
                        "--json", env=env)
        assert [r["status"] for r in lines(again.stdout)] == ["duplicate", "duplicate"]
        at = time.strftime("%Y-%m-%d %H:%M", time.gmtime(clock.time() + 9 * 3600 + 2 * 86400))
        reserved = run_cli("reserve", "--at", at, "--to", "01011112222", "--message", "예약", "--json", env=env)
        assert reserved.returncode == 0, reserved.stderr
        assert lines(reserved.stdout)[0]["status"] == "scheduled"
        sim.api.add_report("sms", "01011112222", "elsewhere", ready_at=0.0)  # ready now
        polled = run_cli("result", "poll", "--json", env=env)
        assert polled.returncode == 0, polled.stderr
        assert [r["message_id"] for r in lines(polled.stdout)] == ["elsewhere"]
        assert sim.api.pending_reports() == 1  # only the reservation's report, due in two days
        assert sim.accepted() == {"k1-01012345678": 1, "k1-01098765432": 1,
                                  lines(reserved.stdout)[0]["message_id"]: 1}


def test_wrong_password_is_refused_even_while_a_token_from_the_right_one_is_cached(isolated_env):
    with BizppurioSim(SimConfig()) as sim:
        write_profile(isolated_env, sim.base_url)
        good = run_cli("send", "--to", "01012345678", "--message", "hi", env={"BIZ_PASSWORD": "test"})
        assert good.returncode == 0, good.stderr
        wrong = run_cli("send", "--to", "01012345678", "--message", "hi again", env={"BIZ_PASSWORD": "wrong"})
        assert wrong.returncode == 3, wrong.stderr
        assert wrong.stderr.decode().startswith("smscli: bizppurio refused account 'test': 3001")
        assert sim.stats()["tokens_issued"] == 1 and len(sim.accepted()) == 1
        again = run_cli("send", "--to", "01012345678", "--message", "right again", env={"BIZ_PASSWORD": "test"})
        assert again.returncode == 0, again.stderr
        assert sim.stats()["tokens_issued"] == 1 and len(sim.accepted()) == 2  # the first token, reused


def test_wrong_password_exit_3_and_unreachable_exit_4(isolated_env):
    with BizppurioSim(SimConfig()) as sim:
        write_profile(isolated_env, sim.base_url)
        refused = run_cli("send", "--to", "01012345678", "--message", "hi", env={"BIZ_PASSWORD": "wrong"})
    assert refused.returncode == 3
    err = refused.stderr.decode()
    assert err.startswith("smscli: bizppurio refused account 'test': 3001") and "wrong" not in err.split("3001")[0]
    assert len(err.strip().splitlines()) == 1
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    write_profile(isolated_env, f"http://127.0.0.1:{port}", attempts="2")
    unreachable = run_cli("send", "--to", "01012345678", "--message", "hi", env={"BIZ_PASSWORD": "test"})
    assert unreachable.returncode == 4
    assert f"cannot reach 127.0.0.1:{port}: connection refused" in unreachable.stderr.decode()


def test_a_vendor_unreachable_before_the_first_message_keeps_the_run_for_resume(isolated_env):
    """A retryable failure before any message was journaled (here: nothing listens on the
    vendor's port; a Ctrl-C is the other) keeps the run, and names --resume as the next
    step; only a refusal (a bad input, a wrong password) forgets it."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    write_profile(isolated_env, f"http://127.0.0.1:{port}")
    sent = run_cli("send", "--to", "01012345678", "-m", "x", env={"BIZ_PASSWORD": "test"})
    assert sent.returncode == 4, sent.stderr
    assert b"--resume" in sent.stderr
    assert len(lines(run_cli("runs", "--json").stdout)) == 1
