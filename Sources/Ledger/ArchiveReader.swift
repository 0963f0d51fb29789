// Reading archives back: an `archives` row and the events its blob holds. It works on the C
// handle of a connection, so the Swift read paths and the `ledger_archive` table
// (which gets no GRDB `Database`) share it. Failures name the run.

import Crypto
import GRDB
import GRDBSQLite

/// One `archives` row.
package struct ArchiveRecord: Sendable {
    package var runKey: Int64
    package var runID: String
    package var format: Int
    package var dictionaryID: Int64?
    package var eventCount: Int
    /// The seq of its last event.
    package var lastSeq: Int64
    package var rawBytes: Int
    package var streamSHA256: [UInt8]
    package var chainHead: [UInt8]
    package var blob: [UInt8]

    package init(
        runKey: Int64, runID: String, format: Int, dictionaryID: Int64?, eventCount: Int, lastSeq: Int64,
        rawBytes: Int, streamSHA256: [UInt8], chainHead: [UInt8], blob: [UInt8]
    ) {
        self.runKey = runKey
        self.runID = runID
        self.format = format
        self.dictionaryID = dictionaryID
        self.eventCount = eventCount
        self.lastSeq = lastSeq
        self.rawBytes = rawBytes
        self.streamSHA256 = streamSHA256
        self.chainHead = chainHead
        self.blob = blob
    }

    /// The event count its row records when that is within `ArchiveLimits.events`, else 0: what a
    /// tally taken before the blob is decoded can add without overflowing.
    package var tallyCount: Int { (0...ArchiveLimits.events).contains(eventCount) ? eventCount : 0 }

    /// The events it holds, in stream order, with their seqs, decoded with `dictionary`.
    package func contents(dictionary: [UInt8]) throws(LedgerError) -> ArchiveContents {
        try decode(dictionary, counting: \.events.count, with: ArchiveCodec.decode)
    }

    /// The seqs, ids and types of its events, without inflating their data.
    package func keys(dictionary: [UInt8]) throws(LedgerError) -> ArchivedKeys {
        try decode(dictionary, counting: \.eventIDs.count, with: ArchiveCodec.keys)
    }

    /// What `decoder` reads from the blob, checked to hold as many events as the row records.
    private func decode<Decoded>(
        _ dictionary: [UInt8], counting count: (Decoded) -> Int,
        with decoder: (_ blob: [UInt8], _ format: Int, _ dictionary: [UInt8], _ eventCount: Int, _ rawBytes: Int)
            throws(CodecFailure) -> Decoded
    ) throws(LedgerError) -> Decoded {
        do throws(CodecFailure) {
            let decoded = try decoder(blob, format, dictionary, eventCount, rawBytes)
            guard count(decoded) == eventCount else {
                throw CodecFailure("it holds \(count(decoded)) events where its row records \(eventCount)")
            }
            return decoded
        } catch {
            throw LedgerError.corruptArchive(runID: runID, reason: error.reason)
        }
    }

    /// What verify reports when the archive cannot be decoded.
    package func unreadable(_ error: LedgerError) -> IntegrityProblem {
        guard case .corruptArchive(_, let reason) = error else {
            return IntegrityProblem(
                runID: runID, eventID: nil, position: nil, kind: .corruptArchive, detail: "\(error)")
        }
        return IntegrityProblem(
            runID: runID, eventID: nil, position: nil, kind: .corruptArchive,
            detail: "the archive cannot be read: \(reason)")
    }

    /// Checks `contents` (decoded from it) against its SHA-256, seqs and chain head (so a run's
    /// chain goes on from `chainHead`); returns the first thing found wrong.
    package func check(_ contents: ArchiveContents) -> IntegrityProblem? {
        func problem(_ detail: String) -> IntegrityProblem {
            IntegrityProblem(runID: runID, eventID: nil, position: nil, kind: .corruptArchive, detail: detail)
        }
        let events = contents.events
        let stream = ArchiveCodec.canonicalStream(events)
        guard stream.count == rawBytes else {
            return problem("the archive's events take \(stream.count) bytes where its row records \(rawBytes)")
        }
        guard Array(SHA256.hash(data: stream)) == streamSHA256 else {
            return problem("the archive's events do not match its SHA-256: the archive was altered")
        }
        guard contents.seqs.count == events.count, contents.seqs.last == lastSeq,
            zip(contents.seqs, contents.seqs.dropFirst()).allSatisfy({ $0 < $1 })
        else {
            return problem("the archive's seqs do not rise to its recorded last seq \(lastSeq)")
        }
        var head = HashChain.genesis(runID: runID)
        for event in events {
            head = HashChain.next(
                after: head, eventID: event.eventID, type: event.type, data: event.data, receivedAt: event.receivedAt)
        }
        guard head == chainHead else { return problem("the archive's events do not chain to its recorded head") }
        return nil
    }
}

