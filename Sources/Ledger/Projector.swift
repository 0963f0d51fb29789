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
    private let prices: PriceTable
    private let checkpoint: Int64
    private var lastApplied: Int64
    private var dirtyKeys: [Int64] = []
    private var stepRows = StepRows()
    /// State intervals to write: entered, and ended (at `endedAt`) or still open (nil).
    private var transitionRows: [(interval: OpenInterval, runKey: Int64, endedAt: Int64?)] = []
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
        lastApplied = checkpoint
        if self.cache.highestRunKey == nil {
            self.cache.highestRunKey = try Int64.fetchOne(db, sql: "SELECT max(run_key) FROM runs") ?? 0
        }
        let prices = try self.cache.prices ?? PriceTable.load(db)
        self.prices = prices
        self.cache.prices = prices
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
        if lastApplied > checkpoint {
            try db.cachedStatement(sql: "UPDATE projection_checkpoints SET last_seq = ?").execute(arguments: [
                lastApplied
            ])
        }
        cache.checkpoint = lastApplied
        if cache.runs.count > ProjectionCache.capacity { cache.runs = [:] }
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
            if dirtyKeys.count >= ProjectionCache.capacity {
                try flush()
                cache.runs = [:]
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
        // The run's state is swapped out of the cache and back, so it is changed in place. A throw
        // leaves a placeholder behind, which is harmless: every caller drops the cache on errors.
        let slot = cache.runs.index(forKey: runKey)
        var run = RunProjection(runKey: runKey, runID: "")
        if let slot { swap(&run, &cache.runs.values[slot]) } else { run = try load(runKey, runID: runID) }
        let at = scanned.pointee.time ?? receivedAt
        run.events += 1
        run.lastSeq = seq
        run.lastEventID = eventID
        if at < run.firstAt {
            run.firstAt = at
            run.identityChanged = true
        }
        run.lastAt = max(run.lastAt, at)
        if run.machineID == nil, let slice = scanned.pointee.fields.machineID {
            run.machineID = EventScanner.text(slice, in: data)
            run.identityChanged = true
        }
        if run.task == nil, let slice = scanned.pointee.fields.task {
            run.task = EventScanner.text(slice, in: data)
            run.identityChanged = true
        }
        if run.cuaVersion == nil, let slice = scanned.pointee.fields.cuaVersion {
            run.cuaVersion = EventScanner.text(slice, in: data)
            run.identityChanged = true
        }
        if let slice = scanned.pointee.fields.state,
            !(run.current.map { EventScanner.text(slice, in: data, equals: $0.state) } ?? false)
        {
            enter(EventScanner.text(slice, in: data), at: at, seq: seq, run: &run)
        }
        switch scanned.pointee.kind {
        case .step:
            try step(scanned, data: data, at: at, seq: seq, run: &run)
        case .result:
            run.reportedSteps = scanned.pointee.reportedSteps
            run.resultError = (scanned.pointee.fields.errorCode ?? scanned.pointee.fields.errorText)
                .map { EventScanner.text($0, in: data) }.flatMap { $0.isEmpty ? nil : $0 }
        case .other: break
        }
        if !run.dirty {
            run.dirty = true
            dirtyKeys.append(runKey)
        }
        if let slot { swap(&run, &cache.runs.values[slot]) } else { cache.runs[runKey] = run }
        lastApplied = max(lastApplied, seq)
    }

    /// Moves the run into `state`, another than its current one, closing the interval it leaves.
    private mutating func enter(_ state: String, at: Int64, seq: Int64, run: inout RunProjection) {
        if let current = run.current {
            let duration = at - current.since
            transitionRows.append((current, run.runKey, at))
            if current.state == "awaiting_human" { run.awaitingHumanMicros += duration }
            if current.state == "queued" { run.queueWaitMicros += duration }
        }
        run.current = OpenInterval(state: state, seq: seq, position: run.events, since: at)
        run.intervalWritten = false
        run.stateChanged = true
        if state == "running", run.startedAt == nil { run.startedAt = at }
        if EventFacts.isTerminal(state), run.endedAt == nil { run.endedAt = at }
    }

    /// Costs a step at the price of its time and buffers its `steps` row.
    private mutating func step(
        _ scanned: UnsafePointer<ScannedEvent>, data: UnsafeBufferPointer<UInt8>, at: Int64, seq: Int64,
        run: inout RunProjection
    ) throws {
        let price = prices.micros(at: at)
        run.steps += 1
        run.costMicros += price
        let gap = run.lastStepAt.map { at - $0 }
        run.lastStepAt = at
        stepRows.append(
            PendingStep(
                seq: seq, runKey: run.runKey, position: run.events,
                step: scanned.pointee.step, at: at, gap: gap, price: price),
            actionType: scanned.pointee.fields.actionType, message: scanned.pointee.fields.message, in: data)
        if stepRows.count >= StepRows.capacity { try stepRows.write(db) }
    }

    private mutating func load(_ runKey: Int64, runID: String?) throws -> RunProjection {
        if runKey <= cache.highestRunKey ?? .max, let run = try RunProjection.load(db, runKey: runKey) { return run }
        cache.highestRunKey = max(cache.highestRunKey ?? runKey, runKey)
        let id =
            try runID
            ?? String.fetchOne(
                db.cachedStatement(sql: "SELECT run_id FROM streams WHERE run_key = ?"), arguments: [runKey])
        return RunProjection(runKey: runKey, runID: id ?? "run_key \(runKey)")
    }

    // MARK: - Writing rows

    private mutating func flush() throws {
        try stepRows.write(db)
        for key in dirtyKeys {
            guard var run = cache.runs[key] else { continue }
            try runWriter.write(&run)
            if let open = run.current, !run.intervalWritten { transitionRows.append((open, key, nil)) }
            run.dirty = false
            run.intervalWritten = true
            cache.runs[key] = run
        }
        dirtyKeys.removeAll(keepingCapacity: true)
        try writeTransitions()
    }

    /// Upserts the buffered intervals, many per statement; an ended interval replaces its open row.
    private mutating func writeTransitions() throws {
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
        transitionRows.removeAll(keepingCapacity: true)
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
