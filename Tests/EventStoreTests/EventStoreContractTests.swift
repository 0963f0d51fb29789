// The event store contract, run against every backend (`StoreBackend.available`): new events
// are stored in stream order, a known key with the same content is a no-op, a known key with
// different content is kept aside, each run's resume point is the last real id stored, rows are
// append-only, and every run's hash chain stays valid, also when several connections (as
// several ingest processes would) append to the same runs at once.

import Foundation
import Ledger
import LedgerTestSupport
import Query
import Testing

@Suite struct EventStoreContractTests {
    @Test(arguments: StoreBackend.available)
    func newEventsAreStoredInStreamOrder(_ backend: StoreBackend) async throws {
        let store = try await backend.makeLocation().open()
        let events = (1...5).map { stepEvent($0) }
        let outcome = try await store.append([RunBatch(runID: "run-a", events: events)])
        #expect(outcome == AppendOutcome(new: 5))
        let stored = try await store.events(of: "run-a")
        #expect(stored.map(\.eventID) == ["1", "2", "3", "4", "5"])
        #expect(stored.map(\.data) == events.map(\.data))
        #expect(stored.map(\.position) == [1, 2, 3, 4, 5])
        #expect(try await store.lastEvent(of: "run-a") == stored.last)
    }

    @Test(arguments: StoreBackend.available)
    func duplicateRedeliveryIsANoOp(_ backend: StoreBackend) async throws {
        let store = try await backend.makeLocation().open()
        let events = (1...5).map { stepEvent($0) }
        try await store.append([RunBatch(runID: "run-a", events: events)])
        let again = try await store.append([RunBatch(runID: "run-a", events: Array(events[2...]) + [stepEvent(6)])])
        #expect(again == AppendOutcome(new: 1, duplicate: 3))
        #expect(try await store.events(of: "run-a").map(\.eventID) == ["1", "2", "3", "4", "5", "6"])
        #expect(try await store.verify(progressInterval: 1_000) { _ in }.isIntact)
    }

    @Test(arguments: StoreBackend.available)
    func duplicateWithADifferentArrivalTimeIsStillADuplicate(_ backend: StoreBackend) async throws {
        let store = try await backend.makeLocation().open()
        try await store.append([RunBatch(runID: "run-a", events: [stepEvent(1, at: 0)])])
        #expect(try await store.append([RunBatch(runID: "run-a", events: [stepEvent(1, at: 99)])]) == AppendOutcome(duplicate: 1))
    }

    @Test(arguments: StoreBackend.available)
    func duplicateWithinOneCallIsStoredOnce(_ backend: StoreBackend) async throws {
        let store = try await backend.makeLocation().open()
        let outcome = try await store.append([
            RunBatch(runID: "run-a", events: [stepEvent(1), stepEvent(2)]),
            RunBatch(runID: "run-a", events: [stepEvent(2), stepEvent(3)]),
        ])
        #expect(outcome == AppendOutcome(new: 3, duplicate: 1))
        #expect(try await store.events(of: "run-a").map(\.eventID) == ["1", "2", "3"])
    }

    @Test(arguments: StoreBackend.available)
    func conflictingRedeliveryIsKeptAsideAndReportedByVerify(_ backend: StoreBackend) async throws {
        let store = try await backend.makeLocation().open()
        try await store.append([RunBatch(runID: "run-a", events: [stepEvent(1), stepEvent(2)])])
        var changed = stepEvent(2)
        changed.data = #"{"event":"step","step":2,"message":"something else"}"#
        #expect(try await store.append([RunBatch(runID: "run-a", events: [changed])]) == AppendOutcome(conflict: 1))
        #expect(try await store.append([RunBatch(runID: "run-a", events: [changed])]) == AppendOutcome(conflict: 1))
        #expect(try await store.events(of: "run-a")[1].data == stepEvent(2).data)
        let conflicts = try await store.conflicts()
        #expect(conflicts.count == 1)
        #expect(conflicts.first?.data == changed.data)
        let report = try await store.verify(progressInterval: 1_000) { _ in }
        #expect(report.problems.map(\.kind) == [.conflict])
        #expect(report.problems.first?.runID == "run-a")
        #expect(report.problems.first?.eventID == "2")
    }

