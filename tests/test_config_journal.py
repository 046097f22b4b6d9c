"""``journal_url`` / ``journal_password_env``: top level and per profile, the env override,
masking in ``config show``, exit 3 naming the key for a bad URL, and every journal open
(send, runs, journal init/check) going where the URL says."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from smscli import config as cfg
from smscli.errors import ConfigError
from tests.conftest import run_cli

SECRET = "hunter2-journal"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(path, 0o600)


@pytest.fixture
def config_file(isolated_env: Path) -> Path:
    path = isolated_env / "config.toml"
    write(path, f'''journal_url = "postgresql://team:{SECRET}@db.example:5432/smscli"
[profiles.shared]
vendor = "sandbox"
[profiles.own]
vendor = "sandbox"
journal_url = "sqlite://{isolated_env}/own/journal.db"
[profiles.envpw]
vendor = "sandbox"
journal_url = "postgresql://team@db.example/smscli"
journal_password_env = "TEAM_PG_PASSWORD"
''')
    return path


def test_top_level_profile_and_env_layers(config_file: Path, isolated_env: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    shared = cfg.load_profile("shared")
    assert shared.journal.backend == "postgresql"
    assert shared.source("journal_url") == "file" and "top level" in (shared.origin("journal_url") or "")
    assert shared.journal_password == SECRET
    assert SECRET not in shared.journal.location and SECRET not in repr(shared.journal)
    own = cfg.load_profile("own")
    assert own.journal.backend == "sqlite"
    assert own.journal.file == isolated_env / "own" / "journal.db"
    monkeypatch.setenv("SMSCLI_JOURNAL_URL", f"sqlite://{isolated_env}/env/journal.db")
    assert cfg.load_profile("own").journal.file == isolated_env / "env" / "journal.db"
    assert cfg.load_profile("own").source("journal_url") == "env"


def test_password_from_the_named_variable(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="TEAM_PG_PASSWORD, which is not set"):
        _ = cfg.load_profile("envpw").journal_password
    monkeypatch.setenv("TEAM_PG_PASSWORD", "from-env")
    assert cfg.load_profile("envpw").journal_password == "from-env"


def test_the_default_is_the_data_dir(isolated_env: Path) -> None:
    target = cfg.load_profile().journal
    assert (target.backend, target.url) == ("sqlite", None)
    assert target.location == str(isolated_env / "data" / "journal.db")


def test_config_show_masks_the_password_and_names_the_source(config_file: Path) -> None:
    text = run_cli("config", "show", "-p", "shared")
    assert text.returncode == 0, text.stderr
    assert SECRET.encode() not in text.stdout + text.stderr
    assert b"postgresql://team:********@db.example:5432/smscli" in text.stdout
    rows = [json.loads(line) for line in run_cli("config", "show", "-p", "shared", "--json").stdout.splitlines()]
    row = next(r for r in rows if r["key"] == "journal_url")
    assert row["source"] == "file" and "top level" in row["origin"] and SECRET not in row["value"]


@pytest.mark.parametrize("url", [
    f"postgresql://team@db.example:5432/smscli?password={SECRET}",
    f"postgresql://db.example/smscli?user=team&password={SECRET}&sslmode=require",
    f"host=db.example password={SECRET} dbname=smscli",
])
def test_a_password_in_the_query_or_a_keyword_string_is_masked_everywhere(url: str, isolated_env: Path) -> None:
    """config show/get, the echo of config set, and the error for a string that is not a URL."""
    env = {"SMSCLI_JOURNAL_URL": url}
    for args in (("config", "show"), ("config", "show", "--json"), ("config", "get", "journal_url"),
                 ("journal", "check")):
        out = run_cli(*args, env=env)
        assert SECRET.encode() not in out.stdout + out.stderr, (args, out)
    out = run_cli("config", "set", "journal_url", url)
    assert out.returncode == 0 and SECRET.encode() not in out.stdout + out.stderr, out
    assert b"********" in out.stderr


@pytest.mark.parametrize("url, expect", [
    (f"mysql://u:{SECRET}@h/db", "SMSCLI_JOURNAL_URL 'mysql://u@h/db' is not a journal URL"),
    ("journal.db", "SMSCLI_JOURNAL_URL 'journal.db' is not a journal URL"),
    ("sqlite:///", "names no file"),
    (f"postgresql://u:{SECRET}@h:notaport/db", "is not a valid URL"),
])
def test_a_bad_url_is_exit_3_naming_the_key(url: str, expect: str) -> None:
    for args in (("send", "--to", "01012345678", "-m", "hi"), ("journal", "init"), ("runs",)):
        out = run_cli(*args, env={"SMSCLI_JOURNAL_URL": url})
        assert out.returncode == 3, (args, out)
        err = out.stderr.decode()
        assert expect in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
        assert SECRET not in err + out.stdout.decode()


def test_a_bad_url_in_the_file_names_the_file(isolated_env: Path) -> None:
    write(isolated_env / "config.toml", 'journal_url = "mssql://x/y"\n')
    out = run_cli("send", "--to", "01012345678", "-m", "hi")
    assert out.returncode == 3
    assert b"journal_url (in " in out.stderr and b"config.toml (top level))" in out.stderr


def test_send_runs_and_check_use_the_sqlite_url(isolated_env: Path, tmp_path: Path) -> None:
    shared = tmp_path / "team" / "journal.db"
    env = {"SMSCLI_JOURNAL_URL": f"sqlite://{shared}"}
    init = run_cli("journal", "init", "--json", env=env)
    assert init.returncode == 0, init.stderr
    assert json.loads(init.stdout)["status"] == "created" and json.loads(init.stdout)["path"] == str(shared)
    assert json.loads(run_cli("journal", "init", "--json", env=env).stdout)["status"] == "exists"
    sent = run_cli("send", "--to", "01012345678", "-m", "hi", "--id", "team-1", env=env)
    assert sent.returncode == 0, sent.stderr
    assert not (isolated_env / "data" / "journal.db").exists()  # nothing in the data dir
    other = run_cli("send", "--to", "01012345678", "-m", "hi", "--id", "team-1", "--json",
                    env={**env, "SMSCLI_DATA_DIR": str(tmp_path / "host2")})
    assert json.loads(other.stdout.splitlines()[0])["status"] == "duplicate"
    check = json.loads(run_cli("journal", "check", "--json", env=env).stdout)
    assert check["location"] == str(shared) and check["messages"] == {"accepted": 1}
    runs = run_cli("runs", "--json", env=env)
    assert runs.returncode == 0 and len(runs.stdout.splitlines()) == 2


def test_journal_lease_top_level_profile_env_and_bad_values(isolated_env: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = isolated_env / "config.toml"
    write(path, 'journal_lease = 45\n[profiles.a]\nvendor = "sandbox"\n[profiles.b]\nvendor = "sandbox"\njournal_lease = 300\n')
    assert cfg.load_profile("a").journal.lease == 45.0
    assert cfg.load_profile("b").journal.lease == 300.0
    monkeypatch.setenv("SMSCLI_JOURNAL_LEASE", "7.5")
    assert cfg.load_profile("b").journal.lease == 7.5
    for bad in ("0", "1e9"):
        out = run_cli("send", "--to", "01012345678", "-m", "hi", env={"SMSCLI_JOURNAL_LEASE": bad})
        assert out.returncode == 3 and b"journal_lease must be a" in out.stderr
    write(path, 'journal_lease = "long"\n')
    out = run_cli("send", "--to", "01012345678", "-m", "hi")
    assert out.returncode == 3 and b"journal_lease must be a number" in out.stderr
