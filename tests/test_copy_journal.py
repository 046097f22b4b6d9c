"""``smscli journal copy``: every table, in pages, idempotent, ids kept, conflicts refused;
SQLite -> SQLite through the CLI, and SQLite -> PostgreSQL -> SQLite when a server is there."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from smscli import config_journal, copy_journal
from smscli.ids import new_id
from smscli.journal import Journal
from smscli.models import Message, Report, SendResult
from tests.conftest import run_cli

TABLES = ("messages", "reports", "events", "suppression", "phone_changes", "runs", "tokens")


def fill(journal: Journal, n: int = 7) -> list[Message]:
    """A journal with a row in every table: tagged messages, a fallback child, reports,
    events (state changes), an opt-out, a number change, a run, a token."""
    journal.start_run("run-1", command="send", profile="p", vendor="oneshot", fingerprint="f",
                      parts={"file": "x.csv"})
    msgs = [Message(id=new_id(), to=f"0101234{i:04d}", text=f"본문 {i}", sender="15666639",
                    tag="camp", name=f"이름{i}") for i in range(n)]
    msgs.append(Message(id=new_id(), to="01012340000", text="fallback", sender="15666639",
                        parent=msgs[0].id))
    journal.claim(msgs, "oneshot", "p", run="run-1")
    journal.record([SendResult(m.to, "accepted", m.id, "oneshot", m.type, "0", "ok") for m in msgs],
                   {m.id: f"S{i}" for i, m in enumerate(msgs)})
    journal.add_reports([Report(msgs[1].id, msgs[1].to, "delivered", "4100", "전달", "oneshot"),
                         Report(msgs[2].id, msgs[2].to, "failed", "4101", "실패", "oneshot")])
    journal.add_suppression("01099998888", "080", "test")
    journal.add_phone_change("01011112222", "01033334444", "S1")
    journal.token_put("bizppurio:acct", "tok", 4_000_000_000.0)
    return msgs


def dump_sqlite(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        out = {}
        for table in TABLES:
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            sel = ", ".join(f'"{c}"' for c in cols)
            out[table] = sorted(tuple(r) for r in conn.execute(f"SELECT {sel} FROM {table}"))
        return out
    finally:
        conn.close()


def test_copy_sqlite_to_sqlite_and_back(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    with Journal.open(a) as journal:
        msgs = fill(journal)
    url_b = f"sqlite://{b / 'journal.db'}"
    first = run_cli("journal", "copy", "--to", url_b, "--json", env={"SMSCLI_DATA_DIR": str(a)})
    assert first.returncode == 0, first.stderr
    tables = json.loads(first.stdout)["tables"]
    assert tables["messages"] == {"copied": len(msgs), "present": 0, "kept": 0}
    assert all(tables[t]["copied"] >= 1 for t in ("runs", "reports", "suppression", "phone_changes", "tokens"))
    again = run_cli("journal", "copy", "--to", url_b, "--json", env={"SMSCLI_DATA_DIR": str(a)})
    assert again.returncode == 0, again.stderr
    assert {t: v["copied"] for t, v in json.loads(again.stdout)["tables"].items()} == dict.fromkeys(tables, 0)
    back = run_cli("journal", "copy", "--from", url_b, env={"SMSCLI_DATA_DIR": str(c)})
    assert back.returncode == 0, back.stderr
    assert b"messages: 8 copied" in back.stdout
    assert dump_sqlite(a / "journal.db") == dump_sqlite(b / "journal.db") == dump_sqlite(c / "journal.db")
    with Journal.open(c) as journal:  # ids kept: the same message is a duplicate there
        assert journal.claim([msgs[3]], "oneshot", "p") == ["accepted"]


def test_copy_pages_and_resumes_after_a_partial_copy(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "a") as journal:
        fill(journal, n=23)
    source = config_journal.parse(None, source="default")
    target = config_journal.parse(f"sqlite://{tmp_path / 'b' / 'journal.db'}")
    src_dir = tmp_path / "a"
    with copy_journal.side(source, src_dir) as src, copy_journal.side(target, src_dir) as dst:
        copier = copy_journal.Copier(src, dst, page=5)
        pages = list(copier.pages(copy_journal.TABLES[0], src.columns("messages")))
        assert [len(p) for p in pages] == [5, 5, 5, 5, 4]
        with dst.transaction() as cur:  # as if a copy had stopped after some rows
            cols = ", ".join(f'"{c}"' for c in src.columns("messages"))
            cur.executemany(f"INSERT INTO messages ({cols}) VALUES ({', '.join('?' * len(src.columns('messages')))})",
                            pages[1])
        assert copier.conflicts() == []
        result = copier.copy()
    assert (result["messages"].copied, result["messages"].present) == (19, 5)
    a, b = dump_sqlite(src_dir / "journal.db"), dump_sqlite(tmp_path / "b" / "journal.db")
    assert a["messages"] == b["messages"] and a["reports"] == b["reports"]
    # the rows inserted by hand got their trigger's event, not the source's: all others match
    assert len(b["events"]) <= len(a["events"])


def test_a_conflicting_target_is_refused_and_left_alone(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    with Journal.open(a) as journal:
        msgs = fill(journal)
    with Journal.open(b) as journal:  # another message under one of the same ids
        journal.claim([Message(id=msgs[4].id, to="01055556666", text="다른 메시지", sender="1")],
                      "oneshot", "q")
    before = dump_sqlite(b / "journal.db")
    out = run_cli("journal", "copy", "--to", f"sqlite://{b / 'journal.db'}", env={"SMSCLI_DATA_DIR": str(a)})
    assert out.returncode == 2
    err = out.stderr.decode()
    assert f"messages {msgs[4].id}" in err and "nothing was copied" in err and "Traceback" not in err
    assert dump_sqlite(b / "journal.db") == before


@pytest.mark.parametrize("args, expect", [
    ((), "give one of --to URL or --from URL"),
    (("--to", "x", "--from", "y"), "give one of"),
    (("--to", "mysql://u:hunter2@h/db"), "is not a journal URL"),
])
def test_copy_usage_errors(args: tuple[str, ...], expect: str) -> None:
    out = run_cli("journal", "copy", *args)
    assert out.returncode in (2, 3), out
    assert expect in out.stderr.decode()
    assert b"hunter2" not in out.stderr + out.stdout


def test_copy_to_itself_is_refused(isolated_env: Path) -> None:
    out = run_cli("journal", "copy", "--to", f"sqlite://{isolated_env / 'data' / 'journal.db'}")
    assert out.returncode == 2 and b"names the current journal" in out.stderr


@pytest.fixture
def pg(request: pytest.FixtureRequest) -> str:
    """pgcore's ``pg_url`` (a fresh schema on the test server), or a skip saying why."""
    try:
        return str(request.getfixturevalue("pg_url"))
    except pytest.FixtureLookupError:
        pytest.skip("the pg_url fixture (the PostgreSQL journal backend) is not in this tree yet")


