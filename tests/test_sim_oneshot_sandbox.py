"""The sandbox vendor end to end: the real OneShot client against the in-process
simulator, through the library and through the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from smscli.config import load_profile
from smscli.journal import Journal
from smscli.models import Message, Report, SendResult
from smscli.vendors import sandbox
from smscli.vendors.oneshot import OneShotVendor
from smscli.vendors.registry import create_vendor
from tests.conftest import run_cli

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def vendor():
    profile = load_profile()  # no config file: the built-in sandbox
    assert profile.name == "sandbox" and profile.vendor == "sandbox"
    journal = Journal.open(profile.data_dir)
    v = create_vendor(profile, journal)
    assert isinstance(v, sandbox.SandboxVendor)
    yield v
    v.close()


def test_send_with_wait_gets_results_and_reports(vendor, capsys):
    sandbox._announced.clear()
    msgs = [
        Message(id=f"m{i}", to=f"0101234567{i}", text="안녕하세요", sender="01000000000")
        for i in range(3)
    ]
    results: list[SendResult] = []
    reports: list[Report] = []
    vendor.send(msgs, results.append, on_reports=reports.extend, wait=3)
    assert sorted((r.message_id, r.status, r.vendor) for r in results) == [
        (f"m{i}", "accepted", "sandbox") for i in range(3)
    ]
    assert sorted((r.message_id, r.status, r.vendor) for r in reports) == [
        (f"m{i}", "delivered", "sandbox") for i in range(3)
    ]
    assert [m.user_msg_id for m in vendor.simulator.accepted] == ["m0", "m1", "m2"]
    assert vendor.simulator.wait_until(lambda: not vendor.simulator.pending_reports)
    err = capsys.readouterr().err
    assert err.count("smscli: sandbox:") == 1 and "nothing is delivered" in err


def test_the_notice_is_written_once_per_process(vendor, capsys):
    sandbox._announced.clear()
    msg = Message(id="a", to="01012345678", text="hi", sender="01000000000")
    vendor.send([msg], lambda r: None)
    other = create_vendor(vendor.profile, vendor.events)
    try:
        other.send(
            [Message(id="b", to="01012345678", text="hi", sender="01000000000")], lambda r: None
        )
    finally:
        other.close()
    assert capsys.readouterr().err.count("smscli: sandbox:") == 1


def test_upload_goes_to_the_simulator(vendor, tmp_path: Path):
    image = tmp_path / "a.jpg"
    data = b"\xff\xd8\xff\xe0" + os.urandom(5000) + b"\xff\xd9"
    image.write_bytes(data)
    (key,) = vendor.upload([image])
    assert vendor.simulator.files[key] == data


def test_unacknowledged_reports_reach_a_later_poll(vendor):
    msg = Message(id="later", to="01012345678", text="hi", sender="01000000000")
    vendor.send([msg], lambda r: None)  # no wait: the report stays on the "server"
    vendor.close()
    state = json.loads((Path(vendor.profile.data_dir) / sandbox.STATE_FILE).read_text())
    assert [r["UserMsgId"] for r in state["reports"]] == ["later"]
    again = create_vendor(vendor.profile, vendor.events)
    reports: list[Report] = []
    try:
        again.poll(reports.extend, timeout=5)
    finally:
        again.close()
    assert [(r.message_id, r.status, r.vendor) for r in reports] == [
        ("later", "delivered", "sandbox")
    ]
    state = json.loads((Path(vendor.profile.data_dir) / sandbox.STATE_FILE).read_text())
    assert state["reports"] == []


def test_limits_are_oneshot_limits():
    assert sandbox.SandboxVendor.limits == OneShotVendor.limits
    assert sandbox.SandboxVendor.can_upload == OneShotVendor.can_upload
    assert sandbox.SandboxVendor.can_schedule == OneShotVendor.can_schedule


def test_cli_send_then_poll_in_another_process():
    sent = run_cli(
        "send", "--to", "01012345678,01011112222", "--message", "hello", "--id", "job", "--json"
    )
    assert sent.returncode == 0, sent.stderr.decode()
    lines = [json.loads(x) for x in sent.stdout.decode().splitlines()]
    assert {(x["message_id"], x["status"], x["vendor"]) for x in lines} == {
        ("job-01012345678", "accepted", "sandbox"),
        ("job-01011112222", "accepted", "sandbox"),
    }
    assert sent.stderr.decode().count("smscli: sandbox:") == 1
    polled = run_cli("result", "poll", "--json", "--timeout", "5")
    assert polled.returncode == 0, polled.stderr.decode()
    reports = [json.loads(x) for x in polled.stdout.decode().splitlines()]
    assert sorted((r["message_id"], r["status"], r["vendor"]) for r in reports) == [
        ("job-01011112222", "delivered", "sandbox"),
        ("job-01012345678", "delivered", "sandbox"),
    ]
    assert all(r["delivered_at"].endswith("+09:00") for r in reports)
    again = run_cli(
        "send", "--to", "01012345678,01011112222", "--message", "hello", "--id", "job", "--json"
    )
    assert {json.loads(x)["status"] for x in again.stdout.decode().splitlines()} == {"duplicate"}


def test_cli_send_wait_shows_delivery():
    proc = run_cli("send", "--to", "01012345678", "--message", "hello", "--wait", "3", "--json")
    assert proc.returncode == 0, proc.stderr.decode()
    (line,) = proc.stdout.decode().splitlines()
    result = json.loads(line)
    assert result["status"] == "delivered" and result["vendor"] == "sandbox"


def test_a_named_config_file_that_is_missing_is_said_first(isolated_env: Path, tmp_path: Path):
    """A typo in --config or SMSCLI_CONFIG falls back to the sandbox, as no config file
    does; the notice names the file, so that a cron job's log says why nothing arrived."""
    typo = tmp_path / "typo.toml"
    env_typo = run_cli("send", "--to", "01012345678", "-m", "hi", env={"SMSCLI_CONFIG": str(typo)})
    assert env_typo.returncode == 0, env_typo.stderr
    first = env_typo.stderr.decode().splitlines()[0]
    assert first.startswith("smscli: sandbox: messages go to a OneShot simulator on this machine")
    assert first.endswith(f"; nothing is delivered (the config file {typo} that SMSCLI_CONFIG names does "
                          "not exist). Set up a real vendor with `smscli config init`.")
    flag_typo = run_cli("--config", str(typo), "send", "--to", "01012345678", "-m", "hi")
    assert f"(the config file {typo} that --config names does not exist)" in flag_typo.stderr.decode()
    default = run_cli("send", "--to", "01012345678", "-m", "hi",
                      env={"SMSCLI_CONFIG": "", "XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert default.returncode == 0, default.stderr
    assert default.stderr.decode().startswith("smscli: sandbox: messages go to a OneShot simulator")
    assert "config file" not in default.stderr.decode()
