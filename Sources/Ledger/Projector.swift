// The projector folds events, in seq order, into the runs, steps and transitions tables. Live
// appends hand it each new event inside their own transaction; catch-up and rebuild hand it the
// stored events after the checkpoint. One code path for all three is what makes them agree.

import GRDB
import GRDBSQLite

/// Whether an append keeps the projections current.
package enum ProjectionMode: Sendable {
    /// Runs, steps and transitions change in the append's own transaction (the default).
    case live
    /// Only events are stored; the projections catch up at the next live append, report or rebuild.
    case deferred
}

/// What the projections keep between transactions of one store, valid under the same
/// `PRAGMA data_version` check as the stream cache.
struct ProjectionCache: Sendable {
    static let capacity = 100_000
    /// The seq of the last event projected; nil until read from the store.
    var checkpoint: Int64?
    /// The highest run_key with a `runs` row: a run above it has none to load (run keys only grow).
    var highestRunKey: Int64?
    var prices: PriceTable?
    var runs: [Int64: RunProjection] = [:]
}

/// Applies events to the projections within one open write transaction.
struct Projector {
    private let db: Database
    private var cache: ProjectionCache
    private let checkpoint: Int64
    private var fold: ProjectionFold
    private let runWriter: RunRowWriter

    /// Takes the cache out of `cache` (it is handed back by `finish`) and first applies every stored
    /// event the checkpoint has not reached, and with `replayingArchives` every archived event too
    /// (for a rebuild from nothing). `progress` gets (events applied, events to apply).
    init(
        _ db: Database, taking cache: inout ProjectionCache, replayingArchives: Bool = false,
        progressInterval: Int = 250_000, progress: (_ applied: Int, _ total: Int) -> Void = { _, _ in }
    ) throws {
        self.db = db
        self.cache = cache
        cache = ProjectionCache()
        let checkpoint =
            try self.cache.checkpoint
            ?? Int64.fetchOne(db, sql: "SELECT min(last_seq) FROM projection_checkpoints") ?? 0
        self.checkpoint = checkpoint
        if self.cache.highestRunKey == nil {
            self.cache.highestRunKey = try Int64.fetchOne(db, sql: "SELECT max(run_key) FROM runs") ?? 0
        }
        let prices = try self.cache.prices ?? PriceTable.load(db)
        self.cache.prices = prices
        fold = ProjectionFold(prices: prices, runs: self.cache.runs, lastApplied: checkpoint)
        self.cache.runs = [:]
        runWriter = try RunRowWriter(db)
        try catchUp(replayingArchives: replayingArchives, progressInterval: progressInterval, progress: progress)
    }

    /// Applies a new event the append just stored as `seq`, with its data's scan when the caller
    /// has it already (see `EventPrescan`).
    mutating func apply(
        _ event: RawEvent, scanned: UnsafePointer<ScannedEvent>? = nil, seq: Int64, runKey: Int64, runID: String
    ) throws {
        var data = event.data
        try data.withUTF8 { bytes in
            func apply(_ scanned: UnsafePointer<ScannedEvent>) throws {
                try self.apply(
                    seq: seq, runKey: runKey, runID: runID, eventID: event.eventID, data: bytes,
                    scanned: scanned, receivedAt: event.receivedAt)
            }
            if let scanned { return try apply(scanned) }
            try withUnsafePointer(to: ScannedEvent(bytes, sseType: event.type), apply)
        }
    }

    /// Writes the changed runs and open intervals and moves the checkpoint; returns the cache.
    mutating func finish() throws -> ProjectionCache {
        try flush()
        if fold.lastApplied > checkpoint {
            try db.cachedStatement(sql: "UPDATE projection_checkpoints SET last_seq = ?").execute(arguments: [
                fold.lastApplied
            ])
        }
        cache.checkpoint = fold.lastApplied
        cache.runs = fold.runs.count > ProjectionCache.capacity ? [:] : fold.runs
        return cache
    }

