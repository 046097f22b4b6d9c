"""One error family; each error knows its exit code (see CONTRACT.md, "Exit codes")."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    REJECTED = 1  # vendor rejected some/all recipients, some rows invalid, damaged frames
    USAGE = 2  # usage or input error: nothing was sent
    CONFIG = 3  # configuration or authentication error
    UNREACHABLE = 4  # vendor unreachable or timed out
    INTERNAL = 70  # a bug: one line, ``--debug`` for the traceback
    INTERRUPTED = 130
    BROKEN_PIPE = 141  # stdout went to a closed pipe (``smscli ... | head``): 128 + SIGPIPE, quietly


class SmscliError(Exception):
    """Base of every user-facing failure: ``str(err)`` is the one line shown on stderr.

    ``hint`` says what to do about it; it is appended after the message.
    """

    exit_status: ExitStatus = ExitStatus.REJECTED
    # True where the same call again may succeed (the vendor unreachable, a stop): a
    # retry is safe, the journal sends each message once.
    retryable: bool = False

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    @property
    def exit_code(self) -> int:
        """The CLI's exit code for this error (CONTRACT.md, "Exit codes")."""
        return int(self.exit_status)

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(SmscliError):
    """Bad flags or bad input: nothing was sent."""

    exit_status = ExitStatus.USAGE


class ConfigError(SmscliError):
    """Bad or missing configuration."""

    exit_status = ExitStatus.CONFIG


class AuthError(ConfigError):
    """The vendor refused our credentials."""


class VendorError(SmscliError):
    """The vendor answered with an error code."""

    exit_status = ExitStatus.REJECTED

    def __init__(
        self, message: str, *, code: str | None = None, retryable: bool = False, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.code = code
        self.retryable = retryable


class UnreachableError(SmscliError):
    """Could not reach the vendor (connect failure, timeout, dropped connection)."""

    exit_status = ExitStatus.UNREACHABLE
    retryable = True


class RejectedError(SmscliError):
    """The command ran, but some items failed (exit 1). Used for a summary line."""

    exit_status = ExitStatus.REJECTED


class Interrupted(SmscliError):
    """Ctrl-C during a command; the message says how to resume."""

    exit_status = ExitStatus.INTERRUPTED
    retryable = True
