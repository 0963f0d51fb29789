// The projections in PostgreSQL: runs, steps and transitions folded from events by the same
// `ProjectionFold` as SQLite's. An append projects its runs in its own transaction, with their
// stream rows locked, so a run's rows are always exactly as far as its events; a run behind (a
// store from before the projections, or a rebuild's work) is brought up to date the same way.
// Prices: appends read them under a shared advisory lock, `setPrice` takes it exclusively, so a
// step is never costed with a price being replaced.

import Foundation
import Ledger
import NIOCore
import PostgresNIO

extension PostgresStore {
    /// Serializes price changes against the appends and rebuilds that cost steps.
    static let priceLock: Int64 = 0x4C_6564_6765_50

    /// Brings the projections of `runKeys`, whose stream rows the caller has locked, up to their
    /// stored events; returns how many events it applied.
    @discardableResult
    static func project(runKeys: [Int64], on connection: PostgresConnection) async throws -> Int {
        guard !runKeys.isEmpty else { return 0 }
        try await connection.query("SELECT pg_advisory_xact_lock_shared(\(priceLock))", logger: logger)
        var prices: [(from: Int64, micros: Int64)] = []
        for try await price in try await connection.query(
            "SELECT effective_from, micros_per_step FROM prices ORDER BY effective_from", logger: logger
        ).decode((Int64, Int64).self) {
            prices.append((price.0, price.1))
        }
        var fold = ProjectionFold(prices: prices)
        var projected: [Int64: Int] = [:]
        for try await json in try await connection.query(
            "SELECT coalesce(json_agg(r), '[]')::text FROM runs r WHERE run_key = ANY(\(runKeys)::bigint[])",
            logger: logger
        ).decode(String.self) {
            for run in try rowDecoder.decode([ProjectedRun].self, from: Data(json.utf8)) {
                fold.seed(run)
                projected[run.runKey] = Int(run.eventCount)
            }
        }
        var applied = 0
        // A run's archived events come before its live ones; only a rebuild finds them unprojected.
        var archives = PostgresArchiveReader(connection)
        var behind: [Int64] = []
        for try await runKey in try await connection.query(
            """
            SELECT a.run_key FROM archives a LEFT JOIN runs r ON r.run_key = a.run_key
            WHERE a.run_key = ANY(\(runKeys)::bigint[]) AND a.event_count > coalesce(r.event_count, 0)
            """, logger: logger
        ).decode(Int64.self) {
            behind.append(runKey)
        }
        for record in try await archives.records(of: behind) {
            let contents = try await archives.contents(of: record)
            let done = projected[record.runKey] ?? 0
            for (seq, event) in zip(contents.seqs, contents.events).dropFirst(done) {
                fold.apply(event, seq: seq, runKey: record.runKey, runID: record.runID)
                applied += 1
            }
        }
        for try await (seq, runKey, runID, eventID, type, data, receivedAt) in try await connection.query(
            """
            SELECT e.seq, e.run_key, s.run_id, e.event_id, e.type, e.data, e.received_at
            FROM events e JOIN streams s ON s.run_key = e.run_key LEFT JOIN runs r ON r.run_key = e.run_key
            WHERE e.run_key = ANY(\(runKeys)::bigint[]) AND e.position > coalesce(r.event_count, 0)
            ORDER BY e.run_key, e.position
            """, logger: logger
        ).decode((Int64, Int64, String, String, ByteBuffer, ByteBuffer, Int64).self) {
            let event = RawEvent(
                eventID: eventID, type: String(buffer: type), data: String(buffer: data), receivedAt: receivedAt)
            fold.apply(event, seq: seq, runKey: runKey, runID: runID)
            applied += 1
        }
        try await write(fold.drain(), on: connection)
        return applied
    }

    /// Writes a fold's rows: whole `runs` rows, new steps, and intervals (an ended one replacing
    /// its open row). Rows travel as one JSON array per table.
    private static func write(_ changes: ProjectionChanges, on connection: PostgresConnection) async throws {
        if !changes.runs.isEmpty {
            let columns = RunColumns.all.joined(separator: ", ")
            let updates = RunColumns.all.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO runs (\(columns))
                        SELECT \(columns) FROM json_populate_recordset(NULL::runs, $1::json)
                        ON CONFLICT (run_key) DO UPDATE SET \(updates)
                        """, binds: try json(changes.runs)), logger: logger)
        }
        if !changes.steps.isEmpty {
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: "INSERT INTO steps SELECT * FROM json_populate_recordset(NULL::steps, $1::json)",
                    binds: try json(changes.steps)), logger: logger)
        }
        if !changes.intervals.isEmpty {
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO transitions SELECT * FROM json_populate_recordset(NULL::transitions, $1::json)
                        ON CONFLICT (run_key, seq) DO UPDATE SET ended_at = excluded.ended_at,
                            duration_us = excluded.duration_us
                        """, binds: try json(changes.intervals)), logger: logger)
        }
    }

    /// One bound parameter: `rows` as a JSON array whose keys are the columns.
    private static func json<Row: Encodable>(_ rows: [Row]) throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(String(decoding: try rowEncoder.encode(rows), as: UTF8.self))
        return bindings
    }

    private static var rowEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }

    private static var rowDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    /// Projects every run whose rows are behind its stream, so reads include every stored event.
    /// Cheap when current: one scan of the run rows.
    func catchUpProjections() async throws {
        let behind = try await read("checking the projections") { connection in
            var keys: [Int64] = []
            for try await key in try await connection.query(
                """
                SELECT s.run_key FROM streams s LEFT JOIN runs r ON r.run_key = s.run_key
                WHERE s.event_count > coalesce(r.event_count, 0)
                """, logger: Self.logger
            ).decode(Int64.self) {
                keys.append(key)
            }
            return keys
        }
        for start in stride(from: 0, to: behind.count, by: Self.runsPerProjection) {
            let keys = Array(behind[start..<min(start + Self.runsPerProjection, behind.count)])
            try await transaction("bringing the projections up to date") { connection in
                try await connection.query(
                    "SELECT 1 FROM streams WHERE run_key = ANY(\(keys)::bigint[]) ORDER BY run_id FOR UPDATE",
                    logger: Self.logger)
                try await Self.project(runKeys: keys, on: connection)
            }
        }
    }

    /// Runs projected per statement batch by catch-up and rebuild.
    static let runsPerProjection = 1_000
}

/// The `runs` columns in the order of ProjectedRun's properties.
private enum RunColumns {
    static let all = [
        "run_key", "run_id", "state", "machine_id", "task", "cua_version", "first_event_at", "last_event_at",
        "started_at", "ended_at", "duration_us", "awaiting_human_us", "queue_wait_us", "steps", "cost_micros",
        "reported_steps", "billing_discrepancy", "failure_reason", "result_error", "last_step_at", "state_seq",
        "state_position", "state_since", "event_count", "last_seq", "last_event_id",
    ]
}
