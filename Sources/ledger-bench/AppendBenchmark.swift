// The append benchmark: Ledger's event store (idempotency, conflicts, hash chains, resume
// points; projections deferred, which the projection benchmark measures) against plain SQLite
// prepared statements inserting the same rows with the same schema, pragmas and batch size, in
// the same run. Three shapes: one run at a time, every event a duplicate, 1,000 runs interleaved.

import Foundation
import GRDBSQLite
import Ledger

struct AppendBenchmark {
    var events = 1_000_000
    var batchSize = 5_000
    /// Events per transaction when many runs interleave, as ingest's writer groups them.
    var interleavedBatchSize = 20_000
    var interleavedRuns = 1_000
    var seed: UInt64 = 42

    func run() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        print(
            "append benchmark: \(events.formatted()) events, batches of \(batchSize.formatted()) events "
                + "(\(interleavedBatchSize.formatted()) when \(interleavedRuns.formatted()) runs interleave)")
        let sequential = syntheticRuns(count: max(1, events / 50), steps: 50, seed: seed)
        let sequentialBatches = wholeRunCalls(sequential, eventsPerCall: batchSize)
        let ledgerPath = directory.appendingPathComponent("ledger.sqlite").path
        let store = try LedgerStore(path: ledgerPath)
        let first = try measure(events: eventCount(sequentialBatches)) {
            for batch in sequentialBatches { try store.append(batch, projections: .deferred) }
        }
        let again = try measure(events: eventCount(sequentialBatches)) {
            for batch in sequentialBatches { try store.append(batch, projections: .deferred) }
        }
        let plain = try measure(events: eventCount(sequentialBatches)) {
            try PlainSQLite(path: directory.appendingPathComponent("plain.sqlite").path).insert(sequentialBatches)
        }
        report("one run at a time", ledger: first, baseline: plain)
        print(String(format: "  re-append, all duplicates: %@ events/s (%.2fx first append)", rate(again), again / first))

        let interleaved = syntheticRuns(count: interleavedRuns, steps: max(1, events / interleavedRuns), seed: seed)
        let interleavedBatches = interleavedCalls(interleaved, runsAtOnce: interleavedRuns, eventsPerCall: interleavedBatchSize)
        let interleavedStore = try LedgerStore(path: directory.appendingPathComponent("interleaved.sqlite").path)
        let mixed = try measure(events: eventCount(interleavedBatches)) {
            for batch in interleavedBatches { try interleavedStore.append(batch, projections: .deferred) }
        }
        let plainMixed = try measure(events: eventCount(interleavedBatches)) {
            try PlainSQLite(path: directory.appendingPathComponent("plain-interleaved.sqlite").path)
                .insert(interleavedBatches)
        }
        report("\(interleavedRuns.formatted()) runs interleaved", ledger: mixed, baseline: plainMixed)
    }

    /// Events per second of `body`, which handles `events` events.
    private func measure(events: Int, _ body: () throws -> Void) throws -> Double {
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Double(events) / seconds
    }

    private func report(_ name: String, ledger: Double, baseline: Double) {
        print(
            "  \(name): ledger \(rate(ledger)) events/s, plain SQLite \(rate(baseline)) events/s, "
                + String(format: "ratio %.2f", ledger / baseline))
    }

    private func rate(_ value: Double) -> String { Int(value.rounded()).formatted() }

    private func eventCount(_ batches: [[RunBatch]]) -> Int {
        batches.reduce(0) { $0 + $1.reduce(0) { $0 + $1.events.count } }
    }
}

/// The baseline: the same schema and pragmas, one prepared INSERT reused, one transaction per
/// batch, hashes computed beforehand; no idempotency checks, chains or stream bookkeeping.
private struct PlainSQLite {
    let path: String

    func insert(_ batches: [[RunBatch]]) throws {
        let hashes = batches.map { $0.map { $0.events.map { _ in [UInt8](repeating: 7, count: 32) } } }
        var connection: OpaquePointer?
        guard sqlite3_open(path, &connection) == SQLITE_OK, let db = connection else {
            throw LedgerError.cannotOpen(path: path, reason: "sqlite3_open failed")
        }
        defer { sqlite3_close(db) }
        try exec(db, "PRAGMA journal_mode = WAL; " + LedgerStore.connectionPragmas)
        try exec(db, Migrations.all[0].sql)
        var statement: OpaquePointer?
        sqlite3_prepare_v2(
            db, "INSERT INTO events (run_key, event_id, type, data, received_at, hash) VALUES (?, ?, ?, ?, ?, ?)", -1,
            &statement, nil)
        guard let insert = statement else { throw LedgerError.storage(context: path, reason: "prepare failed") }
        defer { sqlite3_finalize(insert) }
        var runKeys: [String: Int64] = [:]
        for (batchIndex, batch) in batches.enumerated() {
            try exec(db, "BEGIN IMMEDIATE")
            for (runIndex, run) in batch.enumerated() {
                let runKey = runKeys[run.runID] ?? Int64(runKeys.count + 1)
                runKeys[run.runID] = runKey
                for (eventIndex, event) in run.events.enumerated() {
                    sqlite3_reset(insert)
                    sqlite3_bind_int64(insert, 1, runKey)
                    sqlite3_bind_text(insert, 2, event.eventID, -1, transient)
                    sqlite3_bind_text(insert, 3, event.type, -1, transient)
                    sqlite3_bind_text(insert, 4, event.data, -1, transient)
                    sqlite3_bind_int64(insert, 5, event.receivedAt)
                    hashes[batchIndex][runIndex][eventIndex].withUnsafeBytes {
                        _ = sqlite3_bind_blob(insert, 6, $0.baseAddress, 32, transient)
                    }
                    guard sqlite3_step(insert) == SQLITE_DONE else {
                        throw LedgerError.storage(context: path, reason: String(cString: sqlite3_errmsg(db)))
                    }
                }
            }
            try exec(db, "COMMIT")
        }
    }

    private func exec(_ db: OpaquePointer, _ sql: String) throws {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
            throw LedgerError.storage(context: path, reason: String(cString: sqlite3_errmsg(db)))
        }
    }
}

private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
