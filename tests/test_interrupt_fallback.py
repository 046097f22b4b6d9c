"""Ctrl-C while `send --wait` waits for the report of the fallback smscli sent itself (an
AlimTalk that missed Kakao, then its SMS): what is printed for the parent and on stderr.
A real CLI process against the OneShot simulator over loopback."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from smscli.sim.kakao import KakaoRules
from tests.faults_helpers import Child, make_worlds, wait_for

pytestmark = pytest.mark.timeout(60)

MISS = "01099997777"


@pytest.fixture
def world(isolated_env, tmp_path):
    yield from make_worlds(isolated_env, tmp_path)


def start_alimtalk(w) -> Child:
    out, err = w.work / "alimtalk.out", w.work / "alimtalk.err"
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.Popen(
            [sys.executable, "-m", "smscli", "-p", "a", "send", "--to", MISS, "--type", "alimtalk",
             "--template", "T1", "-m", "주문이 발송되었습니다", "--fallback-message", "[주문] 발송",
             "--wait", "20", "--json"], stdout=o, stderr=e, env=w.env(), cwd=w.work)
    return Child(proc, out, err)


def test_ctrl_c_while_waiting_for_the_fallbacks_report_prints_the_parent_with_its_fallback(world):
    # Reports 1.5 s after acceptance: the parent's miss at 1.5 s, its fallback's report well
    # after the Ctrl-C that comes as soon as the simulator took the fallback.
    w = world("oneshot", pace=False, knobs={"kakao": KakaoRules(misses=[MISS]), "report_delay": 1.5},
              profile={"kakao_sender_key": "k" * 40})
    child = start_alimtalk(w)
    assert wait_for(lambda: w.sim.handed_over() >= 2 or not child.running(), timeout=20)
    assert child.running(), child.stderr()
    child.signal(signal.SIGINT)
    assert child.wait(15) == 130, child.stderr()
    [parent] = [json.loads(line) for line in child.out.read_text().splitlines() if line.strip()]
    assert (parent["status"], parent["channel"]) == ("failed", "alimtalk"), parent
    assert parent["fallback"] == {"type": "sms", "status": "accepted"}, (parent, child.stderr())
    stderr = child.stderr()
    assert "finished, nothing is left to resume" in stderr and "unfinished" not in stderr, stderr


def test_an_abort_after_every_row_was_handed_over_says_the_run_finished(world):
    """A second Ctrl-C while the answer of the last message is in flight: the run handed
    every row over, so `runs` calls it finished; stderr must not call it unfinished."""
    w = world("oneshot", pace=False, knobs={"delay": 5.0}, profile={"kakao_sender_key": "k" * 40})
    child = start_alimtalk(w)  # its answer comes 5 s after the simulator took it
    assert wait_for(lambda: w.sim.handed_over() >= 1 or not child.running(), timeout=20)
    child.signal(signal.SIGINT)
    assert wait_for(lambda: "stopping" in child.stderr() or not child.running(), timeout=5)
    time.sleep(0.3)  # a second Ctrl-C, as a person presses it
    child.signal(signal.SIGINT)
    assert child.wait(4) == 130
    stderr = child.stderr()
    assert "interrupted at once after every row was handed over" in stderr, stderr
    assert "unfinished" not in stderr, stderr
    [run] = [json.loads(line) for line in w.cli("-p", "a", "runs", "--json").stdout.splitlines()]
    assert run["finished"] is True, run
