"""Where the journal lives: the ``journal_url`` and ``journal_password_env`` keys.

Both may be set at the top level of the config file or per profile (the profile wins),
and ``SMSCLI_JOURNAL_URL`` / ``SMSCLI_JOURNAL_PASSWORD_ENV`` override both. Absent, the
journal is SQLite in the data dir, as always. ``sqlite:///PATH`` names a journal file
(absolute; the data dir keeps its lock files); ``postgresql://user@host:port/db`` a shared
journal on PostgreSQL (:mod:`smscli.journal_pg`).

``journal_lease`` (seconds, default 120) is how long what a host claimed stays its own
after its last sign of life (a host that died: others take its messages over after it).

The password comes from the URL, else from the variable ``journal_password_env`` names,
else libpq's own ``PGPASSWORD`` / ``.pgpass``. It never appears in anything shown:
:attr:`JournalTarget.location` is the URL without it.
"""

from __future__ import annotations

import os
from dataclasses import field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from smscli.errors import ConfigError
from smscli.records import record

if TYPE_CHECKING:
    from smscli.journal import EmptyJournal, Journal

JOURNAL_KEYS = ("journal_url", "journal_password_env")
JOURNAL_FILE = "journal.db"
SQLITE = "sqlite:///"
PG_SCHEMES = ("postgresql", "postgres")


def masked_url(url: str) -> str:
    """``url`` without its password (nor options, which may carry one):
    ``postgresql://user@host:port/db``; SQLite URLs as they are."""
    if url.startswith(SQLITE):
        return url
    from smscli.config_keys import mask
    from smscli.journal_pg import safe_url

    return mask("journal_url", safe_url(url))  # (not a URL at all: its ``password=`` masked)


def _without_password(url: str) -> str:
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rsplit("@", 1)
        user = netloc[0].split(":", 1)[0] + "@" if len(netloc) == 2 else ""
        return urlunsplit((parts.scheme.lower(), user + netloc[-1], parts.path, parts.query, ""))
    except ValueError:
        return url


def sqlite_file(url: str) -> Path:
    """The file a ``sqlite:///PATH`` URL names (PATH is absolute: ``sqlite:///var/lib/x.db``)."""
    from smscli.journal import sqlite_path

    found = sqlite_path(url)
    assert found is not None
    return Path("/" + str(found).lstrip("/"))


@record
class JournalTarget:
    """One journal location, checked. ``url`` is None for the data dir's own SQLite
    file; ``password`` (resolved) is never part of ``repr`` or ``location``."""

    backend: str  # "sqlite" | "postgresql"
    url: str | None = field(repr=False)  # as given: may hold the password
    file: Path | None  # the SQLite journal's file (None: ``journal.db`` in the data dir)
    source: str = "default"  # flag/env/file/default (of journal_url)
    origin: str = "built-in"
    password: str | None = field(default=None, repr=False)
    data_dir: Path | None = None  # where the profile's data dir is (lock files, caches)
    lease: float | None = None  # journal_lease: seconds a host's claims outlive its last news

    def __init__(self, backend: str, url: str | None, file: Path | None, source: str = "default",
                 origin: str = "built-in", password: str | None = None, data_dir: Path | None = None,
                 lease: float | None = None) -> None:
        self.__dict__.update(backend=backend, url=url, file=file, source=source, origin=origin,
                             password=password, data_dir=data_dir, lease=lease)

    @property
    def location(self) -> str:
        """Where the journal is, safe to print."""
        if self.backend == "sqlite":
            return str(self.sqlite_path(self.data_dir or Path("<data dir>")))
        return masked_url(self.url or "")

    def same_as(self, other: JournalTarget, data_dir: Path) -> bool:
        """Whether both name one journal (a PostgreSQL URL with its options: another
        ``search_path`` is another journal)."""
        if self.backend != other.backend:
            return False
        if self.backend == "sqlite":
            return self.sqlite_path(data_dir).resolve() == other.sqlite_path(data_dir).resolve()
        return _without_password(self.url or "") == _without_password(other.url or "")

    def sqlite_path(self, data_dir: Path) -> Path:
        return self.file or data_dir / JOURNAL_FILE

    def open(self, data_dir: Path, *, busy_timeout: float = 30.0) -> Journal:
        """Open (creating or upgrading) the journal; a SQLite file's directory is made
        (mode 0700) when missing."""
        from smscli.config import ensure_private_dir
        from smscli.journal import Journal

        if self.file is not None:
            for folder in (self.file.parent, self._dir(data_dir)):
                if not folder.is_dir():
                    ensure_private_dir(folder)
        return Journal.open(self._dir(data_dir), url=self._url(), password=self.password,
                            busy_timeout=busy_timeout, **self._lease())

    def open_for_reading(self, data_dir: Path, *, busy_timeout: float = 30.0) -> Journal | EmptyJournal:
        """The journal for a command that only reads it (creates nothing)."""
        from smscli.journal import Journal

        return Journal.open_for_reading(self._dir(data_dir), url=self._url(), password=self.password,
                                        busy_timeout=busy_timeout, **self._lease())

    def _lease(self) -> dict[str, float]:
        return {} if self.lease is None else {"lease_seconds": self.lease}

    def _dir(self, data_dir: Path) -> Path:
        """The directory of the journal's lock files (their names are fixed): beside a
        SQLite file, so that every process using the file (whatever its data dir) shares
        them; ``journal.db`` uses its own directory, any other name ``<name>-smscli/``,
        so that two journals in one directory never share locks."""
        if self.file is None:
            return data_dir
        if self.file.name == JOURNAL_FILE:
            return self.file.parent
        return self.file.with_name(f"{self.file.name}-smscli")

    def _url(self) -> str | None:
        return f"sqlite://{self.file}" if self.file is not None else self.url


