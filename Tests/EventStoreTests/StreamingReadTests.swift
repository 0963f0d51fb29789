// Reads that stream on every backend: rows and timelines handed over one by one are the rows and
// timelines the collecting reads return, live and archived; and compaction leaves a run too large
// to archive in bounded memory live, named, and readable.

import Foundation
import Ledger
import LedgerTestSupport
import Query
import Synchronization
import Testing

@Suite struct StreamingReadTests {
    static let sample = ProjectionContractTests.sample
    static let future = ProjectionContractTests.end + 86_400_000_000

    /// What streaming reads hand over, beside what collecting reads return.
    private static func streamedAndCollected(_ store: any ReportingStore) async throws -> (Bool, Bool) {
        let query = try QueryLanguage.compile("events | project run_id, event_id, data | sort by run_id, event_id", for: store.engine)
        let streamed = Mutex<[[SQLValue]]>([])
        try await store.streamRows(sql: query.sql, arguments: query.arguments) { row in
            streamed.withLock { $0.append(row) }
        }
        let rowsAgree = try await streamed.withLock { $0 } == store.rows(of: query).rows
        var timelinesAgree = true
        for run in sample {
            for last in [nil, 1, 3, 10_000] {
                let rows = Mutex<[TimelineRow]>([])
                let shown = try await store.streamTimeline(of: run.runID, last: last) { row in
                    rows.withLock { $0.append(row) }
                }
                let events = try await store.events(of: run.runID)
                let expected = events.suffix(min(last ?? events.count, events.count))
                let streamedRows = rows.withLock { $0 }
                timelinesAgree =
                    timelinesAgree && shown == expected.count
                    && streamedRows.map(\.position) == expected.map(\.position)
                    && streamedRows.map(\.eventID) == expected.map(\.eventID)
            }
        }
        return (rowsAgree, timelinesAgree)
    }

    @Test(arguments: StoreBackend.available)
    func streamedRowsAndTimelinesMatchTheCollectedOnesLiveAndArchived(_ backend: StoreBackend) async throws {
        let store = try await backend.makeLocation().open()
        try await store.append(Self.sample)
        let live = try await Self.streamedAndCollected(store)
        #expect(live == (true, true))
        let summary = try await store.archiveRuns(before: Self.future, only: nil, reclaim: .incremental) { _, _ in }
        #expect(summary.runs > 0)
        let archived = try await Self.streamedAndCollected(store)
        #expect(archived == (true, true))
    }

    @Test(arguments: StoreBackend.available)
    func aRunTooLargeToArchiveInBoundedMemoryStaysLiveAndIsNamed(_ backend: StoreBackend) async throws {
        let store = try await backend.makeLocation().open()
        let message = String(repeating: "x", count: 12 << 20)
        let events =
            [RawEvent(eventID: "0", type: "message", data: #"{"event":"state","state":"running"}"#, receivedAt: 1)]
            + (1...3).map {
                RawEvent(
                    eventID: String($0), type: "message", data: #"{"event":"step","step":\#($0),"message":"\#(message)"}"#,
                    receivedAt: Int64(1 + $0))
            }
            + [RawEvent(eventID: "4", type: "message", data: #"{"event":"state","state":"succeeded"}"#, receivedAt: 5)]
        for event in events { _ = try await store.append([RunBatch(runID: "run-large", events: [event])]) }
        try await store.append(Array(Self.sample.prefix(4)))
        let summary = try await store.archiveRuns(before: Self.future, only: nil, reclaim: .incremental) { _, _ in }
        #expect(summary.tooLarge.map(\.runID) == ["run-large"])
        #expect(summary.tooLarge.first?.reason.contains("more than the 32 MiB") == true, "\(summary.tooLarge)")
        #expect(summary.refused.isEmpty)
        #expect(try await !store.archivedRunIDs().contains("run-large"))
        #expect(try await store.timeline(of: "run-large", last: 1).map(\.position) == [5])
    }
}
