// Appending raw events. One transaction per call, however many runs it covers; prepared
// statements are reused and bound through the SQLite C API because this is the hot path.
// A known key with the same content is a no-op; with different content it goes to `conflicts`.
// For an archived run, known keys are looked up in its archive, decoded once per call.

import Foundation
import GRDB
import GRDBSQLite

/// Where a run's chain and resume point stand after the last stored event.
struct StreamState: Sendable {
    var runKey: Int64
    var head: [UInt8]
    var count: Int64
    var resumeID: String
    var firstReceivedAt: Int64?
    var lastReceivedAt: Int64?
    /// Whether the run has an archive, whose keys the append checks first.
    var archived = false
    /// Set when this append stored a new event from the stream, which opens a run confirmed complete.
    var reopened = false
}

/// Stream states this process has read or written, valid while no other connection has committed
/// (checked through `PRAGMA data_version` at the start of every write transaction).
struct StreamCache: Sendable {
    static let capacity = 100_000
    var dataVersion: Int64 = -1
    var streams: [String: StreamState] = [:]
    var projections = ProjectionCache()
}

extension LedgerStore {
    /// Appends `events` of one run, in stream order, in one transaction.
    @discardableResult
    package func append(_ events: [RawEvent], to runID: String, projections: ProjectionMode = .live) throws
        -> AppendOutcome
    {
        try append([RunBatch(runID: runID, events: events)], projections: projections)
    }

    /// Appends the events of many runs in one transaction. Each batch's events are in stream order;
    /// batches of different runs may come in any order (as concurrent ingest produces them).
    /// Live, the projections include the new events when this returns (see `ProjectionMode`).
    @discardableResult
    package func append(_ batches: [RunBatch], projections: ProjectionMode) throws -> AppendOutcome {
        try streamCache.withLock { cache in
            do {
                return try write("appending events") { db in
                    let version = try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? 0
                    if version != cache.dataVersion || cache.streams.count > StreamCache.capacity {
                        cache = StreamCache(dataVersion: version)
                    }
                    var appender = try EventAppender(db)
                    let prescan = projections == .live ? EventPrescan(batches) : nil
                    var projector = projections == .live ? try Projector(db, taking: &cache.projections) : nil
                    var outcome = AppendOutcome()
                    for (index, batch) in batches.enumerated() where !batch.events.isEmpty {
                        var state = try cache.streams[batch.runID] ?? appender.openStream(batch.runID)
                        outcome += try appender.append(
                            batch, to: &state, projector: &projector,
                            scanned: { prescan?.event($0, ofBatch: index) })
                        try appender.save(state)
                        state.reopened = false
                        cache.streams[batch.runID] = state
                    }
                    // Taken, not copied: a second reference would make its first write copy the whole cache.
                    if var projector = projector.take() { cache.projections = try projector.finish() }
                    return outcome
                }
            } catch {
                cache = StreamCache()
                throw error
            }
        }
    }
}

/// The prepared statements of one append transaction.
private struct EventAppender {
    let db: Database
    let insertEvent: OpaquePointer
    let findEvent: OpaquePointer
    let insertConflict: OpaquePointer
    /// Set when compaction archived the events with the highest seqs: SQLite would give the next
    /// row a seq an archived event has, so the first insert names its seq, one above this.
    private var archivedSeqAbove: Int64?
    /// The archived runs this transaction touched: their keys, and their events once a key matched.
    private var archivedRuns: [Int64: ArchivedRun] = [:]
    private var archives: ArchiveReader

    init(_ db: Database) throws {
        self.db = db
        archives = try ArchiveReader(db)
        archivedSeqAbove = try Int64.fetchOne(
            db,
            sql: """
                SELECT max(last_seq) FROM archives WHERE last_seq > coalesce((SELECT max(seq) FROM events), 0)
                """)
        insertEvent = try db.cachedStatement(sql: """
            INSERT INTO events (run_key, event_id, type, data, received_at, hash, seq) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (run_key, event_id) DO NOTHING
            """).sqliteStatement
        findEvent = try db.cachedStatement(sql: "SELECT type, data FROM events WHERE run_key = ? AND event_id = ?")
            .sqliteStatement
        insertConflict = try db.cachedStatement(sql: """
            INSERT INTO conflicts (run_key, event_id, type, data, received_at, data_hash) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (run_key, event_id, data_hash) DO NOTHING
            """).sqliteStatement
    }