/// Reads archive rows and decodes them, keeping the dictionaries it has loaded.
struct ArchiveReader {
    private let connection: OpaquePointer
    private var dictionaries: [Int64: [UInt8]] = [:]

    init(_ connection: OpaquePointer) {
        self.connection = connection
    }

    init(_ db: Database) throws(LedgerError) {
        guard let connection = db.sqliteConnection else {
            throw LedgerError.storage(context: "reading archives", reason: "the connection is closed")
        }
        self.init(connection)
    }

    /// The archive of `runKey`, or nil when the run has none.
    func record(of runKey: Int64) throws(LedgerError) -> ArchiveRecord? {
        try query(
            """
            SELECT coalesce(s.run_id, 'run_key ' || a.run_key), a.format, a.dictionary_id, a.event_count,
                a.raw_bytes, a.stream_sha256, a.chain_head, a.blob, a.last_seq
            FROM archives a LEFT JOIN streams s ON s.run_key = a.run_key WHERE a.run_key = ?
            """, runKey
        ) { row in
            ArchiveRecord(
                runKey: runKey, runID: StatementBinding.columnText(row, 0), format: Int(sqlite3_column_int64(row, 1)),
                dictionaryID: sqlite3_column_type(row, 2) == SQLITE_NULL ? nil : sqlite3_column_int64(row, 2),
                eventCount: Int(sqlite3_column_int64(row, 3)), lastSeq: sqlite3_column_int64(row, 8), rawBytes: Int(sqlite3_column_int64(row, 4)),
                streamSHA256: StatementBinding.columnBlob(row, 5), chainHead: StatementBinding.columnBlob(row, 6),
                blob: StatementBinding.columnBlob(row, 7))
        }
    }

    /// The events `record` holds, in stream order.
    mutating func events(of record: ArchiveRecord) throws(LedgerError) -> [RawEvent] {
        try contents(of: record).events
    }

    /// The events `record` holds, in stream order, with their seqs (none in a format-1 archive).
    mutating func contents(of record: ArchiveRecord) throws(LedgerError) -> ArchiveContents {
        try record.contents(dictionary: dictionary(record.dictionaryID, runID: record.runID))
    }

    /// The seqs, ids and types of the events `record` holds, without inflating their data.
    mutating func keys(of record: ArchiveRecord) throws(LedgerError) -> ArchivedKeys {
        try record.keys(dictionary: dictionary(record.dictionaryID, runID: record.runID))
    }

    /// The preset dictionary `record` was compressed with (empty when none).
    mutating func dictionary(of record: ArchiveRecord) throws(LedgerError) -> [UInt8] {
        try dictionary(record.dictionaryID, runID: record.runID)
    }

    private mutating func dictionary(_ id: Int64?, runID: String) throws(LedgerError) -> [UInt8] {
        guard let id else { return [] }
        if let known = dictionaries[id] { return known }
        let bytes = try query("SELECT bytes FROM archive_dictionaries WHERE id = ?", id) {
            StatementBinding.columnBlob($0, 0)
        }
        guard let bytes else {
            throw LedgerError.corruptArchive(runID: runID, reason: "its preset dictionary \(id) is missing")
        }
        dictionaries[id] = bytes
        return bytes
    }

    /// The first row `sql` (with `key` bound to its one parameter) returns, read by `read`.
    private func query<T>(_ sql: String, _ key: Int64, _ read: (OpaquePointer) -> T) throws(LedgerError) -> T? {
        var prepared: OpaquePointer?
        guard sqlite3_prepare_v2(connection, sql, -1, &prepared, nil) == SQLITE_OK, let statement = prepared else {
            throw storageError()
        }
        defer { sqlite3_finalize(statement) }
        sqlite3_bind_int64(statement, 1, key)
        switch sqlite3_step(statement) {
        case SQLITE_ROW: return read(statement)
        case SQLITE_DONE: return nil
        default: throw storageError()
        }
    }

    private func storageError() -> LedgerError {
        LedgerError.storage(context: "reading an archive", reason: String(cString: sqlite3_errmsg(connection)))
    }
}
