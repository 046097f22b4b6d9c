"""The journal's schema on SQLite: the DDL of each version and the migrations between
them (``PRAGMA user_version`` is the version). The PostgreSQL schema is in
:mod:`smscli.journal_pg_schema`."""

from __future__ import annotations

SCHEMA_VERSION = 3

_SCHEMA_V1 = """
CREATE TABLE messages (
    id         TEXT PRIMARY KEY,
    vendor     TEXT NOT NULL DEFAULT '',
    profile    TEXT NOT NULL DEFAULT '',
    "to"       TEXT NOT NULL DEFAULT '',
    type       TEXT NOT NULL DEFAULT '',
    text       TEXT NOT NULL DEFAULT '',
    subject    TEXT NOT NULL DEFAULT '',
    sender     TEXT NOT NULL DEFAULT '',
    images     TEXT NOT NULL DEFAULT '[]',
    file_keys  TEXT NOT NULL DEFAULT '[]',
    send_at    TEXT,
    status     TEXT NOT NULL,
    code       TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',
    server_id  TEXT NOT NULL DEFAULT '',
    attempts   INTEGER NOT NULL DEFAULT 0,
    held       INTEGER NOT NULL DEFAULT 0,  -- 1: reservation kept here until `reserve flush`
    run        TEXT NOT NULL DEFAULT '',    -- the Journal instance that last claimed it
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX messages_created ON messages(created_at);
CREATE INDEX messages_due ON messages(send_at) WHERE status = 'scheduled' AND held = 1;
CREATE INDEX messages_server_id ON messages(vendor, server_id) WHERE server_id != '';
CREATE TABLE reports (
    message_id   TEXT NOT NULL DEFAULT '',
    "to"         TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT '',
    code         TEXT NOT NULL DEFAULT '',
    detail       TEXT NOT NULL DEFAULT '',
    vendor       TEXT NOT NULL DEFAULT '',
    delivered_at TEXT NOT NULL DEFAULT '',
    server_id    TEXT NOT NULL DEFAULT '',
    raw          TEXT NOT NULL DEFAULT '{}',
    matched      INTEGER NOT NULL DEFAULT 0,
    received_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX reports_once ON reports(vendor, server_id, message_id, code);
CREATE INDEX reports_message ON reports(message_id);
CREATE INDEX reports_received ON reports(received_at);
CREATE TABLE suppression (
    phone   TEXT PRIMARY KEY,
    deny_no TEXT NOT NULL DEFAULT '',
    source  TEXT NOT NULL DEFAULT '',
    at      TEXT NOT NULL
);
CREATE TABLE phone_changes (
    phone         TEXT NOT NULL,
    new_phone     TEXT NOT NULL,
    server_msg_id TEXT NOT NULL DEFAULT '',
    at            TEXT NOT NULL
);
CREATE INDEX phone_changes_phone ON phone_changes(phone);
CREATE TABLE tokens (
    key        TEXT PRIMARY KEY,
    token      TEXT NOT NULL,
    expires_at REAL NOT NULL
);
"""

# v2: runs (every send/reserve, with its input's fingerprint), owners (the live processes
# that hold claims), and each message's owner. In v1 `run` held the claiming instance.
_SCHEMA_V2 = """
ALTER TABLE messages ADD COLUMN owner TEXT NOT NULL DEFAULT '';
UPDATE messages SET owner = run, run = '';
CREATE TABLE runs (
    id          TEXT PRIMARY KEY,
    command     TEXT NOT NULL,
    profile     TEXT NOT NULL,
    vendor      TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    parts       TEXT NOT NULL DEFAULT '{}',
    state       TEXT NOT NULL,               -- running | finished | interrupted | failed
    owner       TEXT NOT NULL DEFAULT '',
    rows        INTEGER NOT NULL DEFAULT 0,  -- rows read so far
    counts      TEXT NOT NULL DEFAULT '{}',  -- results per status so far
    note        TEXT NOT NULL DEFAULT '',
    started_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX runs_profile ON runs(profile, started_at);
CREATE TABLE owners (
    token       TEXT PRIMARY KEY,
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    started_at  TEXT NOT NULL,
    lease_until REAL NOT NULL
);
"""

# v3: what a message carries beyond text (``kind`` text | kakao | rcs, ``content`` its
# fields as JSON, see smscli.content.dumps), its campaign ``tag``, the recipient's ``name``
# and, for a fallback smscli sends itself, the ``parent`` it falls back for (failed Kakao/RCS
# messages are indexed for smscli.fallback); reports gain ``channel`` and ``fallback`` (JSON).
# ``telecom`` is the carrier the last report named (OneShot Telecom, Bizppurio WAPINFO,
# BIZCLIENT TEL_INFO), for ``result stats --by telecom``. ``events``: each change of a
# message's state, code or detail (and each re-claim) with its time, written by triggers
# in the transaction that makes the change (``result show``).
_SCHEMA_V3 = """
ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'text';
ALTER TABLE messages ADD COLUMN content TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN tag TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN parent TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN ad INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_tag ON messages(tag, created_at) WHERE tag != '';
CREATE INDEX messages_parent ON messages(parent) WHERE parent != '';
CREATE INDEX messages_to ON messages("to", created_at);
CREATE INDEX messages_failed_channel ON messages(profile)
    WHERE kind != 'text' AND status = 'failed' AND content LIKE '%"fallback":%';
ALTER TABLE reports ADD COLUMN channel TEXT NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN fallback TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN telecom TEXT NOT NULL DEFAULT '';
CREATE TABLE events (
    message_id TEXT NOT NULL,
    at         TEXT NOT NULL,
    state      TEXT NOT NULL,
    code       TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_message ON events(message_id);
CREATE TRIGGER events_insert AFTER INSERT ON messages BEGIN
    INSERT INTO events VALUES (new.id, new.created_at, new.status, new.code, new.detail);
END;
CREATE TRIGGER events_update AFTER UPDATE OF status, code, detail, attempts ON messages
WHEN old.status IS NOT new.status OR old.code IS NOT new.code OR old.detail IS NOT new.detail
    OR old.attempts IS NOT new.attempts BEGIN
    INSERT INTO events VALUES (new.id, new.updated_at, new.status, new.code, new.detail);
END;
CREATE TRIGGER events_delete AFTER DELETE ON messages BEGIN
    DELETE FROM events WHERE message_id = old.id;
END;
"""

# Index i upgrades a journal from user_version i to i + 1.
_MIGRATIONS: tuple[str, ...] = (_SCHEMA_V1, _SCHEMA_V2, _SCHEMA_V3)
