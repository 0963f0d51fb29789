-- 003_archives (PostgreSQL): compaction, as schema/003_archives.sql and 005_archive_keys.sql keep
-- it in SQLite. A terminal run's raw events move, in one transaction, into one archive: the same
-- zlib blob (bytea) SQLite keeps, with its events' seqs, ids and types inside. Only then may their
-- event rows be deleted. Archives and dictionaries are never updated or deleted.

-- Versioned preset dictionaries for deflate; each archive names the one it was compressed with.
CREATE TABLE archive_dictionaries (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bytes      bytea NOT NULL,
    created_at bigint NOT NULL
);

-- One row per archived run: every event it had when archived, compressed (`format` says how),
-- the SHA-256 of their canonical uncompressed stream and the chain value after the last one.
-- Events the run receives later are stored live and chain on from `chain_head`.
CREATE TABLE archives (
    run_key       bigint PRIMARY KEY REFERENCES streams (run_key),
    format        integer NOT NULL,
    dictionary_id bigint REFERENCES archive_dictionaries (id),
    event_count   bigint NOT NULL,
    last_seq      bigint NOT NULL,
    raw_bytes     bigint NOT NULL,
    stream_sha256 bytea NOT NULL,
    chain_head    bytea NOT NULL,
    archived_at   bigint NOT NULL,
    blob          bytea NOT NULL
);

-- The blob is compressed already: stored out of line as it is, not compressed again.
ALTER TABLE archives ALTER COLUMN blob SET STORAGE EXTERNAL;

CREATE TRIGGER archives_append_only BEFORE UPDATE OR DELETE ON archives
    FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER archives_no_truncate BEFORE TRUNCATE ON archives
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER archive_dictionaries_append_only BEFORE UPDATE OR DELETE ON archive_dictionaries
    FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER archive_dictionaries_no_truncate BEFORE TRUNCATE ON archive_dictionaries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();

-- An event row may be deleted only once an archive of its run holds it.
CREATE FUNCTION ledger_reject_unarchived_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM archives WHERE run_key = OLD.run_key AND last_seq >= OLD.seq) THEN
        RAISE EXCEPTION 'events are append-only: an event row cannot be deleted before it is archived'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN OLD;
END;
$$;

DROP TRIGGER events_append_only ON events;
CREATE TRIGGER events_reject_update BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER events_reject_delete BEFORE DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION ledger_reject_unarchived_delete();

-- Archived events, decoded, for the query language's `events` source. Ledger fills it inside a
-- query's own transaction and rolls that back, so no other session ever sees a row of it.
CREATE UNLOGGED TABLE archived_event_log (
    seq         bigint NOT NULL,
    run_key     bigint NOT NULL,
    run_id      text COLLATE "C" NOT NULL,
    event_id    text COLLATE "C" NOT NULL,
    type        text COLLATE "C" NOT NULL,
    data        text COLLATE "C" NOT NULL,
    received_at bigint NOT NULL
);

-- Every stored event, live or archived, with its run id and its type and data as text.
CREATE OR REPLACE VIEW event_log AS
SELECT e.seq, e.run_key, s.run_id COLLATE "C" AS run_id, e.event_id COLLATE "C" AS event_id,
    convert_from(e.type, 'UTF8') COLLATE "C" AS type, convert_from(e.data, 'UTF8') COLLATE "C" AS data,
    e.received_at
FROM events e JOIN streams s ON s.run_key = e.run_key
UNION ALL
SELECT seq, run_key, run_id, event_id, type, data, received_at FROM archived_event_log;
