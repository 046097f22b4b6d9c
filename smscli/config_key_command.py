"""Running a profile's ``<key>_command`` (a command whose stdout is the key's value, such
as a password manager's): bounded in time and in output, its failures as ConfigErrors
that never show what it printed. ``Profile.secret`` imports this module only for a
profile that gives a key this way.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shlex
import subprocess
import time
from typing import Any

from smscli.errors import ConfigError

COMMAND_TIMEOUT = 30.0  # seconds for a `<key>_command`; profile key `command_timeout`
COMMAND_OUTPUT_BYTES = 4096  # what a `<key>_command` may print: a secret is a line, not a stream


def run_key_command(profile: str, key: str, command: Any, timeout: Any = None) -> str:
    """Run ``command`` (profile ``profile``'s ``<key>_command``: a string split like a
    shell's, or a list of arguments) and return what it printed (stripped). At most
    ``COMMAND_OUTPUT_BYTES`` are read and ``timeout`` seconds (``command_timeout``; None:
    ``COMMAND_TIMEOUT``) waited: a command that prints more (``yes``), hangs, fails or is
    missing is a ConfigError. What it printed is never shown (it may be the secret); its
    stderr goes to ours."""
    ref = f"{key}_command"
    try:
        argv = [str(a) for a in command] if isinstance(command, list) else shlex.split(str(command))
    except ValueError as exc:
        raise ConfigError(f"profile '{profile}': {ref} cannot be parsed: {exc}") from None
    if not argv:
        raise ConfigError(f"profile '{profile}': {ref} is empty")
    timeout = float(COMMAND_TIMEOUT if timeout is None else timeout)
    failed = f"profile '{profile}': {ref} ({argv[0]})"
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    except FileNotFoundError:
        raise ConfigError(f"{failed}: command not found", hint=f"check {ref} in the profile") from None
    except PermissionError:
        raise ConfigError(f"{failed}: permission denied", hint=f"check {ref} in the profile") from None
    except OSError as exc:
        raise ConfigError(f"{failed}: cannot run it: {exc.strerror or exc}") from None
    try:
        output, status = _bounded_run(proc, COMMAND_OUTPUT_BYTES, timeout)
    except subprocess.TimeoutExpired:
        raise ConfigError(f"{failed} timed out after {timeout:g} s",
                          hint="raise command_timeout in the profile") from None
    except _TooMuchOutput:
        raise ConfigError(f"{failed} printed more than {COMMAND_OUTPUT_BYTES} bytes; it was stopped",
                          hint=f"{ref} must print the {key} and nothing else; "
                               "what it printed is not shown") from None
    if status != 0:
        how = f"was killed by signal {-status}" if status < 0 else f"failed with exit status {status}"
        raise ConfigError(f"{failed} {how}", hint=f"run it yourself to see why; check {ref}")
    value = output.decode("utf-8", "replace").strip()
    if not value:
        raise ConfigError(f"{failed} printed nothing", hint=f"{ref} must print the {key}")
    return value


class _TooMuchOutput(Exception):
    pass


def _bounded_run(proc: Any, limit: int, timeout: float) -> tuple[bytes, int]:
    """Read ``proc``'s stdout until it ends; (output, exit status). Kills the process and
    raises ``_TooMuchOutput`` past ``limit`` bytes, ``subprocess.TimeoutExpired`` after
    ``timeout`` seconds (the output so far is dropped)."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    os.set_blocking(fd, False)
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    size = 0
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise subprocess.TimeoutExpired(proc.args, timeout)
                if not sel.select(left):
                    continue
                try:
                    data = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                if not data:
                    break
                size += len(data)
                if size > limit:
                    raise _TooMuchOutput
                chunks.append(data)
        return b"".join(chunks), proc.wait(timeout=max(deadline - time.monotonic(), 0.001))
    except BaseException:
        proc.kill()
        raise
    finally:
        proc.stdout.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
