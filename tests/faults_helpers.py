"""Helpers for the fault tests: a simulator per vendor (in-process, real loopback sockets,
counting on the simulator through its ``--record`` file), a CSV with one distinct number per
row, `smscli send` as a child process that can be killed or interrupted at a condition, and
the tally: lost / doubled / held / pending, per row.

Conditions, never sleeps: a fault is applied when the simulator has accepted N messages
(``World.when_handed_over``), a child is waited for with a deadline.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smscli.sim.record import read_record
from tests.conftest import ROOT

VENDORS = ("oneshot", "bizppurio", "netshot", "bizclient")
ANSWERING = ("oneshot", "bizppurio", "netshot")  # vendors whose server answers each send
TEXT = "{name}님, 내일 오전 10시 점검 안내입니다"
FIRST_PHONE = 30_000_000
OK_STATES = {"accepted", "delivered", "failed"}


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0, interval: float = 0.005) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True


def phone(i: int) -> str:
    return f"010{FIRST_PHONE + i:08d}"


# ------------------------------------------------------------------------------------------
# simulators


class Sim:
    """One vendor's simulator in this process; ``handed_over()`` counts what it has taken
    (BIZCLIENT: rows in its tables), ``by_phone()`` its acceptances per number, read from
    its record file."""

    def __init__(self, vendor: str, work: Path, **knobs: Any) -> None:
        self.vendor = vendor
        self.record = work / f"{vendor}-record.jsonl"
        self.db_path = work / "biz.db"
        self.files = work / "files"
        self.obj: Any
        if vendor == "oneshot":
            from smscli.sim.oneshot import OneShotSimulator

            knobs.setdefault("speed", 0)
            # No report during a test: a report would mend a journal row the answer left wrong.
            knobs.setdefault("report_delay", 60.0)
            self.obj = OneShotSimulator(record=self.record, **knobs)
            self.obj.start_in_thread()
        elif vendor == "bizppurio":
            from smscli.sim.bizppurio import BizppurioSim, SimConfig

            if "drop_ids" in knobs:
                knobs["drop_ids"] = frozenset(knobs["drop_ids"])
            self.obj = BizppurioSim(SimConfig(record=self.record, report_delay=0.2, **knobs)).start()
        elif vendor == "netshot":
            from smscli.sim.netshot import NetshotSim

            self.obj = NetshotSim(record=self.record, report_delay=0.2, **knobs).start()
        else:
            from smscli.sim.bizclient import AgentConfig, BizclientAgent

            self.files.mkdir(exist_ok=True)
            config = AgentConfig(database_url=f"sqlite:///{self.db_path}", file_path=str(self.files),
                                 interval=0.02, send_delay=0.05, move_delay=0.3, record=self.record, **knobs)
            self.obj = BizclientAgent(config).start()
        self.stopped = False

    def profile(self, **extra: object) -> dict[str, object]:
        """The profile keys that point smscli at this simulator."""
        if self.vendor == "oneshot":
            host, port = self.obj.address
            values: dict[str, object] = {
                "vendor": "oneshot", "host": host, "port": port, "bind_id": "test001",
                "password": "test001#$$%", "aes_key": "0123456789abcdef", "aes_iv": "fedcba9876543210",
                "encrypt": False, "sender": "15666639"}
        elif self.vendor == "bizppurio":
            values = {"vendor": "bizppurio", "base_url": self.obj.base_url, "account": "test",
                      "password": "test", "sender": "0212341234", "backoff": 0.01}
        elif self.vendor == "netshot":
            values = {"vendor": "netshot", "url": self.obj.url, "user": "test", "password": "test",
                      "sender": "0212341234"}
        else:
            values = {"vendor": "bizclient", "database_url": f"sqlite:///{self.db_path}",
                      "file_path": str(self.files), "sender": "0212341234"}
        values.update(extra)
        return values

    def handed_over(self) -> int:
        if self.vendor == "oneshot":
            return len(self.obj.accepted)
        if self.vendor == "bizppurio":
            return self.obj.stats().get("accepted", 0)
        if self.vendor == "netshot":
            return self.obj.counts["accepted_pairs"]
        return self._rows()

    def _rows(self, where: str = "") -> int:
        if not self.db_path.exists():
            return 0
        try:
            with contextlib.closing(sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=5)) as conn:
                if where:
                    return int(conn.execute(f"SELECT count(*) FROM BIZ_MSG WHERE {where}").fetchone()[0])
                names = [r[0] for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND "
                    "(name = 'BIZ_MSG' OR name LIKE 'BIZ_LOG_%')")]
                return sum(int(conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names)
        except sqlite3.Error:
            return 0

    def dropped(self) -> int:
        if self.vendor == "bizppurio":
            return self.obj.stats().get("dropped", 0)
        if self.vendor == "oneshot":
            return self.obj.stats.get("dropped", 0)
        if self.vendor == "netshot":
            return self.obj.counts["dropped"]
        return 0

    def stop(self) -> None:
        """Stop (BIZCLIENT: once the agent has taken every waiting row); idempotent."""
        if self.stopped:
            return
        self.stopped = True
        if self.vendor == "oneshot":
            self.obj.close()
        elif self.vendor == "bizclient":
            wait_for(lambda: self._rows("STATUS = 0") == 0, timeout=30, interval=0.02)
            self.obj.stop()
        else:
            self.obj.stop()

    def by_phone(self) -> Counter[str]:
        """Acceptances per number, from the record (stops the simulator first, so the file
        is complete)."""
        self.stop()
        return Counter(item.to for item in read_record(self.record))


# ------------------------------------------------------------------------------------------
# smscli child processes


@dataclass
class Child:
    """`python -m smscli ...` running, with stdout/stderr in files."""

    proc: subprocess.Popen
    out: Path
    err: Path

    def wait(self, timeout: float = 60.0) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise AssertionError(f"smscli did not end within {timeout} s: {self.stderr()}") from None

    def running(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(sig)

    def stderr(self) -> str:
        return self.err.read_text("utf-8", errors="replace")

    def stderr_size(self) -> int:
        return self.err.stat().st_size

    def results(self) -> list[dict[str, Any]]:
        """The JSON lines printed so far (a line cut short at the end is left out)."""
        text = self.out.read_text("utf-8", errors="replace")
        return [json.loads(line) for line in text.splitlines(keepends=True)
                if line.endswith("\n") and line.strip()]


@dataclass
class Tally:
    """Per row of the CSV: how often the simulator accepted it and what the journal says."""

    accepted: dict[str, int]
    states: dict[str, set[str]]
    lost: int = 0  # never accepted, not reported unknown or invalid
    doubled: int = 0  # accepted more than once
    held: int = 0  # the journal says unknown (and nothing better)
    pending: int = 0  # the journal still says pending
    held_phones: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {"lost": self.lost, "doubled": self.doubled, "held": self.held, "pending": self.pending}


class World:
    """A simulator, a profile (or two) in the test's config file, a CSV, and smscli."""

    def __init__(self, home: Path, work: Path, vendor: str, *, rows: int = 200, ids: bool = True,
                 profiles: tuple[str, ...] = ("a",), profile: dict[str, object] | None = None,
                 **knobs: Any) -> None:
        self.home, self.work, self.vendor, self.rows, self.ids = home, work, vendor, rows, ids
        self.sim = Sim(vendor, work, **knobs)
        self.csv = work / "input.csv"
        self.write_csv()
        config = home / "config.toml"
        values = self.sim.profile(**(profile or {}))
        config.write_text("".join(
            f"[profiles.{name}]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items())
            for name in profiles), encoding="utf-8")
        config.chmod(0o600)
        self.children: list[Child] = []

    def write_csv(self, change: dict[int, str] | None = None) -> None:
        """One row per number; ``change`` gives some rows another name."""
        change = change or {}
        with open(self.csv, "w", encoding="utf-8") as f:
            f.write("id,phone,name\n" if self.ids else "phone,name\n")
            for i in range(self.rows):
                f.write((f"t-{i}," if self.ids else "") + f"{phone(i)},{change.get(i, f'고객{i}')}\n")

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        env.update(extra)
        return env

    def start(self, *extra: str, profile: str = "a", env: dict[str, str] | None = None) -> Child:
        """`smscli -p PROFILE send --csv INPUT -m TEXT --json EXTRA...` in the background."""
        n = len(self.children)
        out, err = self.work / f"child{n}.out", self.work / f"child{n}.err"
        with open(out, "wb") as o, open(err, "wb") as e:
            proc = subprocess.Popen(
                [sys.executable, "-m", "smscli", "-p", profile, "send", "--csv", str(self.csv), "-m", TEXT,
                 "--json", *extra],
                stdout=o, stderr=e, env=self.env(**(env or {})), cwd=ROOT)
        child = Child(proc, out, err)
        self.children.append(child)
        return child

    def send(self, *extra: str, profile: str = "a", timeout: float = 60.0,
             env: dict[str, str] | None = None) -> tuple[int, Child]:
        child = self.start(*extra, profile=profile, env=env)
        return child.wait(timeout), child

    def cli(self, *args: str, timeout: float = 60.0, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "smscli", *args], capture_output=True, text=True,
                              env=self.env(**(env or {})), cwd=ROOT, timeout=timeout)

    def when_handed_over(self, n: int, child: Child, timeout: float = 30.0) -> None:
        """Wait until the simulator has ``n`` messages (the fault's moment)."""
        assert wait_for(lambda: self.sim.handed_over() >= n or not child.running(), timeout), (
            f"the simulator got {self.sim.handed_over()} of {n} within {timeout} s")
        assert child.running(), f"smscli ended before {n} messages reached the simulator: {child.stderr()}"

    def kill_at(self, n: int, child: Child) -> int:
        self.when_handed_over(n, child)
        child.signal(signal.SIGKILL)
        return child.wait(10)

    def journal(self, profile: str = "a", data_dir: Path | None = None) -> list[dict[str, Any]]:
        env = {"SMSCLI_DATA_DIR": str(data_dir)} if data_dir else None
        done = self.cli("-p", profile, "result", "list", "--json", env=env)
        assert done.returncode == 0, done.stderr
        return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]

    def runs(self, profile: str = "a") -> list[dict[str, Any]]:
        done = self.cli("-p", profile, "runs", "--json")
        assert done.returncode == 0, f"`smscli runs --json`: exit {done.returncode}: {done.stderr}"
        text = done.stdout.strip()
        return json.loads(text) if text.startswith("[") else [json.loads(x) for x in text.splitlines() if x]

    def tally(self, profiles: tuple[str, ...] = ("a",)) -> Tally:
        states: dict[str, set[str]] = {}
        for name in profiles:
            for row in self.journal(name):
                states.setdefault(row["to"], set()).add(row["status"])
        accepted = self.sim.by_phone()
        tally = Tally(accepted=dict(accepted), states=states)
        for i in range(self.rows):
            number = phone(i)
            seen = states.get(number, set())
            times = accepted.get(number, 0)
            held = "unknown" in seen and not seen & OK_STATES
            if held:
                tally.held += 1
                tally.held_phones.append(number)
            if "pending" in seen and not seen & OK_STATES:
                tally.pending += 1
            if times == 0 and not held and "invalid" not in seen:
                tally.lost += 1
            if times > 1:
                tally.doubled += 1
        strangers = set(accepted) - {phone(i) for i in range(self.rows)}
        assert not strangers, f"the simulator accepted numbers not in the CSV: {sorted(strangers)[:5]}"
        return tally

    def close(self) -> None:
        for child in self.children:
            if child.running():
                child.proc.kill()
                child.proc.wait(10)
        self.sim.stop()