    @Test(arguments: StoreBackend.available)
    func dataIsKeptByteForByteEvenWithNULAndNonASCII(_ backend: StoreBackend) async throws {
        let store = try await backend.makeLocation().open()
        let odd = RawEvent(eventID: "1", type: "weird\u{0}type", data: "a\u{0}b é 𝄞 \u{7f}", receivedAt: 1)
        try await store.append([RunBatch(runID: "run-a", events: [odd])])
        let stored = try #require(try await store.events(of: "run-a").first)
        #expect(Array(stored.data.utf8) == Array(odd.data.utf8))
        #expect(Array(stored.type.utf8) == Array(odd.type.utf8))
        #expect(try await store.append([RunBatch(runID: "run-a", events: [odd])]) == AppendOutcome(duplicate: 1))
        #expect(try await store.verify(progressInterval: 1_000) { _ in }.isIntact)
    }

    @Test(arguments: StoreBackend.available)
    func sameKeyInDifferentRunsIsNotADuplicate(_ backend: StoreBackend) async throws {
        let store = try await backend.makeLocation().open()
        #expect(try await store.append([RunBatch(runID: "run-a", events: [stepEvent(1)])]) == AppendOutcome(new: 1))
        #expect(try await store.append([RunBatch(runID: "run-b", events: [stepEvent(1)])]) == AppendOutcome(new: 1))
    }

    @Test(arguments: StoreBackend.available)
    func interleavedBatchesOfManyRunsKeepEachRunsOrder(_ backend: StoreBackend) async throws {
        let store = try await backend.makeLocation().open()
        var batches: [RunBatch] = []
        for round in 0..<4 {
            for run in 0..<50 {
                batches.append(RunBatch(runID: "run-\(run)", events: [stepEvent(round * 2 + 1), stepEvent(round * 2 + 2)]))
            }
        }
        #expect(try await store.append(batches) == AppendOutcome(new: 400))
        for run in [0, 17, 49] {
            #expect(try await store.events(of: "run-\(run)").map(\.eventID) == (1...8).map(String.init))
        }
        #expect(Set(try await store.streams().map(\.runID)) == Set((0..<50).map { "run-\($0)" }))
        #expect(try await store.verify(progressInterval: 1_000) { _ in }.isIntact)
    }

    @Test(arguments: StoreBackend.available)
    func resumePointIsTheLastRealIDStored(_ backend: StoreBackend) async throws {
        let store = try await backend.makeLocation().open()
        let idless = RawEvent(eventID: "3#1", type: "message", data: #"{"event":"message"}"#, receivedAt: 5, resumeID: "3")
        try await store.append([RunBatch(runID: "run-a", events: [stepEvent(1), stepEvent(2), stepEvent(3), idless])])
        #expect(try await store.stream(of: "run-a")?.resumeID == "3")
        #expect(try await store.stream(of: "run-a")?.eventCount == 4)
    }

    @Test(arguments: StoreBackend.available)
    func replayingOldEventsDoesNotMoveTheResumePointBack(_ backend: StoreBackend) async throws {
        let store = try await backend.makeLocation().open()
        try await store.append([RunBatch(runID: "run-a", events: (1...5).map { stepEvent($0) })])
        try await store.append([RunBatch(runID: "run-a", events: [stepEvent(1), stepEvent(2)])])
        #expect(try await store.stream(of: "run-a")?.resumeID == "5")
    }

    @Test(arguments: StoreBackend.available)
    func unknownRunHasNoStreamAndNoEvents(_ backend: StoreBackend) async throws {
        let store = try await backend.makeLocation().open()
        #expect(try await store.stream(of: "nope") == nil)
        #expect(try await store.events(of: "nope").isEmpty)
        #expect(try await store.lastEvent(of: "nope") == nil)
    }

    @Test(arguments: StoreBackend.available)
    func storedEventsSurviveReopening(_ backend: StoreBackend) async throws {
        let location = try await backend.makeLocation()
        try await location.open().append([RunBatch(runID: "run-a", events: (1...3).map { stepEvent($0) })])
        let reopened = try await location.open()
        #expect(try await reopened.events(of: "run-a").count == 3)
        #expect(
            try await reopened.append([RunBatch(runID: "run-a", events: [stepEvent(3), stepEvent(4)])])
                == AppendOutcome(new: 1, duplicate: 1))
        #expect(try await reopened.verify(progressInterval: 1_000) { _ in }.isIntact)
    }

