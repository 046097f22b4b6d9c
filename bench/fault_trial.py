"""Fault trial: interrupt, starve and damage real `smscli send` runs against the simulators,
take the documented next step, and count on the simulator what was lost or doubled.

    python bench/fault_trial.py [--runs 5] [--rows 3000] [--vendor V ...] [--case C ...]
        [--input ids|noids|both] [--seed 1] [--json FILE] [--keep DIR] [-v]

Every run has its own temporary SMSCLI_CONFIG / SMSCLI_DATA_DIR and its own simulator
(`python -m smscli sim VENDOR --port 0 --record FILE`, loopback only), and sends a CSV with
one distinct number per row, so the simulator's record says per row how often it was
accepted. Cases (each for the vendors where it applies):

- ``baseline``: no fault (the harness itself: must be 0 lost, 0 doubled);
- ``kill``: SIGKILL at a random moment, then the next step;
- ``sigint`` / ``sigint2``: one Ctrl-C (SIGINT) at a random moment / two, 0.2 s apart;
- ``drop``: the simulator accepts, then drops 1 % of the answers (not BIZCLIENT);
- ``slow``: the simulator answers after twice the profile's timeout; 200 rows, then
  5 re-runs (not BIZCLIENT);
- ``two-profiles``: two profile names on one account and one data dir, both sending the
  same CSV at once (CSV with ids only: without ids they are two different sends);
- ``disk-full``: the data dir on a small tmpfs, filled at a random moment, freed once
  the run has ended, then the next step (needs root to mount; skipped otherwise);
- ``wal-lost``: SIGKILL, then journal.db-wal (and -shm) deleted, then the next step;
- ``journal-moved``: SIGKILL, then the journal moved aside (as one does with a damaged
  one), then the next step.

A "random moment" is when the simulator has accepted k messages, k drawn uniformly
from [0, rows) (k = 0: 0-0.6 s after the start), so it lands inside the run whatever the
machine's speed. "The next step" is what the README documents: a CSV with an ``id``
column, the same command again; a CSV without, the same command with ``--resume`` (if
this smscli does not know ``--resume`` yet, the same command again, and the output says
so). It is taken after every fault and after any exit code but 0, and repeated (at most
3 times) while it ends with 4, 70, 130 or a signal.

Counted per run, on the simulator's record and the journal (`result list --json`,
`runs --json` where it exists): lost = a row never accepted and not reported ``unknown``
or ``invalid``; doubled = rows accepted more than once (extra = the copies beyond one);
held = rows the journal reports ``unknown``; pending = rows whose journal state is still
``pending`` at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from smscli.sim.record import parse_line, read_record  # noqa: E402

VENDORS = ("oneshot", "bizppurio", "netshot", "bizclient")
CASES = ("baseline", "kill", "sigint", "sigint2", "drop", "slow", "two-profiles", "disk-full",
         "wal-lost", "journal-moved")
ANSWERING = ("oneshot", "bizppurio", "netshot")  # a server that answers (drop / slow apply)
TEXT = "{name}님, 내일 오전 10시 점검 안내입니다"
AGAIN_CODES = {4, 70, 130}  # worth the next step: unreachable, internal error, interrupted
ACCEPTED_STATES = {"accepted", "delivered", "failed", "scheduled", "duplicate"}
FIRST_PHONE = 30_000_000


# ------------------------------------------------------------------------------------------
# small helpers


def log(args: argparse.Namespace, line: str) -> None:
    if args.verbose:
        print(line, file=sys.stderr, flush=True)


def wait_for(predicate, timeout: float, interval: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGINT, then SIGKILL if it is still there after ``timeout`` (only our own child)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@dataclass
class Caps:
    """What this smscli knows."""

    resume: bool
    resend_unknown: bool
    runs: bool


def base_env(home: Path, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSCLI_")}
    env.update(PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
               SMSCLI_CONFIG=str(home / "config.toml"), SMSCLI_DATA_DIR=str(data),
               NO_COLOR="1", COLUMNS="200")
    return env


def capabilities(python: str) -> Caps:
    with tempfile.TemporaryDirectory(prefix="smscli-trial-caps-") as tmp:
        env = base_env(Path(tmp), Path(tmp) / "data")
        send = subprocess.run([python, "-m", "smscli", "send", "--help"], env=env, capture_output=True,
                              text=True, timeout=60, cwd=ROOT)
        runs = subprocess.run([python, "-m", "smscli", "runs", "--help"], env=env, capture_output=True,
                              text=True, timeout=60, cwd=ROOT)
    return Caps(resume="--resume" in send.stdout, resend_unknown="--resend-unknown" in send.stdout,
                runs=runs.returncode == 0)


# ------------------------------------------------------------------------------------------
# simulators


class Sim:
    """A simulator in its own process (``python -m smscli sim VENDOR``), as users run it."""

    def __init__(self, vendor: str, work: Path, python: str, env: dict[str, str], knobs: list[str]) -> None:
        self.vendor = vendor
        self.work = work
        self.record = work / "record.jsonl"
        self.log = work / "sim.log"
        self.db = work / "biz.db"
        self.files = work / "files"
        cmd = [python, "-m", "smscli", "sim", vendor]
        if vendor == "bizclient":
            self.files.mkdir(exist_ok=True)
            cmd += ["--database-url", f"sqlite:///{self.db}", "--file-path", str(self.files),
                    "--interval", "0.05", "--send-delay", "0.2", "--move-delay", "1"]
        else:
            cmd += ["--host", "127.0.0.1", "--port", "0"]
        if vendor == "oneshot":
            # no report before the count: a report would mend a journal row an answer left wrong
            cmd += ["--speed", "0", "--report-delay", "600"]
        cmd += ["--record", str(self.record), *knobs]
        self.handle = open(self.log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, stdout=self.handle, stderr=subprocess.STDOUT, env=env, cwd=work)
        self.address = self._banner()
        self._tail_offset = 0
        self._tail_count = 0
        self._tail_partial = b""

    def _banner(self) -> dict[str, str]:
        patterns = {
            "oneshot": r"listening on (?P<host>[\d.]+):(?P<port>\d+)",
            "bizppurio": r"listening on (?P<url>http://[\d.]+:\d+)",
            "netshot": r"listening on (?P<url>http://\S+?send_message\.php)",
            "bizclient": r"(?P<working>working \S+)",
        }
        found: dict[str, str] = {}

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sim {self.vendor} exited: {self.log.read_text(errors='replace')}")
            match = re.search(patterns[self.vendor], self.log.read_text(errors="replace"))
            if match:
                found.update(match.groupdict())
            return bool(match)

        if not wait_for(ready, 30, 0.02):
            raise RuntimeError(f"sim {self.vendor} did not start: {self.log.read_text(errors='replace')}")
        return found

    def profile(self, name: str, extra: dict[str, object]) -> str:
        values: dict[str, object]
        if self.vendor == "oneshot":
            values = {"vendor": "oneshot", "host": self.address["host"], "port": int(self.address["port"]),
                      "bind_id": "test001", "password": "test001#$$%", "aes_key": "0123456789abcdef",
                      "aes_iv": "fedcba9876543210", "encrypt": False, "sender": "15666639"}
        elif self.vendor == "bizppurio":
            values = {"vendor": "bizppurio", "base_url": self.address["url"], "account": "test",
                      "password": "test", "sender": "0212341234"}
        elif self.vendor == "netshot":
            values = {"vendor": "netshot", "url": self.address["url"], "user": "test", "password": "test",
                      "sender": "0212341234"}
        else:
            values = {"vendor": "bizclient", "database_url": f"sqlite:///{self.db}",
                      "file_path": str(self.files), "sender": "0212341234"}
        values.update(extra)
        return f"[profiles.{name}]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items())

    def handed_over(self) -> int:
        """Messages the simulator has (for BIZCLIENT: rows in its tables, taken or not)."""
        if self.vendor == "bizclient":
            return self._db_rows()
        with open(self.record, "ab+") as handle:  # the file may not exist yet
            handle.seek(self._tail_offset)
            data = self._tail_partial + handle.read()
        self._tail_offset += len(data) - len(self._tail_partial)
        *complete, self._tail_partial = data.split(b"\n")
        for line in complete:
            with contextlib.suppress(ValueError):
                if parse_line(json.loads(line)) is not None:
                    self._tail_count += 1
        return self._tail_count

    def _db_rows(self, waiting_only: bool = False) -> int:
        if not self.db.exists():
            return 0
        try:
            with contextlib.closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=2)) as conn:
                if waiting_only:
                    return int(conn.execute("SELECT count(*) FROM BIZ_MSG WHERE STATUS = 0").fetchone()[0])
                names = [r[0] for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND "
                    "(name = 'BIZ_MSG' OR name LIKE 'BIZ_LOG_%')")]
                return sum(int(conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names)
        except sqlite3.Error:
            return 0

    def settle(self) -> bool:
        """BIZCLIENT: wait until the agent has taken every waiting row and written it down."""
        if self.vendor != "bizclient":
            return True
        if not wait_for(lambda: self._db_rows(waiting_only=True) == 0, 60, 0.05):
            return False
        size = -1

        def still() -> bool:
            nonlocal size
            now = self.record.stat().st_size if self.record.exists() else 0
            same, size = now == size, now
            return same

        return wait_for(still, 10, 0.3)

    def stop(self) -> None:
        stop_process(self.proc)
        self.handle.close()

    def acceptances_by_phone(self) -> Counter[str]:
        return Counter(item.to for item in read_record(self.record))


# ------------------------------------------------------------------------------------------
# one run of one case


@dataclass
class Outcome:
    case: str
    vendor: str
    input: str
    run: int
    rows: int
    lost: int = 0
    doubled: int = 0
    extra: int = 0
    held: int = 0
    pending: int = 0
    codes: list[str] = field(default_factory=list)  # exit code of each step, per process
    notes: list[str] = field(default_factory=list)
    skipped: str = ""
    error: str = ""  # the harness broke on this run: not counted


class Trial:
    def __init__(self, args: argparse.Namespace, caps: Caps, case: str, vendor: str, input_: str, run: int) -> None:
        self.args, self.caps = args, caps
        self.case, self.vendor, self.input, self.run_no = case, vendor, input_, run
        self.rows = min(args.rows, args.slow_rows) if case == "slow" else args.rows
        self.rng = random.Random(f"{args.seed}|{case}|{vendor}|{input_}|{run}")
        self.work = Path(tempfile.mkdtemp(prefix=f"smscli-trial-{case}-{vendor}-", dir=args.tmp))
        self.home = self.work / "home"
        self.home.mkdir()
        self.data = self.work / "data"
        self.env = base_env(self.home, self.data)
        self.csv = self.work / "input.csv"
        self.out = Outcome(case, vendor, input_, run, self.rows)
        self.mounted = False
        self.step_no = 0
        self.children: list[subprocess.Popen] = []

    # -- setup -------------------------------------------------------------------------
    def write_csv(self) -> None:
        with open(self.csv, "w", encoding="utf-8") as f:
            f.write("id,phone,name\n" if self.input == "ids" else "phone,name\n")
            for i in range(self.rows):
                key = f"t{self.run_no}-{i}," if self.input == "ids" else ""
                f.write(f"{key}010{FIRST_PHONE + i:08d},고객{i}\n")

    def sim_knobs(self) -> list[str]:
        seed = str(self.rng.randrange(1 << 30))
        if self.case == "drop":
            return ["--drop-rate", str(self.args.drop_rate), "--seed", seed]
        if self.case == "slow":
            return ["--delay", str(2 * self.args.timeout)]
        return []

    def profile_extra(self) -> dict[str, object]:
        if self.case != "slow":
            return {}
        key = {"oneshot": "response_timeout"}.get(self.vendor, "timeout")
        return {key: self.args.timeout}

    def mount(self) -> str:
        """The data dir on its own tmpfs; "" when done, else why not."""
        self.data.mkdir()
        try:
            subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.args.tmpfs_mb}m,mode=0700", "tmpfs",
                            str(self.data)], check=True, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            return f"cannot mount a tmpfs for the data dir ({detail.strip() or type(exc).__name__})"
        self.mounted = True
        return ""

    # -- commands ------------------------------------------------------------------------
    def command(self, profile: str, resume: bool = False) -> list[str]:
        cmd = [self.args.python, "-m", "smscli", "-p", profile, "send", "--csv", str(self.csv), "-m", TEXT,
               "--json"]
        return [*cmd, "--resume"] if resume else cmd

    def start(self, cmd: list[str]) -> subprocess.Popen:
        self.step_no += 1
        out = open(self.work / f"step{self.step_no}.out", "wb")  # noqa: SIM115 - the child keeps it
        err = open(self.work / f"step{self.step_no}.err", "wb")  # noqa: SIM115
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=self.env, cwd=self.work)
        out.close()
        err.close()
        self.children.append(proc)
        proc.step = self.step_no  # type: ignore[attr-defined]
        return proc

    def finish(self, proc: subprocess.Popen, timeout: float | None = None) -> int:
        try:
            return proc.wait(self.args.step_timeout if timeout is None else timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
            self.out.notes.append("a step ran past --step-timeout and was killed")
            return -9

    def stderr_of(self, proc: subprocess.Popen) -> str:
        return (self.work / f"step{proc.step}.err").read_text(errors="replace")  # type: ignore[attr-defined]

    def moment(self, sim: Sim, proc: subprocess.Popen) -> bool:
        """Wait for a random moment of the run; False when the run ended before it."""
        k = 0 if self.rng.random() < 0.1 else self.rng.randrange(self.rows)
        if k == 0:
            return not wait_for(lambda: proc.poll() is not None, self.rng.uniform(0, 0.6))
        wait_for(lambda: proc.poll() is not None or sim.handed_over() >= k, self.args.step_timeout, 0.005)
        return proc.poll() is None

    def next_steps(self, profile: str, *, after_loss: bool = False, limit: int = 3, every: bool = False) -> None:
        """The documented next step; again while it ends with 4, 70, 130 or a signal (with
        ``every``: ``limit`` times unless one ends with 0)."""
        noids = self.input == "noids"
        for _ in range(limit):
            proc = self.start(self.command(profile, resume=noids and self.caps.resume))
            code = self.finish(proc)
            self.out.codes.append(str(code))
            never_started = code == 2 and "with this input is in the journal" in self.stderr_of(proc)
            if noids and self.caps.resume and code == 2 and (after_loss or never_started):
                # smscli's own next step: "without --resume the command sends every row"
                self.out.notes.append("--resume refused after the journal was lost: "
                                      "ran the same command without --resume" if after_loss else
                                      "stopped before its run began: --resume said to run "
                                      "without it")
                proc = self.start(self.command(profile))
                code = self.finish(proc)
                self.out.codes.append(f"{code}(no --resume)")
            if code == 0 or (not every and code not in AGAIN_CODES and code >= 0):
                return

    # -- the run ---------------------------------------------------------------------------
    def run(self) -> Outcome:
        try:
            self.out.skipped = self.why_not()
            if not self.out.skipped:
                self.write_csv()
                sim = Sim(self.vendor, self.work, self.args.python, self.env, self.sim_knobs())
                try:
                    self.sim_run(sim)
                finally:
                    sim.stop()
        finally:
            for proc in self.children:  # (only after a harness error)
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(10)
            if self.mounted:
                done = subprocess.run(["umount", str(self.data)], capture_output=True, timeout=30)
                if done.returncode != 0:
                    subprocess.run(["umount", "-l", str(self.data)], capture_output=True, timeout=30)
            if self.args.keep is None:
                shutil.rmtree(self.work, ignore_errors=True)
        return self.out

    def why_not(self) -> str:
        """Why this case does not apply here ("" when it does); mounts the disk-full tmpfs."""
        if self.case in ("drop", "slow") and self.vendor not in ANSWERING:
            return "BIZCLIENT has no answer to drop or delay"
        if self.case == "two-profiles" and self.input == "noids":
            return "without ids two sends are two different sends"
        if self.case == "disk-full":
            return self.mount()
        return ""

    def sim_run(self, sim: Sim) -> None:
        profiles = ["a", "b"] if self.case == "two-profiles" else ["a"]
        config = self.home / "config.toml"
        config.write_text("".join(sim.profile(p, self.profile_extra()) for p in profiles), encoding="utf-8")
        config.chmod(0o600)
        self.play(sim)
        if not sim.settle():
            self.out.notes.append("the BIZCLIENT agent did not take every row within 60 s")
        self.count(sim, profiles)

    def play(self, sim: Sim) -> None:
        case = self.case
        if case == "two-profiles":
            procs = [self.start(self.command(p)) for p in ("a", "b")]
            for profile, proc in zip(("a", "b"), procs, strict=True):
                code = self.finish(proc)
                self.out.codes.append(f"{profile}:{code}")
                if code != 0:
                    self.next_steps(profile)
            return
        proc = self.start(self.command("a"))
        if case in ("baseline", "drop"):
            code = self.finish(proc)
            self.out.codes.append(str(code))
            if code != 0:
                self.next_steps("a")
            return
        if case == "slow":
            self.out.codes.append(str(self.finish(proc)))
            self.next_steps("a", limit=self.args.slow_reruns, every=True)
            return
        if not self.moment(sim, proc):
            code = self.finish(proc)
            self.out.codes.append(str(code))
            self.out.notes.append("the run ended before the fault")
            if code != 0:
                self.next_steps("a")
            return
        if case in ("kill", "wal-lost", "journal-moved"):
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            self.out.codes.append(str(self.finish(proc)))
            if case == "wal-lost":
                for suffix in ("-wal", "-shm"):
                    (self.data / f"journal.db{suffix}").unlink(missing_ok=True)
            elif case == "journal-moved":
                aside = self.data / "aside"
                aside.mkdir(parents=True, exist_ok=True)  # (killed before smscli made the data dir)
                for path in self.data.glob("journal.db*"):
                    path.rename(aside / path.name)
            self.next_steps("a", after_loss=case != "kill")
        elif case in ("sigint", "sigint2"):
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGINT)
                if case == "sigint2":
                    time.sleep(0.2)
                    proc.send_signal(signal.SIGINT)
            code = self.finish(proc, timeout=60)
            if code == -9:
                self.out.notes.append("did not stop within 60 s of Ctrl-C")
            self.out.codes.append(str(code))
            self.next_steps("a")
        elif case == "disk-full":
            self.fill()
            code = self.finish(proc, timeout=60)
            if code == -9:
                self.out.notes.append("did not end within 60 s on a full disk")
            self.out.codes.append(str(code))
            last = self.stderr_of(proc).strip().splitlines()[-1:] or [""]
            if code not in (0, -9) and last[0]:
                said = last[0].replace(str(self.data), "DATA_DIR")
                self.out.notes.append(f"on the full disk: {said[:110]}")
            (self.data / "filler").unlink(missing_ok=True)
            if code != 0:
                self.next_steps("a")

    def fill(self) -> None:
        """Fill the data dir's tmpfs to the last byte."""
        fd = os.open(self.data / "filler", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            for size in (1 << 20, 4096, 1):
                block = b"\0" * size
                with contextlib.suppress(OSError):
                    while os.write(fd, block) > 0:
                        pass
        finally:
            os.close(fd)

    # -- counting ---------------------------------------------------------------------------
    def journal_rows(self, profile: str) -> list[dict]:
        proc = subprocess.run([self.args.python, "-m", "smscli", "-p", profile, "result", "list", "--json"],
                              env=self.env, capture_output=True, text=True, timeout=120, cwd=self.work)
        if proc.returncode != 0:
            said = proc.stderr.strip().replace(str(self.data), "DATA_DIR")
            self.out.notes.append(f"result list failed ({proc.returncode}): {said[:110]}")
            return []
        return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]

    def unfinished_runs(self, profile: str) -> int | None:
        if not self.caps.runs:
            return None
        proc = subprocess.run([self.args.python, "-m", "smscli", "-p", profile, "runs", "--json"],
                              env=self.env, capture_output=True, text=True, timeout=120, cwd=self.work)
        if proc.returncode != 0:
            return None
        text = proc.stdout.strip()
        try:
            items = json.loads(text) if text.startswith("[") else [json.loads(x) for x in text.splitlines() if x]
        except ValueError:
            return None
        return sum(1 for item in items if isinstance(item, dict) and item.get("finished") is False)

    def count(self, sim: Sim, profiles: list[str]) -> None:
        accepted = sim.acceptances_by_phone()
        states: dict[str, set[str]] = {}
        for profile in profiles:
            for row in self.journal_rows(profile):
                states.setdefault(row["to"], set()).add(row["status"])
            unfinished = self.unfinished_runs(profile)
            if unfinished:
                self.out.notes.append(f"{unfinished} unfinished run(s) left in `runs`")
        phones = [f"010{FIRST_PHONE + i:08d}" for i in range(self.rows)]
        ours = set(phones)
        for phone in phones:
            seen = states.get(phone, set())
            final = ("accepted" if seen & ACCEPTED_STATES else "unknown" if "unknown" in seen
                     else "invalid" if "invalid" in seen else "pending" if "pending" in seen else "")
            times = accepted.get(phone, 0)
            if final == "unknown":
                self.out.held += 1
            if final == "pending":
                self.out.pending += 1
            if times == 0 and final not in ("unknown", "invalid"):
                self.out.lost += 1
            if times > 1:
                self.out.doubled += 1
                self.out.extra += times - 1
        strangers = sum(n for phone, n in accepted.items() if phone not in ours)
        if strangers:
            self.out.notes.append(f"{strangers} acceptance(s) of numbers not in the CSV")


