// Reading archives back: an `archives` row and the events its blob holds. It works on the C
// handle of a connection, so the Swift read paths and the `ledger_archive` table
// (which gets no GRDB `Database`) share it. Failures name the run.

import GRDB
import GRDBSQLite

/// One `archives` row.
struct ArchiveRecord: Sendable {
    var runKey: Int64
    var runID: String
    var format: Int
    var dictionaryID: Int64?
    var eventCount: Int
    /// The seq of its last event.
    var lastSeq: Int64
    var rawBytes: Int
    var streamSHA256: [UInt8]
    var chainHead: [UInt8]
    var blob: [UInt8]
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
        try decode(record, counting: \.events.count, with: ArchiveCodec.decode)
    }

    /// The seqs, ids and types of the events `record` holds, without inflating their data.
    mutating func keys(of record: ArchiveRecord) throws(LedgerError) -> ArchivedKeys {
        try decode(record, counting: \.eventIDs.count, with: ArchiveCodec.keys)
    }

    /// What `decoder` reads from `record`, checked to hold as many events as its row records.
    private mutating func decode<Decoded>(
        _ record: ArchiveRecord, counting count: (Decoded) -> Int,
        with decoder: (_ blob: [UInt8], _ format: Int, _ dictionary: [UInt8], _ rawBytes: Int) throws(CodecFailure)
            -> Decoded
    ) throws(LedgerError) -> Decoded {
        let dictionary = try dictionary(record.dictionaryID, runID: record.runID)
        do throws(CodecFailure) {
            let decoded = try decoder(record.blob, record.format, dictionary, record.rawBytes)
            guard count(decoded) == record.eventCount else {
                throw CodecFailure("it holds \(count(decoded)) events where its row records \(record.eventCount)")
            }
            return decoded
        } catch {
            throw LedgerError.corruptArchive(runID: record.runID, reason: error.reason)
        }
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
