// The PostgreSQL migrations of schema/postgres/, embedded so the library can apply them without
// resources. They must stay byte-for-byte copies of those files (a test checks it). A migration
// that has shipped is never edited: change the schema with a new one.

import Foundation

/// The ordered PostgreSQL schema changes.
package enum PostgresMigrations {
    /// Every migration this build knows, oldest first: (version, name, SQL).
    package static let all: [(version: Int, name: String, sql: String)] = [
        (
            1, "events",
            #"""
            -- 001_events (PostgreSQL): the raw, append-only event store, as schema/001_events.sql keeps it
            -- in SQLite. Many workers on many hosts append at once, so each event also records its place in
            -- its run's stream (`position`): seq orders events across runs only as their commits landed.
            -- An event's type and data are kept as their UTF-8 bytes (bytea): PostgreSQL text cannot hold
            -- the NUL character an event stream may carry. Times are UTC microseconds.

            CREATE TABLE streams (
                run_key           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                run_id            text NOT NULL UNIQUE,
                event_count       bigint NOT NULL DEFAULT 0,
                head_hash         bytea NOT NULL,
                resume_id         text NOT NULL DEFAULT '',
                first_received_at bigint,
                last_received_at  bigint
            );

            CREATE TABLE events (
                seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                run_key     bigint NOT NULL REFERENCES streams (run_key),
                position    bigint NOT NULL,
                event_id    text NOT NULL,
                type        bytea NOT NULL,
                data        bytea NOT NULL,
                received_at bigint NOT NULL,
                hash        bytea NOT NULL,
                UNIQUE (run_key, event_id),
                UNIQUE (run_key, position)
            );

            CREATE TABLE conflicts (
                id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                run_key     bigint NOT NULL REFERENCES streams (run_key),
                event_id    text NOT NULL,
                type        bytea NOT NULL,
                data        bytea NOT NULL,
                received_at bigint NOT NULL,
                data_hash   bytea NOT NULL,
                UNIQUE (run_key, event_id, data_hash)
            );

            CREATE FUNCTION ledger_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% are append-only: a row cannot be %', TG_TABLE_NAME, lower(TG_OP) || 'd'
                    USING ERRCODE = 'restrict_violation';
            END;
            $$;

            CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
                FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
            CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
                FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
            CREATE TRIGGER conflicts_append_only BEFORE UPDATE OR DELETE ON conflicts
                FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
            CREATE TRIGGER conflicts_no_truncate BEFORE TRUNCATE ON conflicts
                FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();

            """#
        ),
        (
            2, "projections",
            #"""
            -- 002_projections (PostgreSQL): the tables derived only from events, as schema/002_projections.sql
            -- keeps them in SQLite, and the price table they are costed with. An append writes its runs'
            -- rows in its own transaction, so they never lag the events; a run's `event_count` is how far its
            -- rows have read (a store from before this migration catches up run by run). Text compares and
            -- sorts byte by byte (COLLATE "C"), as in SQLite, so reports order alike on both stores.

            CREATE TABLE runs (
                run_key             bigint PRIMARY KEY REFERENCES streams (run_key),
                run_id              text COLLATE "C" NOT NULL,
                state               text COLLATE "C",
                machine_id          text COLLATE "C",
                task                text COLLATE "C",
                cua_version         text COLLATE "C",
                first_event_at      bigint NOT NULL,
                last_event_at       bigint NOT NULL,
                started_at          bigint,
                ended_at            bigint,
                duration_us         bigint,
                awaiting_human_us   bigint NOT NULL,
                queue_wait_us       bigint NOT NULL,
                steps               bigint NOT NULL,
                cost_micros         bigint NOT NULL,
                reported_steps      bigint,
                billing_discrepancy boolean NOT NULL,
                failure_reason      text COLLATE "C",
                result_error        text COLLATE "C",
                last_step_at        bigint,
                state_seq           bigint,
                state_position      bigint,
                state_since         bigint,
                event_count         bigint NOT NULL,
                last_seq            bigint NOT NULL,
                last_event_id       text COLLATE "C" NOT NULL
            );

            CREATE INDEX runs_by_first_event ON runs (first_event_at);
            CREATE INDEX runs_by_state ON runs (state);
            CREATE INDEX runs_by_machine ON runs (machine_id);

            -- One row per step event, kept in run order: its run and its place in the run's stream.
            CREATE TABLE steps (
                run_key      bigint NOT NULL,
                position     bigint NOT NULL,
                step         bigint,
                at           bigint NOT NULL,
                action_type  text COLLATE "C",
                message      text COLLATE "C",
                gap_us       bigint,
                price_micros bigint NOT NULL,
                PRIMARY KEY (run_key, position)
            );

            -- One row per state interval, keyed by its run and the seq of the event that entered the state.
            CREATE TABLE transitions (
                run_key     bigint NOT NULL,
                seq         bigint NOT NULL,
                position    bigint NOT NULL,
                state       text COLLATE "C" NOT NULL,
                started_at  bigint NOT NULL,
                ended_at    bigint,
                duration_us bigint,
                PRIMARY KEY (run_key, seq)
            );

            -- The price of one step from `effective_from` (UTC microseconds) until the next row's date.
            CREATE TABLE prices (
                effective_from  bigint PRIMARY KEY,
                micros_per_step bigint NOT NULL CHECK (micros_per_step >= 0)
            );

            INSERT INTO prices (effective_from, micros_per_step) VALUES (-9223372036854775808, 50000);

            -- Every stored event with its run id and its type and data as text: what the query language's
            -- `events` source reads.
            CREATE VIEW event_log AS
            SELECT e.seq, e.run_key, s.run_id COLLATE "C" AS run_id, e.event_id COLLATE "C" AS event_id,
                convert_from(e.type, 'UTF8') COLLATE "C" AS type, convert_from(e.data, 'UTF8') COLLATE "C" AS data,
                e.received_at
            FROM events e JOIN streams s ON s.run_key = e.run_key;

            -- The JSON value of `data`, or null when it is not JSON (SQLite's json_valid test).
            CREATE FUNCTION ledger_json(data text) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
            BEGIN
                RETURN data::jsonb;
            EXCEPTION WHEN others THEN
                RETURN NULL;
            END;
            $$;

            -- A JSON value as SQLite's json_extract gives it to arithmetic: numbers as numbers, true and false
            -- as 1 and 0, anything else null.
            CREATE FUNCTION ledger_json_number(value jsonb) RETURNS numeric LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
                SELECT CASE jsonb_typeof(value)
                    WHEN 'number' THEN (value #>> '{}')::numeric
                    WHEN 'boolean' THEN CASE WHEN (value #>> '{}') = 'true' THEN 1 ELSE 0 END
                END
            $$;

            """#
        ),
        (
            3, "archives",
            #"""
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

            """#
        ),
        (
            4, "completion",
            #"""
            -- 004_completion (PostgreSQL): when each run's stream was confirmed complete, as schema/007_completion.sql
            -- keeps it in SQLite. NULL while the run is open; a new event from the stream opens it again.

            ALTER TABLE streams ADD COLUMN completed_at bigint;

            """#
        ),
        (
            5, "refused_messages",
            #"""
            -- 005_refused_messages (PostgreSQL): messages refused because a field was not valid UTF-8, kept
            -- aside with their data as received, as schema/008_refused_messages.sql keeps them in SQLite.

            CREATE TABLE refused_messages (
                id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                run_id      text NOT NULL,
                event_id    text NOT NULL,
                type        bytea NOT NULL,
                data        bytea NOT NULL,
                received_at bigint NOT NULL,
                reason      text NOT NULL,
                data_hash   bytea NOT NULL,
                UNIQUE (run_id, event_id, data_hash)
            );

            CREATE TRIGGER refused_messages_append_only BEFORE UPDATE OR DELETE ON refused_messages
                FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
            CREATE TRIGGER refused_messages_no_truncate BEFORE TRUNCATE ON refused_messages
                FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();

            """#
        ),
    ]

    package static var latestVersion: Int { all.last?.version ?? 0 }

    /// The statements of a migration, one per query (the server takes one at a time): the text
    /// between semicolons that are outside dollar-quoted function bodies, without `--` comment lines.
    package static func statements(of sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var inBody = false
        func finish() {
            let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
            if !statement.isEmpty { statements.append(statement) }
            current = ""
        }
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            if !inBody, line.trimmingPrefix(while: \.isWhitespace).hasPrefix("--") { continue }
            for (index, part) in line.components(separatedBy: "$$").enumerated() {
                if index > 0 {
                    current += "$$"
                    inBody.toggle()
                }
                if inBody {
                    current += part
                    continue
                }
                var pieces = part.split(separator: ";", omittingEmptySubsequences: false)
                current += pieces.removeFirst()
                for piece in pieces {
                    finish()
                    current += piece
                }
            }
            current += "\n"
        }
        finish()
        return statements
    }
}
