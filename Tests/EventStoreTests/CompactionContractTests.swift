// Compaction behind the same interface on every backend: archived runs read, report, query and
// verify as before; redeliveries to them stay duplicates, new events chain on, and a rebuild
// replays their archives.

import Foundation
import Ledger
import LedgerTestSupport
import Query
import Testing

@Suite struct CompactionContractTests {
    static let sample = ProjectionContractTests.sample
    static let future = ProjectionContractTests.end + 86_400_000_000

    /// Everything a reader sees: the reports, the events source, and each run's events and timeline.
    static func everything(_ store: any ReportingStore) async throws -> [String] {
        var seen = try await ProjectionContractTests.answers(store).map { "\($0)" }
        let events = try QueryLanguage.compile(
            "events | summarize n = count(), steps = countif(data.event == \"step\"), last = max(received_at) by run_id"
                + " | sort by run_id",
            for: store.engine)
        seen.append("\(try await store.rows(of: events).rows)")
        for run in sample {
            seen.append("\(try await store.events(of: run.runID))")
            seen.append("\(try await store.timeline(of: run.runID, last: nil))")
            seen.append("\(String(describing: try await store.lastEvent(of: run.runID)))")
        }
        return seen
    }

    /// The runs of the sample that ended, which compaction archives.
    static func endedRuns(_ store: any ReportingStore) async throws -> Int {
        let query = try QueryLanguage.compile(
            "runs | where state in (\"succeeded\", \"failed\", \"cancelled\", \"timed_out\") | summarize count()",
            for: store.engine)
        guard case .integer(let count) = try await store.rows(of: query).rows.first?.first else { return 0 }
        return Int(count)
    }

    @Test(arguments: StoreBackend.available)
    func archivedRunsReadReportAndVerifyAsBefore(_ backend: StoreBackend) async throws {
        let store = try await backend.makeLocation().open()
        try await store.append(Self.sample)
        let before = try await Self.everything(store)
        let ended = try await Self.endedRuns(store)
        let summary = try await store.archiveRuns(before: Self.future, only: nil, reclaim: .incremental) { _, _ in }
        #expect(summary.runs == ended)
        #expect(summary.runs > 0)
        #expect(summary.refused.isEmpty)
        #expect(summary.archiveBytes < summary.rawBytes)
        #expect(try await Self.everything(store) == before)
        let report = try await store.verify(progressInterval: 1_000) { _ in }
        #expect(report.isIntact, "\(report.problems)")
        #expect(report.events == Self.sample.map(\.events.count).reduce(0, +))
        let statistics = try await store.statistics()
        #expect(statistics.archivedRuns == ended)
        #expect(statistics.archivedEvents + statistics.liveEvents == report.events)
        let again = try await store.archiveRuns(before: Self.future, only: nil, reclaim: .incremental) { _, _ in }
        #expect(again.runs == 0)
    }

    @Test(arguments: StoreBackend.available)
    func archivedRunsKeepTheirKeysAndChainOn(_ backend: StoreBackend) async throws {
        let store = try await backend.makeLocation().open()
        try await store.append(Self.sample)
        _ = try await store.archiveRuns(before: Self.future, only: nil, reclaim: .incremental) { _, _ in }
        let total = Self.sample.map(\.events.count).reduce(0, +)
        #expect(try await store.append(Self.sample) == AppendOutcome(duplicate: total))
        let run = try #require(Self.sample.first)
        let late = RawEvent(eventID: "late-1", type: "message", data: #"{"event":"message"}"#, receivedAt: Self.future)
        var changed = try #require(run.events.first)
        changed.data = #"{"event":"changed"}"#
        #expect(
            try await store.append([RunBatch(runID: run.runID, events: [late, changed])])
                == AppendOutcome(new: 1, conflict: 1))
        #expect(try await store.events(of: run.runID).map(\.eventID) == run.events.map(\.eventID) + ["late-1"])
        #expect(try await store.stream(of: run.runID)?.eventCount == run.events.count + 1)
        let report = try await store.verify(progressInterval: 1_000) { _ in }
        #expect(report.problems.map(\.kind) == [.conflict])
    }

    @Test(arguments: StoreBackend.available)
    func rebuildReplaysTheArchives(_ backend: StoreBackend) async throws {
        let store = try await backend.makeLocation().open()
        try await store.append(Self.sample)
        let before = try await ProjectionContractTests.answers(store)
        _ = try await store.archiveRuns(before: Self.future, only: nil, reclaim: .vacuum) { _, _ in }
        let summary = try await store.rebuild(progressInterval: 1_000) { _, _ in }
        #expect(summary.events == Self.sample.map(\.events.count).reduce(0, +))
        #expect(try await ProjectionContractTests.answers(store) == before)
    }
}
