"""``smscli config ...`` and the global --profile/--config flags, end to end."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
from pathlib import Path

import pytest

from smscli import config as cfg
from smscli.cli.app import program
from smscli.masking import MASK
from tests.conftest import run_cli
from tests.test_config import ONESHOT, toml_profile, write

SECRETS = ("hunter2-secret", "0123456789abcdef", "fedcba9876543210")


@pytest.fixture(autouse=True)
def fresh_warnings():
    cfg._warned.clear()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = program(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def rows(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


# --------------------------------------------------------------------------- show / get
def test_show_without_file_is_the_sandbox(capsys):
    code, out, _ = run(capsys, "config", "show", "--json")
    assert code == 0
    shown = {r["key"]: r for r in rows(out)}
    assert shown["vendor"]["value"] == "sandbox" and shown["vendor"]["source"] == "default"


def test_show_reports_sources_and_masks_secrets(isolated_env, capsys, monkeypatch):
    write(isolated_env, ONESHOT)
    monkeypatch.setenv("SMSCLI_HOST", "10.0.0.2")
    code, out, err = run(capsys, "config", "show", "--json")
    assert code == 0
    shown = {r["key"]: r for r in rows(out)}
    assert shown["host"] | {} == {"profile": "prod", "key": "host", "value": "10.0.0.2",
                                  "source": "env", "origin": "SMSCLI_HOST"}
    assert shown["port"]["source"] == "file" and shown["encrypt"]["source"] == "default"
    assert shown["password"]["value"] == MASK
    code, text, _ = run(capsys, "config", "show")
    assert code == 0
    assert "# profile prod (from default_profile in" in text
    assert any(line.split()[:3] == ["host", "10.0.0.2", "env"] for line in text.splitlines())
    for secret in SECRETS:
        assert secret not in out + err + text


def test_show_secrets_flag_reveals(isolated_env, capsys):
    write(isolated_env, ONESHOT)
    _, out, _ = run(capsys, "config", "show", "--show-secrets")
    assert all(secret in out for secret in SECRETS)


def test_show_of_invalid_profile_prints_then_exits_3(isolated_env, capsys):
    write(isolated_env, ONESHOT.replace('bind_id  = "test001"\n', ""))
    code, out, err = run(capsys, "config", "show")
    assert code == 3
    assert "host" in out
    assert "smscli: profile 'prod' (oneshot) is missing required key 'bind_id'" in err


def test_get_masks_unless_show_secrets(isolated_env, capsys, monkeypatch):
    write(isolated_env, ONESHOT)
    assert run(capsys, "config", "get", "host")[1] == "127.0.0.1\n"
    assert run(capsys, "config", "get", "port", "--json")[1].startswith('{"profile": "prod", "key": "port", "value": 9000')
    code, out, err = run(capsys, "config", "get", "password")
    assert (code, out) == (0, MASK + "\n") and "hunter2" not in err
    assert run(capsys, "config", "get", "password", "--show-secrets")[1] == "hunter2-secret\n"
    monkeypatch.delenv("BIZ_PW", raising=False)
    code, out, err = run(capsys, "-p", "biz", "config", "get", "password")  # not masked as if it were set
    assert (code, out) == (3, "") and "password_env names $BIZ_PW, which is not set" in err
    monkeypatch.setenv("BIZ_PW", "biz-secret")
    code, out, _ = run(capsys, "-p", "biz", "config", "get", "password")
    assert (code, out) == (0, MASK + "\n")
    assert run(capsys, "-p", "biz", "config", "get", "password", "--show-secrets")[1] == "biz-secret\n"
    assert run(capsys, "config", "get", "default_profile")[1] == "prod\n"


def test_get_password_from_command(isolated_env, capsys):
    write(isolated_env, '[profiles.n]\nvendor = "netshot"\nurl = "u"\nuser = "me"\n'
          f"password_command = [{json.dumps(sys.executable)}, \"-c\", \"print('cmd-pw')\"]\n")
    assert run(capsys, "config", "get", "password", "-p", "n")[1] == MASK + "\n"
    assert run(capsys, "config", "get", "password", "-p", "n", "--show-secrets")[1] == "cmd-pw\n"


def test_get_missing_key(isolated_env, capsys):
    write(isolated_env, ONESHOT)
    code, _, err = run(capsys, "config", "get", "subject")
    assert code == 3 and "smscli: profile 'prod' has no 'subject'" in err


# --------------------------------------------------------------------------- profile flags
@pytest.mark.parametrize("argv", [["-p", "biz", "config", "show", "--json"],
                                  ["config", "show", "--json", "-p", "biz"],
                                  ["--profile", "prod", "config", "show", "--json", "--profile", "biz"]])
def test_global_and_command_profile_flags(isolated_env, capsys, argv):
    write(isolated_env, ONESHOT)
    code, out, _ = run(capsys, *argv)
    assert code == 0 and {r["profile"] for r in rows(out)} == {"biz"}


def test_global_and_command_config_flags(tmp_path, capsys):
    other = write(tmp_path, ONESHOT)
    for argv in (["--config", str(other), "config", "get", "host"],
                 ["config", "get", "host", "--config", str(other)]):
        assert run(capsys, *argv)[1] == "127.0.0.1\n"


def test_current_profile_merges_flags(isolated_env):
    from smscli.cli import common

    write(isolated_env, ONESHOT)
    common.set_global_options("biz", None)
    try:
        os.environ["BIZ_PW"] = "x"
        assert common.current_profile(None, None).name == "biz"
        assert common.current_profile("prod", None).name == "prod"
    finally:
        common.set_global_options(None, None)
        del os.environ["BIZ_PW"]


def test_unknown_profile_exit_3_lists_known(isolated_env, capsys):
    write(isolated_env, ONESHOT)
    code, _, err = run(capsys, "-p", "prdo", "config", "show")
    assert code == 3
    assert err.startswith("smscli: no profile 'prdo'") and "known profiles: prod, biz, sandbox" in err
    assert err.count("\n") == 1


def test_unknown_vendor_exit_3(isolated_env, capsys):
    write(isolated_env, '[profiles.x]\nvendor = "oneshoot"\n')
    code, _, err = run(capsys, "config", "show", "-p", "x")
    assert code == 3 and "profile 'x': unknown vendor 'oneshoot' (did you mean 'oneshot'?)" in err


def test_malformed_toml_one_line_exit_3(isolated_env):
    path = write(isolated_env, 'default_profile = "prod"\n[profiles.prod\n')
    proc = run_cli("config", "show")
    assert proc.returncode == 3
    err = proc.stderr.decode()
    assert err.startswith(f"smscli: {path}: line 2, column 15: invalid TOML:")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_readable_config_with_password_warns(isolated_env):
    path = write(isolated_env, ONESHOT, mode=0o640)
    proc = run_cli("config", "get", "host")
    assert proc.returncode == 0
    assert f"smscli: warning: {path} holds a password" in proc.stderr.decode()
    assert f"chmod 600 {path}" in proc.stderr.decode()


# --------------------------------------------------------------------------- set / unset / use
def test_set_get_unset_roundtrip_keeps_mode_0600(isolated_env, capsys):
    path = write(isolated_env, ONESHOT, mode=0o644)
    code, out, err = run(capsys, "config", "set", "host", "10.1.1.1")
    assert code == 0 and out == "" and "set host = 10.1.1.1 in profile 'prod'" in err
    assert mode(path) == 0o600
    assert run(capsys, "config", "get", "host")[1] == "10.1.1.1\n"
    assert run(capsys, "config", "set", "port", "9001", "-p", "prod")[0] == 0
    assert cfg.read_config(path)["profiles"]["prod"]["port"] == 9001
    assert run(capsys, "config", "set", "encrypt", "true")[0] == 0
    assert cfg.read_config(path)["profiles"]["prod"]["encrypt"] is True
    assert run(capsys, "config", "unset", "sender")[0] == 0
    assert "sender" not in cfg.read_config(path)["profiles"]["prod"]
    assert mode(path) == 0o600


def test_set_creates_file_for_builtin_sandbox(isolated_env, capsys):
    assert run(capsys, "config", "set", "sender", "0299998888")[0] == 0
    path = isolated_env / "config.toml"
    assert mode(path) == 0o600
    assert cfg.read_config(path) == {"profiles": {"sandbox": {"sender": "0299998888"}}}
    assert cfg.load_profile().vendor == "sandbox"


def test_set_password_from_stdin_replaces_other_forms(isolated_env, capsys, monkeypatch):
    path = write(isolated_env, ONESHOT)
    monkeypatch.setattr(sys, "stdin", io.StringIO("piped-secret\n"))
    code, out, err = run(capsys, "config", "set", "password", "-", "-p", "biz")
    assert code == 0 and "piped-secret" not in out + err
    table = cfg.read_config(path)["profiles"]["biz"]
    assert table["password"] == "piped-secret" and "password_env" not in table
    assert run(capsys, "config", "set", "password_command", "pass show sms", "-p", "biz")[0] == 0
    table = cfg.read_config(path)["profiles"]["biz"]
    assert table["password_command"] == "pass show sms" and "password" not in table


def test_set_secret_on_argv_warns(isolated_env, capsys):
    write(isolated_env, ONESHOT)
    code, out, err = run(capsys, "config", "set", "password", "argv-secret")
    assert code == 0 and "argv-secret" not in out + err
    assert "smscli: warning: password given on the command line is visible" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [(["port", "abc"], "profile 'prod': port must be a port number (1-65535), not 'abc'"),
     (["port", "70000"], "port must be a port number"),
     (["encrypt", "sometimes"], "encrypt must be true or false"),
     (["vendor", "bizpuro"], "unknown vendor 'bizpuro'"),
     (["aes_iv", "hex:1234"], "aes_iv must be 16 bytes of text or 'hex:' followed by 32 hex digits")],
)
def test_set_rejects_bad_values_without_writing(isolated_env, capsys, args, message):
    path = write(isolated_env, ONESHOT)
    code, _, err = run(capsys, "config", "set", *args)
    assert code == 3 and message in err
    assert path.read_text() == ONESHOT


def test_set_unknown_profile(isolated_env, capsys):
    write(isolated_env, ONESHOT)
    code, _, err = run(capsys, "config", "set", "host", "h", "-p", "nope")
    assert code == 3 and "no profile 'nope'" in err


BIZ_KEYS = ("known keys: vendor, base_url, account, password, concurrency, attempts, connect_timeout, "
            "backoff, poll_interval, file_path, verify_tls, ca_file, kakao_sender_key, kakao_nation_code, "
            "rcs_chatbot_id, rcs_agency_id, rcs_brand_key, rcs_agency_key, sender, timeout, command_timeout, "
            "optout_number, ad_name, journal_url, journal_password_env, journal_lease; password, kakao_sender_key, rcs_agency_key also as KEY_env or KEY_command; "
            "pass --force to store it anyway")


def test_set_typo_is_refused_with_a_suggestion(isolated_env, capsys):
    path = write(isolated_env, ONESHOT)
    code, _, err = run(capsys, "config", "set", "hots", "h")
    assert code == 2
    assert err == ("smscli: profile 'prod': 'hots' is not a oneshot key (did you mean 'host'?) "
                   "(or pass --force to store it anyway)\n")
    assert path.read_text() == ONESHOT


def test_set_unknown_key_is_refused_listing_the_known_ones(isolated_env, capsys):
    path = write(isolated_env, ONESHOT)
    code, out, err = run(capsys, "config", "set", "bogus_key", "1", "-p", "biz")
    assert (code, out) == (2, "")
    assert err == f"smscli: profile 'biz': 'bogus_key' is not a bizppurio key ({BIZ_KEYS})\n"
    assert path.read_text() == ONESHOT
    code, _, err = run(capsys, "config", "set", "concurrency", "3")
    assert code == 2 and "'concurrency' is not a oneshot key (only bizppurio, netshot read it)" in err
    assert path.read_text() == ONESHOT


def test_set_unknown_key_with_force_warns_and_keeps_it_masked(isolated_env, capsys):
    path = write(isolated_env, ONESHOT)
    code, out, err = run(capsys, "config", "set", "bogus_key", "1", "-p", "biz", "--force")
    assert (code, out) == (0, "")
    assert "smscli: warning: profile 'biz': 'bogus_key' is not a bizppurio key; storing it anyway (--force)" in err
    assert "bogus_key_env" not in err  # no advice to use a reference nothing reads
    assert "smscli: warning: if bogus_key is a secret, the command line shows it" in err
    assert "set bogus_key = ******** (masked: the name looks like a secret's) in profile 'biz'" in err
    assert cfg.read_config(path)["profiles"]["biz"]["bogus_key"] == "1"
    code, _, err = run(capsys, "config", "set", "retry_limit", "3", "-p", "biz", "--force")
    assert code == 0 and "set retry_limit = 3 in profile 'biz'" in err


def test_set_known_keys_of_every_kind_are_accepted(isolated_env, capsys):
    path = write(isolated_env, ONESHOT)
    for key, value in (("window", "5"), ("aes_key_env", "K"), ("command_timeout", "2"), ("timeout", "3")):
        code, _, err = run(capsys, "config", "set", key, value)
        assert code == 0, err
    assert run(capsys, "config", "set", "poll_silence", "2", "-p", "sandbox")[0] == 0
    table = cfg.read_config(path)["profiles"]
    assert table["prod"]["aes_key_env"] == "K" and "aes_key" not in table["prod"]
    assert table["sandbox"] == {"poll_silence": "2"}


@pytest.mark.parametrize(("first", "then", "gone"), [
    (("password_env", "SMS_PW"), ("password", "hunter2"), "password_env"),
    (("password", "hunter2"), ("password_env", "SMS_PW"), "password"),
    (("password", "hunter2"), ("password_command", "pass show sms"), "password"),
])
def test_set_says_which_form_of_a_secret_it_replaced(isolated_env, capsys, first, then, gone):
    path = write(isolated_env, toml_profile("x", "netshot", {"url": "u", "user": "me", first[0]: first[1]}))
    code, out, err = run(capsys, "config", "set", *then, "-p", "x")
    assert (code, out) == (0, "")
    assert f"smscli: replaced {gone} with {then[0]} in profile 'x'\n" in err
    assert "hunter2" not in err
    table = cfg.read_config(path)["profiles"]["x"]
    assert table[then[0]] == then[1] and gone not in table


def test_set_without_a_replacement_says_nothing_about_replacing(isolated_env, capsys):
    write(isolated_env, ONESHOT)
    code, _, err = run(capsys, "config", "set", "host", "h")
    assert code == 0 and "replaced" not in err


def test_readable_config_with_only_password_references_does_not_warn(isolated_env):
    write(isolated_env, toml_profile("x", "oneshot", {
        "host": "h", "port": 1, "bind_id": "b", "password_command": "pass show sms",
        "aes_key_env": "K", "aes_iv_env": "I"}) + toml_profile("y", "netshot", {
        "url": "u", "user": "me", "password_env": "NET_PW"}), mode=0o644)
    proc = run_cli("config", "get", "host", "-p", "x")
    assert proc.returncode == 0 and proc.stdout == b"h\n"
    assert proc.stderr == b""


def test_set_that_removes_the_inline_password_gives_no_stale_warning(isolated_env, capsys):
    path = write(isolated_env, ONESHOT, mode=0o644)
    code, _, err = run(capsys, "config", "set", "password_command", "pass show sms")
    assert code == 0 and "readable by others" not in err
    assert mode(path) == 0o600


def test_use_and_set_default_profile(isolated_env, capsys, monkeypatch):
    path = write(isolated_env, ONESHOT)
    assert run(capsys, "config", "use", "biz")[0] == 0
    assert cfg.read_config(path)["default_profile"] == "biz" and mode(path) == 0o600
    assert run(capsys, "config", "set", "default_profile", "sandbox")[0] == 0
    assert cfg.read_config(path)["default_profile"] == "sandbox"
    code, _, err = run(capsys, "config", "use", "nope")
    assert code == 3 and "known profiles: prod, biz, sandbox" in err
    monkeypatch.setenv("SMSCLI_PROFILE", "prod")
    code, _, err = run(capsys, "config", "use", "biz")
    assert code == 0 and "SMSCLI_PROFILE=prod is set and still takes precedence" in err


# --------------------------------------------------------------------------- profiles / path
def test_profiles_marks_the_active_one_and_why(isolated_env, capsys, monkeypatch):
    write(isolated_env, ONESHOT)
    code, out, _ = run(capsys, "config", "profiles")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["*", "prod", "oneshot"] and "active (from default_profile in" in lines[0]
    assert lines[2].split() == ["sandbox", "sandbox", "built-in"]
    monkeypatch.setenv("SMSCLI_PROFILE", "biz")
    _, out, _ = run(capsys, "config", "profiles", "--json")
    assert rows(out)[1] == {"name": "biz", "vendor": "bizppurio", "active": True, "builtin": False,
                            "selected_by": "env"}
    _, out, _ = run(capsys, "-p", "sandbox", "config", "profiles", "--json")
    assert [r["name"] for r in rows(out) if r["active"]] == ["sandbox"]


def test_path_and_data_dir(isolated_env, capsys):
    assert run(capsys, "config", "path")[1] == f"{isolated_env / 'config.toml'}\n"
    assert run(capsys, "config", "path", "--data-dir")[1] == f"{isolated_env / 'data'}\n"


# --------------------------------------------------------------------------- init
def test_init_from_flags(isolated_env, capsys):
    code, _, err = run(capsys, "config", "init", "--vendor", "oneshot", "--name", "prod",
                       "--set", "host=127.0.0.1", "--set", "port=9000", "--set", "bind_id=test001",
                       "--set", "aes_key=0123456789abcdef", "--set", "aes_iv=hex:" + "0f" * 16,
                       "--password-env", "SMS_PW", "--set", "sender=15666639")
    assert code == 0, err
    path = isolated_env / "config.toml"
    assert mode(path) == 0o600
    data = cfg.read_config(path)
    assert data["default_profile"] == "prod"
    assert data["profiles"]["prod"]["port"] == 9000 and data["profiles"]["prod"]["password_env"] == "SMS_PW"
    assert "wrote profile 'prod' (oneshot)" in err


def test_init_password_stdin_and_command(isolated_env, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("stdin-pw\n"))
    code, out, err = run(capsys, "config", "init", "--vendor", "netshot", "--set", "url=http://x",
                         "--set", "user=me", "--password-stdin")
    assert code == 0 and "stdin-pw" not in out + err
    assert cfg.load_profile("netshot").secret() == "stdin-pw"
    code, _, _ = run(capsys, "config", "init", "--vendor", "bizppurio", "--name", "biz", "--set", "base_url=u",
                     "--set", "account=a", "--password-command", "pass show biz", "--no-default")
    data = cfg.read_config(isolated_env / "config.toml")
    assert code == 0 and data["default_profile"] == "netshot"
    assert data["profiles"]["biz"]["password_command"] == "pass show biz"


def test_init_missing_required_key_names_it_and_writes_nothing(isolated_env, capsys):
    code, _, err = run(capsys, "config", "init", "--vendor", "netshot", "--set", "url=u",
                       "--password-env", "P")
    assert code == 3
    assert err == ("smscli: profile 'netshot' (netshot) is missing required key user; nothing was written "
                   "(re-run `smscli config init` with your flags plus --set user=VALUE, "
                   "or with --interactive to be asked for them)\n")
    assert not (isolated_env / "config.toml").exists()


def test_init_names_every_missing_key_and_suggests_init_not_set(isolated_env, capsys):
    code, out, err = run(capsys, "config", "init", "--vendor", "oneshot", "--name", "half",
                         "--set", "host=127.0.0.1")
    assert (code, out) == (3, "")
    assert err == ("smscli: profile 'half' (oneshot) is missing required keys port, bind_id, password, "
                   "aes_key, aes_iv; nothing was written (re-run `smscli config init` with your flags plus "
                   "--set port=VALUE --set bind_id=VALUE --set aes_key=VALUE --set aes_iv=VALUE and one of "
                   "--password-env VAR, --password-command CMD, --password-stdin, "
                   "or with --interactive to be asked for them)\n")
    assert "config set" not in err
    assert not (isolated_env / "config.toml").exists()
    code, _, err = run(capsys, "config", "init", "--vendor", "netshot", "--set", "url=u", "--set", "user=me")
    assert code == 3 and "missing required key password; nothing was written" in err
    assert "plus one of --password-env VAR, --password-command CMD, --password-stdin," in err


def test_init_refuses_unknown_set_keys_unless_forced(isolated_env, capsys):
    args = ["config", "init", "--vendor", "netshot", "--set", "url=u", "--set", "user=me", "--password-env", "P"]
    code, _, err = run(capsys, *args, "--set", "usr=me")
    assert code == 2 and err.startswith("smscli: --set usr: 'usr' is not a netshot key (did you mean 'user'?)")
    assert not (isolated_env / "config.toml").exists()
    code, _, err = run(capsys, *args, "--set", "retry_limit=3", "--force")
    assert code == 0 and "'retry_limit' is not a netshot key; storing it anyway (--force)" in err
    assert cfg.read_config(isolated_env / "config.toml")["profiles"]["netshot"]["retry_limit"] == "3"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [([], 2, "--vendor is required when stdin is not a terminal"),
     (["--vendor", "nope"], 3, "unknown vendor 'nope'"),
     (["--vendor", "sandbox", "--set", "novalue"], 2, "--set expects KEY=VALUE"),
     (["--vendor", "netshot", "--password-env", "A", "--password-command", "b"], 2, "give the password one way only")],
)
def test_init_bad_flags(isolated_env, capsys, args, code, message):
    got, _, err = run(capsys, "config", "init", "--no-interactive", *args)
    assert got == code and message in err


def test_init_refuses_to_overwrite_without_force(isolated_env, capsys):
    path = write(isolated_env, ONESHOT)
    args = ["config", "init", "--vendor", "sandbox", "--name", "biz"]
    code, _, err = run(capsys, *args)
    assert code == 2 and "profile 'biz' already exists" in err and path.read_text() == ONESHOT
    assert run(capsys, *args, "--force")[0] == 0
    assert cfg.read_config(path)["profiles"]["biz"] == {"vendor": "sandbox"}
    assert cfg.read_config(path)["default_profile"] == "prod"


def test_init_interactive_prompts_with_hidden_password(isolated_env):
    from typer.testing import CliRunner

    from smscli.cli.app import app

    answers = "\n".join(["bizppurio", "biz", "https://api.bizppurio.com", "acct",
                         "file", "typed-secret", "typed-secret", "0212341234", "y", ""])
    result = CliRunner().invoke(app, ["config", "init", "--interactive"], input=answers)
    assert result.exit_code == 0, result.output
    assert "typed-secret" not in result.output  # hidden input is not echoed
    prof = cfg.load_profile("biz")
    assert prof.secret() == "typed-secret" and prof.get("account") == "acct"
    assert prof.get("sender") == "0212341234" and prof.name_source == "flag"
    assert cfg.read_config(isolated_env / "config.toml")["default_profile"] == "biz"


def test_init_interactive_reasks_bad_answers(isolated_env):
    from typer.testing import CliRunner

    from smscli.cli.app import app

    answers = "\n".join(["oneshoot", "oneshot", "o", "127.0.0.1", "port?", "9000", "bind",
                         "env", "SMS_PW", "short", "0123456789abcdef", "fedcba9876543210", "n", "", "y", ""])
    result = CliRunner().invoke(app, ["config", "init", "--interactive"], input=answers)
    assert result.exit_code == 0, result.output
    assert "unknown vendor 'oneshoot'" in result.output and "port must be a port number" in result.output
    assert "aes_key must be 16 bytes" in result.output
    table = cfg.read_config(isolated_env / "config.toml")["profiles"]["o"]
    assert table["password_env"] == "SMS_PW" and table["port"] == 9000 and table["encrypt"] is False


# --------------------------------------------------------------------------- help
@pytest.mark.parametrize("command", ["init", "show", "set", "unset", "get", "profiles", "use", "path"])
def test_every_command_help_has_summary_and_examples(capsys, command):
    code, out, _ = run(capsys, "config", command, "--help")
    assert code == 0 and "Examples:" in out and f"smscli config {command}" in out


def test_init_interactive_with_piped_answers_that_run_out_is_a_usage_error(isolated_env):
    """Answers piped in that end before the questions do: one line, exit 2, nothing
    written (not "interrupted", which would send the user to resume a send)."""
    from tests.conftest import run_cli

    proc = run_cli("config", "init", "--interactive", "--name", "x9", input="oneshot\n")
    assert proc.returncode == 2, proc.stderr
    last = proc.stderr.decode().splitlines()[-1]
    assert "standard input ended before 'host' was answered; nothing was written" in last
    assert "interrupted" not in proc.stderr.decode() and not (isolated_env / "config.toml").exists()


def test_show_lines_up_columns_past_a_hangul_value(isolated_env, capsys, monkeypatch):
    """A Hangul value takes two cells a character: the columns after it still line up."""
    from unicodedata import east_asian_width

    write(isolated_env, ONESHOT)
    monkeypatch.setenv("SMSCLI_AD_NAME", "테스트상점")
    code, text, _ = run(capsys, "config", "show")
    assert code == 0

    def cells(s: str) -> int:
        return sum(2 if east_asian_width(c) in "WF" else 1 for c in s)

    lines = {line.split()[0]: line for line in text.splitlines() if line and not line.startswith("#")}
    ad, host = lines["ad_name"], lines["host"]
    assert cells(ad[:ad.index(" env")]) == cells(host[:host.index(" file")]), (ad, host)
