-- 003_archives: compaction. A terminal run's raw events move, in one transaction, into one
-- compressed archive per run and a slim key row per event; only then may their event rows be
-- deleted. Archives, archived keys and dictionaries are never updated or deleted.

-- Versioned preset dictionaries for deflate; each archive names the one it was compressed with.
CREATE TABLE archive_dictionaries (
    id         INTEGER PRIMARY KEY,
    bytes      BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

-- One row per archived run: every event it had when archived, compressed (`format` says how),
-- the SHA-256 of their canonical uncompressed stream and the chain value after the last one.
-- Events the run receives later are stored live and chain on from `chain_head`.
CREATE TABLE archives (
    run_key       INTEGER PRIMARY KEY,
    format        INTEGER NOT NULL,
    dictionary_id INTEGER REFERENCES archive_dictionaries (id),
    event_count   INTEGER NOT NULL,
    last_seq      INTEGER NOT NULL,
    raw_bytes     INTEGER NOT NULL,
    stream_sha256 BLOB NOT NULL,
    chain_head    BLOB NOT NULL,
    archived_at   INTEGER NOT NULL,
    blob          BLOB NOT NULL
);

-- New event rows must take seqs above every archived one (see Store+Append.swift).
CREATE INDEX archives_by_last_seq ON archives (last_seq);

-- The key, seq, SSE type and arrival time of every archived event, so keys stay known and
-- queries that do not read data need no decompression. One b-tree, clustered by run.
CREATE TABLE archived_events (
    run_key     INTEGER NOT NULL,
    event_id    TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    type        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (run_key, event_id)
) WITHOUT ROWID;

CREATE TRIGGER archived_events_need_archive BEFORE INSERT ON archived_events
WHEN NOT EXISTS (SELECT 1 FROM archives WHERE run_key = NEW.run_key)
BEGIN
    SELECT RAISE(ABORT, 'an archived event needs its run''s archive row first');
END;

-- An event row may be deleted only once its archived copy is stored.
DROP TRIGGER events_reject_delete;

CREATE TRIGGER events_reject_delete BEFORE DELETE ON events
WHEN NOT EXISTS (
    SELECT 1 FROM archived_events WHERE run_key = OLD.run_key AND event_id = OLD.event_id AND seq = OLD.seq
)
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: an event row cannot be deleted before it is archived');
END;

CREATE TRIGGER archives_reject_update BEFORE UPDATE ON archives
BEGIN
    SELECT RAISE(ABORT, 'archives are append-only: an archive row cannot be updated');
END;

CREATE TRIGGER archives_reject_delete BEFORE DELETE ON archives
BEGIN
    SELECT RAISE(ABORT, 'archives are append-only: an archive row cannot be deleted');
END;

CREATE TRIGGER archived_events_reject_update BEFORE UPDATE ON archived_events
BEGIN
    SELECT RAISE(ABORT, 'archived events are append-only: a row cannot be updated');
END;

CREATE TRIGGER archived_events_reject_delete BEFORE DELETE ON archived_events
BEGIN
    SELECT RAISE(ABORT, 'archived events are append-only: a row cannot be deleted');
END;

CREATE TRIGGER archive_dictionaries_reject_update BEFORE UPDATE ON archive_dictionaries
BEGIN
    SELECT RAISE(ABORT, 'archive dictionaries are append-only: a dictionary cannot be updated');
END;

CREATE TRIGGER archive_dictionaries_reject_delete BEFORE DELETE ON archive_dictionaries
BEGIN
    SELECT RAISE(ABORT, 'archive dictionaries are append-only: a dictionary cannot be deleted');
END;

-- Every event, live or archived, as stored. Archived data comes from `ledger_archived_data`,
-- a function Ledger registers on its connections (other SQLite clients cannot read this view).
CREATE VIEW event_log (seq, run_key, run_id, event_id, type, data, received_at) AS
    SELECT e.seq, e.run_key, s.run_id, e.event_id, e.type, e.data, e.received_at
    FROM events e JOIN streams s ON s.run_key = e.run_key
    UNION ALL
    SELECT a.seq, a.run_key, s.run_id, a.event_id, a.type, ledger_archived_data(a.run_key, a.event_id), a.received_at
    FROM archived_events a JOIN streams s ON s.run_key = a.run_key;
