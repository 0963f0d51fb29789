-- 005_archive_keys: an archive keeps its events' seqs, ids and types itself (archive format 2, keys
-- first in its stream, readable without inflating the data), so the per-event `archived_events`
-- rows go. Before this script runs, Ledger re-encodes every format-1 archive as format 2 with the
-- seqs of its key rows into `temp.archive_upgrades` (see ArchiveUpgrade.swift); the same events,
-- SHA-256 and chain head, only packed differently.

DROP VIEW event_log;

DROP TRIGGER archives_reject_update;

UPDATE archives
SET format = 2, blob = (SELECT u.blob FROM temp.archive_upgrades u WHERE u.run_key = archives.run_key)
WHERE run_key IN (SELECT run_key FROM temp.archive_upgrades);

CREATE TRIGGER archives_reject_update BEFORE UPDATE ON archives
BEGIN
    SELECT RAISE(ABORT, 'archives are append-only: an archive row cannot be updated');
END;

DROP TABLE temp.archive_upgrades;

-- An event row may be deleted only once an archive of its run holds it.
DROP TRIGGER events_reject_delete;

CREATE TRIGGER events_reject_delete BEFORE DELETE ON events
WHEN NOT EXISTS (SELECT 1 FROM archives WHERE run_key = OLD.run_key AND last_seq >= OLD.seq)
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: an event row cannot be deleted before it is archived');
END;

DROP TABLE archived_events;

-- Every event, live or archived, as stored. Archived rows come from `ledger_archive(run_key)`, a
-- table-valued function Ledger registers on its connections (other SQLite clients cannot read
-- this view).
CREATE VIEW event_log (seq, run_key, run_id, event_id, type, data, received_at) AS
    SELECT e.seq, e.run_key, s.run_id, e.event_id, e.type, e.data, e.received_at
    FROM events e JOIN streams s ON s.run_key = e.run_key
    UNION ALL
    SELECT x.seq, a.run_key, s.run_id, x.event_id, x.type, x.data, x.received_at
    FROM archives a JOIN streams s ON s.run_key = a.run_key, ledger_archive(a.run_key) x;
