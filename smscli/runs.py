"""Runs: every ``send`` / ``reserve`` is a run with its own id, recorded in the journal
with a fingerprint of its input (profile, message, options and the rows as read).

A row without an id of its own (no ``--id``, no ``id`` column) gets the id
``run id + row position`` (:func:`smscli.ids.run_message_id`), so ``--resume`` — the same
command again, continuing the same run — derives the same ids, and only what was not
accepted before is sent. A resume whose input differs from the run's is refused.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from smscli.errors import UsageError
from smscli.records import record

if TYPE_CHECKING:
    from smscli.journal import Journal

LATEST = ""  # `--resume` without a run id: the latest unfinished run whose input matches
_BLOCK = 1024 * 1024

# What each fingerprint part is called when it differs.
_LABELS = {
    "command": "the command", "profile": "the profile", "vendor": "the vendor",
    "message": "the message text", "input": "the recipients", "type": "--type",
    "subject": "--subject", "sender": "--from", "images": "--image", "at": "--at",
    "id": "--id", "allow_unicode": "--allow-unicode", "ignore_optout": "--ignore-optout",
}  # fmt: skip
_SHOWN = {"command", "profile", "vendor", "input", "type", "sender", "at", "id"}  # values worth printing


@record
class Fingerprint:
    """The parts that make a run's input, each a short string (a value or a digest)."""

    parts: Mapping[str, str]

    def __init__(self, parts: Mapping[str, str]) -> None:
        self.__dict__.update(parts=parts)

    @property
    def digest(self) -> str:
        import json  # here: a dry run fingerprints nothing

        text = json.dumps(dict(self.parts), sort_keys=True, ensure_ascii=False)
        return _sha256(text.encode()).hexdigest()

    def differences(self, other: Mapping[str, str]) -> list[str]:
        """What differs between ``other`` (a stored run's parts) and this, for people."""
        out = []
        for name in sorted(set(other) | set(self.parts)):
            was, now = other.get(name, ""), self.parts.get(name, "")
            if was == now:
                continue
            label = _LABELS.get(name, name)
            out.append(f"{label} ({was or 'none'} → {now or 'none'})" if name in _SHOWN else label)
        return out


def _sha256(data: bytes = b"") -> Any:
    """``hashlib.sha256``, imported when a run is fingerprinted: hashlib loads OpenSSL, a
    few ms that a dry run or a list command need not pay."""
    import hashlib

    return hashlib.sha256(data)


def digest(data: bytes | str) -> str:
    """A short sha256 of ``data`` (16 hex digits) for fingerprint parts."""
    raw = data.encode() if isinstance(data, str) else data
    return _sha256(raw).hexdigest()[:16]


def files_digest(paths: Sequence[str | os.PathLike[str]]) -> str:
    """The names and contents of ``paths`` (images), as one digest; unreadable files are
    left to the image checks, which say what is wrong with them."""
    h = _sha256()
    for path in paths:
        h.update(os.fsencode(path) + b"\0")
        try:
            with open(path, "rb") as f:
                while block := f.read(_BLOCK):
                    h.update(block)
        except OSError:
            h.update(b"\0unreadable")
    return h.hexdigest()[:16]


def numbers_part(numbers: Sequence[str]) -> str:
    """The ``input`` part of a ``--to`` list."""
    return f"--to, {len(numbers)} number(s), sha256 {digest(chr(10).join(numbers))}"


def csv_part(source: str) -> tuple[str, IO[bytes] | None]:
    """The ``input`` part of a CSV file (hashed as bytes, streamed), and for ``-`` the
    spooled copy of stdin to read the rows from (a temporary file: memory stays flat)."""
    import tempfile

    h, size = _sha256(), 0
    if source == "-":
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
        stdin = sys.stdin.buffer
        try:
            while block := stdin.read(_BLOCK):
                h.update(block)
                spool.write(block)
                size += len(block)
        except OSError as exc:
            spool.close()
            raise UsageError(f"cannot read stdin: {exc.strerror or exc}") from None
        spool.seek(0)
        return f"stdin, {size} bytes, sha256 {h.hexdigest()[:16]}", spool
    try:
        with Path(source).open("rb") as f:
            while block := f.read(_BLOCK):
                h.update(block)
                size += len(block)
    except OSError:
        return f"{source}, unreadable", None  # open_csv says what is wrong
    return f"{source}, {size} bytes, sha256 {h.hexdigest()[:16]}", None


def choose_run(journal: Journal, resume: str, *, profile: str, command: str,
               fingerprint: Fingerprint) -> dict[str, Any]:
    """The run ``--resume`` continues (taken over by this process), or a UsageError saying
    why none can be: no run had this input, it is still running, or its input differs.

    A bare ``--resume`` takes the newest run with this input, finished or not (resuming a
    finished run sends nothing again: it is safe to retry). With none, it never guesses: a
    new run would send every row, which the journal cannot know to be safe."""
    if resume == LATEST:
        runs = journal.list_runs(profile=profile, command=command, limit=200)
        matching = [r for r in runs if r["fingerprint"] == fingerprint.digest]
        unfinished = [r for r in runs if not r["finished"]]
        if not matching and unfinished:
            latest = unfinished[0]
            raise UsageError(
                f"--resume: no run of profile '{profile}' has this input; the latest unfinished, "
                f"run {latest['id']} ({latest['started_at']}), differs in "
                + "; ".join(fingerprint.differences(latest["parts"])),
                hint="resume it with the same command and input, or name another with --resume RUN_ID",
            )
        if not matching:
            raise UsageError(
                f"--resume: no run of profile '{profile}' with this input is in the journal",
                hint="without --resume the command sends every row (if an earlier journal was "
                     "moved aside, that may send again what it had sent); `smscli runs` lists the runs",
            )
        run = matching[0]
    else:
        run = journal.get_run(resume)
        if run is None:
            raise UsageError(f"--resume: no run {resume!r} in the journal",
                             hint="`smscli runs` lists the recent runs")
        if run["fingerprint"] != fingerprint.digest:
            raise UsageError(
                f"--resume: run {resume} had another input; it differs in "
                + "; ".join(fingerprint.differences(run["parts"])),
                hint="resume with the same command, options and input as the run",
            )
    if run["state"] == "running" or journal.adopt_run(run["id"]) is None:
        who = f" (pid {run['pid']})" if run.get("pid") else ""
        raise UsageError(f"--resume: run {run['id']} is still running{who}",
                         hint="wait for it to end; `smscli runs` shows it")
    return run


def unfinished_like(journal: Journal, *, profile: str, command: str,
                    fingerprint: Fingerprint) -> dict[str, Any] | None:
    """The newest run with this input, if it did not finish (and is not running) after
    the vendor took some of its rows: a new run sends those again, where ``--resume``
    would send only the rest."""
    for run in journal.list_runs(profile=profile, command=command, limit=20):
        if run["fingerprint"] == fingerprint.digest:
            taken = any(n for status, n in run["counts"].items() if status not in ("invalid", "rejected"))
            return None if run["finished"] or run["state"] == "running" or not taken else run
    return None
