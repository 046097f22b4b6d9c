"""Where the journal lives: the ``journal_url`` and ``journal_password_env`` keys.

Both may be set at the top level of the config file or per profile (the profile wins),
and ``SMSCLI_JOURNAL_URL`` / ``SMSCLI_JOURNAL_PASSWORD_ENV`` override both. Absent, the
journal is SQLite in the data dir, as always. ``sqlite:///PATH`` names a journal file
(``journal.db``; its directory also holds the journal's lock files) or that directory;
``postgresql://user@host:port/db`` a shared journal on PostgreSQL.

The password comes from the URL, else from the variable ``journal_password_env`` names,
else libpq's own ``PGPASSWORD`` / ``.pgpass``. It never appears in anything shown:
:attr:`JournalTarget.location` is the URL without it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from smscli.errors import ConfigError

if TYPE_CHECKING:
    from smscli.journal import EmptyJournal, Journal

JOURNAL_KEYS = ("journal_url", "journal_password_env")
JOURNAL_FILE = "journal.db"
SQLITE = "sqlite:///"
PG_SCHEMES = ("postgresql", "postgres")


def masked_url(url: str) -> str:
    """``url`` without its password (``postgresql://u:***@h/db``); unparsable text is
    cut at the scheme so nothing after it can leak."""
    from smscli.masking import MASK

    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{parts.username or ''}:{MASK}@{host}" + (f":{parts.port}" if parts.port else "")
    except ValueError:
        return url.split("://", 1)[0] + "://" + MASK
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def sqlite_dir(url: str, *, where: str = "journal_url") -> Path:
    """The journal directory a ``sqlite:///PATH`` URL names (PATH relative to the
    working directory; ``sqlite:////abs/path`` is absolute)."""
    raw = url[len(SQLITE):].split("?", 1)[0]
    if not raw:
        raise ConfigError(f"{where} {url!r} names no file",
                          hint="use sqlite:///DIR/journal.db (or sqlite:///DIR)")
    path = Path(raw).expanduser()
    if path.name == JOURNAL_FILE:
        return path.parent.resolve()
    if path.suffix and not path.is_dir():
        raise ConfigError(
            f"{where} {url!r}: a SQLite journal is a file named {JOURNAL_FILE} (its directory "
            "holds its lock files and marker)",
            hint=f"use sqlite:///{path.parent / JOURNAL_FILE} or sqlite:///DIR",
        )
    return path.resolve()


@dataclass(frozen=True)
class JournalTarget:
    """One journal location, checked. ``url`` is None for the data dir's own SQLite
    file; ``password`` (resolved) is never part of ``repr`` or ``location``."""

    backend: str  # "sqlite" | "postgresql"
    url: str | None
    directory: Path | None  # the SQLite journal's directory (None: the data dir)
    source: str = "default"  # flag/env/file/default (of journal_url)
    origin: str = "built-in"
    password: str | None = field(default=None, repr=False)

    @property
    def location(self) -> str:
        """Where the journal is, safe to print."""
        if self.backend == "sqlite":
            return str((self.directory or Path("<data dir>")) / JOURNAL_FILE)
        return masked_url(self.url or "")

    def sqlite_path(self, data_dir: Path) -> Path:
        return (self.directory or data_dir) / JOURNAL_FILE

    def open(self, data_dir: Path, *, busy_timeout: float = 30.0) -> Journal:
        """Open (creating or upgrading) the journal."""
        from smscli.journal import Journal

        if self.backend == "sqlite":
            return Journal.open(self.directory or data_dir, busy_timeout=busy_timeout)
        opener: Any = Journal.open  # the PostgreSQL backend takes url/password
        return opener(data_dir, url=self.url, password=self.password, busy_timeout=busy_timeout)

    def open_for_reading(self, data_dir: Path, *, busy_timeout: float = 30.0) -> Journal | EmptyJournal:
        """The journal for a command that only reads it (creates nothing on SQLite)."""
        from smscli.journal import Journal

        if self.backend == "sqlite":
            return Journal.open_for_reading(self.directory or data_dir, busy_timeout=busy_timeout)
        opener: Any = Journal.open_for_reading
        return opener(data_dir, url=self.url, password=self.password, busy_timeout=busy_timeout)


def parse(url: str | None, *, where: str = "journal_url", password_env: str | None = None,
          source: str = "default", origin: str = "built-in") -> JournalTarget:
    """Check ``url`` and resolve its password. A bad scheme is a ConfigError (exit 3)
    naming ``where`` (the key and its source); the password is never in the message."""
    if url is None or url == "":
        return JournalTarget("sqlite", None, None, source, origin)
    if not isinstance(url, str):
        raise ConfigError(f"{where} must be a string (a URL)", hint="sqlite:///PATH or postgresql://...")
    shown = masked_url(url)
    if url.startswith(SQLITE):
        return JournalTarget("sqlite", url, sqlite_dir(url, where=where), source, origin)
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
            raise ConfigError(f"journal_password_env names ${password_env}, which is not set",
                              hint=f"export {password_env}, or change journal_password_env")
    return JournalTarget("postgresql", url, None, source, origin, password)


def from_values(values: Any) -> JournalTarget:
    """The target of a :class:`~smscli.config.Profile` (or anything with ``get``,
    ``source`` and ``origin``)."""
    source = values.source("journal_url") or "default"
    origin = values.origin("journal_url") or "built-in"
    target = parse(values.get("journal_url"), where=where(values),
                   password_env=values.get("journal_password_env"), source=source, origin=origin)
    paths = getattr(values, "paths", None)
    if target.backend == "sqlite" and target.directory is None and paths is not None:
        return replace(target, directory=Path(paths.data_dir))
    return target


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
