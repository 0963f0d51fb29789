// The append contract: new events are stored in stream order, a known key with the same content
// is a no-op, a known key with different content is kept aside, and each run's resume point is
// the last real id stored.

import Foundation
import GRDB
import Ledger
import LedgerTestSupport
import Testing

@Suite struct StoreAppendTests {
    let scratch: ScratchDirectory
    let store: LedgerStore

    init() throws {
        scratch = try ScratchDirectory()
        store = try LedgerStore(path: scratch.path("ledger.sqlite"))
    }

    @Test func newEventsAreStoredInStreamOrder() throws {
        let events = (1...5).map { stepEvent($0) }
        let outcome = try store.append(events, to: "run-a")
        #expect(outcome == AppendOutcome(new: 5))
        let stored = try store.events(of: "run-a")
        #expect(stored.map(\.eventID) == ["1", "2", "3", "4", "5"])
        #expect(stored.map(\.data) == events.map(\.data))
        #expect(stored.map(\.position) == [1, 2, 3, 4, 5])
    }

    @Test func duplicateRedeliveryIsANoOp() throws {
        let events = (1...5).map { stepEvent($0) }
        try store.append(events, to: "run-a")
        let again = try store.append(Array(events[2...]) + [stepEvent(6)], to: "run-a")
        #expect(again == AppendOutcome(new: 1, duplicate: 3))
        #expect(try store.events(of: "run-a").map(\.eventID) == ["1", "2", "3", "4", "5", "6"])
        #expect(try store.verify().isIntact)
    }

    @Test func duplicateWithADifferentArrivalTimeIsStillADuplicate() throws {
        try store.append([stepEvent(1, at: 0)], to: "run-a")
        #expect(try store.append([stepEvent(1, at: 99)], to: "run-a") == AppendOutcome(duplicate: 1))
    }

    @Test func conflictingRedeliveryIsKeptAsideAndReportedByVerify() throws {
        try store.append([stepEvent(1), stepEvent(2)], to: "run-a")
        var changed = stepEvent(2)
        changed.data = #"{"event":"step","step":2,"message":"something else"}"#
        #expect(try store.append([changed], to: "run-a") == AppendOutcome(conflict: 1))
        #expect(try store.append([changed], to: "run-a") == AppendOutcome(conflict: 1))
        #expect(try store.events(of: "run-a")[1].data == stepEvent(2).data)
        let conflicts = try store.conflicts()
        #expect(conflicts.count == 1)
        #expect(conflicts.first?.data == changed.data)
        let report = try store.verify()
        #expect(report.problems.map(\.kind) == [.conflict])
        #expect(report.problems.first?.runID == "run-a")
        #expect(report.problems.first?.eventID == "2")
    }

    @Test func sameKeyInDifferentRunsIsNotADuplicate() throws {
        #expect(try store.append([stepEvent(1)], to: "run-a") == AppendOutcome(new: 1))
        #expect(try store.append([stepEvent(1)], to: "run-b") == AppendOutcome(new: 1))
    }

    @Test func interleavedBatchesOfManyRunsKeepEachRunsOrder() throws {
        var batches: [RunBatch] = []
        for round in 0..<4 {
            for run in 0..<50 {
                batches.append(RunBatch(runID: "run-\(run)", events: [stepEvent(round * 2 + 1), stepEvent(round * 2 + 2)]))
            }
        }
        let outcome = try store.append(batches)
        #expect(outcome == AppendOutcome(new: 400))
        for run in [0, 17, 49] {
            #expect(try store.events(of: "run-\(run)").map(\.eventID) == (1...8).map(String.init))
        }
        #expect(try store.verify().isIntact)
    }

    @Test func resumePointIsTheLastRealIDStored() throws {
        let idless = RawEvent(eventID: "3#1", type: "message", data: #"{"event":"message"}"#, receivedAt: 5, resumeID: "3")
        try store.append([stepEvent(1), stepEvent(2), stepEvent(3), idless], to: "run-a")
        #expect(try store.stream(of: "run-a")?.resumeID == "3")
        #expect(try store.stream(of: "run-a")?.eventCount == 4)
    }

    @Test func replayingOldEventsDoesNotMoveTheResumePointBack() throws {
        try store.append((1...5).map { stepEvent($0) }, to: "run-a")
        try store.append([stepEvent(1), stepEvent(2)], to: "run-a")
        #expect(try store.stream(of: "run-a")?.resumeID == "5")
    }

    @Test func unknownRunHasNoStreamAndNoEvents() throws {
        #expect(try store.stream(of: "nope") == nil)
        #expect(try store.events(of: "nope").isEmpty)
    }

    @Test func twoConnectionsAppendingToOneRunKeepTheChainIntact() throws {
        let other = try LedgerStore(path: store.path)
        for id in stride(from: 1, through: 40, by: 2) {
            try store.append([stepEvent(id)], to: "run-a")
            try other.append([stepEvent(id + 1), stepEvent(id)], to: "run-a")
        }
        #expect(try store.events(of: "run-a").count == 40)
        #expect(try other.verify().isIntact)
    }

    @Test func storedEventsSurviveReopening() throws {
        try store.append((1...3).map { stepEvent($0) }, to: "run-a")
        let reopened = try LedgerStore(path: store.path, create: false)
        #expect(try reopened.events(of: "run-a").count == 3)
        #expect(try reopened.append([stepEvent(3), stepEvent(4)], to: "run-a") == AppendOutcome(new: 1, duplicate: 1))
        #expect(try reopened.verify().isIntact)
    }
}
