"""Issue 9, part 3: a full disk anywhere is exit 3 saying what could not be written; reading
commands work with a read-only or full data dir.

The disk is a real full file system: a 2 MiB tmpfs mounted in a private mount namespace
(``unshare -rm``) and filled with ``dd``; stdout on a full disk is ``/dev/full``. A
read-only data dir is a read-only bind mount in such a namespace (root writes anywhere
else). Without ``unshare`` (or where mounting is not allowed) those tests are skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from smscli.images import make_jpeg
from tests.conftest import ROOT, run_cli

PY = sys.executable
SANDBOX_LINE = "sandbox: messages go to"

# Mount a tmpfs at $1, run the setup (a shell snippet, $2) with the data dir in it, fill it,
# then run the rest of the arguments: their stdout, stderr and status are the result.
_SCRIPT = r"""
set -e
d="$1"; setup="$2"; shift 2
mount -t tmpfs -o size=2m tmpfs "$d"
export SMSCLI_DATA_DIR="$d/data"
eval "$setup"
dd if=/dev/zero of="$d/fill" bs=4096 >/dev/null 2>&1 || true
dd if=/dev/zero of="$d/fill2" bs=512 >/dev/null 2>&1 || true
set +e
"$@"
status=$?
[ -f "$d/holder.pid" ] && kill "$(cat "$d/holder.pid")" 2>/dev/null
exit $status
"""


def _namespaces() -> str:
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("no `unshare` to mount a small file system")
    probe = subprocess.run([unshare, "-rm", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
                           capture_output=True)
    if probe.returncode:
        pytest.skip(f"cannot mount a tmpfs in a private namespace: {probe.stderr.decode().strip()}")
    return unshare


def on_full_disk(tmp_path: Path, setup: str, *args: str, env: dict[str, str] | None = None):
    """Run ``smscli ARGS`` with the data dir on a tmpfs that ``setup`` prepared and that is
    then filled to the last block."""
    unshare = _namespaces()
    mnt = tmp_path / "disk"
    mnt.mkdir()
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "PY": PY, **(env or {})}
    return subprocess.run(
        [unshare, "-rm", "sh", "-c", _SCRIPT, "sh", str(mnt), setup, PY, "-m", "smscli", *args],
        env=full_env, capture_output=True, timeout=120, cwd=ROOT,
    )  # fmt: skip


def lines(proc) -> list[str]:
    err = proc.stderr.decode()
    assert "Traceback" not in err and "internal error" not in err, err
    return [ln for ln in err.splitlines() if SANDBOX_LINE not in ln]


def full_line(proc, what: str) -> str:
    found = lines(proc)
    assert proc.returncode == 3, proc.stderr
    assert len(found) == 1, proc.stderr
    assert found[0].startswith(f"smscli: cannot write {what}") and "is full" in found[0], found[0]
    return found[0]


SEND_ONE = '"$PY" -m smscli send --to 01012345678 -m hi >/dev/null 2>&1'


# --------------------------------------------------------------------------- writes fail, said
def test_first_send_on_a_full_disk(tmp_path):
    proc = on_full_disk(tmp_path, "", "send", "--to", "01012345678", "-m", "hi")
    assert proc.returncode == 3, proc.stderr
    line = lines(proc)[0]
    assert len(lines(proc)) == 1 and "is full" in line and str(tmp_path / "disk") in line


def test_send_with_the_journal_on_a_full_disk(tmp_path):
    proc = on_full_disk(tmp_path, SEND_ONE, "send", "--to", "01012345678", "-m", "hi")
    line = full_line(proc, "the journal ")
    assert f"{tmp_path}/disk/data/journal.db" in line and "df -h" in line


# A process keeps the journal open (so the WAL stays and its marker too), then, on cue,
# checkpoints it so the next writer reuses the WAL's space: the journal can still be
# written on the full disk, the send lock's pid (one new block) cannot.
_HOLDER = r"""
import sys, time
from smscli.journal import Journal
journal = Journal.open(sys.argv[1])
open(sys.argv[2]).readline()
journal._conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
open(sys.argv[3], "w").close()
time.sleep(60)
"""


def test_taking_the_send_lock_on_a_full_disk(tmp_path):
    csv = tmp_path / "list.csv"
    csv.write_text("phone\n" + "".join(f"0101234{i:04d}\n" for i in range(200)), encoding="utf-8")
    (tmp_path / "holder.py").write_text(_HOLDER, encoding="utf-8")
    setup = (
        f'{SEND_ONE}; mkfifo "$d/go"; '
        f'"$PY" {tmp_path}/holder.py "$d/data" "$d/go" "$d/ready" & echo $! > "$d/holder.pid"; '
        f'"$PY" -m smscli send --csv {csv} -m hi >/dev/null 2>&1; echo > "$d/go"; '
        'for i in $(seq 100); do [ -f "$d/ready" ] && break; sleep 0.1; done'
    )
    proc = on_full_disk(tmp_path, setup, "send", "--to", "01012345678", "-m", "hi")
    line = full_line(proc, "the lock file ")
    assert "/locks/sandbox.lock" in line


def test_config_on_a_full_disk_is_left_as_it_was(tmp_path):
    setup = ('"$PY" -m smscli config set sender 01011112222 >/dev/null 2>&1; '
             'cp "$SMSCLI_CONFIG" "$d/../before.toml"')
    proc = on_full_disk(tmp_path, setup, "config", "set", "sender", "01033334444",
                        env={"SMSCLI_CONFIG": str(tmp_path / "disk" / "config.toml")})
    line = full_line(proc, "the config file ")
    assert "config.toml" in line and "left as it was" in line
    assert (tmp_path / "before.toml").read_text().count("01011112222") == 1


def test_bizclient_attachment_on_a_full_disk(tmp_path, isolated_env):
    db = tmp_path / "biz.db"
    (isolated_env / "config.toml").write_text(
        '[profiles.agent]\nvendor = "bizclient"\n'
        f'database_url = "sqlite:///{db}"\nfile_path = "{tmp_path}/disk/files"\n'
        'sender = "0212341234"\n', encoding="utf-8")
    os.chmod(isolated_env / "config.toml", 0o600)
    image = tmp_path / "photo.jpg"
    image.write_bytes(make_jpeg(64, 48, pad=30_000))
    data = tmp_path / "data"
    setup = (f'mkdir "$d/files"; export SMSCLI_DATA_DIR={data}; '
             '"$PY" -m smscli -p agent bizclient init-db >/dev/null 2>&1')
    proc = on_full_disk(tmp_path, setup, "-p", "agent", "send", "--to", "01012345678", "-m", "사진",
                        "--image", str(image))
    line = full_line(proc, "")
    assert ".jpg into file_path" in line and f"{tmp_path}/disk/files is full" in line


# --------------------------------------------------------------------------- stdout on a full disk
@pytest.mark.parametrize("args", [
    ("code", "list"), ("code", "lookup", "4100"), ("--help",), ("sim", "oneshot", "--help"),
    ("packet", "decode", "samples/oneshot-session.hex"), ("config", "show"),
])
def test_output_into_a_full_disk(args):
    with open("/dev/full", "w") as full:
        proc = subprocess.run([PY, "-m", "smscli", *args], stdout=full, stderr=subprocess.PIPE,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert lines(proc) == ["smscli: cannot write the output (stdout): no space left on the device"]


def test_a_send_into_a_full_stdout_journals_what_was_in_flight(tmp_path):
    csv = tmp_path / "list.csv"
    csv.write_text("phone\n" + "".join(f"0101234{i:04d}\n" for i in range(300)), encoding="utf-8")
    with open("/dev/full", "w") as full:
        proc = subprocess.run([PY, "-m", "smscli", "send", "--csv", str(csv), "-m", "hi", "--json"],
                              stdout=full, stderr=subprocess.PIPE, cwd=ROOT, timeout=60,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 3
    assert lines(proc) == ["smscli: cannot write the output (stdout): no space left on the device"]
    listed = [json.loads(x) for x in run_cli("result", "list", "--json").stdout.splitlines()]
    assert listed and {r["status"] for r in listed} == {"accepted"}  # nothing left pending
    runs = json.loads(run_cli("runs", "--json").stdout.splitlines()[0])
    assert runs["state"] == "interrupted" and not runs["finished"]  # `--resume` sends the rest


# --------------------------------------------------------------------------- reading still works
READ_COMMANDS = [
    ("send", "--to", "01012345678", "-m", "hi", "--dry-run"),
    ("result", "list"),
    ("reserve", "list"),
    ("runs",),
    ("journal", "check"),
    ("code", "lookup", "4100"),
    ("packet", "decode", "samples/oneshot-session.hex"),
    ("config", "show"),
]


@pytest.mark.parametrize("args", READ_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_reading_commands_work_on_a_full_disk(tmp_path, args):
    proc = on_full_disk(tmp_path, SEND_ONE, *args)
    assert proc.returncode == 0, proc.stderr
    assert lines(proc) == [ln for ln in lines(proc) if not ln.startswith("smscli: ")]
    if args[:2] == ("result", "list"):
        assert proc.stdout.count(b"accepted") == 1


def _read_only(data_dir: Path):
    """Run the CLI with ``data_dir`` (which must exist) on a read-only bind mount."""
    unshare = _namespaces()

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        script = 'mount --bind -o ro "$1" "$1" && shift && exec "$@"'
        return subprocess.run(
            [unshare, "-rm", "sh", "-c", script, "sh", str(data_dir), PY, "-m", "smscli", *args],
            env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, timeout=60, cwd=ROOT,
        )  # fmt: skip
    return run


@pytest.mark.parametrize("journal", ["with-journal", "empty", "no-data-dir"])
def test_reading_commands_work_with_a_read_only_data_dir(isolated_env, tmp_path, monkeypatch, journal):
    data = isolated_env / "data"
    if journal == "with-journal":
        assert run_cli("send", "--to", "01012345678", "-m", "hi").returncode == 0
        mounted = data
    elif journal == "empty":
        data.mkdir()
        mounted = data
    else:  # SMSCLI_DATA_DIR names a dir that does not exist, under a read-only one
        parent = tmp_path / "ro"
        parent.mkdir()
        monkeypatch.setenv("SMSCLI_DATA_DIR", str(parent / "smscli"))
        mounted = parent
    run = _read_only(mounted)
    for args in READ_COMMANDS:
        proc = run(*args)
        assert proc.returncode == 0, (args, proc.stderr)
        assert not [ln for ln in lines(proc) if ln.startswith("smscli: ") and "warning" not in ln]
    listed = run("result", "list", "--json")
    assert len(listed.stdout.splitlines()) == (1 if journal == "with-journal" else 0)
    sent = run("send", "--to", "01012345678", "-m", "hi")
    assert sent.returncode == 3
    found = lines(sent)
    assert len(found) == 1 and ("Read-only file system" in found[0] or "read-only" in found[0]), found