def assert_each_once(world: World, tally: Tally, *, held_allowed: bool) -> None:
    """0 lost, 0 doubled, nothing left pending; held only where allowed (Bizppurio after a
    lost answer); everything else accepted exactly once on the simulator and known to the
    journal as accepted."""
    expected = {"lost": 0, "doubled": 0, "held": tally.held if held_allowed else 0, "pending": 0}
    assert tally.summary() == expected, tally.summary()
    for i in range(world.rows):
        number = phone(i)
        if number in tally.held_phones:
            assert tally.accepted.get(number, 0) <= 1
            continue
        assert tally.accepted.get(number, 0) == 1, (number, tally.accepted.get(number, 0))
        assert tally.states.get(number, set()) & OK_STATES, (number, tally.states.get(number))


# ------------------------------------------------------------------------------------------
# shared by the fault test files

ROWS = 200
BIZCLIENT_ROWS = 2500  # 1000 rows per insert: three transactions, so a fault can land between them
# Paced so that a fault at "N accepted" lands while the send is running.
PACE: dict[str, dict[str, Any]] = {"oneshot": {"speed": 400}, "bizppurio": {"delay": 0.01},
                                   "netshot": {"rate": 300.0}, "bizclient": {}}
PROFILE: dict[str, dict[str, Any]] = {"bizppurio": {"concurrency": 4}, "oneshot": {"reconnect_backoff": 0.05}}


