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
