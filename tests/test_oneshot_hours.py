"""OneShot outside its sending hours, through the CLI: held for the opening by default,
`--wait-window` waits (and a Ctrl-C ends the wait), `--no-wait-window` fails with exit 4."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from smscli.sim.oneshot import OneShotSimulator
from tests.conftest import ROOT, run_cli
from tests.test_send_oneshot_e2e import write_config

pytestmark = pytest.mark.timeout(90)


def closed_hours() -> tuple[int, int]:
    """A BeginTime–EndTime window that excludes the current Korea-time hour."""
    from smscli.timeutil import now_kst

    begin = (now_kst().hour + 2) % 24
    return begin, begin + 1


@pytest.fixture
def closed(isolated_env):
    begin, end = closed_hours()
    with OneShotSimulator(speed=0, begin=begin, end=end) as server:
        write_config(isolated_env, server.address[1])
        yield server, begin


def objects(text: bytes) -> list[dict]:
    return [json.loads(line) for line in text.decode().splitlines() if line.strip()]


def test_by_default_the_messages_are_held_for_the_opening(closed):
    server, begin = closed
    proc = run_cli("send", "--to", "01011112222,01033334444", "-m", "hi", "--json")
    assert proc.returncode == 0, proc.stderr
    sent = objects(proc.stdout)
    assert [o["status"] for o in sent] == ["scheduled", "scheduled"]
    assert all(f"T{begin:02d}:00:00+09:00" in o["detail"] for o in sent)
    err = proc.stderr.decode()
    assert "held until " in err and f" {begin:02d}:00 (Korea time)" in err
    assert "`smscli reserve flush`" in err and "--wait-window waits" in err
    held = objects(run_cli("reserve", "list", "--json").stdout)
    assert sorted(o["to"] for o in held) == ["01011112222", "01033334444"]
    assert server.accepted == []
    assert objects(run_cli("result", "list", "--status", "pending", "--json").stdout) == []
    flush = run_cli("reserve", "flush")  # not due yet: nothing is sent early
    assert flush.returncode == 0 and server.accepted == []


def test_no_wait_window_fails_with_exit_4_and_keeps_the_run_resumable(closed):
    server, _ = closed
    proc = run_cli("send", "--to", "01011112222", "-m", "hi", "--no-wait-window")
    assert proc.returncode == 4
    [line] = proc.stderr.decode().strip().splitlines()[-1:]
    assert line.startswith("smscli: OneShot accepts messages only between")
    assert "--wait-window waits" in line and "--resume sends the rest" in line
    assert server.accepted == []
    assert objects(run_cli("result", "list", "--json").stdout) == []  # nothing left pending
    [run] = objects(run_cli("runs", "--json").stdout)
    assert run["state"] == "failed" and not run["finished"]


def test_wait_window_waits_visibly_and_a_ctrl_c_ends_the_wait(closed):
    server, _ = closed
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "smscli", "send", "--to", "01011112222", "-m", "hi", "--wait-window"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    lines = []
    while not any("waiting" in x for x in lines):  # the wait is said at once, not silent
        lines.append(proc.stderr.readline().decode())
        assert lines[-1], "".join(lines)
    assert "for OneShot's sending hours" in lines[-1]
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=15)
    assert proc.returncode == 130
    assert "run " in rest.decode() and "--resume" in rest.decode()
    assert server.accepted == []
    assert objects(run_cli("result", "list", "--json").stdout) == []