def parse(url: str | None, *, where: str = "journal_url", password_env: str | None = None,
          source: str = "default", origin: str = "built-in") -> JournalTarget:
    """Check ``url`` and resolve its password. A bad scheme is a ConfigError (exit 3)
    naming ``where`` (the key and its source); the password is never in the message."""
    if url is None or url == "":
        return JournalTarget("sqlite", None, None, source, origin)
    if not isinstance(url, str):
        raise ConfigError(f"{where} must be a string (a URL)", hint="sqlite:///PATH or postgresql://...")
    if url.startswith(SQLITE):
        if not url[len(SQLITE):]:
            raise ConfigError(f"{where} {url!r} names no file", hint="use sqlite:///PATH/journal.db")
        return JournalTarget("sqlite", url, sqlite_file(url), source, origin)
    shown = masked_url(url)
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme.split("+", 1)[0] not in PG_SCHEMES:
        raise ConfigError(
            f"{where} {shown!r} is not a journal URL"
            + (f" (scheme {scheme!r})" if scheme else ""),
            hint="use sqlite:///PATH or postgresql://user@host:port/db",
        )
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError as exc:
        raise ConfigError(f"{where} {shown!r} is not a valid URL ({exc})",
                          hint="postgresql://user@host:port/db") from None
    if not parts.path.strip("/") and not parts.hostname and "dbname=" not in parts.query:
        raise ConfigError(f"{where} {shown!r} names no host or database",
                          hint="postgresql://user@host:port/db")
    password = parts.password
    if password is None and password_env:
        password = os.environ.get(password_env)
        if password is None:
            key = "--password-env" if source == "flag" else "journal_password_env"
            raise ConfigError(f"{key} names ${password_env}, which is not set",
                              hint=f"export {password_env}, or change {key}")
    return JournalTarget("postgresql", url, None, source, origin, password)


def from_values(values: Any) -> JournalTarget:
    """The target of a :class:`~smscli.config.Profile` (or anything with ``get``,
    ``source`` and ``origin``)."""
    source = values.source("journal_url") or "default"
    origin = values.origin("journal_url") or "built-in"
    target = parse(values.get("journal_url"), where=where(values),
                   password_env=values.get("journal_password_env"), source=source, origin=origin)
    lease = values.get("journal_lease")
    if lease is not None and not (isinstance(lease, int | float) and 1 <= float(lease) <= 86_400):
        raise ConfigError(f"journal_lease must be a number of seconds from 1 to 86400, not {lease!r}",
                          hint="e.g. journal_lease = 120 (the default)")
    paths = getattr(values, "paths", None)
    return replace(target, data_dir=Path(paths.data_dir) if paths is not None else None,
                   lease=None if lease is None else float(lease))


def where(values: Any) -> str:
    """How to name ``journal_url`` in an error: the key and where its value came from."""
    source = values.source("journal_url")
    origin = values.origin("journal_url")
    if source == "env":
        return f"{origin}"
    return "journal_url" + (f" (in {origin})" if origin else "")


def active(config: Path | None = None, profile: str | None = None) -> JournalTarget:
    """The journal of the active profile (or ``profile``), for commands that have no
    profile loaded (``runs``, ``journal ...``); the profile need not be complete."""
    from smscli.config import load_profile

    return from_values(load_profile(profile, config=config, validate=False))
