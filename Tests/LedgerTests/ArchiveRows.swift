// Test access to a store's `archives` rows as someone holding the file has it: read a run's row,
// rewrite its fields past the append-only triggers, and build blobs whose payload header says
// whatever a test wants. Used by the archive attack tests and the archive fuzz test.

import Foundation
import GRDB
import Ledger

/// The `archives` row of one run, read and rewritten through a connection of its own.
struct ArchiveRows {
    /// One row's fields.
    struct Fields: Equatable {
        var format: Int64
        var dictionaryID: Int64?
        var eventCount: Int64
        var lastSeq: Int64
        var rawBytes: Int64
        var blob: [UInt8]
    }

    let queue: DatabaseQueue

    init(path: String) throws {
        // Without foreign keys, as a writer of the file could: a row may name a dictionary that is not there.
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.write { try $0.execute(sql: "DROP TRIGGER IF EXISTS archives_reject_update") }
    }

    func fields(of runID: String) throws -> Fields? {
        try queue.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT a.format, a.dictionary_id, a.event_count, a.last_seq, a.raw_bytes, a.blob
                    FROM archives a JOIN streams s USING (run_key) WHERE s.run_id = ?
                    """,
                arguments: [runID]
            ).map {
                Fields(
                    format: $0[0], dictionaryID: $0[1], eventCount: $0[2], lastSeq: $0[3], rawBytes: $0[4],
                    blob: [UInt8]($0[5] as Data))
            }
        }
    }

    func set(_ fields: Fields, of runID: String) throws {
        try queue.write { db in
            try db.execute(
                sql: """
                    UPDATE archives SET format = ?, dictionary_id = ?, event_count = ?, last_seq = ?, raw_bytes = ?,
                        blob = ?
                    WHERE run_key = (SELECT run_key FROM streams WHERE run_id = ?)
                    """,
                arguments: [
                    fields.format, fields.dictionaryID, fields.eventCount, fields.lastSeq, fields.rawBytes,
                    Data(fields.blob), runID,
                ])
        }
    }

    /// The preset dictionary a row names (empty when none).
    func dictionary(_ id: Int64?) throws -> [UInt8] {
        guard let id else { return [] }
        return try queue.read { db in
            [UInt8](try Data.fetchOne(db, sql: "SELECT bytes FROM archive_dictionaries WHERE id = ?", arguments: [id]) ?? Data())
        }
    }

    /// A format-2 payload header: the event count, the arrival-time mode and nine section sizes.
    static func header(count: UInt64, sizes: [UInt64] = Array(repeating: 0, count: 9)) -> [UInt8] {
        var bytes = varint(count)
        bytes.append(0)
        for size in sizes { bytes += varint(size) }
        return bytes
    }

    static func varint(_ value: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
        return bytes
    }
}
