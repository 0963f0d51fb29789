// Archive format 2 keeps each event's seq and puts the keys first: they are read from the start of
// the stream, without the data after them. A store written with format-1 archives (seqs in
// per-event key rows) opens upgraded to format 2 with every event, seq and byte unchanged.

import Foundation
import GRDB
import Ledger
import LedgerTestSupport
import Testing

@Suite struct ArchiveFormatTests {
    private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    @Test func keysComeFromTheStartOfTheStreamWithoutTheData() throws {
        let events = SampleRuns.generate(count: 1, seed: 7, end: 1_790_000_000_000_000)[0].events
        let seqs = events.indices.map { Int64($0 * 1_000 + $0 % 7) }
        let archive = try ArchiveCodec.encode(events, seqs: seqs, dictionary: [])
        let full = try ArchiveCodec.decode(
            archive.blob, format: ArchiveCodec.format, dictionary: [], eventCount: events.count, rawBytes: archive.rawBytes)
        #expect(full == ArchiveContents(events: events, seqs: seqs))

        // The data follows the keys: cut the stream short and the keys still read, the events do not.
        let cut = Array(archive.blob.prefix(archive.blob.count / 2))
        let keys = try ArchiveCodec.keys(
            cut, format: ArchiveCodec.format, dictionary: [], eventCount: events.count, rawBytes: archive.rawBytes)
        #expect(keys == ArchivedKeys(seqs: seqs, eventIDs: events.map(\.eventID), types: events.map(\.type)))
        #expect(throws: CodecFailure.self) {
            try ArchiveCodec.decode(
                cut, format: ArchiveCodec.format, dictionary: [], eventCount: events.count, rawBytes: archive.rawBytes)
        }
    }

    @Test func aFormatThisBuildDoesNotKnowIsRefusedByName() throws {
        let archive = try ArchiveCodec.encode([], seqs: [], dictionary: [])
        #expect(throws: CodecFailure.self) {
            try ArchiveCodec.decode(archive.blob, format: 3, dictionary: [], eventCount: 0, rawBytes: archive.rawBytes)
        }
    }

    /// `format1-store.sql` is the dump of a store written before format 2: `format1-run.sse` imported in
    /// two parts around another run's events (so its seqs are 1–3 and 6–9), then compacted.
    @Test func aStoreWithFormat1ArchivesOpensUpgradedWithEveryEventUnchanged() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("format1.sqlite")
        let dump = try String(contentsOf: fixtures.appendingPathComponent("format1-store.sql"), encoding: .utf8)
        try DatabaseQueue(path: path).writeWithoutTransaction { try $0.execute(sql: dump) }

        let store = try LedgerStore(path: path)
        let transcript = try String(contentsOf: fixtures.appendingPathComponent("format1-run.sse"), encoding: .utf8)
        let data = transcript.split(separator: "\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
        let events = try store.events(of: "run-format1")
        #expect(events.map(\.data) == data)
        #expect(events.map(\.eventID) == ["1", "2", "3", "4", "4#1", "5", "6"])
        let rows = try store.rows(
            sql: "SELECT seq, event_id, type FROM event_log WHERE run_id = 'run-format1' ORDER BY seq", arguments: [])
        #expect(rows.rows.map { $0[0] } == [1, 2, 3, 6, 7, 8, 9].map { SQLValue.integer($0) })
        #expect(rows.rows.map { $0[2] } == ["state", "state", "step", "step", "message", "step", "state"].map { SQLValue.text($0) })
        #expect(try store.verify().problems.isEmpty)
        let formats = try DatabaseQueue(path: path).read { db in
            try Int.fetchAll(db, sql: "SELECT format FROM archives")
        }
        #expect(formats == [ArchiveCodec.format])
    }

    @Test func aCorruptArchiveFailsTheQueryNamingItsRun() throws {
        let scratch = try ScratchDirectory()
        let store = try LedgerStore(path: scratch.path("ledger.sqlite"))
        try store.append(RunScript.run(steps: 5), to: "run-a")
        try store.compact(before: .max)
        try DatabaseQueue(path: store.path).write { db in
            try db.execute(sql: """
                DROP TRIGGER archives_reject_update;
                UPDATE archives SET blob = substr(blob, 1, 4) || x'00ff00ff00ff' || substr(blob, 11);
                """)
        }
        #expect {
            try store.rows(sql: "SELECT count(data) FROM event_log", arguments: [])
        } throws: { error in
            "\(error)".contains("run-a")
        }
    }
}
