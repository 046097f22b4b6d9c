"""Output into a closed pipe (``smscli ... | head``) ends quietly with exit 141 and nothing
on stderr (CONTRACT), on the fast path and the Typer path, and a send it stops leaves an
exact journal. Real pipes, real processes."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from smscli.sim.oneshot import OneShotSimulator
from smscli.vendors import sandbox
from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.timeout(120)

BROKEN_PIPE = 141  # CONTRACT.md; ExitStatus.BROKEN_PIPE
TYPER = {"SMSCLI_NO_FAST_PATH": "1"}
PATHS = [pytest.param({}, id="fast-path"), pytest.param(TYPER, id="typer-path")]
SAMPLE = str(ROOT / "samples" / "oneshot-session.pcap")
ROWS = 3000


def _env(extra: dict[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra or {})
    return env


def _argv(args: tuple[str, ...]) -> list[str]:
    return [sys.executable, "-m", "smscli", *args]


def into_closed_pipe(*args: str, env: dict[str, str] | None = None,
                     timeout: float = 60) -> tuple[int, bytes]:
    """Run with stdout a pipe whose read end is closed before the start: every write to
    stdout fails (EPIPE), however short the output. (exit status, stderr)"""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.Popen(_argv(args), stdout=write_end, stderr=subprocess.PIPE,
                                env=_env(env), cwd=ROOT)
    finally:
        os.close(write_end)
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


def head_1(*args: str, env: dict[str, str] | None = None,
           timeout: float = 60) -> tuple[int, bytes, bytes]:
    """``smscli ARGS | head -1``: read one line, close the pipe, wait. For outputs much
    longer than a pipe holds. (exit status, the line, stderr)"""
    proc = subprocess.Popen(_argv(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=_env(env), cwd=ROOT)
    first = proc.stdout.readline()  # type: ignore[union-attr]
    proc.stdout.close()  # type: ignore[union-attr]
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, first, err


def write_csv(path: Path, n: int = ROWS) -> Path:
    path.write_text("phone\n" + "".join(f"010{i:08d}\n" for i in range(n)), encoding="utf-8")
    return path


def journal_statuses() -> dict[str, str]:
    listed = run_cli("result", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return {o["message_id"]: o["status"] for o in map(json.loads, listed.stdout.decode().splitlines())}


def sandbox_accepted(home: Path) -> set[str]:
    state = json.loads((home / "data" / sandbox.STATE_FILE).read_text())
    return {entry[0] for entry in state["accepted"]}


def only_the_sandbox_notice(err: bytes) -> bool:
    lines = err.decode().splitlines()
    return len(lines) == 1 and lines[0].startswith("smscli: sandbox: ")


@pytest.mark.parametrize("env", PATHS)
@pytest.mark.parametrize("args", [
    ("--help",),
    ("-h",),
    ("send", "--help"),
    ("result", "list", "--help"),
    ("--version",),
    ("code", "lookup", "4100"),
    ("code", "lookup", "4100", "--json"),
    ("code", "list"),
    ("packet", "decode", SAMPLE),
    ("packet", "decode", SAMPLE, "--json"),
    ("config", "show"),
    ("send", "--dry-run", "--to", "01012345678", "-m", "hi"),
    ("reserve", "--help"),
    ("sim", "--help"),
    ("code", "lookup", "--help"),
], ids=" ".join)
def test_output_into_a_closed_pipe_exits_141_saying_nothing(args, env):
    assert into_closed_pipe(*args, env=env) == (BROKEN_PIPE, b"")


@pytest.mark.parametrize("env", PATHS)
def test_help_into_head_1_exits_quietly(env):
    status, first, err = head_1("--help", env=env)
    assert (status, err) == (BROKEN_PIPE, b"") or (status, err) == (0, b"")  # 0: written before head left
    assert first.startswith(b"Usage: smscli ")


@pytest.mark.parametrize("env", PATHS)
def test_long_output_stops_at_the_closed_pipe(env):
    status, first, err = head_1("code", "list", "--json", env=env)
    assert (status, err) == (BROKEN_PIPE, b"")
    assert json.loads(first)["code"]


def test_a_closed_stderr_keeps_the_exit_status():
    def stderr_closed(*args: str, env: dict[str, str] | None = None) -> tuple[int, bytes]:
        proc = subprocess.Popen(_argv(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=_env(env), cwd=ROOT)
        proc.stderr.close()  # type: ignore[union-attr]
        out, _ = proc.communicate(timeout=60)
        return proc.returncode, out

    for env in ({}, TYPER):
        assert stderr_closed(env=env) == (2, b"")  # no arguments: the help goes to stderr
        assert stderr_closed("code", env=env) == (2, b"")  # a bare group, likewise
        assert stderr_closed("send", env=env) == (2, b"")  # a usage error
        assert stderr_closed("code", "lookup", "4199", "--vendor", "bizppurio", env=env) == (1, b"")
        status, out = stderr_closed("code", "lookup", "4100", env=env)
        assert status == 0 and out.count(b"\n") == 2


def test_send_into_a_closed_pipe_stops_and_journals_what_the_sandbox_accepted(isolated_env, tmp_path):
    csv = write_csv(tmp_path / "many.csv")
    status, first, err = head_1("send", "--csv", str(csv), "-m", "hi", "--json")
    assert status == BROKEN_PIPE
    assert json.loads(first)["status"] == "accepted"
    assert only_the_sandbox_notice(err), err  # no summary line, no traceback
    accepted = sandbox_accepted(isolated_env)
    statuses = journal_statuses()
    assert 0 < len(accepted) < ROWS  # it stopped
    assert "pending" not in statuses.values()  # what was never handed out is forgotten
    assert {mid for mid, s in statuses.items() if s in ("accepted", "delivered")} == accepted
    assert set(statuses) == accepted


def test_send_to_oneshot_into_a_closed_pipe_says_nothing(isolated_env, tmp_path):
    csv = write_csv(tmp_path / "many.csv")
    with OneShotSimulator(speed=0, report_delay=3600) as server:
        (isolated_env / "config.toml").write_text(
            'default_profile = "t"\n[profiles.t]\nvendor = "oneshot"\nhost = "127.0.0.1"\n'
            f'port = {server.address[1]}\nbind_id = "test001"\npassword = "test001#$$%"\n'
            'aes_key = "0123456789abcdef"\naes_iv = "fedcba9876543210"\nsender = "15666639"\n')
        (isolated_env / "config.toml").chmod(0o600)
        status, err = into_closed_pipe("send", "--csv", str(csv), "-m", "hi", "--json")
        accepted = {m.user_msg_id for m in server.accepted}
    assert (status, err) == (BROKEN_PIPE, b"")
    statuses = journal_statuses()
    assert len(accepted) < ROWS
    assert statuses == dict.fromkeys(accepted, "accepted")


def test_a_full_run_still_prints_everything_then_result_list_stops_at_a_closed_pipe(tmp_path):
    csv = write_csv(tmp_path / "many.csv")
    sent = run_cli("send", "--csv", str(csv), "-m", "hi", "--json")
    assert sent.returncode == 0, sent.stderr
    objs = [json.loads(line) for line in sent.stdout.decode().splitlines()]
    assert len(objs) == ROWS and {o["status"] for o in objs} == {"accepted"}
    assert sent.stderr.decode().splitlines()[-1].startswith(f"sent {ROWS}: {ROWS} accepted")

    for args in (("result", "list"), ("result", "list", "--json")):
        status, first, err = head_1(*args)
        assert (status, err) == (BROKEN_PIPE, b""), args
        assert first.strip()
    listed = run_cli("result", "list")
    assert (listed.returncode, listed.stderr) == (0, b"")
    assert listed.stdout.count(b"\n") == ROWS


def test_result_listen_ends_when_stdout_closes(tmp_path):
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.Popen(_argv(("result", "listen", "--port", "0", "--json")),
                                stdout=write_end, stderr=subprocess.PIPE, env=_env(None), cwd=ROOT)
    finally:
        os.close(write_end)
    try:
        banner = proc.stderr.readline().decode()  # type: ignore[union-attr]
        url = re.search(r"http://\S+/", banner)
        assert url, banner
        push = json.dumps({"CMSGID": "c1", "MSGID": "m1", "PHONE": "01012345678",
                           "RESULT": "4100", "REFKEY": "r1"}).encode()
        request = urllib.request.Request(url.group(0), data=push,
                                         headers={"Content-Type": "application/json"})
        with contextlib.suppress(OSError):  # the listener stopped: the vendor pushes again later
            urllib.request.urlopen(request, timeout=10).read()
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
        proc.wait()
    assert (proc.returncode, err) == (BROKEN_PIPE, b"")
