"""``smscli sim oneshot`` as users run it: a foreground process, Ctrl-C, stderr, --record."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from smscli.cli.app import program
from tests.conftest import ROOT, run_cli
from tests.sim_oneshot_raw import RawClient

pytestmark = pytest.mark.timeout(60)


class SimProcess:
    """``python -m smscli sim oneshot ...`` with its stderr read line by line."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "smscli", "sim", "oneshot", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
            cwd=ROOT,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace")
            self.stderr.append(line)
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float = 15.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"no line matching {pattern!r}; stderr: {''.join(self.stderr)}"
                ) from None
            match = re.search(pattern, line)
            if match:
                return match

    def address(self) -> tuple[str, int]:
        match = self.wait_for(r"listening on ([0-9.]+):(\d+)")
        return match.group(1), int(match.group(2))

    def stop(self, sig: int = signal.SIGINT) -> int:
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=15)
        time.sleep(0.05)  # let the pump read the last lines
        return code


@contextmanager
def sim_process(*args: str, env: dict[str, str] | None = None) -> Iterator[SimProcess]:
    sp = SimProcess(list(args), env)
    try:
        yield sp
    finally:
        if sp.proc.poll() is None:
            sp.proc.kill()
            sp.proc.wait(timeout=10)


def test_help_lists_the_simulator_and_examples(capsys):
    assert program(["sim", "--help"]) == 0
    assert "oneshot" in capsys.readouterr().out
    assert program(["sim", "oneshot", "--help"]) == 0
    out = capsys.readouterr().out
    assert "Examples" in out and "--enforce-speed" in out and "--record" in out


def test_runs_until_ctrl_c_and_exits_0(tmp_path: Path):
    record = tmp_path / "accepted.jsonl"
    secret = "s3cret-pw-123"
    with sim_process(
        "--port",
        "0",
        "--record",
        str(record),
        "-v",
        "--report-delay",
        "0.05",
        env={"SMSCLI_SIM_PASSWORD": secret},
    ) as sp:
        address = sp.address()
        with RawClient(address) as c:
            assert c.bind(password=secret)["Result"] == 0
            for uid in ("1", "2", "1"):
                c.send_msg(uid)
            assert [r["Result"] for r in c.collect("MsgSendRes", 3)] == [0, 0, 320]
            for report in c.collect("ReportReq", 2):
                c.ack(report)
        sp.wait_for(r"ReportRes .*acknowledged")
        sp.wait_for(r"ReportRes .*acknowledged")
        assert sp.stop() == 0
    err = "".join(sp.stderr)
    assert "[profiles.sim]" in err and f"port     = {address[1]}" in err
    assert "# password = the value given with --password (not shown)" in err
    assert secret not in err
    assert "Traceback" not in err
    assert "2 message(s) accepted, 2 report(s) acknowledged, 0 unacknowledged" in err
    events = [json.loads(line) for line in record.read_text().splitlines()]
    assert [e["user_msg_id"] for e in events if e["event"] == "accepted"] == ["1", "2"]


def test_sigterm_is_a_clean_exit_too():
    with sim_process("--port", "0") as sp:
        sp.address()
        assert sp.stop(signal.SIGTERM) == 0
    assert "stopped" in "".join(sp.stderr)


def test_default_credentials_are_shown_in_the_profile_snippet():
    with sim_process("--port", "0", "--encrypt") as sp:
        sp.address()
        sp.wait_for(r"encrypt  = true")
        assert sp.stop() == 0
    err = "".join(sp.stderr)
    assert 'password = "test001#$$%"' in err and 'aes_key  = "0123456789abcdef"' in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-rate", "2"], "smscli: --fail-rate must be between 0 and 1, got 2.0"),
        (["--begin", "9", "--end", "9"], "smscli: sending hours 9-9 are not valid"),
        (["--change-phone", "0101234"], "smscli: --change-phone '0101234': expected OLD:NEW"),
        (["--key", "tooshort"], "smscli: --key: AES key is 8 bytes"),
    ],
)
def test_bad_values_are_one_line_and_exit_2(args, message):
    proc = run_cli("sim", "oneshot", "--port", "0", *args, timeout=30)
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert err.startswith(message) and err.count("\n") == 1


def test_port_in_use_is_exit_2_with_a_hint():
    with sim_process("--port", "0") as sp:
        _, port = sp.address()
        proc = run_cli("sim", "oneshot", "--port", str(port), timeout=30)
        assert sp.stop() == 0
    err = proc.stderr.decode()
    assert proc.returncode == 2
    assert err.startswith(f"smscli: cannot listen on 127.0.0.1:{port}") and "--port 0" in err
    assert err.count("\n") == 1


def test_the_profile_snippet_pasted_as_printed_sends_alimtalk(isolated_env: Path):
    """The snippet carries the simulator's Kakao sender key: pasted into the config as it
    is, an AlimTalk goes out (no missing kakao_sender_key)."""
    with sim_process("--port", "0", "--kakao-sender-key", "SK-42") as sp:
        sp.address()
        sp.wait_for(r'kakao_sender_key = "SK-42"')
        err = "".join(sp.stderr)
        snippet = err[err.index("[profiles.sim]"):].split("\n\n")[0]
        (isolated_env / "config.toml").write_text('default_profile = "sim"\n' + snippet + "\n", encoding="utf-8")
        (isolated_env / "config.toml").chmod(0o600)
        sent = run_cli("send", "--to", "01012345678", "--type", "alimtalk", "--template", "T1", "-m", "안녕하세요",
                       "--json")
        assert sent.returncode == 0, sent.stderr.decode()
        assert json.loads(sent.stdout)["status"] in ("accepted", "delivered")
        assert sp.stop() == 0
