// Confirming a run's stream complete on PostgreSQL, as LedgerStore.markComplete does in SQLite:
// the mark holds only for the stream as it was (the event count ingest saw).

import PostgresNIO

extension PostgresStore {
    /// Records that `runID`'s stream was confirmed complete at `at`, provided the store still holds
    /// exactly `eventCount` of its events; returns false (and records nothing) otherwise.
    @discardableResult
    package func markComplete(_ runID: String, eventCount: Int, at: Int64) async throws -> Bool {
        try await transaction("confirming run \(runID) complete") { connection in
            let rows = try await connection.query(
                """
                UPDATE streams SET completed_at = \(at) WHERE run_id = \(runID) AND event_count = \(Int64(eventCount))
                RETURNING run_key
                """, logger: Self.logger)
            var updated = false
            for try await _ in rows.decode(Int64.self) { updated = true }
            return updated
        }
    }
}