def test_copy_sqlite_to_postgresql_and_back(tmp_path: Path, pg: str) -> None:
    a, c = tmp_path / "a", tmp_path / "c"
    with Journal.open(a) as journal:
        msgs = fill(journal)
    to = run_cli("journal", "copy", "--to", pg, env={"SMSCLI_DATA_DIR": str(a)})
    assert to.returncode == 0, to.stderr
    again = run_cli("journal", "copy", "--to", pg, "--json", env={"SMSCLI_DATA_DIR": str(a)})
    assert all(v["copied"] == 0 for v in json.loads(again.stdout)["tables"].values())
    back = run_cli("journal", "copy", "--to", f"sqlite://{c / 'journal.db'}",
                   env={"SMSCLI_DATA_DIR": str(tmp_path / "unused"), "SMSCLI_JOURNAL_URL": pg})
    assert back.returncode == 0, back.stderr
    assert dump_sqlite(a / "journal.db") == dump_sqlite(c / "journal.db")
    itself = run_cli("journal", "copy", "--to", pg, env={"SMSCLI_JOURNAL_URL": pg})
    assert itself.returncode == 2 and b"names the current journal" in itself.stderr
    check = run_cli("journal", "check", "--json", env={"SMSCLI_JOURNAL_URL": pg})
    report = json.loads(check.stdout)
    assert report["backend"] == "postgresql" and sum(report["messages"].values()) == len(msgs)


def test_help_examples_run_as_written(tmp_path: Path) -> None:
    import os
    import re
    import shlex
    import subprocess
    import sys

    from tests.conftest import ROOT

    help_text = run_cli("journal", "copy", "--help").stdout.decode()
    examples = [line.strip() for line in help_text.split("Examples:", 1)[1].splitlines()
                if line.strip().startswith(("smscli ", "SMSCLI_"))]
    assert len(examples) == 2
    with Journal.open(tmp_path / "demo") as journal:
        fill(journal)
    for example in examples:
        line = example.replace("/tmp/smscli-demo", str(tmp_path / "demo"))
        line = re.sub(r"(^|\s)smscli ", rf"\1{shlex.quote(sys.executable)} -m smscli ", line)
        env = {**os.environ, "SMSCLI_DATA_DIR": str(tmp_path / "demo"),
               "PYTHONPATH": str(ROOT)}
        proc = subprocess.run(line, shell=True, capture_output=True, cwd=ROOT, timeout=60, env=env)
        assert proc.returncode == 0, (line, proc.stderr)
    assert dump_sqlite(tmp_path / "demo" / "journal.db") == dump_sqlite(tmp_path / "demo" / "c.db")


def test_copying_from_a_journal_that_is_not_there_is_refused_and_creates_nothing(tmp_path, isolated_env) -> None:
    missing = tmp_path / "nowhere" / "old.db"
    out = run_cli("journal", "copy", "--from", f"sqlite:///{missing}")
    assert out.returncode == 2 and b"no journal at" in out.stderr and b"Traceback" not in out.stderr
    assert not missing.exists() and not missing.parent.exists()
    assert run_cli("journal", "copy", "--to", f"sqlite:///{tmp_path / 'new.db'}").returncode == 2  # none here yet
    assert not (tmp_path / "new.db").exists()