def rows_for(vendor: str) -> int:
    return BIZCLIENT_ROWS if vendor == "bizclient" else ROWS


def moment(vendor: str) -> int:
    """The fault's moment: this many messages accepted by the simulator."""
    return 1000 if vendor == "bizclient" else ROWS // 3


def make_worlds(home: Path, work: Path, *, ids: bool = True):
    """Body of a ``world`` fixture: yields ``make(vendor, pace=True, rows=None, knobs=...,
    profile=..., ids=..., profiles=...)`` and closes every World made; ``ids`` is the
    default for a CSV with an id column."""
    made: list[World] = []

    def make(vendor: str, *, pace: bool = True, rows: int | None = None, knobs: dict | None = None,
             profile: dict | None = None, **options: Any) -> World:
        sim_knobs = {**(PACE[vendor] if pace else {}), **(knobs or {})}
        values = {**PROFILE.get(vendor, {}), **(profile or {})}
        options.setdefault("ids", ids)
        w = World(home, work, vendor, rows=rows or rows_for(vendor), profile=values, **options, **sim_knobs)
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()


def held_allowed(vendor: str) -> bool:
    """Only Bizppurio may hold a message as unknown: it cannot tell a repeat."""
    return vendor == "bizppurio"


def finish(w: World, first_code: int) -> int:
    """The documented next step after a fault: the same command again (once more while it
    ends with 4 or 130, at most 3 times). Returns the last exit code."""
    code = first_code
    for _ in range(3):
        code, _child = w.send()
        if code not in (4, 130):
            break
    return code


def expected_exit(w: World, tally: Tally) -> int:
    """0, or 1 when some messages are held as unknown (Bizppurio)."""
    return 1 if tally.held else 0
