// Reading archives back from PostgreSQL: `archives` rows and the events their blobs hold, decoded
// by the same codec as SQLite's. Failures name the run.

import Ledger
import NIOCore
import PostgresNIO

/// Reads archive rows on one connection and decodes them, keeping the dictionaries it has loaded.
struct PostgresArchiveReader {
    let connection: PostgresConnection
    private var dictionaries: [Int64: [UInt8]] = [:]

    init(_ connection: PostgresConnection) {
        self.connection = connection
    }

    /// The archives of `runKeys`, or every archive when nil, in run key order.
    func records(of runKeys: [Int64]?) async throws -> [ArchiveRecord] {
        try await records(where: runKeys.map { "WHERE a.run_key = ANY(\($0)::bigint[])" } ?? "")
    }

    /// The archive of `runID`, or nil when it has none.
    func record(ofRun runID: String) async throws -> ArchiveRecord? {
        try await records(where: "WHERE s.run_id = \(runID)").first
    }

    private func records(where filter: PostgresQuery) async throws -> [ArchiveRecord] {
        var query: PostgresQuery = """
            SELECT a.run_key, coalesce(s.run_id, 'run_key ' || a.run_key), a.format, a.dictionary_id,
                a.event_count, a.last_seq, a.raw_bytes, a.stream_sha256, a.chain_head, a.blob
            FROM archives a LEFT JOIN streams s ON s.run_key = a.run_key
            """
        query.sql += " " + filter.sql + " ORDER BY a.run_key"
        query.binds = filter.binds
        var records: [ArchiveRecord] = []
        for try await row in try await connection.query(query, logger: PostgresStore.logger) {
            let (runKey, runID, format, dictionaryID, count, lastSeq, rawBytes, digest, head, blob) = try row.decode(
                (Int64, String, Int, Int64?, Int, Int64, Int, ByteBuffer, ByteBuffer, ByteBuffer).self)
            records.append(
                ArchiveRecord(
                    runKey: runKey, runID: runID, format: format, dictionaryID: dictionaryID, eventCount: count,
                    lastSeq: lastSeq, rawBytes: rawBytes, streamSHA256: Array(digest.readableBytesView),
                    chainHead: Array(head.readableBytesView), blob: Array(blob.readableBytesView)))
        }
        return records
    }

    /// The events `record` holds, in stream order, with their seqs.
    mutating func contents(of record: ArchiveRecord) async throws -> ArchiveContents {
        try record.contents(dictionary: await dictionary(record.dictionaryID, runID: record.runID))
    }

    private mutating func dictionary(_ id: Int64?, runID: String) async throws -> [UInt8] {
        guard let id else { return [] }
        if let known = dictionaries[id] { return known }
        for try await bytes in try await connection.query(
            "SELECT bytes FROM archive_dictionaries WHERE id = \(id)", logger: PostgresStore.logger
        ).decode(ByteBuffer.self) {
            dictionaries[id] = Array(bytes.readableBytesView)
        }
        guard let bytes = dictionaries[id] else {
            throw LedgerError.corruptArchive(runID: runID, reason: "its preset dictionary \(id) is missing")
        }
        return bytes
    }
}
