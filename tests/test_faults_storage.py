"""The fault table's storage rows: the disk fills up mid-send (then is freed), then the
documented next step (the same command again); the journal's WAL lost after a SIGKILL is
refused, sending nothing. Counted on the simulator's record as in tests/test_faults.py.
(Moving a journal aside is the user's informed choice: bench/fault_trial.py measures it.)
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.faults_helpers import (
    VENDORS,
    assert_each_once,
    expected_exit,
    finish,
    held_allowed,
    make_worlds,
    moment,
)

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def world(isolated_env, tmp_path):
    yield from make_worlds(isolated_env, tmp_path)


# --- disk full ---------------------------------------------------------------------------------


@pytest.fixture
def tmpfs_data(isolated_env: Path):
    """The data dir on a 16 MB tmpfs of its own (skipped where mounting is not allowed);
    requested before `world`, so it is unmounted after smscli and the simulator ended."""
    data = isolated_env / "data"
    data.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(data)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    yield data
    subprocess.run(["umount", "-l", str(data)], capture_output=True)


def fill(path: Path) -> None:
    """Write zeros until the file system is full, to the last byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 20, 4096, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size) > 0:
                    pass
    finally:
        os.close(fd)


@pytest.mark.parametrize("vendor", VENDORS)
def test_disk_full_mid_send_then_freed_then_the_same_command(tmpfs_data, world, vendor):
    w = world(vendor)
    child = w.start()
    w.when_handed_over(moment(vendor), child)
    child.signal(signal.SIGSTOP)  # held at that moment while the disk fills, however loaded the machine:
    try:  # (unpaced, BIZCLIENT could insert its last rows before a slow fill, and end well)
        fill(tmpfs_data / "filler")
    finally:
        child.signal(signal.SIGCONT)
    first = child.wait(30)  # it must end, not hang
    assert first != 0
    assert child.stderr().strip().splitlines()[-1].startswith("smscli: ")
    (tmpfs_data / "filler").unlink()
    code = finish(w, first)
    tally = w.tally()
    assert_each_once(w, tally, held_allowed=held_allowed(vendor))
    assert code == expected_exit(w, tally)


# --- the journal damaged --------------------------------------------------------------------


@pytest.mark.parametrize("vendor", VENDORS)
def test_journal_wal_lost_after_sigkill_is_refused_until_the_loss_is_accepted(world, vendor, isolated_env):
    w = world(vendor)
    child = w.start()
    w.kill_at(moment(vendor), child)
    data = isolated_env / "data"
    before = w.sim.by_phone()
    for suffix in ("-wal", "-shm"):
        (data / f"journal.db{suffix}").unlink(missing_ok=True)
    code, again = w.send()
    if code != 3:  # the WAL was checkpointed before the kill: nothing was lost
        tally = w.tally()
        assert_each_once(w, tally, held_allowed=held_allowed(vendor))
        assert code == expected_exit(w, tally)
        return
    line = again.stderr().strip().splitlines()[-1]
    assert "write-ahead log" in line and "Bizppurio cannot tell and sends them again" in line
    assert w.sim.by_phone() == before  # the refused command sent nothing
    assert w.cli("journal", "check").returncode == 3  # and says so, before anyone acts