    @Test(arguments: StoreBackend.available)
    func workersRacingOnTheSameRunsStoreEveryEventOnceWithValidChains(_ backend: StoreBackend) async throws {
        let location = try await backend.makeLocation()
        let workers = try await (0..<4).asyncMap { _ in try await location.open() }
        // Every worker delivers every run's 60 events, each in its own chunking and run order.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, worker) in workers.enumerated() {
                group.addTask {
                    for start in stride(from: 1, through: 60, by: 7 + index) {
                        let ids = start...min(start + 6 + index, 60)
                        let runs = (0..<6).map { "run-\(($0 + index) % 6)" }
                        try await worker.append(runs.map { RunBatch(runID: $0, events: ids.map { stepEvent($0) }) })
                    }
                }
            }
            try await group.waitForAll()
        }
        let store = try await location.open()
        for run in 0..<6 {
            #expect(try await store.events(of: "run-\(run)").map(\.eventID) == (1...60).map(String.init))
        }
        let report = try await store.verify(progressInterval: 1_000) { _ in }
        #expect(report.isIntact)
        #expect(report.events == 360)
    }

    @Test(arguments: StoreBackend.available)
    func eventsCannotBeChangedOrDeleted(_ backend: StoreBackend) async throws {
        let location = try await backend.makeLocation()
        var conflicting = stepEvent(1)
        conflicting.data = "{}"
        try await location.open().append([RunBatch(runID: "run-a", events: [stepEvent(1), conflicting])])
        await #expect(throws: (any Error).self) { try await location.execute("UPDATE events SET data = 'x'") }
        await #expect(throws: (any Error).self) { try await location.execute("DELETE FROM events") }
        await #expect(throws: (any Error).self) { try await location.execute("UPDATE conflicts SET data = 'x'") }
        await #expect(throws: (any Error).self) { try await location.execute("DELETE FROM conflicts") }
        #expect(try await location.open().events(of: "run-a").map(\.data) == [stepEvent(1).data])
    }

    @Test(arguments: StoreBackend.available)
    func verifyNamesTheFirstTamperedEvent(_ backend: StoreBackend) async throws {
        let location = try await backend.makeLocation()
        try await location.open().append([
            RunBatch(runID: "run-a", events: (1...10).map { stepEvent($0) }),
            RunBatch(runID: "run-b", events: (1...10).map { stepEvent($0) }),
        ])
        try await location.tamper(runID: "run-a", eventID: "7", data: #"{"event":"step","step":7}"#)
        let report = try await location.open().verify(progressInterval: 1_000) { _ in }
        #expect(report.problems.map(\.kind) == [.tamperedEvent])
        #expect(report.problems.first?.runID == "run-a")
        #expect(report.problems.first?.eventID == "7")
        #expect(report.problems.first?.position == 7)
    }

    @Test(arguments: StoreBackend.available)
    func aRunConfirmedCompleteStaysSoUntilItsStreamBringsANewEvent(_ backend: StoreBackend) async throws {
        let store = try await backend.makeLocation().open()
        try await store.append([RunBatch(runID: "run-a", events: (1...3).map { stepEvent($0) })])
        #expect(try await store.stream(of: "run-a")?.isComplete == false)
        #expect(try await store.markComplete("run-a", eventCount: 2, at: 77) == false, "a stale count marks nothing")
        #expect(try await store.markComplete("run-a", eventCount: 3, at: 77))
        #expect(try await store.stream(of: "run-a")?.completedAt == 77)
        let complete = try QueryLanguage.compile("runs | project run_id, complete, completed_at", for: store.engine)
        #expect(try await store.rows(of: complete).rows == [[.text("run-a"), .integer(1), .integer(77)]])

        try await store.append([RunBatch(runID: "run-a", events: [stepEvent(3)])])
        let note = RawEvent.annotation(eventID: "ledger:note", type: "ledger.operator", data: "{}", receivedAt: 80)
        try await store.append([RunBatch(runID: "run-a", events: [note])])
        #expect(try await store.stream(of: "run-a")?.isComplete == true, "duplicates and annotations keep it complete")

        try await store.append([RunBatch(runID: "run-a", events: [stepEvent(4)])])
        #expect(try await store.stream(of: "run-a")?.isComplete == false, "a new event opens it again")
        #expect(try await store.rows(of: complete).rows == [[.text("run-a"), .integer(0), .null]])
    }
}