    /// Applies the stored events after the checkpoint, in seq order; with `replayingArchives`, every
    /// archived run first, each in stream order. A run's archived events all precede its live ones,
    /// and runs do not affect each other, so this gives what one pass in seq order would.
    private mutating func catchUp(replayingArchives: Bool, progressInterval: Int, progress: (Int, Int) -> Void)
        throws
    {
        let last = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM events") ?? 0
        let archived =
            replayingArchives ? try Int64.fetchAll(db, sql: "SELECT run_key FROM archives ORDER BY run_key") : []
        guard last > checkpoint || !archived.isEmpty else { return }
        var total = try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE seq > ?", arguments: [checkpoint]) ?? 0
        if replayingArchives { total += try Int.fetchOne(db, sql: "SELECT sum(event_count) FROM archives") ?? 0 }
        var applied = 0
        func advance() throws {
            applied += 1
            if applied % progressInterval == 0 { progress(applied, total) }
            if fold.dirtyKeys.count >= ProjectionCache.capacity {
                try flush()
                fold.runs = [:]
            }
        }
        var archives = try ArchiveReader(db)
        for runKey in archived {
            guard let record = try archives.record(of: runKey) else { continue }
            let contents = try archives.contents(of: record)
            for (seq, event) in zip(contents.seqs, contents.events) {
                try apply(event, seq: seq, runKey: runKey, runID: record.runID)
                try advance()
            }
        }
        let statement = try db.makeStatement(
            sql: """
                SELECT seq, run_key, event_id, type, data, received_at FROM events
                WHERE seq > ? AND seq <= ? ORDER BY seq
                """)
        let rows = statement.sqliteStatement
        sqlite3_bind_int64(rows, 1, checkpoint)
        sqlite3_bind_int64(rows, 2, last)
        while true {
            let code = sqlite3_step(rows)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw StatementBinding.error(code, in: db) }
            let data = UnsafeBufferPointer(
                start: sqlite3_column_text(rows, 4), count: Int(sqlite3_column_bytes(rows, 4)))
            var scanned = ScannedEvent(data, sseType: StatementBinding.columnText(rows, 3))
            try apply(
                seq: sqlite3_column_int64(rows, 0), runKey: sqlite3_column_int64(rows, 1), runID: nil,
                eventID: StatementBinding.columnText(rows, 2),
                data: data, scanned: &scanned, receivedAt: sqlite3_column_int64(rows, 5))
            try advance()
        }
        progress(applied, total)
    }

    // MARK: - Folding one event

    private mutating func apply(
        seq: Int64, runKey: Int64, runID: String?, eventID: String,
        data: UnsafeBufferPointer<UInt8>, scanned: UnsafePointer<ScannedEvent>, receivedAt: Int64
    ) throws {
        let db = db
        var highestRunKey = cache.highestRunKey
        try fold.apply(
            seq: seq, runKey: runKey, eventID: eventID, data: data, scanned: scanned, receivedAt: receivedAt
        ) { try Self.load($0, runID: runID, db, highestRunKey: &highestRunKey) }
        cache.highestRunKey = highestRunKey
        if fold.stepRows.count >= StepRows.capacity { try fold.stepRows.write(db) }
    }

    /// The stored projection of a run the fold has not seen, or a new one for a run above
    /// `highestRunKey` (which then moves up to it).
    private static func load(_ runKey: Int64, runID: String?, _ db: Database, highestRunKey: inout Int64?) throws
        -> RunProjection
    {
        if runKey <= highestRunKey ?? .max, let run = try RunProjection.load(db, runKey: runKey) { return run }
        highestRunKey = max(highestRunKey ?? runKey, runKey)
        let id =
            try runID
            ?? String.fetchOne(
                db.cachedStatement(sql: "SELECT run_id FROM streams WHERE run_key = ?"), arguments: [runKey])
        return RunProjection(runKey: runKey, runID: id ?? "run_key \(runKey)")
    }

    // MARK: - Writing rows

    private mutating func flush() throws {
        try fold.stepRows.write(db)
        try fold.drainDirtyRuns { try runWriter.write(&$0) }
        try writeTransitions()
    }

    /// Upserts the buffered intervals, many per statement; an ended interval replaces its open row.
    private mutating func writeTransitions() throws {
        let transitionRows = fold.transitionRows
        for start in stride(from: 0, to: transitionRows.count, by: 32) {
            let rows = transitionRows[start..<min(start + 32, transitionRows.count)]
            let sql = rows.count == 32 ? Self.upsertTransitions32 : Self.upsertTransitions(rows: rows.count)
            let statement = try db.cachedStatement(sql: sql).sqliteStatement
            sqlite3_reset(statement)
            for (offset, row) in rows.enumerated() {
                let base = Int32(offset * 7)
                sqlite3_bind_int64(statement, base + 1, row.interval.seq)
                sqlite3_bind_int64(statement, base + 2, row.runKey)
                sqlite3_bind_int64(statement, base + 3, row.interval.position)
                StatementBinding.text(statement, base + 4, row.interval.state)
                sqlite3_bind_int64(statement, base + 5, row.interval.since)
                StatementBinding.integer(statement, base + 6, row.endedAt)
                StatementBinding.integer(statement, base + 7, row.endedAt.map { $0 - row.interval.since })
            }
            try StatementBinding.run(statement, in: db)
        }
        fold.transitionRows.removeAll(keepingCapacity: true)
    }

    private static let upsertTransitions32 = upsertTransitions(rows: 32)

    private static func upsertTransitions(rows: Int) -> String {
        """
        INSERT INTO transitions (seq, run_key, position, state, started_at, ended_at, duration_us) VALUES \
        \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?)", count: rows).joined(separator: ", "))
        ON CONFLICT (run_key, seq) DO UPDATE SET ended_at = excluded.ended_at, duration_us = excluded.duration_us
        """
    }
}
