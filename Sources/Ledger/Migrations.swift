// The SQL migrations of schema/, embedded so the library can apply them without resources.
// They must stay byte-for-byte copies of schema/NNN_name.sql (a test checks it). A migration
// that has shipped is never edited: change the schema with a new one.

import GRDB

/// One ordered schema change.
package struct Migration: Sendable {
    package let version: Int
    package let name: String
    package let sql: String
    /// Work in Swift that the SQL needs done first, in the same transaction.
    let prepare: (@Sendable (Database) throws -> Void)?

    init(version: Int, name: String, sql: String, prepare: (@Sendable (Database) throws -> Void)? = nil) {
        self.version = version
        self.name = name
        self.sql = sql
        self.prepare = prepare
    }
}

/// The ordered migrations and how they are applied.
package enum Migrations {
    /// Every migration this build knows, oldest first.
    package static let all: [Migration] = [
        Migration(
            version: 1,
            name: "events",
            sql: #"""
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

            """#
        ),
        Migration(
            version: 2,
            name: "projections",
            sql: #"""
            -- 002_projections: tables derived only from events (runs, steps, transitions), the price table
            -- they are costed with, and how far they have read. Every projection row can be dropped and
            -- recomputed from events (`ledgerctl rebuild`); prices are configuration and are kept.

            -- One row per run, as of the last event projected. Times are UTC microseconds, money micro-dollars.
            CREATE TABLE runs (
                run_key             INTEGER PRIMARY KEY,
                run_id              TEXT NOT NULL,
                state               TEXT,
                machine_id          TEXT,
                task                TEXT,
                cua_version         TEXT,
                first_event_at      INTEGER NOT NULL,
                last_event_at       INTEGER NOT NULL,
                started_at          INTEGER,
                ended_at            INTEGER,
                duration_us         INTEGER,
                awaiting_human_us   INTEGER NOT NULL,
                queue_wait_us       INTEGER NOT NULL,
                steps               INTEGER NOT NULL,
                cost_micros         INTEGER NOT NULL,
                reported_steps      INTEGER,
                billing_discrepancy INTEGER NOT NULL,
                failure_reason      TEXT,
                result_error        TEXT,
                last_step_at        INTEGER,
                state_seq           INTEGER,
                state_position      INTEGER,
                state_since         INTEGER,
                event_count         INTEGER NOT NULL,
                last_seq            INTEGER NOT NULL,
                last_event_id       TEXT NOT NULL
            );

            CREATE INDEX runs_by_first_event ON runs(first_event_at);
            CREATE INDEX runs_by_state ON runs(state);
            CREATE INDEX runs_by_machine ON runs(machine_id);

            -- One row per step event, keyed by the event's seq; `position` is its place in the run's stream.
            CREATE TABLE steps (
                seq          INTEGER PRIMARY KEY,
                run_key      INTEGER NOT NULL,
                position     INTEGER NOT NULL,
                step         INTEGER,
                at           INTEGER NOT NULL,
                action_type  TEXT,
                message      TEXT,
                gap_us       INTEGER,
                price_micros INTEGER NOT NULL
            );

            -- One row per state interval, keyed by its run and the seq of the event that entered the
            -- state; the interval a run is in now has no end yet.
            CREATE TABLE transitions (
                run_key     INTEGER NOT NULL,
                seq         INTEGER NOT NULL,
                position    INTEGER NOT NULL,
                state       TEXT NOT NULL,
                started_at  INTEGER NOT NULL,
                ended_at    INTEGER,
                duration_us INTEGER,
                PRIMARY KEY (run_key, seq)
            ) WITHOUT ROWID;

            -- The price of one step from `effective_from` (UTC microseconds) until the next row's date.
            CREATE TABLE prices (
                effective_from  INTEGER PRIMARY KEY,
                micros_per_step INTEGER NOT NULL CHECK (micros_per_step >= 0)
            );

            INSERT INTO prices (effective_from, micros_per_step) VALUES (-9223372036854775808, 50000);

            -- The seq of the last event each projection has applied.
            CREATE TABLE projection_checkpoints (
                name     TEXT PRIMARY KEY,
                last_seq INTEGER NOT NULL
            ) WITHOUT ROWID;

            INSERT INTO projection_checkpoints (name, last_seq) VALUES ('runs', 0), ('steps', 0), ('transitions', 0);

            """#
        ),
        Migration(
            version: 3,
            name: "archives",
            sql: #"""
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

            """#
        ),
        Migration(
            version: 4,
            name: "query_indexes",
            sql: #"""
            -- 004_query_indexes: what the query language's common filters need beyond the projections'
            -- own keys. A run's steps by run, in stream order (`steps | where run_id == "…"`).

            CREATE INDEX steps_by_run ON steps(run_key, position);

            """#
        ),
        Migration(
            version: 5,
            name: "archive_keys",
            sql: #"""
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

            """#,
            prepare: ArchiveUpgrade.prepare
        ),
        Migration(
            version: 6,
            name: "steps_by_run",
            sql: #"""
            -- 006_steps_by_run: the steps projection is kept in run order, keyed by its run and stream position
            -- (WITHOUT ROWID), which is how a run's steps are read, instead of in seq order with a second index
            -- for runs: an append writes one b-tree per step, not two. Step rows are derived: copied as they are.

            CREATE TABLE steps_new (
                run_key      INTEGER NOT NULL,
                position     INTEGER NOT NULL,
                step         INTEGER,
                at           INTEGER NOT NULL,
                action_type  TEXT,
                message      TEXT,
                gap_us       INTEGER,
                price_micros INTEGER NOT NULL,
                PRIMARY KEY (run_key, position)
            ) WITHOUT ROWID;

            INSERT INTO steps_new (run_key, position, step, at, action_type, message, gap_us, price_micros)
            SELECT run_key, position, step, at, action_type, message, gap_us, price_micros FROM steps;

            DROP TABLE steps;

            ALTER TABLE steps_new RENAME TO steps;

            """#
        ),
        Migration(
            version: 7,
            name: "completion",
            sql: #"""
            -- 007_completion: when each run's stream was confirmed complete, in UTC microseconds: a resume after
            -- its last stored event brought nothing new and the run was terminal. NULL while the run is open; a
            -- new event from the stream opens it again. A fact about the stream, not derived from its events, so
            -- `rebuild` leaves it alone and `migrate-store` copies it.

            ALTER TABLE streams ADD COLUMN completed_at INTEGER;

            """#
        ),
        Migration(
            version: 8,
            name: "refused_messages",
            sql: #"""
            -- 008_refused_messages: messages a stream sent that Ledger refused to store as events because a
            -- field was not valid UTF-8 (text columns and the chain would hold altered bytes). Each is kept
            -- aside with its data exactly as received, once per content, and `verify` reports it. Append-only.

            CREATE TABLE refused_messages (
                id          INTEGER PRIMARY KEY,
                run_id      TEXT NOT NULL,
                event_id    TEXT NOT NULL,
                type        TEXT NOT NULL,
                data        BLOB NOT NULL,
                received_at INTEGER NOT NULL,
                reason      TEXT NOT NULL,
                data_hash   BLOB NOT NULL
            );

            CREATE UNIQUE INDEX refused_messages_by_content ON refused_messages(run_id, event_id, data_hash);

            CREATE TRIGGER refused_messages_reject_update BEFORE UPDATE ON refused_messages
            BEGIN
                SELECT RAISE(ABORT, 'refused messages are append-only: a row cannot be updated');
            END;

            CREATE TRIGGER refused_messages_reject_delete BEFORE DELETE ON refused_messages
            BEGIN
                SELECT RAISE(ABORT, 'refused messages are append-only: a row cannot be deleted');
            END;

            """#
        ),
]
}

extension Migrations {
    /// The newest schema version this build knows.
    package static var latestVersion: Int { all.last?.version ?? 0 }

    /// Applies every migration `db` lacks, each in its own transaction, which also creates the
    /// `schema_migrations` bookkeeping table when missing and records the migration there: a file
    /// is never left with the table but without the migration. A database already past
    /// `latestVersion` is refused before anything is written.
    static func apply(to db: Database, path: String) throws {
        let current =
            try db.tableExists("schema_migrations")
            ? Int.fetchOne(db, sql: "SELECT max(version) FROM schema_migrations") ?? 0 : 0
        if current > latestVersion {
            throw LedgerError.newerSchema(path: path, found: current, supported: latestVersion)
        }
        for migration in all where migration.version > current {
            try db.inTransaction(.immediate) {
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version    INTEGER PRIMARY KEY,
                        name       TEXT NOT NULL,
                        applied_at TEXT NOT NULL
                    )
                    """)
                // Another process opening the same new file may have applied it meanwhile.
                let applied = try Bool.fetchOne(
                    db, sql: "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)",
                    arguments: [migration.version]) ?? false
                if applied { return .commit }
                try migration.prepare?(db)
                try db.execute(sql: migration.sql)
                try db.execute(
                    sql: "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    arguments: [migration.version, migration.name, UTCTime.format(UTCTime.now())])
                return .commit
            }
        }
    }
}
