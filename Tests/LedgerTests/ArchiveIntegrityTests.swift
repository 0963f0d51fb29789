// Archives stay tamper-evident and append-only: the schema rejects changing or deleting archives
// and dictionaries, and deleting events that are not archived; verify names a run
// whose archive was altered (any flipped byte) and every other run still verifies.

import Foundation
import GRDB
import Ledger
import LedgerTestSupport
import Testing

@Suite struct ArchiveIntegrityTests {
    let scratch: ScratchDirectory
    let store: LedgerStore

    init() throws {
        scratch = try ScratchDirectory()
        store = try LedgerStore(path: scratch.path("ledger.sqlite"))
        for (index, runID) in ["run-a", "run-b", "run-c"].enumerated() {
            try store.append(RunScript.run(steps: 4 + index, start: "2026-11-0\(index + 2)T09:00:00Z"), to: runID)
        }
        try store.append(RunScript.run(steps: 2, ending: "running"), to: "run-live")
    }

    /// Runs `sql` through a connection of its own, as someone with the file could.
    private func tamper(_ sql: String, arguments: StatementArguments = []) throws {
        try DatabaseQueue(path: store.path).write { try $0.execute(sql: sql, arguments: arguments) }
    }

    private func blob(of runID: String) throws -> [UInt8] {
        try DatabaseQueue(path: store.path).read { db in
            [UInt8](
                try Data.fetchOne(
                    db, sql: "SELECT blob FROM archives JOIN streams USING (run_key) WHERE run_id = ?",
                    arguments: [runID]) ?? Data())
        }
    }

    private func replaceBlob(of runID: String, with bytes: [UInt8]) throws {
        try tamper(
            """
            DROP TRIGGER IF EXISTS archives_reject_update;
            UPDATE archives SET blob = ? WHERE run_key = (SELECT run_key FROM streams WHERE run_id = ?);
            """,
            arguments: [Data(bytes), runID])
    }

    @Test func aFlippedByteNamesItsRunAndNothingElse() throws {
        try store.compact(before: .max)
        var bytes = try blob(of: "run-b")
        bytes[bytes.count / 2] ^= 0x20
        try replaceBlob(of: "run-b", with: bytes)

        let report = try store.verify()
        #expect(report.problems.map(\.runID) == ["run-b"])
        #expect(report.problems.map(\.kind) == [.corruptArchive])
        #expect(report.runs == 4)
        #expect(throws: LedgerError.self) { try store.timeline(of: "run-b") }
        #expect(try store.timeline(of: "run-a").count == 8)
        #expect(try store.timeline(of: "run-c").count == 10)
        #expect(try store.runs().count == 4)
    }

    @Test func everyKindOfDamageIsFoundWithoutACrash() throws {
        try store.compact(before: .max)
        let original = try blob(of: "run-c")
        var random = SplitMix(seed: 0xB10B)
        for attempt in 0..<60 {
            var bytes = original
            switch attempt % 3 {
            case 0: bytes[random.int(in: 0...(bytes.count - 1))] ^= UInt8(1 << random.int(in: 0...7))
            case 1: bytes.removeLast(random.int(in: 1...(bytes.count - 1)))
            default: bytes.append(contentsOf: [0, UInt8(random.int(in: 0...255))])
            }
            try replaceBlob(of: "run-c", with: bytes)
            let problems = try store.verify().problems
            #expect(problems.map(\.runID) == ["run-c"], "attempt \(attempt) (seed 0xB10B)")
        }
        try replaceBlob(of: "run-c", with: original)
        #expect(try store.verify().isIntact)
    }

    @Test func swappedArchivesAreNamed() throws {
        try store.compact(before: .max)
        let a = try blob(of: "run-a")
        try replaceBlob(of: "run-a", with: try blob(of: "run-c"))
        try replaceBlob(of: "run-c", with: a)
        #expect(Set(try store.verify().problems.map(\.runID)) == ["run-a", "run-c"])
    }

    @Test func anArchiveWhoseSeqsDisagreeWithItsRowIsNamed() throws {
        try store.compact(before: .max)
        try tamper(
            """
            DROP TRIGGER archives_reject_update;
            UPDATE archives SET last_seq = last_seq + 1 WHERE run_key = (SELECT run_key FROM streams WHERE run_id = 'run-a');
            """)
        let problems = try store.verify().problems
        #expect(problems.map(\.runID) == ["run-a"])
        #expect(problems.first?.detail.contains("seqs") == true)
    }

    @Test func archivesTheirDictionariesAndUnarchivedEventsCannotBeChangedOrDeleted() throws {
        try store.compact(before: .max)
        for sql in [
            "UPDATE archives SET event_count = 1", "DELETE FROM archives", "UPDATE archive_dictionaries SET bytes = x'00'",
            "DELETE FROM archive_dictionaries",
            "DELETE FROM events WHERE run_key = (SELECT run_key FROM streams WHERE run_id = 'run-live')",
        ] {
            #expect(throws: DatabaseError.self, "\(sql)") { try tamper(sql) }
        }
    }

    @Test func onlyArchivedEventRowsCanBeDeleted() throws {
        #expect {
            try tamper("DELETE FROM events WHERE event_id = '2'")
        } throws: { error in
            "\(error)".contains("events are append-only: an event row cannot be deleted before it is archived")
        }
        try store.compact(before: .max)
        #expect(throws: DatabaseError.self) { try tamper("DELETE FROM events") }
    }

    @Test func aRunWhoseStoredChainBreaksIsNotArchived() throws {
        try tamper(
            """
            DROP TRIGGER events_reject_update;
            UPDATE events SET data = replace(data, 'Clicked', 'Typed')
            WHERE event_id = '4' AND run_key = (SELECT run_key FROM streams WHERE run_id = 'run-b');
            """)
        let summary = try store.compact(before: .max)
        #expect(summary.runs == 2)
        #expect(summary.refused.map(\.runID) == ["run-b"])
        let problem = try #require(try store.verify().problems.first)
        #expect(problem.kind == .tamperedEvent)
        #expect(problem.runID == "run-b")
        #expect(problem.eventID == "4")
    }
}
