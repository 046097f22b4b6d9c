"""``smscli bizclient init-db`` and ``smscli sim bizclient`` as users run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from smscli.cli.app import program
from smscli.models import Message
from smscli.vendors.bizclient_db import BizDatabase, log_table_name, now_kst
from tests.conftest import ROOT, run_cli

from .conftest import FakeJournal, make_profile, rows, wait_for

pytestmark = pytest.mark.timeout(90)


def write_config(home: Path, url: str, files: Path, vendor: str = "bizclient") -> None:
    (home / "config.toml").write_text(
        f'default_profile = "agent"\n\n[profiles.agent]\nvendor = "{vendor}"\n'
        f"database_url = {json.dumps(url)}\nfile_path = {json.dumps(str(files))}\n"
        'sender = "0212341234"\nconnect_timeout = 1.0\n', encoding="utf-8")
    os.chmod(home / "config.toml", 0o600)


def test_init_db_creates_the_tables_once(backend, files, isolated_env, capsys):
    write_config(isolated_env, backend, files)
    assert program(["bizclient", "init-db", "-p", "agent", "--json"]) == 0
    out, err = capsys.readouterr()
    this_month = log_table_name(now_kst())
    assert [json.loads(line) for line in out.splitlines()] == [
        {"table": "BIZ_MSG", "status": "created"}, {"table": this_month, "status": "created"}]
    assert "2 table(s) created" in err
    assert program(["bizclient", "init-db"]) == 0
    out, _err = capsys.readouterr()
    assert out.split() == ["BIZ_MSG", "exists", this_month, "exists"]
    db = BizDatabase(backend)
    with db.connect() as conn:
        insp = db.sa.inspect(conn)
        assert insp.get_pk_constraint("BIZ_MSG")["constrained_columns"] == ["CMID"]
        assert not insp.get_pk_constraint(this_month).get("constrained_columns")
        columns = {c["name"]: c for c in insp.get_columns("BIZ_MSG")}
    db.dispose()
    assert len(columns) == 36 and list(columns)[:3] == ["CMID", "UMID", "MSG_TYPE"]
    assert columns["MSG_BODY"]["type"].length == 2000 and columns["ATTACHED_FILE"]["type"].length == 1000
    assert columns["CALL_STATUS"]["type"].length == 4 and not columns["CMID"]["nullable"]
    assert "CURRENT_TIMESTAMP" in str(columns["SEND_TIME"]["default"]).upper() or \
        "datetime('now','localtime')" in str(columns["SEND_TIME"]["default"])


def test_a_row_inserted_the_manuals_way_gets_the_defaults(backend, files, isolated_env):
    """init-db's tables take the manual's own INSERT (STATUS and times default)."""
    write_config(isolated_env, backend, files)
    assert program(["bizclient", "init-db"]) == 0
    db = BizDatabase(backend)
    with db.connect() as conn, db.begin(conn):
        conn.exec_driver_sql("INSERT INTO BIZ_MSG (MSG_TYPE, CMID, DEST_PHONE, SEND_PHONE, MSG_BODY) "
                             "VALUES (0, '201XXXXXXXXX', '01012341234', '0212341234', 'SMS test')")
    (row,) = rows(db)
    db.dispose()
    assert (row.STATUS, row.MSG_TYPE) == (0, 0) and row.REQUEST_TIME is not None and row.SEND_TIME is not None


def test_init_db_needs_a_bizclient_profile(isolated_env, capsys):
    (isolated_env / "config.toml").write_text(
        '[profiles.agent]\nvendor = "bizppurio"\nbase_url = "https://x"\naccount = "a"\npassword = "p"\n')
    os.chmod(isolated_env / "config.toml", 0o600)
    assert program(["bizclient", "init-db", "-p", "agent"]) == 3
    assert capsys.readouterr().err.startswith("smscli: profile 'agent' uses vendor bizppurio")


def test_init_db_unreachable_is_exit_4_without_the_password(files, isolated_env):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    write_config(isolated_env, f"mysql+pymysql://u:hunter2secret@127.0.0.1:{port}/biz", files)
    result = run_cli("bizclient", "init-db")
    err = result.stderr.decode()
    assert result.returncode == 4, err
    assert err.startswith("smscli: database unreachable: mysql+pymysql://u:***@127.0.0.1") and err.count("\n") == 1
    assert "hunter2secret" not in err and "Traceback" not in err


def test_init_db_with_a_missing_driver_names_the_extra(files, isolated_env, capsys):
    write_config(isolated_env, "mysql+mysqldb://u:p@127.0.0.1/biz", files)
    assert program(["bizclient", "init-db"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("smscli: the database driver") and "pip install 'smscli[bizclient]'" in err


def test_sim_bizclient_works_the_table_until_its_duration(backend, files, isolated_env, tmp_path, capsys):
    write_config(isolated_env, backend, files)
    assert program(["bizclient", "init-db"]) == 0
    from smscli.vendors.bizclient import BizclientVendor

    vendor = BizclientVendor(make_profile(backend, files, tmp_path), FakeJournal())
    vendor.send([Message(id=f"c{i}", to="01012345678", text="hi", sender="") for i in range(30)], lambda r: None)
    capsys.readouterr()
    assert program(["sim", "bizclient", "--interval", "0.02", "--send-delay", "0", "--move-delay", "0",
                    "--fail-rate", "0.5", "--seed", "4", "--duration", "0.6", "-v"]) == 0
    err = capsys.readouterr().err
    assert "smscli sim bizclient: working" in err
    if "@" in backend:  # the password is masked
        assert "***@" in err and BizDatabase(backend).url.password not in err
    assert "30 taken" in err and "30 moved to the log" in err
    reports = vendor.collect([f"c{i}" for i in range(30)])
    assert len(reports) == 30 and {r.status for r in reports} == {"delivered", "failed"}
    vendor.close()


def test_sim_bizclient_needs_a_database(isolated_env, capsys):
    assert program(["sim", "bizclient", "--duration", "0"]) == 2
    assert "sandbox profile, not bizclient" in capsys.readouterr().err


def test_sim_bizclient_refuses_a_file_path_that_is_not_a_directory(tmp_path, isolated_env, capsys):
    """FILE_PATH is where smscli puts attachments for the agent to read; smscli does not
    create it, so neither does the simulator: a missing one is most likely a typo."""
    url = f"sqlite:///{tmp_path / 'sim.db'}"
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    for path, why in ((tmp_path / "files", "does not exist"), (tmp_path / "a-file", "is not a directory")):
        assert program(["sim", "bizclient", "--database-url", url, "--file-path", str(path), "--duration", "0"]) == 2
        err = capsys.readouterr().err
        assert f"--file-path {path} {why}" in err and len(err.splitlines()) == 1, err
    write_config(isolated_env, url, tmp_path / "files")
    assert program(["sim", "bizclient", "--duration", "0"]) == 2
    assert f"profile 'agent' file_path {tmp_path / 'files'} does not exist" in capsys.readouterr().err
    assert not (tmp_path / "files").exists()


def test_sim_bizclient_with_flags_and_no_profile(tmp_path, files):
    url = f"sqlite:///{tmp_path / 'sim.db'}"
    proc = subprocess.Popen([sys.executable, "-m", "smscli", "sim", "bizclient", "--database-url", url,
                             "--file-path", str(files), "--interval", "0.05"],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert wait_for(lambda: (tmp_path / "sim.db").exists(), timeout=20)  # the agent made its tables
        proc.send_signal(2)  # Ctrl-C
        _out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert b"stopped; 0 taken" in err


def test_help_does_not_import_sqlalchemy():
    code = ("import sys; from smscli.cli.app import program; program(['--help']); "
            "print('sqlalchemy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert out.stdout.decode().strip().endswith("False")


def test_init_db_refuses_an_existing_biz_msg_without_the_columns(backend, files, isolated_env, capsys):
    write_config(isolated_env, backend, files)
    db = BizDatabase(backend, create=True)
    with db.connect() as conn, db.begin(conn):
        conn.exec_driver_sql("CREATE TABLE BIZ_MSG (CMID VARCHAR(32) PRIMARY KEY, BODY VARCHAR(10))")
    db.dispose()
    assert program(["bizclient", "init-db"]) == 3
    err = capsys.readouterr().err
    assert "lacks the column(s) MSG_TYPE, STATUS" in err and err.count("\n") == 1


def test_database_url_from_an_environment_variable(database, files, tmp_path, monkeypatch):
    from smscli.vendors.bizclient import BizclientVendor

    url = database.url.render_as_string(hide_password=False)
    monkeypatch.setenv("BIZ_DB_URL", url)
    table = {"vendor": "bizclient", "database_url_env": "BIZ_DB_URL", "file_path": str(files), "sender": "0212341234"}
    from smscli.config import Paths, resolve_profile

    profile = resolve_profile("agent", table, Paths(tmp_path / "c.toml", tmp_path / "d"))
    vendor = BizclientVendor(profile, FakeJournal())
    results: list = []
    vendor.send([Message(id="e1", to="01012345678", text="hi", sender="")], results.append)
    assert results[0].status == "accepted" and [r.CMID for r in rows(database)] == ["e1"]
    vendor.close()
