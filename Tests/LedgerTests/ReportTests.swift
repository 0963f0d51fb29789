// The typed reports over the projections: runs in their documented order, filtered by state,
// machine, time window and failure, and the timeline with step gaps. (The cost and failure
// reports are canned queries, tested in QueryTests.)

import Foundation
import Ledger
import LedgerTestSupport
import Testing

@Suite struct ReportTests {
    let scratch: ScratchDirectory
    let store: LedgerStore

    /// The runs of `SampleRuns.reportFixture()`.
    init() throws {
        scratch = try ScratchDirectory()
        store = try LedgerStore(path: scratch.path("ledger.sqlite"))
        try store.append(SampleRuns.reportFixture())
    }

    private func time(_ text: String) throws -> Int64 { try #require(UTCTime.parse(text)) }

    @Test func runsAreOrderedByFirstEventThenRunID() throws {
        #expect(try store.runs().map(\.runID) == ["run-a", "run-b", "run-c", "run-d", "run-e", "run-f"])
    }

    @Test func runsFilterByStateMachineWindowAndFailure() throws {
        #expect(try store.runs(RunFilter(state: "failed")).map(\.runID) == ["run-a", "run-d"])
        #expect(try store.runs(RunFilter(machineID: "m-1")).map(\.runID) == ["run-b", "run-c", "run-f"])
        let window = TimeWindow(since: try time("2026-11-02"), until: try time("2026-11-03T10:00:00Z"))
        #expect(try store.runs(RunFilter(window: window)).map(\.runID) == ["run-c", "run-d"])
        #expect(try store.runs(RunFilter(failedOnly: true)).map(\.runID) == ["run-a", "run-c", "run-d", "run-e"])
        #expect(try store.runs(RunFilter(machineID: "m-2", failedOnly: true)).map(\.runID) == ["run-a", "run-d"])
        #expect(try store.runs(RunFilter(state: "queued")).isEmpty)
    }

    @Test func timelineShowsTheGapBeforeEachStepAfterTheFirst() throws {
        let timeline = try store.timeline(of: "run-a")
        #expect(timeline.map(\.position) == Array(1...9))
        #expect(timeline.map(\.type) == ["state", "state", "step", "step", "step", "step", "step", "state", "result"])
        #expect(timeline.map(\.gapMicros) == [nil, nil, nil, 1_000_000, 1_000_000, 1_000_000, 1_000_000, nil, nil])
        #expect(timeline.first?.at == (try time("2026-11-01T10:00:00Z")))
    }

    @Test func timelineLastKeepsStreamPositions() throws {
        let last = try store.timeline(of: "run-a", last: 3)
        #expect(last.map(\.position) == [7, 8, 9])
        #expect(last.map(\.eventID) == ["7", "8", "9"])
        #expect(try store.timeline(of: "run-a", last: 50).count == 9)
        #expect(try store.timeline(of: "nope").isEmpty)
    }
}
