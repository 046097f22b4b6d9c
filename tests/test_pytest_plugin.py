"""The pytest plugin as a user meets it: a test file of theirs, in a directory of theirs
(no conftest of this repo), run by pytest in a subprocess with the plugin loaded from the
installed package through its ``pytest11`` entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

USER_TESTS = '''
import pytest
import smscli


def signup(number):
    """The user's own code: it reads the profile from the environment."""
    with smscli.Client() as sms:
        return sms.send(number, "인증번호는 123456 입니다", id=f"signup-{number}")


@pytest.mark.parametrize("fixture", ["smscli_oneshot_sim", "smscli_bizppurio_sim",
                                     "smscli_netshot_sim", "smscli_bizclient_sim"])
def test_signup_sends_code(fixture, request):
    sim = request.getfixturevalue(fixture)
    assert signup("010-1234-5678").status == "accepted"
    assert sim.wait_accepted(1)[-1].to == "01012345678"


def test_report_on_demand(smscli_oneshot_sim):
    with smscli_oneshot_sim.client() as sms:
        sms.send("01012345678", "hello", id="r-1")
        smscli_oneshot_sim.wait_accepted(1)
        smscli_oneshot_sim.deliver("r-1", code=7)
        assert [r.status for r in sms.poll(timeout=2)] == ["failed"]
        assert sms.result("r-1").status == "failed"


@pytest.mark.smscli_sim(reject_rate=1.0)
def test_fault_knob(smscli_oneshot_sim):
    assert smscli_oneshot_sim.reject_rate == 1.0
    assert signup("01012345678").status == "rejected"


@pytest.mark.parametrize("fixture", ["smscli_oneshot_sim", "smscli_bizppurio_sim", "smscli_bizclient_sim"])
def test_alimtalk_with_the_fixtures_profile(fixture, request):
    sim = request.getfixturevalue(fixture)
    with sim.client() as sms:
        sent = sms.send("010-1234-5678", smscli.Kakao("주문이 발송되었습니다", template="T1"), id="at-1")
        assert (sent.status, sent.type) == ("accepted", "alimtalk")
        assert sim.wait_accepted(1)[-1].to == "01012345678"


def test_session_variant(smscli_bizppurio_sim_session):
    with smscli_bizppurio_sim_session.client() as sms:
        assert sms.send("01099998888", "hi").status == "accepted"
'''


def test_user_suite_with_the_installed_plugin(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")  # the rootdir is theirs
    (tmp_path / "test_signup.py").write_text(USER_TESTS, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSCLI_") and k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error::pytest.PytestUnknownMarkWarning"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "10 passed" in done.stdout, done.stdout[-1000:]
    assert "tests/conftest.py" not in done.stdout
