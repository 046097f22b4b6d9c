"""The journal's schema on PostgreSQL: the same tables, columns and indexes as SQLite's
version :data:`~smscli.journal_schema.SCHEMA_VERSION`, spelled for PostgreSQL.

Where it must differ: ``rowid`` (SQLite's implicit row number, which the readers page by)
is an identity column; text sorts byte-wise (``COLLATE "C"``, as SQLite compares), so keyset
pages and id prefixes mean the same on both; REAL is ``double precision``; the ``events``
triggers are PL/pgSQL, one call per statement. The version lives in ``smscli_schema`` (SQLite: ``user_version``).
:data:`PG_MIGRATIONS` maps a version to the DDL that upgrades it to the next one(s).
"""

from __future__ import annotations

from smscli.journal_schema import SCHEMA_VERSION

T = 'TEXT COLLATE "C"'

_PG_SCHEMA = f"""
CREATE TABLE messages (
    rowid      BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id         {T} PRIMARY KEY,
    vendor     {T} NOT NULL DEFAULT '',
    profile    {T} NOT NULL DEFAULT '',
    "to"       {T} NOT NULL DEFAULT '',
    type       {T} NOT NULL DEFAULT '',
    text       {T} NOT NULL DEFAULT '',
    subject    {T} NOT NULL DEFAULT '',
    sender     {T} NOT NULL DEFAULT '',
    images     {T} NOT NULL DEFAULT '[]',
    file_keys  {T} NOT NULL DEFAULT '[]',
    send_at    {T},
    status     {T} NOT NULL,
    code       {T} NOT NULL DEFAULT '',
    detail     {T} NOT NULL DEFAULT '',
    server_id  {T} NOT NULL DEFAULT '',
    attempts   INTEGER NOT NULL DEFAULT 0,
    held       INTEGER NOT NULL DEFAULT 0,
    run        {T} NOT NULL DEFAULT '',
    created_at {T} NOT NULL,
    updated_at {T} NOT NULL,
    owner      {T} NOT NULL DEFAULT '',
    kind       {T} NOT NULL DEFAULT 'text',
    content    {T} NOT NULL DEFAULT '',
    tag        {T} NOT NULL DEFAULT '',
    name       {T} NOT NULL DEFAULT '',
    parent     {T} NOT NULL DEFAULT '',
    ad         INTEGER NOT NULL DEFAULT 0,
    telecom    {T} NOT NULL DEFAULT ''
);
CREATE INDEX messages_created ON messages(created_at, rowid);
CREATE INDEX messages_due ON messages(send_at, rowid) WHERE status = 'scheduled' AND held = 1;
CREATE INDEX messages_server_id ON messages(vendor, server_id) WHERE server_id != '';
CREATE INDEX messages_tag ON messages(tag, created_at) WHERE tag != '';
CREATE INDEX messages_parent ON messages(parent) WHERE parent != '';
CREATE INDEX messages_to ON messages("to", created_at);
CREATE INDEX messages_failed_channel ON messages(profile)
    WHERE kind != 'text' AND status = 'failed' AND content LIKE '%"fallback":%';
CREATE TABLE reports (
    rowid        BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    message_id   {T} NOT NULL DEFAULT '',
    "to"         {T} NOT NULL DEFAULT '',
    status       {T} NOT NULL DEFAULT '',
    code         {T} NOT NULL DEFAULT '',
    detail       {T} NOT NULL DEFAULT '',
    vendor       {T} NOT NULL DEFAULT '',
    delivered_at {T} NOT NULL DEFAULT '',
    server_id    {T} NOT NULL DEFAULT '',
    raw          {T} NOT NULL DEFAULT '{{}}',
    matched      INTEGER NOT NULL DEFAULT 0,
    received_at  {T} NOT NULL,
    channel      {T} NOT NULL DEFAULT '',
    fallback     {T} NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX reports_once ON reports(vendor, server_id, message_id, code);
CREATE INDEX reports_message ON reports(message_id, rowid);
CREATE INDEX reports_received ON reports(received_at, rowid);
CREATE TABLE suppression (
    phone   {T} PRIMARY KEY,
    deny_no {T} NOT NULL DEFAULT '',
    source  {T} NOT NULL DEFAULT '',
    at      {T} NOT NULL
);
CREATE INDEX suppression_at ON suppression(at, phone);
CREATE TABLE phone_changes (
    rowid         BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    phone         {T} NOT NULL,
    new_phone     {T} NOT NULL,
    server_msg_id {T} NOT NULL DEFAULT '',
    at            {T} NOT NULL
);
CREATE INDEX phone_changes_phone ON phone_changes(phone, rowid);
CREATE TABLE tokens (
    key        {T} PRIMARY KEY,
    token      {T} NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE runs (
    rowid       BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id          {T} PRIMARY KEY,
    command     {T} NOT NULL,
    profile     {T} NOT NULL,
    vendor      {T} NOT NULL,
    fingerprint {T} NOT NULL,
    parts       {T} NOT NULL DEFAULT '{{}}',
    state       {T} NOT NULL,
    owner       {T} NOT NULL DEFAULT '',
    rows        INTEGER NOT NULL DEFAULT 0,
    counts      {T} NOT NULL DEFAULT '{{}}',
    note        {T} NOT NULL DEFAULT '',
    started_at  {T} NOT NULL,
    updated_at  {T} NOT NULL
);
CREATE INDEX runs_profile ON runs(profile, started_at);
CREATE TABLE owners (
    token       {T} PRIMARY KEY,
    host        {T} NOT NULL,
    pid         INTEGER NOT NULL,
    started_at  {T} NOT NULL,
    lease_until DOUBLE PRECISION NOT NULL
);
CREATE TABLE events (
    rowid      BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    message_id {T} NOT NULL,
    at         {T} NOT NULL,
    state      {T} NOT NULL,
    code       {T} NOT NULL DEFAULT '',
    detail     {T} NOT NULL DEFAULT ''
);
CREATE INDEX events_message ON events(message_id, rowid);
-- Statement-level triggers over transition tables: one INSERT ... SELECT per statement
-- (a batch of 1,000 claims or results), not a PL/pgSQL call per row.
CREATE FUNCTION smscli_events_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO events (message_id, at, state, code, detail)
    SELECT id, created_at, status, code, detail FROM new_rows ORDER BY rowid;
    RETURN NULL;
END $$;
CREATE FUNCTION smscli_events_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO events (message_id, at, state, code, detail)
    SELECT n.id, n.updated_at, n.status, n.code, n.detail
    FROM new_rows n JOIN old_rows o ON o.rowid = n.rowid
    WHERE o.status IS DISTINCT FROM n.status OR o.code IS DISTINCT FROM n.code
       OR o.detail IS DISTINCT FROM n.detail OR o.attempts IS DISTINCT FROM n.attempts
    ORDER BY n.rowid;
    RETURN NULL;
END $$;
CREATE FUNCTION smscli_events_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM events WHERE message_id IN (SELECT id FROM old_rows);
    RETURN NULL;
END $$;
CREATE TRIGGER events_insert AFTER INSERT ON messages REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION smscli_events_insert();
CREATE TRIGGER events_update AFTER UPDATE ON messages
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION smscli_events_update();
CREATE TRIGGER events_delete AFTER DELETE ON messages REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION smscli_events_delete();
"""

# From version N (0: no journal yet) to the version after the arrow, by this DDL.
PG_MIGRATIONS: dict[int, tuple[int, str]] = {0: (SCHEMA_VERSION, _PG_SCHEMA)}

SCHEMA_TABLE = "CREATE TABLE IF NOT EXISTS smscli_schema (version INTEGER NOT NULL, updated_at TEXT NOT NULL)"