# ------------------------------------------------------------------------------------------
# the table


def summarize(outcomes: list[Outcome]) -> list[dict[str, object]]:
    groups: dict[tuple[str, str, str], list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault((o.case, o.vendor, o.input), []).append(o)
    table = []
    for (case, vendor, input_), items in groups.items():
        broken = [o for o in items if o.error]
        done = [o for o in items if not o.skipped and not o.error]
        if broken:
            print(f"harness error in {case} {vendor} {input_} (run not counted): {broken[0].error}",
                  file=sys.stderr)
        if not done and broken:
            table.append({"case": case, "vendor": vendor, "input": input_, "runs": 0, "rows": "",
                          "lost": "", "doubled": "", "extra": "", "held": "", "pending": "",
                          "notes": f"{len(broken)} run(s) broke in the harness: {broken[0].error[:100]}"})
            continue
        if not done:
            table.append({"case": case, "vendor": vendor, "input": input_, "runs": 0, "rows": "",
                          "lost": "", "doubled": "", "extra": "", "held": "", "pending": "",
                          "notes": f"skipped: {items[0].skipped}"})
            continue
        notes = Counter(n for o in done for n in dict.fromkeys(o.notes))
        hit = [o.doubled for o in done]
        table.append({
            "case": case, "vendor": vendor, "input": input_, "runs": len(done), "rows": done[0].rows,
            "lost": sum(o.lost for o in done), "doubled": sum(hit), "extra": sum(o.extra for o in done),
            "held": sum(o.held for o in done), "pending": sum(o.pending for o in done),
            "notes": "; ".join(
                [f"doubled in {sum(1 for h in hit if h)} of {len(done)} runs: {', '.join(map(str, hit))}"]
                * (len(done) > 1 and any(hit))
                + [f"exit codes {' / '.join('→'.join(o.codes) for o in done)}"]
                + [f"{len(broken)} run(s) broke in the harness, not counted"] * bool(broken)
                + [f"{n} (x{c})" if c > 1 else n for n, c in notes.items()]),
        })
    return table


def print_table(table: list[dict[str, object]]) -> None:
    columns = ["case", "vendor", "input", "runs", "rows", "lost", "doubled", "extra", "held", "pending", "notes"]
    widths = {c: max(len(c), *(len(str(r[c])) for r in table)) for c in columns[:-1]}
    print("| " + " | ".join(c.ljust(widths.get(c, 0)) for c in columns) + " |")
    print("|" + "|".join("-" * (widths.get(c, 5) + 2) for c in columns) + "|")
    for row in table:
        print("| " + " | ".join(str(row[c]).ljust(widths.get(c, 0)) for c in columns) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs per case, vendor and input (default 5)")
    parser.add_argument("--rows", type=int, default=3000, help="CSV rows per run (default 3000)")
    parser.add_argument("--vendor", action="append", choices=VENDORS, help="only this vendor (repeatable)")
    parser.add_argument("--case", action="append", choices=CASES, help="only this case (repeatable)")
    parser.add_argument("--input", choices=("ids", "noids", "both"), default="both",
                        help="CSV with an id column, without, or both (default)")
    parser.add_argument("--seed", type=int, default=1, help="seed for the random moments and drops")
    parser.add_argument("--drop-rate", type=float, default=0.01, help="answers dropped in the drop case")
    parser.add_argument("--timeout", type=float, default=0.3,
                        help="profile timeout in the slow case; the simulator answers after twice that")
    parser.add_argument("--slow-rows", type=int, default=200, help="rows in the slow case (default 200)")
    parser.add_argument("--slow-reruns", type=int, default=5, help="re-runs in the slow case (default 5)")
    parser.add_argument("--tmpfs-mb", type=int, default=32, help="size of the disk-full case's tmpfs")
    parser.add_argument("--step-timeout", type=float, default=300.0, help="seconds one smscli command may take")
    parser.add_argument("--python", default=sys.executable, help="interpreter that runs smscli")
    parser.add_argument("--tmp", default=None, help="where the temporary dirs go (default: the system's)")
    parser.add_argument("--keep", default=None, metavar="DIR",
                        help="keep every run's files (logs, records, journals) under DIR")
    parser.add_argument("--json", default=None, metavar="FILE", help="also write every run's outcome to FILE")
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per run on stderr")
    args = parser.parse_args()
    if args.runs < 1 or args.rows < 1:
        parser.error("--runs and --rows must be at least 1")
    if args.keep:
        Path(args.keep).mkdir(parents=True, exist_ok=True)
        args.tmp = args.keep
    vendors = args.vendor or list(VENDORS)
    cases = args.case or list(CASES)
    inputs = ["ids", "noids"] if args.input == "both" else [args.input]
    caps = capabilities(args.python)
    commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                            text=True).stdout.strip()
    branch = subprocess.run(["git", "-C", str(ROOT), "branch", "--show-current"], capture_output=True,
                            text=True).stdout.strip()
    print(f"smscli at {ROOT} ({branch or '?'} {commit or '?'}); {args.runs} run(s) of {args.rows} rows "
          f"(slow: {min(args.rows, args.slow_rows)} rows, {args.slow_reruns} re-runs), seed {args.seed}")
    if caps.resume:
        print("next step: CSV with ids: the same command; without ids: the same command with --resume")
    else:
        print("next step: the same command again, with or without ids: this smscli does not know --resume "
              "(a CSV without ids gets fresh ids on each run)")
    print(f"--resend-unknown {'known' if caps.resend_unknown else 'not known'}; "
          f"`smscli runs` {'known' if caps.runs else 'not known'}")
    sys.stdout.flush()
    outcomes: list[Outcome] = []
    started = time.monotonic()
    for case in cases:
        for vendor in vendors:
            for input_ in inputs:
                for run in range(args.runs):
                    trial = Trial(args, caps, case, vendor, input_, run)
                    t0 = time.monotonic()
                    try:
                        outcome = trial.run()
                    except Exception as exc:  # noqa: BLE001 - one broken run must not end the trial
                        outcome = trial.out
                        outcome.error = f"{type(exc).__name__}: {exc}"
                    outcomes.append(outcome)
                    log(args, f"{case} {vendor} {input_} #{run}: "
                              + (f"harness error: {outcome.error}; " if outcome.error else "")
                              + (f"skipped ({outcome.skipped})" if outcome.skipped else
                                 f"lost {outcome.lost}, doubled {outcome.doubled} (+{outcome.extra}), "
                                 f"held {outcome.held}, pending {outcome.pending}, exits "
                                 f"{'→'.join(outcome.codes)} {'; '.join(outcome.notes)}")
                              + f" [{time.monotonic() - t0:.1f} s]")
                    if outcome.skipped:
                        break  # the same reason for every run
    print_table(summarize(outcomes))
    print(f"({time.monotonic() - started:.0f} s)")
    if args.json:
        Path(args.json).write_text("".join(json.dumps(asdict(o), ensure_ascii=False) + "\n" for o in outcomes),
                                   encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
