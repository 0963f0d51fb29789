// Append-only and tamper evidence: the schema rejects UPDATE and DELETE of events, and an edit
// made with the triggers dropped is found by verify, which names the run and event.

import Foundation
import GRDB
import Ledger
import LedgerTestSupport
import Testing

@Suite struct TamperTests {
    let scratch: ScratchDirectory
    let store: LedgerStore

    init() throws {
        scratch = try ScratchDirectory()
        store = try LedgerStore(path: scratch.path("ledger.sqlite"))
        try store.append((1...10).map { stepEvent($0) }, to: "run-a")
        try store.append((1...10).map { stepEvent($0) }, to: "run-b")
    }

    /// Runs `sql` on the file through a connection of its own, as an attacker with the file would.
    private func tamper(_ sql: String) throws {
        let queue = try DatabaseQueue(path: store.path)
        try queue.write { try $0.execute(sql: sql) }
    }

    @Test func updateOfAnEventIsRejected() throws {
        #expect {
            try tamper("UPDATE events SET data = '{}' WHERE event_id = '3'")
        } throws: { error in
            "\(error)".contains("events are append-only: an event row cannot be updated")
        }
    }

    @Test func deleteOfAnEventIsRejected() throws {
        #expect {
            try tamper("DELETE FROM events WHERE event_id = '3'")
        } throws: { error in
            "\(error)".contains("events are append-only: an event row cannot be deleted")
        }
    }

    @Test func editedDataWithTriggersDroppedIsNamedByVerify() throws {
        try tamper("""
            DROP TRIGGER events_reject_update;
            UPDATE events SET data = replace(data, 'Clicked', 'Typed')
            WHERE event_id = '4' AND run_key = (SELECT run_key FROM streams WHERE run_id = 'run-b');
            """)
        let report = try store.verify()
        #expect(report.problems.count == 1)
        let problem = try #require(report.problems.first)
        #expect(problem.kind == .tamperedEvent)
        #expect(problem.runID == "run-b")
        #expect(problem.eventID == "4")
        #expect(problem.position == 4)
    }

    @Test func editedArrivalTimeIsNamedByVerify() throws {
        try tamper("""
            DROP TRIGGER events_reject_update;
            UPDATE events SET received_at = received_at + 1 WHERE event_id = '7' AND run_key = 1;
            """)
        #expect(try store.verify().problems.map(\.eventID) == ["7"])
    }

    @Test func deletedMiddleEventBreaksTheChainAtTheNextOne() throws {
        try tamper("""
            DROP TRIGGER events_reject_delete;
            DELETE FROM events WHERE event_id = '5' AND run_key = 1;
            """)
        let problem = try #require(try store.verify().problems.first)
        #expect(problem.kind == .tamperedEvent)
        #expect(problem.runID == "run-a")
        #expect(problem.eventID == "6")
    }

    @Test func deletedLastEventIsFoundByTheHeadCheck() throws {
        try tamper("""
            DROP TRIGGER events_reject_delete;
            DELETE FROM events WHERE event_id = '10' AND run_key = 2;
            """)
        let problems = try store.verify().problems
        #expect(problems.map(\.kind) == [.headMismatch])
        #expect(problems.map(\.runID) == ["run-b"])
    }

    @Test func untouchedStoreVerifiesClean() throws {
        let report = try store.verify()
        #expect(report.isIntact)
        #expect(report.runs == 2)
        #expect(report.events == 20)
    }
}