    func openStream(_ runID: String) throws -> StreamState {
        if let row = try Row.fetchOne(
            db.cachedStatement(sql: """
                SELECT s.run_key, s.event_count, s.head_hash, s.resume_id, s.first_received_at, s.last_received_at,
                    EXISTS (SELECT 1 FROM archives a WHERE a.run_key = s.run_key)
                FROM streams s WHERE s.run_id = ?
                """),
            arguments: [runID])
        {
            return StreamState(
                runKey: row[0], head: [UInt8](row[2] as Data), count: row[1], resumeID: row[3],
                firstReceivedAt: row[4], lastReceivedAt: row[5], archived: row[6])
        }
        let genesis = HashChain.genesis(runID: runID)
        try db.cachedStatement(sql: "INSERT INTO streams (run_id, head_hash) VALUES (?, ?)")
            .execute(arguments: [runID, Data(genesis)])
        return StreamState(runKey: db.lastInsertedRowID, head: genesis, count: 0, resumeID: "")
    }

    func save(_ state: StreamState) throws {
        try db.cachedStatement(sql: """
            UPDATE streams SET event_count = ?, head_hash = ?, resume_id = ?, first_received_at = ?,
                last_received_at = ?, completed_at = CASE WHEN ? THEN NULL ELSE completed_at END WHERE run_key = ?
            """).execute(arguments: [
                state.count, Data(state.head), state.resumeID, state.firstReceivedAt, state.lastReceivedAt,
                state.reopened, state.runKey,
            ])
    }

    /// Appends one run's events, handing each new one to `projector` with its scan (`scanned`, by
    /// index in the batch). After a duplicate, the next event is looked up before hashing, since
    /// redeliveries come in runs (a replay from an old resume point).
    mutating func append(
        _ batch: RunBatch, to state: inout StreamState, projector: inout Projector?,
        scanned: (Int) -> UnsafePointer<ScannedEvent>?
    ) throws -> AppendOutcome {
        var outcome = AppendOutcome()
        var expectDuplicate = false
        for (index, event) in batch.events.enumerated() {
            if state.archived, try classifyArchived(event, runKey: state.runKey, outcome: &outcome) {
                continue
            }
            if expectDuplicate, try classifyExisting(event, in: state, outcome: &outcome) {
                continue
            }
            let hash = HashChain.next(
                after: state.head, eventID: event.eventID, type: event.type, data: event.data,
                receivedAt: event.receivedAt)
            if try insert(event, hash: hash, runKey: state.runKey) {
                try projector?.apply(
                    event, scanned: scanned(index), seq: db.lastInsertedRowID, runKey: state.runKey, runID: batch.runID)
                state.head = hash
                state.count += 1
                if let resumeID = event.resumeID {
                    state.resumeID = resumeID
                    state.reopened = true
                }
                state.firstReceivedAt = state.firstReceivedAt ?? event.receivedAt
                state.lastReceivedAt = event.receivedAt
                outcome.new += 1
                expectDuplicate = false
            } else {
                _ = try classifyExisting(event, in: state, outcome: &outcome)
                expectDuplicate = true
            }
        }
        return outcome
    }

    /// Inserts a new event row; false when its key is already stored.
    private mutating func insert(_ event: RawEvent, hash: [UInt8], runKey: Int64) throws -> Bool {
        let statement = insertEvent
        sqlite3_reset(statement)
        bind(event, runKey: runKey, digest: hash, to: statement)
        // NULL lets SQLite number the row, except just after compaction archived the newest seqs.
        StatementBinding.integer(statement, 7, archivedSeqAbove.map { $0 + 1 })
        try StatementBinding.run(statement, in: db)
        guard sqlite3_changes(db.sqliteConnection) > 0 else { return false }
        archivedSeqAbove = nil
        return true
    }

