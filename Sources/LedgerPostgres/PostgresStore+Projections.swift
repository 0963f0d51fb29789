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
    /// stored events; returns how many events it applied. An append passes the events it just
    /// stored (`appended`, each run's in stream order), which a run whose rows were current
    /// before it is projected from without reading them back.
    @discardableResult
    static func project(runKeys: [Int64], appended: [AppendedEvent] = [], on connection: PostgresConnection)
        async throws -> Int
    {
        guard !runKeys.isEmpty else { return 0 }
        // One round trip: the price lock, the prices, and the runs' rows.
        var prices: [(from: Int64, micros: Int64)] = []
        var runs: [ProjectedRun] = []
        for try await (priceRows, runRows) in try await connection.query(
            """
            SELECT (SELECT json_agg(json_build_array(effective_from, micros_per_step) ORDER BY effective_from)
                    FROM prices)::text,
                (SELECT coalesce(json_agg(r), '[]') FROM runs r WHERE run_key = ANY(\(runKeys)::bigint[]))::text
            FROM pg_advisory_xact_lock_shared(\(priceLock))
            """, logger: logger
        ).decode((String?, String).self) {
            prices = try rowDecoder.decode([[Int64]].self, from: Data((priceRows ?? "[]").utf8))
                .map { (from: $0[0], micros: $0[1]) }
            runs = try rowDecoder.decode([ProjectedRun].self, from: Data(runRows.utf8))
        }
        var fold = ProjectionFold(prices: PriceTable(entries: prices))
        var projected: [Int64: Int] = [:]
        for run in runs {
            fold.seed(run)
            projected[run.runKey] = Int(run.eventCount)
        }
        var applied = 0
        // A run is current when its rows stand just before the first event this append stored.
        var fromAppend: Set<Int64> = []
        for event in appended where !fromAppend.contains(event.runKey) {
            if event.position == Int64(projected[event.runKey] ?? 0) + 1 { fromAppend.insert(event.runKey) }
        }
        for event in appended where fromAppend.contains(event.runKey) {
            fold.apply(event.event, seq: event.seq, runKey: event.runKey, runID: event.runID)
            applied += 1
        }
        let behind = runKeys.filter { !fromAppend.contains($0) }
        if !behind.isEmpty {
            applied += try await applyStoredEvents(of: behind, after: projected, to: &fold, on: connection)
        }
        try await write(fold.drain(), on: connection)
        return applied
    }

    /// Applies the stored events of `runKeys` after the `projected` count of each (none when it
    /// has no rows): archived events first, then live ones. Returns how many it applied.
    private static func applyStoredEvents(
        of runKeys: [Int64], after projected: [Int64: Int], to fold: inout ProjectionFold,
        on connection: PostgresConnection
    ) async throws -> Int {
        var applied = 0
        // A run's archived events come before its live ones; only a rebuild finds them unprojected.
        var archives = PostgresArchiveReader(connection)
        var archivedBehind: [Int64] = []
        for try await runKey in try await connection.query(
            """
            SELECT a.run_key FROM archives a LEFT JOIN runs r ON r.run_key = a.run_key
            WHERE a.run_key = ANY(\(runKeys)::bigint[]) AND a.event_count > coalesce(r.event_count, 0)
            """, logger: logger
        ).decode(Int64.self) {
            archivedBehind.append(runKey)
        }
        for record in try await archives.records(of: archivedBehind) {
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
        return applied
    }

    /// Writes a fold's rows in one statement: whole `runs` rows, new steps, and intervals (an
    /// ended one replacing its open row). Rows travel as one JSON array per table.
    private static func write(_ changes: ProjectionChanges, on connection: PostgresConnection) async throws {
        guard !changes.runs.isEmpty else { return }
        var bindings = PostgresBindings()
        bindings.append(JSONValue.array(changes.runs.map(\.json)).text)
        bindings.append(JSONValue.array(changes.steps.map(\.json)).text)
        bindings.append(JSONValue.array(changes.intervals.map(\.json)).text)
        try await connection.query(PostgresQuery(unsafeSQL: writeSQL, binds: bindings), logger: logger)
    }

    private static let writeSQL: String = {
        let columns = RunColumns.all.joined(separator: ", ")
        let updates = RunColumns.all.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        return """
            WITH run_rows AS (
                INSERT INTO runs (\(columns))
                SELECT \(columns) FROM json_populate_recordset(NULL::runs, $1::json)
                ON CONFLICT (run_key) DO UPDATE SET \(updates)
                RETURNING 1
            ), step_rows AS (
                INSERT INTO steps SELECT * FROM json_populate_recordset(NULL::steps, $2::json) RETURNING 1
            ), interval_rows AS (
                INSERT INTO transitions SELECT * FROM json_populate_recordset(NULL::transitions, $3::json)
                ON CONFLICT (run_key, seq) DO UPDATE SET ended_at = excluded.ended_at, duration_us = excluded.duration_us
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM run_rows), (SELECT count(*) FROM step_rows), (SELECT count(*) FROM interval_rows)
            """
    }()

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

/// An event an append just stored, with its seq and place.
struct AppendedEvent {
    var seq: Int64
    var runKey: Int64
    var runID: String
    var position: Int64
    var event: RawEvent
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
