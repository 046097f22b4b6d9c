"""smscli.config and its helpers (config_parse, config_checks, config_key_command, config_write):
paths, profile resolution and sources, secrets, validation, writing."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from smscli import config as cfg
from smscli import config_checks, config_keys, config_write
from smscli.errors import ConfigError, ExitStatus
from smscli.masking import MASK

ONESHOT = """\
default_profile = "prod"

[profiles.prod]
vendor   = "oneshot"
host     = "127.0.0.1"
port     = 9000
bind_id  = "test001"
password = "hunter2-secret"
aes_key  = "0123456789abcdef"
aes_iv   = "fedcba9876543210"
sender   = "15666639"

[profiles.biz]
vendor   = "bizppurio"
base_url = "https://api.bizppurio.com"
account  = "test"
password_env = "BIZ_PW"
"""

COMPLETE = {
    "oneshot": {"host": "h", "port": 1, "bind_id": "b", "password": "p",
                "aes_key": "0123456789abcdef", "aes_iv": "hex:" + "ab" * 16},
    "bizppurio": {"base_url": "https://x", "account": "a", "password": "p"},
    "netshot": {"url": "http://x", "user": "u", "password": "p"},
    "bizclient": {"database_url": "sqlite:///x.db", "file_path": "/tmp/files"},
}


def write(home: Path, text: str, mode: int = 0o600) -> Path:
    path = home / "config.toml"
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


def toml_profile(name: str, vendor: str, table: dict) -> str:
    import tomli_w

    return tomli_w.dumps({"profiles": {name: {"vendor": vendor, **table}}})


# --------------------------------------------------------------------------- paths
def test_paths_flag_beats_env_beats_platform_default(isolated_env, monkeypatch, tmp_path):
    from platformdirs import user_config_path, user_data_path

    assert cfg.resolve_paths(tmp_path / "x.toml").config_file == tmp_path / "x.toml"
    assert cfg.resolve_paths(tmp_path / "x.toml").config_source == "flag"
    env = cfg.resolve_paths()
    assert env.config_file == isolated_env / "config.toml" and env.config_source == "env"
    assert env.data_dir == isolated_env / "data"
    monkeypatch.delenv("SMSCLI_CONFIG")
    monkeypatch.delenv("SMSCLI_DATA_DIR")
    default = cfg.resolve_paths()
    assert default.config_file == user_config_path("smscli") / "config.toml"
    assert default.data_dir == user_data_path("smscli")
    assert default.config_source == "default"


def test_sandbox_exists_without_any_file(isolated_env):
    assert not (isolated_env / "config.toml").exists()
    prof = cfg.load_profile()
    assert (prof.name, prof.vendor) == ("sandbox", "sandbox")
    assert prof.name_source == "default" and prof.source("vendor") == "default"
    assert prof.get("sender")
    assert prof.problems() == []


def test_data_dir_created_on_first_use_with_mode_0700(isolated_env):
    prof = cfg.load_profile()
    assert not (isolated_env / "data").exists()
    path = prof.data_dir
    assert path == isolated_env / "data" and path.is_dir()
    assert stat.S_IMODE(path.stat().st_mode) == 0o700


def test_user_defined_sandbox_wins(isolated_env):
    write(isolated_env, '[profiles.sandbox]\nsender = "0299998888"\nspeed = 5\n')
    prof = cfg.load_profile("sandbox")
    assert prof.vendor == "sandbox"
    assert prof.get("sender") == "0299998888" and prof.source("sender") == "file"
    assert prof.get("speed") == 5


# --------------------------------------------------------------------------- precedence
def test_precedence_flag_env_file_default_with_sources(isolated_env, monkeypatch):
    write(isolated_env, ONESHOT)
    prof = cfg.load_profile()
    assert prof.get("host") == "127.0.0.1" and prof.source("host") == "file"
    assert prof.origin("host") == str(isolated_env / "config.toml")
    assert prof.get("encrypt") is False and prof.source("encrypt") == "default"

    monkeypatch.setenv("SMSCLI_HOST", "10.0.0.2")
    monkeypatch.setenv("SMSCLI_PORT", "9100")
    monkeypatch.setenv("SMSCLI_ENCRYPT", "yes")
    prof = cfg.load_profile()
    assert prof.get("host") == "10.0.0.2" and prof.source("host") == "env"
    assert prof.origin("host") == "SMSCLI_HOST"
    assert prof.get("port") == 9100 and prof.source("port") == "env"
    assert prof.get("encrypt") is True and prof.source("encrypt") == "env"

    prof = cfg.load_profile(overrides={"host": "10.0.0.3", "port": "9200", "sender": None})
    assert prof.get("host") == "10.0.0.3" and prof.source("host") == "flag"
    assert prof.get("port") == 9200 and prof.source("port") == "flag"
    assert prof.source("sender") == "file"  # None means "flag not given"


def test_profile_choice_flag_env_file_default(isolated_env, monkeypatch):
    write(isolated_env, ONESHOT)
    monkeypatch.setenv("BIZ_PW", "pw")
    assert cfg.load_profile().name == "prod"
    assert cfg.load_profile().name_source == "file"
    monkeypatch.setenv("SMSCLI_PROFILE", "biz")
    assert (cfg.load_profile().name, cfg.load_profile().name_source) == ("biz", "env")
    assert (cfg.load_profile("prod").name, cfg.load_profile("prod").name_source) == ("prod", "flag")


def test_env_applies_only_to_the_active_profile(isolated_env, monkeypatch):
    write(isolated_env, ONESHOT)
    monkeypatch.setenv("SMSCLI_ACCOUNT", "other")
    monkeypatch.setenv("SMSCLI_PASSWORD", "from-env")
    biz = cfg.load_profile("biz")
    assert biz.get("account") == "other" and biz.secret() == "from-env"
    prod = cfg.load_profile("prod")
    assert "account" not in prod  # not a oneshot key, not in its table


def test_bad_typed_env_value_is_a_config_error(isolated_env, monkeypatch):
    write(isolated_env, ONESHOT)
    monkeypatch.setenv("SMSCLI_PORT", "ninety")
    with pytest.raises(ConfigError, match="SMSCLI_PORT: port must be a port number") as err:
        cfg.load_profile()
    assert err.value.exit_status == ExitStatus.CONFIG
    monkeypatch.setenv("SMSCLI_PORT", "1")
    monkeypatch.setenv("SMSCLI_ENCRYPT", "maybe")
    with pytest.raises(ConfigError, match="SMSCLI_ENCRYPT: encrypt must be true or false"):
        cfg.load_profile()


def test_string_port_in_file_is_typed(isolated_env):
    write(isolated_env, ONESHOT.replace("port     = 9000", 'port = "9000"'))
    assert cfg.load_profile().get("port") == 9000


# --------------------------------------------------------------------------- secrets
def test_password_inline_env_and_command(isolated_env, monkeypatch):
    write(isolated_env, ONESHOT)
    assert cfg.load_profile().secret() == "hunter2-secret"
    monkeypatch.setenv("BIZ_PW", "from-var")
    biz = cfg.load_profile("biz")
    assert biz.secret("password") == "from-var" and biz.require("password") == "from-var"
    monkeypatch.delenv("BIZ_PW")
    with pytest.raises(ConfigError, match=r"profile 'biz': password_env names \$BIZ_PW, which is not set"):
        cfg.load_profile("biz").secret()


def _command_profile(home: Path, command: str, extra: str = "") -> cfg.Profile:
    table = COMPLETE["netshot"] | {"password_command": command}
    table.pop("password")
    write(home, toml_profile("net", "netshot", table) + extra)
    return cfg.load_profile("net")


def test_password_command_runs_without_shell_and_strips(isolated_env):
    py = sys.executable
    prof = _command_profile(isolated_env, f"{py} -c \"print('  s3 cret;$HOME  ')\"")
    assert prof.secret() == "s3 cret;$HOME"  # no shell: $HOME is not expanded
    assert prof.source("password_command") == "file"


def test_failing_password_command_names_the_key_not_the_password(isolated_env, capfd):
    py = sys.executable
    prof = _command_profile(isolated_env, f"{py} -c \"print('leaked-pw'); raise SystemExit(4)\"")
    with pytest.raises(ConfigError) as err:
        prof.secret()
    message = str(err.value)
    assert "password_command" in message and "'net'" in message and "exit status 4" in message
    assert "leaked-pw" not in message and "leaked-pw" not in "".join(capfd.readouterr())
    assert err.value.exit_status == ExitStatus.CONFIG


def test_password_command_not_found_empty_and_timeout(isolated_env):
    with pytest.raises(ConfigError, match="password_command .*command not found"):
        _command_profile(isolated_env, "/nonexistent/smscli-pass").secret()
    with pytest.raises(ConfigError, match="printed nothing"):
        _command_profile(isolated_env, f"{sys.executable} -c pass").secret()
    slow = _command_profile(isolated_env, f"{sys.executable} -c \"import time; time.sleep(30)\"")
    slow._values["command_timeout"] = 0.3
    with pytest.raises(ConfigError, match=r"timed out after 0.3 s"):
        slow.secret()


def test_higher_layer_secret_shadows_file_command(isolated_env, monkeypatch):
    prof = _command_profile(isolated_env, "/nonexistent/would-fail")
    monkeypatch.setenv("SMSCLI_PASSWORD", "env-pw")
    prof = cfg.load_profile("net")
    assert prof.secret() == "env-pw" and prof.source("password") == "env"
    assert prof.get("password_command") is None  # shadowed, never run


def test_two_ways_to_give_one_password_is_an_error(isolated_env):
    write(isolated_env, toml_profile("net", "netshot", COMPLETE["netshot"] | {"password_env": "X"}))
    with pytest.raises(ConfigError, match="'password' and 'password_env'.*keep one"):
        cfg.load_profile("net")


def test_missing_password_is_config_error(isolated_env):
    table = dict(COMPLETE["netshot"])
    table.pop("password")
    write(isolated_env, toml_profile("net", "netshot", table))
    prof = cfg.load_profile("net", validate=False)
    with pytest.raises(ConfigError, match="profile 'net' has no password") as err:
        prof.secret()
    assert "SMSCLI_PASSWORD" in str(err.value)


@pytest.mark.parametrize(
    ("key", "secret"),
    [("password", True), ("aes_key", True), ("aes_iv", True), ("api_token", True),
     ("client_secret", True), ("sender_key", True), ("db_passwd", True), ("pasword", True),
     ("password_env", False), ("password_command", False), ("command_timeout", False),
     ("bind_id", False), ("host", False), ("account", False), ("database_url", False), ("sender", False)],
)
def test_masking_rule(key, secret):
    assert config_keys.is_secret_key(key) is secret
    assert (config_keys.mask(key, "v") == MASK) is secret


def test_url_password_is_masked():
    assert config_keys.mask("database_url", "mysql+pymysql://me:pw%40x@db/biz") == f"mysql+pymysql://me:{MASK}@db/biz"
    assert config_keys.mask("database_url", "sqlite:///a/b.db") == "sqlite:///a/b.db"


def test_items_and_repr_never_show_secrets(isolated_env):
    write(isolated_env, ONESHOT)
    prof = cfg.load_profile()
    shown = repr(prof) + repr(prof.items())
    for secret in ("hunter2-secret", "0123456789abcdef", "fedcba9876543210"):
        assert secret not in shown
    assert dict(prof.items())["host"] == "127.0.0.1"
    assert [k for k, _ in prof.items()][:3] == ["vendor", "host", "port"]


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize("vendor", sorted(COMPLETE))
def test_complete_profiles_validate_and_each_missing_key_is_named(isolated_env, vendor):
    write(isolated_env, toml_profile("p", vendor, COMPLETE[vendor]))
    assert cfg.load_profile("p").vendor == vendor
    for key in config_keys.REQUIRED[vendor]:
        table = {k: v for k, v in COMPLETE[vendor].items() if k != key}
        write(isolated_env, toml_profile("p", vendor, table))
        with pytest.raises(ConfigError) as err:
            cfg.load_profile("p")
        assert f"profile 'p' ({vendor}) is missing required key '{key}'" in str(err.value)
        assert err.value.exit_status == ExitStatus.CONFIG


def test_sender_is_optional(isolated_env):
    write(isolated_env, toml_profile("b", "bizppurio", COMPLETE["bizppurio"]))
    prof = cfg.load_profile("b")
    assert prof.get("sender") is None
    with pytest.raises(ConfigError, match="profile 'b' has no 'sender'"):
        prof.require("sender")


@pytest.mark.parametrize(
    ("value", "problem"),
    [("short", "got 5 bytes of text"), ("0123456789abcdefX", "got 17 bytes"),
     ("hex:00112233", "has 8 characters"), ("hex:" + "zz" * 16, "not all hex digits")],
)
def test_bad_aes_material(isolated_env, value, problem):
    write(isolated_env, toml_profile("o", "oneshot", COMPLETE["oneshot"] | {"aes_iv": value}))
    with pytest.raises(ConfigError) as err:
        cfg.load_profile("o")
    message = str(err.value)
    assert "profile 'o': aes_iv must be 16 bytes of text or 'hex:' followed by 32 hex digits" in message
    assert problem in message
    if not value.startswith("hex:"):
        assert value not in message


def test_good_aes_material():
    config_checks.check_key_material("aes_key", "0123456789abcdef")
    config_checks.check_key_material("aes_key", "가나다라마a")  # 5 x 3 bytes + 1 = 16 bytes
    config_checks.check_key_material("aes_iv", "hex:" + "0A" * 16)
    config_checks.check_key_material("aes_key", "0123456789abcdef-longer-key")  # first 16 bytes are used


def test_long_iv_is_refused():
    with pytest.raises(ConfigError, match="got 17 bytes"):
        config_checks.check_key_material("aes_iv", "0123456789abcdefX")


def test_aes_key_from_env_reference_is_checked(isolated_env, monkeypatch):
    table = dict(COMPLETE["oneshot"])
    table.pop("aes_key")
    write(isolated_env, toml_profile("o", "oneshot", table | {"aes_key_env": "K"}))
    monkeypatch.setenv("K", "too-short")
    prof = cfg.load_profile("o")
    with pytest.raises(ConfigError, match="aes_key must be 16 bytes"):
        prof.secret("aes_key")


def test_unknown_vendor_names_vendor_and_profile(isolated_env):
    write(isolated_env, toml_profile("x", "bizpurio", {}))
    with pytest.raises(ConfigError) as err:
        cfg.load_profile("x")
    assert "profile 'x': unknown vendor 'bizpurio' (did you mean 'bizppurio'?)" in str(err.value)
    assert err.value.exit_status == ExitStatus.CONFIG


def test_missing_vendor(isolated_env):
    write(isolated_env, '[profiles.x]\nhost = "h"\n')
    with pytest.raises(ConfigError, match="profile 'x' in .* has no 'vendor' key"):
        cfg.load_profile("x")


def test_unknown_profile_lists_known_ones(isolated_env, monkeypatch):
    write(isolated_env, ONESHOT)
    with pytest.raises(ConfigError) as err:
        cfg.load_profile("prdo")
    assert "no profile 'prdo'" in str(err.value)
    assert "known profiles: prod, biz, sandbox" in str(err.value)
    assert "did you mean 'prod'?" in str(err.value)
    monkeypatch.setenv("SMSCLI_PROFILE", "nope")
    with pytest.raises(ConfigError, match=r"no profile 'nope' \(from SMSCLI_PROFILE\)"):
        cfg.load_profile()


def test_default_profile_naming_a_missing_profile(isolated_env):
    write(isolated_env, 'default_profile = "gone"\n')
    with pytest.raises(ConfigError, match=r"no profile 'gone' \(from default_profile in .*known profiles: sandbox"):
        cfg.load_profile()


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [('[profiles.x]\nvendor = "oneshot\n', 2, 18), ("a = 1\na = 2\n", 2, 6), ("a = ", 1, 5)],
)
def test_malformed_toml_names_file_line_column(isolated_env, text, line, col):
    path = write(isolated_env, text)
    with pytest.raises(ConfigError) as err:
        cfg.load_profile()
    assert str(err.value).startswith(f"{path}: line {line}, column {col}: invalid TOML: ")
    assert "\n" not in str(err.value) and err.value.exit_status == ExitStatus.CONFIG


def test_wrong_shape_is_config_error(isolated_env):
    write(isolated_env, 'profiles = "prod"\n')
    with pytest.raises(ConfigError, match="'profiles' must be a table"):
        cfg.load_profile()


def test_unknown_keys_kept_and_typos_warned(isolated_env, capsys):
    table = COMPLETE["bizppurio"] | {"sendr": "0212341234", "retry_limit": 3}
    write(isolated_env, toml_profile("b", "bizppurio", table))
    prof = cfg.load_profile("b")
    assert prof.get("sendr") == "0212341234" and prof.get("retry_limit") == 3
    err = capsys.readouterr().err
    assert "smscli: warning: profile 'b': unknown key 'sendr' (did you mean 'sender'?)" in err
    assert "retry_limit" not in err


# --------------------------------------------------------------------------- files
def test_group_readable_file_with_password_warns(isolated_env, capsys):
    path = write(isolated_env, ONESHOT, mode=0o644)
    cfg._warned.clear()
    cfg.load_profile()
    err = capsys.readouterr().err
    assert (f"smscli: warning: {path} holds a password (password in profile 'prod') "
            "and is readable by others (mode 644)") in err
    assert f"chmod 600 {path}" in err


@pytest.mark.parametrize(("table", "named"), [
    ({"password_command": "pass show sms", "password": ""}, None),
    ({"password_env": "SMS_PW", "aes_key_env": "K", "aes_iv_command": "x"}, None),
    ({"password_command": ["pass", "show"], "database_url": "sqlite:///x.db"}, None),
    ({"password_env": "SMS_PW", "aes_iv": "fedcba9876543210"}, "a secret (aes_iv in profile 'p')"),
    ({"password_env": "SMS_PW", "database_url": "mysql://u:pw@h/db"}, "a secret (database_url in profile 'p')"),
])
def test_readable_warning_only_for_inline_secret_values(isolated_env, capsys, table, named):
    path = write(isolated_env, toml_profile("p", "sandbox", table), mode=0o644)
    cfg._warned.clear()
    cfg.read_config(path)
    err = capsys.readouterr().err
    if named is None:
        assert err == ""
    else:
        assert err == (f"smscli: warning: {path} holds {named} and is readable by others (mode 644); "
                       f"run: chmod 600 {path}\n")


def test_inline_secret_rule():
    assert config_keys.holds_inline_secret("password", "x") and config_keys.holds_inline_secret("api_token", "t")
    assert not config_keys.holds_inline_secret("password", "")
    assert not config_keys.holds_inline_secret("password_env", "X")
    assert not config_keys.holds_inline_secret("password_command", "pass show sms")


@pytest.mark.parametrize(("vendor", "key", "expect"), [
    ("oneshot", "host", None),
    ("oneshot", "password_command", None),
    ("oneshot", "aes_iv_env", None),
    ("bizclient", "database_url_command", None),
    ("sandbox", "poll_silence", None),
    ("sandbox", "sender", None),
    ("my-plugin", "anything", None),
    ("oneshot", "hots", "profile 'x': 'hots' is not a oneshot key (did you mean 'host'?)"),
    ("oneshot", "concurrency", "profile 'x': 'concurrency' is not a oneshot key (only bizppurio, netshot read it)"),
    ("bizppurio", "bogus_key", "profile 'x': 'bogus_key' is not a bizppurio key"),
])
def test_unknown_key_error(vendor, key, expect):
    err = config_checks.unknown_key_error(vendor, key, "profile 'x'")
    if expect is None:
        assert err is None
    else:
        assert err is not None and err.message == expect and err.exit_status == ExitStatus.USAGE
        assert "pass --force to store it anyway" in err.hint


def test_no_warning_when_private_or_without_password(isolated_env, capsys):
    cfg._warned.clear()
    write(isolated_env, ONESHOT, mode=0o600)
    cfg.load_profile()
    write(isolated_env, toml_profile("b", "bizppurio", {"password_env": "X", "base_url": "u", "account": "a"}),
          mode=0o644)
    cfg.load_profile("b", validate=False)
    assert "warning" not in capsys.readouterr().err


def test_update_creates_private_file_and_dir(isolated_env, tmp_path):
    path = tmp_path / "new" / "dir" / "config.toml"
    config_write.update_config(path, [("prod", "vendor", "netshot"), (None, "default_profile", "prod")])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert cfg.read_config(path) == {"default_profile": "prod", "profiles": {"prod": {"vendor": "netshot"}}}


def test_every_write_leaves_mode_0600(isolated_env):
    path = write(isolated_env, ONESHOT, mode=0o644)
    config_write.update_config(path, [("prod", "host", "10.0.0.9")])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    os.chmod(path, 0o666)
    config_write.replace_profile(path, "net", {"vendor": "netshot", "url": "u", "user": "x", "password_env": "P"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_write_is_atomic(isolated_env, monkeypatch):
    path = write(isolated_env, ONESHOT)
    before = path.read_bytes()

    def broken_replace(src, dst):
        assert Path(src).parent == path.parent  # temp file lives beside the target
        assert stat.S_IMODE(os.stat(src).st_mode) == 0o600
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(ConfigError, match=f"cannot write the config file {path}: disk gone"):
        config_write.update_config(path, [("prod", "host", "10.9.9.9")])
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.toml"]


def test_write_replaces_the_file_not_rewrites_it(isolated_env):
    path = write(isolated_env, ONESHOT)
    inode = path.stat().st_ino
    config_write.update_config(path, [("prod", "host", "10.0.0.9")])
    assert path.stat().st_ino != inode


def test_edits_keep_comments_and_layout(isolated_env):
    text = ('# mine\ndefault_profile = "prod"   # usual\n\n[profiles.prod]   # OneShot\n'
            'vendor   = "oneshot"\nhost     = "127.0.0.1"   # lab\nport     = 9000\n\n'
            '[profiles.other]\nvendor = "sandbox"\n')
    path = write(isolated_env, text)
    config_write.update_config(path, [("prod", "host", "10.0.0.1"), ("prod", "sender", "0212341234"),
                             ("prod", "port", None), (None, "default_profile", "other")])
    assert path.read_text() == (
        '# mine\ndefault_profile = "other"   # usual\n\n[profiles.prod]   # OneShot\n'
        'vendor   = "oneshot"\nhost     = "10.0.0.1"   # lab\nsender = "0212341234"\n\n'
        '[profiles.other]\nvendor = "sandbox"\n')


def test_layout_beyond_the_editor_falls_back_to_a_rewrite(isolated_env):
    path = write(isolated_env, '[profiles]\nprod = { vendor = "netshot", url = "u" }\n')
    config_write.update_config(path, [("prod", "user", "me")])
    assert cfg.read_config(path) == {"profiles": {"prod": {"vendor": "netshot", "url": "u", "user": "me"}}}


def test_symlinked_config_is_written_through(isolated_env, tmp_path):
    real = tmp_path / "dotfiles" / "smscli.toml"
    real.parent.mkdir()
    real.write_text(ONESHOT)
    link = isolated_env / "config.toml"
    link.symlink_to(real)
    config_write.update_config(link, [("prod", "host", "10.0.0.7")])
    assert link.is_symlink() and cfg.read_config(real)["profiles"]["prod"]["host"] == "10.0.0.7"


def test_env_values_take_the_type_of_the_file_value(isolated_env, monkeypatch):
    write(isolated_env, toml_profile("s", "sandbox", {"speed": 5, "ratio": 0.5, "fast": False, "timeout": 3}))
    monkeypatch.setenv("SMSCLI_SPEED", "7")
    monkeypatch.setenv("SMSCLI_RATIO", "0")
    monkeypatch.setenv("SMSCLI_FAST", "on")
    prof = cfg.load_profile("s")
    assert (prof.get("speed"), prof.get("ratio"), prof.get("fast")) == (7, 0.0, True)
    monkeypatch.setenv("SMSCLI_TIMEOUT", "0")
    with pytest.raises(ConfigError, match="SMSCLI_TIMEOUT: timeout must be a positive number of seconds"):
        cfg.load_profile("s")


def test_close_match_is_difflibs_with_the_length_bound_first() -> None:
    """``close_match`` skips candidates whose lengths cannot reach the cutoff (start-up:
    the secret-key rule asks it of every known key); the answers stay difflib's."""
    import difflib
    import itertools

    from smscli.config_keys import all_known_keys, close_match

    keys = sorted(all_known_keys())
    words = [*keys, "", "x", "pasword", "passwd", "aes_ky", "aesiv", "prot", "passwordd", "hots"]
    words += ["".join(p) for p in itertools.product("asw_", repeat=3)]
    for word in words:
        for candidates in (("password", "aes_key", "aes_iv"), keys, ("",), ("", "a")):
            for cutoff in (0.75, 0.6):
                found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=cutoff)
                assert close_match(word, candidates, cutoff) == (found[0] if found else None), word
