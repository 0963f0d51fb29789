// Helpers for the projection tests: a dump of every projection row for comparing two stores.
// (RunScript, which writes a run's events the way Coasty sends them, is in LedgerTestSupport.)

import Foundation
import GRDB
import Ledger
import LedgerTestSupport

/// Every projection row of a store, keyed so that two stores with the same runs' events compare
/// equal however the events were delivered: by run id and position, never by seq or run_key.
struct ProjectionDump: Equatable, CustomStringConvertible {
    var runs: [[String]]
    var steps: [[String]]
    var transitions: [[String]]

    init(path: String) throws {
        let queue = try DatabaseQueue(path: path)
        func rows(_ sql: String) throws -> [[String]] {
            try queue.read { db in
                try Row.fetchAll(db, sql: sql).map { row in
                    row.databaseValues.map { String.fromDatabaseValue($0) ?? $0.description }
                }
            }
        }
        runs = try rows(
            """
            SELECT run_id, state, machine_id, task, cua_version, first_event_at, last_event_at, started_at, ended_at,
                duration_us, awaiting_human_us, queue_wait_us, steps, cost_micros, reported_steps, billing_discrepancy,
                failure_reason, result_error, last_step_at, state_position, state_since, event_count, last_event_id
            FROM runs ORDER BY run_id
            """)
        steps = try rows(
            """
            SELECT r.run_id, s.position, s.step, s.at, s.action_type, s.message, s.gap_us, s.price_micros
            FROM steps s JOIN runs r USING (run_key) ORDER BY r.run_id, s.position
            """)
        transitions = try rows(
            """
            SELECT r.run_id, t.position, t.state, t.started_at, t.ended_at, t.duration_us
            FROM transitions t JOIN runs r USING (run_key) ORDER BY r.run_id, t.position
            """)
    }

    var description: String {
        "runs:\n" + runs.map { $0.joined(separator: "|") }.joined(separator: "\n")
            + "\nsteps: \(steps.count), transitions:\n"
            + transitions.map { $0.joined(separator: "|") }.joined(separator: "\n")
    }
}

/// Every projection row exactly as stored, seq and run_key included.
func rawProjectionRows(path: String) throws -> [[String]] {
    try DatabaseQueue(path: path).read { db in
        try [
            "SELECT * FROM runs ORDER BY run_key", "SELECT * FROM steps ORDER BY run_key, position",
            "SELECT * FROM transitions ORDER BY seq",
        ]
        .flatMap { sql in try Row.fetchAll(db, sql: sql).map { $0.databaseValues.map(\.description) } }
    }
}
