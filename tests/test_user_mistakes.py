"""Issue 9, part 3: user mistakes end with one ``smscli:`` line and the contract's exit code
(2 usage/input, 3 config), never 70 (internal error) and never a traceback."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import run_cli


def one_line(proc) -> str:
    """The single stderr line of a failed command (no traceback, nothing else)."""
    err = proc.stderr.decode()
    lines = [ln for ln in err.splitlines() if not ln.startswith("smscli: warning:")]
    assert "Traceback" not in err, err
    assert len(lines) == 1 and lines[0].startswith("smscli: "), err
    assert "internal error" not in lines[0], err
    return lines[0]


def write_config(home: Path, text: str) -> Path:
    path = home / "config.toml"
    path.write_text(text, encoding="utf-8")
    os.chmod(path, 0o600)
    return path


# --------------------------------------------------------------------------- templates
@pytest.mark.parametrize(
    ("template", "said"),
    [
        ("{", "unclosed '{' at position 1"),
        ("hello {name", "unclosed '{' at position 7 of the message template ('{name')"),
        ("{}", "empty variable '{}' at position 1"),
        ("{name!r}", "'{name!r}' at position 1 of the message template is not understood"),
        ("{name:>5}", "'{name:>5}' at position 1 of the message template is not understood"),
        ("{name[0]}", "'{name[0]}' at position 1 of the message template is not understood"),
        ("50% }", "single '}' at position 5"),
    ],
)
def test_bad_template_syntax_is_a_usage_error_saying_how_to_write_a_brace(template, said):
    proc = run_cli("send", "--to", "01012345678", "-m", template, "--dry-run")
    assert proc.returncode == 2, proc.stderr
    line = one_line(proc)
    assert said in line
    assert "'{{'" in line or "'}}'" in line  # how to write a literal brace
    assert proc.stdout == b""


def test_bad_template_in_reserve_and_with_a_csv(tmp_path):
    csv = tmp_path / "list.csv"
    csv.write_text("phone,name\n01012345678,길동\n", encoding="utf-8")
    proc = run_cli("send", "--csv", str(csv), "-m", "안녕 {name!s}님")
    assert proc.returncode == 2
    assert "'{name!s}' at position 4" in one_line(proc)
    proc = run_cli("reserve", "--at", "2099-01-01 09:00", "--to", "01012345678", "-m", "{ name:x }")
    assert proc.returncode == 2
    assert "'{ name:x }'" in one_line(proc)


def test_literal_braces_still_work():
    proc = run_cli("send", "--to", "01012345678", "-m", "{{공지}} 100%}}", "--dry-run", "--json")
    assert proc.returncode == 0, proc.stderr
    assert b'"status": "valid"' in proc.stdout


# --------------------------------------------------------------------------- absurd configs
@pytest.mark.parametrize("depth", [9, 300, 5000])
@pytest.mark.parametrize("kind", ["array", "table"])
def test_deeply_nested_config_value_is_a_config_error(isolated_env, depth, kind):
    value = "[" * depth + "]" * depth if kind == "array" else "{a=" * depth + "1" + "}" * depth
    write_config(isolated_env, f'[profiles.sandbox]\nsender = "01000000000"\nx = {value}\n')
    for args in (("config", "show"), ("send", "--to", "01012345678", "-m", "hi", "--dry-run")):
        proc = run_cli(*args)
        assert proc.returncode == 3, proc.stderr
        line = one_line(proc)
        assert "nested more than 8 levels deep" in line and "config.toml" in line


def test_huge_config_file_is_refused_without_reading_it_all(isolated_env):
    path = write_config(isolated_env, "# " + "x" * (2 * 1024 * 1024) + "\n")
    proc = run_cli("config", "show")
    assert proc.returncode == 3
    assert f"{path} is larger than 1 MiB" in one_line(proc)
    proc = run_cli("--config", "/dev/zero", "config", "show", timeout=20)  # endless: bounded read
    assert proc.returncode == 3
    assert "/dev/zero is larger than 1 MiB" in one_line(proc)


ONESHOT = """\
[profiles.os]
vendor = "oneshot"
host = "{host}"
port = 9000
bind_id = "test001"
password = "pw"
aes_key = "0123456789abcdef"
aes_iv = "fedcba9876543210"
sender = "0212341234"

[profiles.biz]
vendor = "bizppurio"
base_url = "https://{host}:8443"
account = "test"
password = "pw"
sender = "0212341234"

