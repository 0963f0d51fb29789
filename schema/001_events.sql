-- 001_events: the raw, append-only event store.
-- One row per dispatched SSE message, exactly as received, keyed by (run, event id).
-- Runs get a small integer key so the unique index stays compact when many runs interleave.

CREATE TABLE streams (
    run_key           INTEGER PRIMARY KEY,
    run_id            TEXT NOT NULL UNIQUE,
    event_count       INTEGER NOT NULL DEFAULT 0,
    head_hash         BLOB NOT NULL,
    resume_id         TEXT NOT NULL DEFAULT '',
    first_received_at INTEGER,
    last_received_at  INTEGER
);

CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,
    run_key     INTEGER NOT NULL,
    event_id    TEXT NOT NULL,
    type        TEXT NOT NULL,
    data        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    hash        BLOB NOT NULL
);

CREATE UNIQUE INDEX events_by_key ON events(run_key, event_id);

CREATE TRIGGER events_reject_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: an event row cannot be updated');
END;

CREATE TRIGGER events_reject_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: an event row cannot be deleted');
END;

CREATE TABLE conflicts (
    id          INTEGER PRIMARY KEY,
    run_key     INTEGER NOT NULL,
    event_id    TEXT NOT NULL,
    type        TEXT NOT NULL,
    data        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    data_hash   BLOB NOT NULL
);

CREATE UNIQUE INDEX conflicts_by_content ON conflicts(run_key, event_id, data_hash);

CREATE TRIGGER conflicts_reject_update BEFORE UPDATE ON conflicts
BEGIN
    SELECT RAISE(ABORT, 'conflicts are append-only: a conflict row cannot be updated');
END;

CREATE TRIGGER conflicts_reject_delete BEFORE DELETE ON conflicts
BEGIN
    SELECT RAISE(ABORT, 'conflicts are append-only: a conflict row cannot be deleted');
END;
