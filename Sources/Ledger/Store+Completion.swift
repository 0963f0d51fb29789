// Confirming a run's stream complete. Ingest calls it once a resume after the run's last stored
// event brought nothing new and the run is terminal; the mark holds only for the stream as it was
// then (the event count it saw), and a later event from the stream clears it (see the append).

import GRDB

extension LedgerStore {
    /// Records that `runID`'s stream was confirmed complete at `at`, provided the store still holds
    /// exactly `eventCount` of its events; returns false (and records nothing) otherwise.
    @discardableResult
    package func markComplete(_ runID: String, eventCount: Int, at: Int64) throws -> Bool {
        try write("confirming run \(runID) complete") { db in
            try db.execute(
                sql: "UPDATE streams SET completed_at = ? WHERE run_id = ? AND event_count = ?",
                arguments: [at, runID, eventCount])
            return db.changesCount > 0
        }
    }
}