[profiles.net]
vendor = "netshot"
url = "http://{host}/corp/send_message.php"
user = "u"
password = "pw"
sender = "0212341234"
"""


@pytest.mark.parametrize("profile", ["os", "biz", "net"])
@pytest.mark.parametrize(
    ("host", "said"),
    [
        ("a" * 64 + ".example.com", "has a label of 64 characters ('aaaaaaaaaaaaaaaaaaaaa...'); "
                                    "a label (the text between dots) is at most 63"),
        ("sms..example.com", "has an empty label in host name 'sms..example.com'"),
        (("abcdefghi." * 26) + "kr", "has a host name of 262 characters; at most 253 are allowed"),
    ],
)
def test_bad_host_name_is_a_config_error(isolated_env, profile, host, said):
    write_config(isolated_env, ONESHOT.format(host=host))
    proc = run_cli("-p", profile, "send", "--to", "01012345678", "-m", "hi", timeout=30)
    assert proc.returncode == 3, proc.stderr
    line = one_line(proc)
    key = {"os": "host", "biz": "base_url", "net": "url"}[profile]
    assert f"profile '{profile}': {key} {said}" in line


def test_good_host_names_pass(isolated_env):
    for host in ("127.0.0.1", "[::1]", "localhost", "sms.example.co.kr", "문자.한국", "a" * 63 + ".kr"):
        write_config(isolated_env, ONESHOT.format(host=host))
        proc = run_cli("-p", "biz", "send", "--to", "01012345678", "-m", "hi", "--dry-run")
        assert proc.returncode == 0, (host, proc.stderr)


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("WINDOW", "100000", "window is 100000; at most 10000 is allowed"),
        ("WINDOW", "1e400", "window must be a whole number, not '1e400'"),
        ("RECONNECT_ATTEMPTS", "1" + "0" * 30, "reconnect_attempts is "),
        ("CONNECT_TIMEOUT", "nan", "connect_timeout must be a number, not 'nan'"),
        ("RESPONSE_TIMEOUT", "inf", "response_timeout must be a number, not 'inf'"),
        ("ALIVE_INTERVAL", "1e300", "alive_interval is 1e300; at most 86400 (seconds) is allowed"),
        ("TIMEOUT", "inf", "timeout must be a positive number of seconds, not 'inf'"),
    ],
)
def test_absurd_numbers_are_config_errors(key, value, said):
    proc = run_cli("send", "--to", "01012345678", "-m", "hi", env={f"SMSCLI_{key}": value})
    assert proc.returncode == 3, proc.stderr
    lines = [ln for ln in proc.stderr.decode().splitlines() if "sandbox: messages go to" not in ln]
    assert len(lines) == 1 and said in lines[0], proc.stderr


def test_absurd_concurrency_is_refused_before_anything_starts(isolated_env):
    write_config(isolated_env, ONESHOT.format(host="127.0.0.1") + "concurrency = 1000000000\n")
    started = time.monotonic()
    proc = run_cli("-p", "net", "send", "--to", "01012345678", "-m", "hi", timeout=30)
    assert proc.returncode == 3
    assert "concurrency is 1000000000; at most 1000 is allowed" in one_line(proc)
    assert time.monotonic() - started < 20


# --------------------------------------------------------------------------- password_command
NETSHOT_COMMAND = """\
[profiles.net]
vendor = "netshot"
url = "http://127.0.0.1:9/corp/send_message.php"
user = "u"
password_command = {command}
command_timeout = {timeout}
sender = "0212341234"
"""


def _command(home: Path, command: str, timeout: float = 10) -> None:
    import json

    write_config(home, NETSHOT_COMMAND.format(command=json.dumps(command), timeout=timeout))


def test_password_command_that_prints_forever_is_stopped_at_4_kib(isolated_env):
    py = sys.executable
    _command(isolated_env, f"{py} -c \"import sys\nwhile True: sys.stdout.write('y' * 65536)\"")
    started = time.monotonic()
    proc = run_cli("-p", "net", "send", "--to", "01012345678", "-m", "hi", timeout=60)
    assert time.monotonic() - started < 30
    assert proc.returncode == 3, proc.stderr
    line = one_line(proc)
    assert "password_command" in line and "printed more than 4096 bytes; it was stopped" in line
    assert "yyyy" not in proc.stderr.decode() and b"yyyy" not in proc.stdout


def test_password_command_yes(isolated_env):
    _command(isolated_env, "yes")
    proc = run_cli("-p", "net", "config", "get", "password", "--show-secrets", timeout=30)
    assert proc.returncode == 3
    assert "password_command (yes) printed more than 4096 bytes" in one_line(proc)


@pytest.mark.parametrize(
    ("command", "said"),
    [
        ("false", "password_command (false) failed with exit status 1"),
        ("/nonexistent/pass show sms", "password_command (/nonexistent/pass): command not found"),
        ("sh -c 'kill -9 $$'", "password_command (sh) was killed by signal 9"),
        ("sh -c 'echo s3cret-value; exit 4'", "failed with exit status 4"),
        ("true", "password_command (true) printed nothing"),
    ],
)
def test_failing_password_command_is_one_line_without_its_output(isolated_env, command, said):
    _command(isolated_env, command)
    proc = run_cli("-p", "net", "send", "--to", "01012345678", "-m", "hi", timeout=30)
    assert proc.returncode == 3, proc.stderr
    line = one_line(proc)
    assert said in line
    assert "s3cret" not in line and b"s3cret" not in proc.stdout


def test_password_command_that_hangs_times_out(isolated_env):
    _command(isolated_env, "sleep 60", timeout=0.5)
    started = time.monotonic()
    proc = run_cli("-p", "net", "send", "--to", "01012345678", "-m", "hi", timeout=30)
    assert time.monotonic() - started < 20
    assert proc.returncode == 3
    assert "password_command (sleep) timed out after 0.5 s" in one_line(proc)


def test_a_dry_run_without_a_sender_says_a_send_would_be_refused(isolated_env):
    write_config(isolated_env, 'default_profile = "net"\n[profiles.net]\nvendor = "netshot"\n'
                               'url = "http://127.0.0.1:9/"\nuser = "u"\npassword = "p"\n')
    dry = run_cli("send", "--to", "01012345678", "-m", "hi", "--dry-run")
    assert dry.returncode == 0
    assert dry.stderr.decode().splitlines()[0] == (
        "smscli: warning: no sender number (pass --from NUMBER or set `sender` in the profile): "
        "a send would be refused")
    sent = run_cli("send", "--to", "01012345678", "-m", "hi")
    assert sent.returncode == 2 and one_line(sent).startswith("smscli: no sender number")
    with_from = run_cli("send", "--to", "01012345678", "-m", "hi", "--dry-run", "--from", "0212345678")
    assert with_from.returncode == 0 and "no sender" not in with_from.stderr.decode()