    /// Looks up `event`'s key; when stored, counts it as a duplicate or keeps it aside as a conflict
    /// and returns true. Returns false when the key is not stored yet.
    private func classifyExisting(_ event: RawEvent, in state: StreamState, outcome: inout AppendOutcome) throws -> Bool {
        let statement = findEvent
        sqlite3_reset(statement)
        sqlite3_bind_int64(statement, 1, state.runKey)
        StatementBinding.text(statement, 2, event.eventID)
        let code = sqlite3_step(statement)
        if code == SQLITE_DONE { return false }
        guard code == SQLITE_ROW else { throw StatementBinding.error(code, in: db) }
        if columnEquals(statement, 0, event.type) && columnEquals(statement, 1, event.data) {
            outcome.duplicate += 1
            sqlite3_reset(statement)
            return true
        }
        sqlite3_reset(statement)
        try keepConflict(event, runKey: state.runKey)
        outcome.conflict += 1
        return true
    }

    /// Looks up `event`'s key among its run's archived events: counts it as a duplicate or keeps it
    /// aside as a conflict and returns true; returns false when the archive does not have the key.
    private mutating func classifyArchived(_ event: RawEvent, runKey: Int64, outcome: inout AppendOutcome) throws
        -> Bool
    {
        if archivedRuns[runKey] == nil {
            guard let record = try archives.record(of: runKey) else { return false }
            let keys = try archives.keys(of: record)
            archivedRuns[runKey] = ArchivedRun(
                record: record,
                positions: Dictionary(keys.eventIDs.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first }))
        }
        guard var run = archivedRuns[runKey], let position = run.positions[event.eventID] else { return false }
        let events = try run.events ?? archives.events(of: run.record)
        if run.events == nil {
            run.events = events
            archivedRuns[runKey] = run
        }
        let stored = events[position]
        if stored.type == event.type && stored.data == event.data {
            outcome.duplicate += 1
        } else {
            try keepConflict(event, runKey: runKey)
            outcome.conflict += 1
        }
        return true
    }

    /// Keeps a redelivery whose key is stored with other content in `conflicts` (once per content).
    private func keepConflict(_ event: RawEvent, runKey: Int64) throws {
        let conflict = insertConflict
        sqlite3_reset(conflict)
        bind(event, runKey: runKey, digest: HashChain.contentDigest(type: event.type, data: event.data), to: conflict)
        try StatementBinding.run(conflict, in: db)
    }

    /// Binds parameters 1 to 6 of an event or conflict insert: run key, event id, type, data,
    /// arrival time and a digest (the chain hash of an event, the content hash of a conflict).
    private func bind(_ event: RawEvent, runKey: Int64, digest: [UInt8], to statement: OpaquePointer) {
        sqlite3_bind_int64(statement, 1, runKey)
        StatementBinding.text(statement, 2, event.eventID)
        StatementBinding.text(statement, 3, event.type)
        StatementBinding.text(statement, 4, event.data)
        sqlite3_bind_int64(statement, 5, event.receivedAt)
        digest.withUnsafeBytes {
            _ = sqlite3_bind_blob(statement, 6, $0.baseAddress, Int32($0.count), StatementBinding.transient)
        }
    }
}

/// An archived run's keys by event id, and its events once a redelivery needs their content.
private struct ArchivedRun {
    var record: ArchiveRecord
    var positions: [String: Int]
    var events: [RawEvent]?
}

/// Whether column `index` of the current row holds exactly the UTF-8 bytes of `text`.
private func columnEquals(_ statement: OpaquePointer, _ index: Int32, _ text: String) -> Bool {
    let stored = sqlite3_column_text(statement, index)
    let count = Int(sqlite3_column_bytes(statement, index))
    var text = text
    return text.withUTF8 { bytes in
        guard bytes.count == count else { return false }
        guard count > 0, let stored, let base = bytes.baseAddress else { return count == 0 }
        return memcmp(stored, base, count) == 0
    }
}
